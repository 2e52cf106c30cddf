"""The plant: the cell simulated in MuJoCo, stepped on its own clock.

:class:`CellTwin` takes joint position setpoints (from a follower, or from emulated
drives through :class:`jazari.sim.plant.JointPlant`) and gripper commands, steps the
physics, reports measured joint positions, velocities and efforts, and is the cell's
:class:`jazari.ports.Clock` in simulation: ``sleep`` advances the physics. It also gives
the ground truth of the scene. :class:`TwinGripper` is its :class:`jazari.ports.Gripper`.

Every public method takes the twin's lock, so a drive emulator thread and the cell
(or a camera) may share one twin.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import mujoco
import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray, make_transform
from jazari.ports import Clock
from jazari.robot.model import RobotModel, load_cell_model
from jazari.sim.camera_config import CameraConfig, load_camera_config
from jazari.sim.errors import SimCommandError, SpawnError
from jazari.sim.mjcf import CellJoints, build_mjcf, part_body, static_link_bounds
from jazari.sim.params import SimParams, load_sim_params
from jazari.sim.parts import (
    PartCatalogue,
    PartInstance,
    load_catalogue,
    spawn_parts,
    touching_pairs,
)
from jazari.sim.truth import PartTruth, SceneTruth

log = logging.getLogger(__name__)

TABLE_LINK = "table"
BIN_PREFIX = "bin_"


@dataclass(frozen=True)
class _Index:
    """Addresses of what the twin reads and writes in MuJoCo's arrays."""

    arm_qpos: np.ndarray
    arm_dof: np.ndarray
    arm_pos_act: np.ndarray
    arm_vel_act: np.ndarray
    gripper_act: int
    gripper_qpos: int
    gripper_dof: int
    mimic_qpos: tuple[tuple[int, float, float], ...]  # (qpos address, multiplier, offset)
    fingers: frozenset[int]
    robot: frozenset[int]
    part_bodies: tuple[int, ...]

    @classmethod
    def of(cls, m: mujoco.MjModel, joints: CellJoints, parts: Sequence[PartInstance]) -> _Index:
        def jid(name: str) -> int:
            return int(mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name))

        def aid(name: str) -> int:
            return int(mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_ACTUATOR, name))

        def bid(name: str) -> int:
            return int(mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, name))

        arm = [jid(n) for n in joints.arm]
        g = jid(joints.gripper)
        return cls(
            m.jnt_qposadr[arm].copy(), m.jnt_dofadr[arm].copy(),
            np.array([aid(f"{n}_pos") for n in joints.arm]),
            np.array([aid(f"{n}_vel") for n in joints.arm]),
            aid("gripper"), int(m.jnt_qposadr[g]), int(m.jnt_dofadr[g]),
            tuple((int(m.jnt_qposadr[jid(f)]), mult, off) for f, _, mult, off in joints.mimics),
            frozenset(bid(f) for f in joints.fingers),
            frozenset(bid(b) for b in joints.robot_links),
            tuple(bid(part_body(p.part_id)) for p in parts),
        )  # fmt: skip


class CellTwin:
    """The simulated cell: arm, gripper, table, bins, camera, and parts.

    Args:
        parts: the parts on the table (see :func:`jazari.sim.parts.spawn_parts`).
        params: simulator settings (default ``config/sim.yaml``).
        camera: camera settings (default ``config/camera.yaml``).
        robot: the cell's robot model (default :func:`jazari.robot.model.load_cell_model`).

    Raises:
        SpawnError: when part ids repeat or a part stands off the table.
        SimConfigError: when the URDF or the settings cannot be simulated.
    """

    def __init__(
        self,
        parts: Sequence[PartInstance] = (),
        *,
        params: SimParams | None = None,
        camera: CameraConfig | None = None,
        robot: RobotModel | None = None,
    ) -> None:
        self.robot = robot if robot is not None else load_cell_model()
        self.params = params if params is not None else load_sim_params()
        self.camera_config = camera if camera is not None else load_camera_config()
        chain = self.robot.chain
        self.cell_joints = CellJoints.find(self.robot.urdf, chain.joint_names, chain.base)
        urdf = self.robot.urdf
        self.bins = {n: static_link_bounds(urdf, n) for n in urdf.links if n.startswith(BIN_PREFIX)}
        self.table_bounds = static_link_bounds(urdf, TABLE_LINK)
        gj = urdf.joints[self.cell_joints.gripper]
        self._gripper_range = (gj.lower, gj.upper)
        self._v_limit = np.where(np.isfinite(chain.velocity), chain.velocity, np.inf)
        self.lock = threading.RLock()
        self.gripper = TwinGripper(self)
        self.load_parts(parts)

    @classmethod
    def with_random_parts(
        cls,
        n_parts: int,
        seed: int,
        *,
        catalogue: PartCatalogue | None = None,
        params: SimParams | None = None,
        camera: CameraConfig | None = None,
    ) -> CellTwin:
        """A twin with ``n_parts`` parts spawned from ``catalogue`` with ``seed``."""
        cat = catalogue if catalogue is not None else load_catalogue()
        parts = spawn_parts(cat, n_parts, np.random.default_rng(seed))
        return cls(parts, params=params, camera=camera)

    # -- scene -----------------------------------------------------------------------

    def load_parts(self, parts: Sequence[PartInstance]) -> None:
        """Rebuild the model with ``parts`` on the table and reset (cameras re-bind)."""
        ids = [p.part_id for p in parts]
        if len(set(ids)) != len(ids):
            raise SpawnError(f"part ids must be unique, got {ids}")
        lo, hi = self.table_bounds
        for p in parts:
            fp = p.footprint()
            h = fp.half_extent()
            if not (lo[0] <= fp.x_m - h[0] and fp.x_m + h[0] <= hi[0]) or not (
                lo[1] <= fp.y_m - h[1] and fp.y_m + h[1] <= hi[1]
            ):
                raise SpawnError(
                    f"part {p.part_id} ({p.spec.name}) at ({fp.x_m:.3f}, {fp.y_m:.3f}) m is "
                    f"not on the table x {lo[0]:.3f}..{hi[0]:.3f}, y {lo[1]:.3f}..{hi[1]:.3f} m"
                )
        xml = build_mjcf(self.robot.urdf, self.cell_joints, self.params, self.camera_config, parts)
        with self.lock:
            self.parts = tuple(parts)
            self.mjcf_xml = xml
            self._touching = touching_pairs(self.parts)
            self.model = mujoco.MjModel.from_xml_string(xml)
            self.data = mujoco.MjData(self.model)
            self._ix = _Index.of(self.model, self.cell_joints, self.parts)
            self.reset()

    def reset(self) -> None:
        """Parts back to their spawn poses, arm at home, gripper open, time 0."""
        with self.lock:
            m, d, ix = self.model, self.data, self._ix
            mujoco.mj_resetData(m, d)
            home = self._check_targets(self.params.arm.home_q_rad)
            d.qpos[ix.arm_qpos] = home
            d.ctrl[ix.arm_pos_act] = home
            self._set_gripper_qpos(self._gripper_range[1])
            d.ctrl[ix.gripper_act] = self._gripper_range[1]
            self._gripper_closed = False
            self._t_goal = 0.0
            self._last_set: tuple[float, FloatArray] | None = None
            self._ff_until = 0.0
            mujoco.mj_forward(m, d)

    def _set_gripper_qpos(self, travel_m: float) -> None:
        self.data.qpos[self._ix.gripper_qpos] = travel_m
        for adr, mult, off in self._ix.mimic_qpos:
            self.data.qpos[adr] = mult * travel_m + off

    # -- JointPlant ------------------------------------------------------------------

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The arm's joints, in the order of every array the twin takes or gives."""
        return self.cell_joints.arm

    def _check_targets(self, q_rad: ArrayLike) -> FloatArray:
        try:
            q = np.array(q_rad, dtype=float)  # a copy: the caller may reuse its array
        except (TypeError, ValueError):
            raise SimCommandError(f"joint targets must be numbers, got {q_rad!r}") from None
        n = len(self.joint_names)
        if q.shape != (n,):
            raise SimCommandError(f"joint targets must have shape ({n},), got {np.shape(q_rad)}")
        chain = self.robot.chain
        ok = (q >= chain.lower) & (q <= chain.upper)  # NaN compares False
        if not ok.all():
            i = int(np.argmin(ok))
            raise SimCommandError(
                f"joint target {self.joint_names[i]} = {float(q[i])} rad is not finite or outside "
                f"[{chain.lower[i]}, {chain.upper[i]}]; nothing moved"
            )
        return q

    def set_joint_targets(self, q_rad: FloatArray) -> None:
        """Position setpoints [rad] for the arm's joints, held until the next call.

        With velocity feed-forward on, the setpoints' rate of change since the previous
        call (clipped to the joints' speed limits) feeds the velocity loop for one such
        interval, as in a drive's cyclic synchronous position mode.

        Raises:
            SimCommandError: on a wrong shape, a non-finite value or a value outside the
                joint limits (named in the message); the previous setpoints stay.
        """
        q = self._check_targets(q_rad)
        with self.lock:
            d, ix = self.data, self._ix
            now = float(d.time)
            d.ctrl[ix.arm_pos_act] = q
            last, self._last_set = self._last_set, (now, q)
            if not self.params.arm.velocity_feedforward or last is None:
                return
            if now <= last[0]:  # a second setpoint in the same instant: keep the rate
                self._last_set = last
                return
            v = (q - last[1]) / (now - last[0])
            d.ctrl[ix.arm_vel_act] = np.minimum(np.maximum(v, -self._v_limit), self._v_limit)
            self._ff_until = now + (now - last[0])

    def advance(self, dt_s: float) -> None:
        """Step the physics by ``dt_s`` seconds of simulated time (whole physics steps;
        a remainder carries over to the next call).

        Raises:
            SimCommandError: when ``dt_s`` is negative or not finite.
        """
        if not math.isfinite(dt_s) or dt_s < 0:
            raise SimCommandError(f"dt_s must be a finite duration >= 0 s, got {dt_s!r}")
        with self.lock:
            m, d = self.model, self.data
            step = m.opt.timestep
            self._t_goal += dt_s
            n = math.floor((self._t_goal - d.time) / step + 1e-6)
            if n <= 0:
                return
            if self._ff_until > d.time:
                n_ff = min(n, math.ceil((self._ff_until - d.time) / step - 1e-6))
                mujoco.mj_step(m, d, nstep=n_ff)
                n -= n_ff
                if d.time >= self._ff_until - 1e-9:
                    d.ctrl[self._ix.arm_vel_act] = 0.0
            if n > 0:
                mujoco.mj_step(m, d, nstep=n)

    def joint_state(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Measured arm positions [rad], velocities [rad/s] and drive torques [N·m]
        (servo plus gravity compensation)."""
        with self.lock:
            d, ix = self.data, self._ix
            return (
                d.qpos[ix.arm_qpos].copy(),
                d.qvel[ix.arm_dof].copy(),
                d.qfrc_actuator[ix.arm_dof].copy(),
            )

    # -- Clock -----------------------------------------------------------------------

    def now(self) -> float:
        """Simulation time [s]."""
        with self.lock:
            return float(self.data.time)

    def sleep(self, duration_s: float) -> None:
        """Let ``duration_s`` pass: advance the physics (negative: no wait)."""
        self.advance(max(float(duration_s), 0.0))

    # -- gripper ---------------------------------------------------------------------

    def command_gripper(self, closed: bool, open_width_m: float | None = None) -> None:
        """Drive the fingers fully closed, or open to ``open_width_m`` between the pads [m]
        (fully when None or beyond the stroke); returns at once.

        Raises:
            SimCommandError: if ``open_width_m`` is not a finite width >= 0.
        """
        lo, hi = self._gripper_range
        target = lo if closed else hi
        if not closed and open_width_m is not None:
            if not (math.isfinite(open_width_m) and open_width_m >= 0.0):
                raise SimCommandError(f"gripper opening must be >= 0 m, got {open_width_m!r}")
            target = min(max(open_width_m / 2.0, lo), hi)  # each finger moves half of it
        with self.lock:
            self.data.ctrl[self._ix.gripper_act] = target
            self._gripper_closed = closed

    @property
    def gripper_closed(self) -> bool:
        """True while the last gripper command was close."""
        return self._gripper_closed

    def gripper_width_m(self) -> float:
        """Opening between the finger pads [m]: the pads meet at zero travel, so it is
        the sum of both fingers' travel."""
        with self.lock:
            d, ix = self.data, self._ix
            return float(d.qpos[ix.gripper_qpos] + sum(d.qpos[a] for a, _, _ in ix.mimic_qpos))

    def gripper_speed_m_s(self) -> float:
        """Speed of the actuated finger [m/s]."""
        with self.lock:
            return float(self.data.qvel[self._ix.gripper_dof])

    def _bodies_held(self) -> set[int]:
        """Bodies outside the robot that every finger touches."""
        d, m, ix = self.data, self.model, self._ix
        n = d.ncon
        if n == 0:
            return set()
        b1 = m.geom_bodyid[d.contact.geom1[:n]]
        b2 = m.geom_bodyid[d.contact.geom2[:n]]
        touched: dict[int, set[int]] = {}
        for a, b in ((b1, b2), (b2, b1)):
            for finger, other in zip(a.tolist(), b.tolist(), strict=True):
                if finger in ix.fingers and other not in ix.robot:
                    touched.setdefault(other, set()).add(finger)
        return {body for body, fingers in touched.items() if fingers == ix.fingers}

    def grasped_body(self) -> str | None:
        """Name of the body held between the fingers, or None."""
        with self.lock:
            held = self._bodies_held()
            if not held:
                return None
            return str(mujoco.mj_id2name(self.model, mujoco.mjtObj.mjOBJ_BODY, min(held)))

    # -- poses and ground truth --------------------------------------------------------

    def body_pose(self, name: str) -> FloatArray:
        """4×4 pose of a body (any URDF link, or ``part_<id>``) in the world [m]."""
        with self.lock:
            b = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, name)
            if b < 0:
                raise SimCommandError(f"no body named {name!r} in the twin")
            return make_transform(self.data.xmat[b].reshape(3, 3), self.data.xpos[b])

    def _bin_of(self, p_world: FloatArray) -> str | None:
        for name, (lo, hi) in self.bins.items():
            if np.all(p_world >= lo) and np.all(p_world <= hi):
                return name
        return None

    def ground_truth(self) -> SceneTruth:
        """Every part's pose, spec, defect, grasp and bin at this instant."""
        with self.lock:
            d, ix = self.data, self._ix
            held = self._bodies_held()
            truths = []
            for part, b in zip(self.parts, ix.part_bodies, strict=True):
                T = make_transform(d.xmat[b].reshape(3, 3), d.xpos[b])
                touching = tuple(
                    sorted(
                        j if i == part.part_id else i
                        for i, j in self._touching
                        if part.part_id in (i, j)
                    )
                )
                truths.append(PartTruth(part, T, b in held, self._bin_of(T[:3, 3]), touching))
            return SceneTruth(float(d.time), self.body_pose(self.robot.chain.base), tuple(truths))


class TwinGripper:
    """The :class:`jazari.ports.Gripper` of the twin.

    ``open`` and ``close`` command the fingers and wait on ``clock`` (by default the
    twin itself, whose ``sleep`` steps the physics) until the fingers stop: stalled on
    a part, met, or fully open. :meth:`grasped` is true when the fingers were closed,
    stopped apart, and both touch the same object.
    """

    def __init__(self, twin: CellTwin, clock: Clock | None = None) -> None:
        self._twin = twin
        self._clock: Clock = twin if clock is None else clock

    def open(self, width_m: float | None = None) -> None:
        """Open to ``width_m`` [m] (fully when None) and wait until the fingers stop."""
        self._twin.command_gripper(closed=False, open_width_m=width_m)
        self._wait_until_still("open")

    def close(self) -> None:
        """Close and wait until the fingers stall on a part or meet."""
        self._twin.command_gripper(closed=True)
        self._wait_until_still("close")

    def width_m(self) -> float:
        """Opening between the finger pads [m]."""
        return self._twin.gripper_width_m()

    def grasped(self) -> bool:
        """True when closed fingers stalled on one object."""
        g = self._twin.params.gripper
        if not self._twin.gripper_closed or self.width_m() < g.min_object_width_m:
            return False
        return self._twin.grasped_body() is not None

    def _wait_until_still(self, what: str) -> None:
        g = self._twin.params.gripper
        still_s = waited_s = 0.0
        while waited_s < g.timeout_s:
            self._clock.sleep(g.poll_s)
            waited_s += g.poll_s
            moving = abs(self._twin.gripper_speed_m_s()) >= g.stall_speed_m_s
            still_s = 0.0 if moving else still_s + g.poll_s
            if still_s >= g.settle_s:
                return
        log.warning("gripper %s: fingers still moving after %.2f s", what, g.timeout_s)
