"""The twin's overhead RGB-D camera: the :class:`jazari.ports.Camera` of the simulated cell.

Colour and depth come from one render pass (MuJoCo reads both buffers of the same
frame), headless, into a renderer that is created once and reused. The depth buffer
(reverse-Z) is turned into metric depth along the optical axis, which is what an
aligned depth image holds. Shadows, reflections and the skybox are off: they cost time
and a structured-light sensor's colour stream would not show them this way either.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref

import mujoco
import numpy as np
from numpy.typing import NDArray

from jazari.geometry.transforms import FloatArray, invert
from jazari.ports import CameraIntrinsics, RGBDFrame
from jazari.sim.depth_noise import apply_depth_noise
from jazari.sim.errors import RenderError
from jazari.sim.gl import backend_order, create_context
from jazari.sim.mjcf import CAMERA_NAME
from jazari.sim.params import DepthNoiseParams
from jazari.sim.twin import CellTwin

log = logging.getLogger(__name__)


def linear_depth(buffer: NDArray[np.float32], near_m: float, far_m: float) -> NDArray[np.float32]:
    """Metric depth [m] from a reverse-Z depth buffer (1 at ``near_m``, 0 at ``far_m``).

    The perspective projection maps depth z to b = n (f − z) / (z (f − n)), so
    z = f n / (n + b (f − n)). Pixels at the far plane (nothing rendered) come out as 0.
    """
    # float32 suffices: the expression is well conditioned for b in [0, 1].
    n, f = np.float32(near_m), np.float32(far_m)
    z = (f * n) / (n + buffer * (f - n))
    z[buffer <= 0.0] = 0.0
    return z.astype(np.float32, copy=False)


class _Renderer:
    """A GL context plus MuJoCo's render context and scene, re-bound when the model changes."""

    def __init__(self, width: int, height: int, backends: tuple[str, ...]) -> None:
        self.width, self.height = width, height
        self.backend, self._gl = create_context(width, height, backends)
        self._thread = threading.get_ident()
        self._model: mujoco.MjModel | None = None
        self._context: mujoco.MjrContext | None = None
        self._scene: mujoco.MjvScene | None = None
        self._option = mujoco.MjvOption()
        self._perturb = mujoco.MjvPerturb()
        self._camera = mujoco.MjvCamera()
        self._camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        self._rect = mujoco.MjrRect(0, 0, width, height)
        self.rgb = np.empty((height, width, 3), dtype=np.uint8)
        self.depth = np.empty((height, width), dtype=np.float32)

    def _bind(self, model: mujoco.MjModel) -> None:
        if model is self._model:
            return
        if model.vis.global_.offwidth < self.width or model.vis.global_.offheight < self.height:
            raise RenderError(
                f"model's off-screen buffer {model.vis.global_.offwidth}x"
                f"{model.vis.global_.offheight} is smaller than the image "
                f"{self.width}x{self.height}"
            )
        if self._context is not None:
            self._context.free()
        self._context = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_100)
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self._context)
        # Reverse-Z spends the float depth buffer's precision evenly over distance.
        self._context.readDepthMap = mujoco.mjtDepthMap.mjDEPTH_ZEROFAR
        self._scene = mujoco.MjvScene(model, maxgeom=max(200, 2 * model.ngeom))
        for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION,
                     mujoco.mjtRndFlag.mjRND_SKYBOX):  # fmt: skip
            self._scene.flags[flag] = False
        cam = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, CAMERA_NAME)
        if cam < 0:
            raise RenderError(f"the model has no camera named {CAMERA_NAME!r}")
        self._camera.fixedcamid = cam
        self._model = model

    def render(self, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        """Render the camera's view of ``data`` into :attr:`rgb` and :attr:`depth`
        (bottom row first, as OpenGL stores them)."""
        if threading.get_ident() != self._thread:
            raise RenderError(
                f"the camera's GL context belongs to thread {self._thread}; capture from that "
                f"thread (called from {threading.get_ident()})"
            )
        self._gl.make_current()
        self._bind(model)
        if self._scene is None or self._context is None:
            raise RenderError("renderer has no scene")  # unreachable after _bind
        mujoco.mjv_updateScene(
            model, data, self._option, self._perturb, self._camera,
            mujoco.mjtCatBit.mjCAT_ALL, self._scene,
        )  # fmt: skip
        mujoco.mjr_render(self._rect, self._scene, self._context)
        mujoco.mjr_readPixels(self.rgb, self.depth, self._rect, self._context)

    def close(self) -> None:
        if self._context is not None:
            with contextlib.suppress(Exception):  # from another thread: the OS reclaims it
                self._gl.make_current()
                self._context.free()
            self._context = None
        self._gl.free()


class TwinCamera:
    """Aligned colour and depth frames of the twin's overhead camera.

    Args:
        twin: the simulated cell to look at.
        depth_noise: sensor imperfections (default: the twin's ``depth_noise``
            settings; they apply only when ``enabled``).
        seed: seed of the noise generator (default: ``depth_noise.seed``).

    OpenGL binds the camera's context to the thread that made it: capture from the
    thread that constructed the camera (make one camera per thread otherwise).

    Raises:
        RenderError: when no OpenGL backend works (each one's failure is listed).
    """

    def __init__(
        self, twin: CellTwin, depth_noise: DepthNoiseParams | None = None, seed: int | None = None
    ) -> None:
        self._twin = twin
        config = twin.camera_config
        self._intrinsics = config.intrinsics
        self._depth_range = (config.depth_min_m, config.depth_max_m)
        self._noise = twin.params.depth_noise if depth_noise is None else depth_noise
        self._rng = np.random.default_rng(self._noise.seed if seed is None else seed)
        render = twin.params.render
        self._renderer: _Renderer | None = _Renderer(
            self._intrinsics.width, self._intrinsics.height, backend_order(render.gl_backends)
        )
        # Free the GL context at the latest when the interpreter exits, while the GL
        # libraries are still loaded (their own finalisers fail during shutdown).
        self._finalizer = weakref.finalize(self, self._renderer.close)
        log.debug("twin camera renders with %s", self._renderer.backend)

    @property
    def backend(self) -> str:
        """The OpenGL backend in use (``egl`` or ``osmesa``)."""
        return self._live().backend

    @property
    def depth_noise(self) -> DepthNoiseParams:
        """The depth sensor model in use (applied only when ``enabled``)."""
        return self._noise

    @property
    def intrinsics(self) -> CameraIntrinsics:
        """Intrinsics shared by the colour and depth images (from ``config/camera.yaml``)."""
        return self._intrinsics

    def _live(self) -> _Renderer:
        if self._renderer is None:
            raise RenderError("the camera is closed")
        return self._renderer

    def T_base_camera(self) -> FloatArray:
        """Pose of the optical frame in the robot's base frame, now."""
        twin = self._twin
        T_world_base = twin.body_pose(twin.robot.chain.base)
        return np.asarray(invert(T_world_base) @ twin.body_pose(twin.camera_config.frame_id))

    def capture(self) -> RGBDFrame:
        """Render one frame of the scene as it is now (time stamp: simulation time).

        Depth outside the sensor's range and pixels without return are 0.
        """
        renderer = self._live()
        twin = self._twin
        with twin.lock:
            renderer.render(twin.model, twin.data)
            model = twin.model
            stamp = float(twin.data.time)
            T_base_camera = self.T_base_camera()
        near = model.vis.map.znear * model.stat.extent
        far = model.vis.map.zfar * model.stat.extent
        depth = linear_depth(renderer.depth[::-1], near, far)
        lo, hi = self._depth_range
        depth[(depth < lo) | (depth > hi)] = 0.0
        if self._noise.enabled:
            depth = apply_depth_noise(depth, self._noise, self._rng)
        color = np.ascontiguousarray(renderer.rgb[::-1])
        return RGBDFrame(color, depth, self._intrinsics, T_base_camera, stamp)

    def close(self) -> None:
        """Free the renderer; later captures raise RenderError."""
        self._finalizer()
        self._renderer = None

    def __enter__(self) -> TwinCamera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
