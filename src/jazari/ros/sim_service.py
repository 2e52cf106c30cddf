"""What the simulator node runs, without ROS: the MuJoCo twin in real time, its camera,
and the emulated drives that move it.

Two ways to move the arm (``drives``):

- ``serial``: a chain of emulated Dynamixel servos is served on a pseudo-terminal, and
  a symbolic link at the driver's ``port`` points at it; the serial driver node opens it
  like a USB adapter, and every setpoint reaches the twin through the real protocol
  code, byte for byte. The emulator thread steps the physics in wall time.
- ``mirror``: the twin's arm follows joint positions handed to :meth:`SimCell.mirror`
  (the EtherCAT emulator's or real drives' ``joint_states``); a stepper thread advances
  the physics in wall time.

The camera renders from a second twin built from the same model (its shadow), whose
joint state is copied from the live twin before each frame: rendering takes tens of
milliseconds, and holding the live twin's lock that long would stall the emulated
servos' replies and trip the drives' watchdog.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from jazari.clock import WallClock
from jazari.control.rate import RateLoop
from jazari.geometry.transforms import FloatArray
from jazari.ports import RGBDFrame
from jazari.sim.camera import TwinCamera
from jazari.sim.camera_config import CameraConfig
from jazari.sim.dynamixel_emulator import EmulatorConfig, EmulatorThread
from jazari.sim.errors import SimError
from jazari.sim.params import SimParams
from jazari.sim.parts import PartCatalogue, spawn_parts
from jazari.sim.twin import CellTwin, TwinGripper

_log = logging.getLogger(__name__)
DRIVE_MODES = ("serial", "mirror")
#: Physics advance period of the stepper thread in mirror mode [s].
STEP_PERIOD_S = 0.002


class SimServiceError(SimError):
    """The simulated cell cannot start or was asked for something its mode does not do."""


def link_port(target: str, link: str) -> None:
    """Make ``link`` a symbolic link to the pty ``target`` (replacing an old link).

    Raises:
        SimServiceError: when ``link`` exists and is not a symbolic link (a real device
            or file is never replaced).
    """
    path = Path(link)
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        raise SimServiceError(f"{link} exists and is not a symbolic link; refusing to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def copy_state(src: CellTwin, dst: CellTwin) -> None:
    """Copy the joint state and time of ``src`` into ``dst`` (same model) and update its
    kinematics, so ``dst`` renders what ``src`` holds now."""
    with src.lock:
        qpos, time_s = src.data.qpos.copy(), float(src.data.time)
    with dst.lock:
        if dst.data.qpos.shape != qpos.shape:
            raise SimServiceError("the shadow twin's model differs from the live twin's")
        dst.data.qpos[:] = qpos
        dst.data.time = time_s
        mujoco.mj_kinematics(dst.model, dst.data)


class SimCell:
    """The twin, its shadow for rendering, the threads that move and film it.

    Args:
        params: the node's parameters, nested (``sim``, ``camera``, ``parts`` and
            ``serial_driver`` groups plus ``n_parts``, ``layout_seed``, ``drives``).
        on_frame: called from the render thread with every captured frame.
        camera_rate_hz: frames per second.

    Raises:
        SimServiceError, SimConfigError, SpawnError: bad parameters or an emulator that
            cannot start.
    """

    def __init__(
        self,
        params: Mapping[str, Any],
        on_frame: Callable[[RGBDFrame], None],
        camera_rate_hz: float,
    ) -> None:
        mode = str(params["drives"])
        if mode not in DRIVE_MODES:
            raise SimServiceError(f"drives must be one of {DRIVE_MODES}, got {mode!r}")
        if not (math.isfinite(camera_rate_hz) and camera_rate_hz > 0):
            raise SimServiceError(f"camera_rate_hz must be > 0, got {camera_rate_hz}")
        sim_params = SimParams.from_params(params)
        camera = CameraConfig.from_params(params)
        catalogue = PartCatalogue.from_params(params)
        rng = np.random.default_rng(int(params["layout_seed"]))
        parts = spawn_parts(catalogue, int(params["n_parts"]), rng)
        self.twin = CellTwin(parts, params=sim_params, camera=camera)
        self._shadow = CellTwin(parts, params=sim_params, camera=camera, robot=self.twin.robot)
        self.gripper = TwinGripper(self.twin, clock=WallClock())
        self.mode = mode
        self._on_frame = on_frame
        self._camera_rate_hz = camera_rate_hz
        self._mirror_targets = np.array(sim_params.arm.home_q_rad, dtype=float)
        #: Why the camera stopped, if it did (no OpenGL backend, ...).
        self.camera_error: BaseException | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._emulator: EmulatorThread | None = None
        self._link: str | None = None
        if mode == "serial":
            self._emulator = EmulatorThread(EmulatorConfig.for_driver(params), plant=self.twin)
            try:
                link_port(self._emulator.port, str(params["port"]))
            except BaseException:
                self._emulator.close()
                raise
            self._link = str(params["port"])
            _log.info("emulated servos on %s (linked at %s)", self._emulator.port, self._link)
        else:
            self._start(self._step_loop, "jazari-sim-stepper")
        self._start(self._render_loop, "jazari-sim-camera")

    def _start(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    # -- state -------------------------------------------------------------------------

    def now(self) -> float:
        """Simulation time [s]."""
        return self.twin.now()

    @property
    def arm_joints(self) -> tuple[str, ...]:
        """The arm's joint names, in the order of :meth:`arm_state`."""
        return self.twin.joint_names

    def arm_state(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The simulated arm's positions [rad], velocities [rad/s] and torques [N·m]."""
        return self.twin.joint_state()

    def mirror(self, names: tuple[str, ...], q_rad: FloatArray) -> None:
        """Hold the arm at measured joint positions (mirror mode); joints not named keep
        their targets.

        Raises:
            SimServiceError: in serial mode (the servos move the arm) or for unknown joints.
            SimCommandError: for a position outside the joint limits.
        """
        if self.mode != "mirror":
            raise SimServiceError("the twin is moved by its emulated servos, not mirrored")
        index = {n: i for i, n in enumerate(self.arm_joints)}
        unknown = [n for n in names if n not in index]
        if unknown:
            raise SimServiceError(f"the twin has no joints {unknown}")
        targets = self._mirror_targets.copy()
        targets[[index[n] for n in names]] = q_rad
        self.twin.set_joint_targets(targets)  # checks limits before anything changes
        self._mirror_targets = targets

    # -- threads -----------------------------------------------------------------------

    def _step_loop(self) -> None:
        clock = WallClock()
        last = clock.now()
        loop = RateLoop(clock, 1.0 / STEP_PERIOD_S)
        while not self._stop.is_set():
            loop.wait()
            now = clock.now()
            self.twin.advance(now - last)
            last = now

    def _render_loop(self) -> None:
        try:
            camera = TwinCamera(self._shadow)  # GL contexts belong to the thread making them
        except SimError as exc:
            self.camera_error = exc
            _log.error("the simulated camera cannot render: %s", exc)
            return
        try:
            loop = RateLoop(WallClock(), self._camera_rate_hz)
            while not self._stop.is_set():
                loop.wait()
                copy_state(self.twin, self._shadow)
                try:
                    self._on_frame(camera.capture())
                except Exception:  # a publishing failure must not kill the camera
                    _log.exception("camera frame dropped")
        finally:
            camera.close()

    def close(self) -> None:
        """Stop the threads and the emulator, remove the port link."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5.0)
        if self._emulator is not None:
            self._emulator.close()
        if self._link is not None:
            with contextlib.suppress(OSError):
                if os.path.islink(self._link):
                    os.unlink(self._link)
