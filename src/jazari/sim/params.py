"""Simulator settings from ``config/sim.yaml``: physics, servo gains, contact, rendering.

The URDF is the one description of the cell's geometry and kinematics; this file holds
only what a simulator needs beyond it (actuator gains, integrator, friction, sensor
noise). Every value is checked at load time and a bad one is named in the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jazari.config import ParamReader, load_params, load_params_file
from jazari.sim.errors import SimConfigError

INTEGRATORS = ("Euler", "implicit", "implicitfast", "RK4")
CONES = ("pyramidal", "elliptic")
ARM_DOF = 6


@dataclass(frozen=True)
class PhysicsParams:
    """MuJoCo solver options.

    Attributes:
        timestep_s: physics step [s].
        integrator: MuJoCo integrator; ``implicitfast`` keeps the stiff wrist servos stable.
        cone: friction cone; ``elliptic`` with a high ``impratio`` stops grasped parts
            from creeping out of the fingers.
        impratio: ratio of frictional to normal constraint impedance.
        gravity_m_s2: gravity vector in the world frame [m/s²].
        sleep: let bodies at rest sleep (MuJoCo islands): parts lying still on the table
            cost nothing until something touches them.
        sleep_tolerance_m_s: speed under which a body may fall asleep [m/s or rad/s].
    """

    timestep_s: float
    integrator: str
    cone: str
    impratio: float
    gravity_m_s2: tuple[float, float, float]
    sleep: bool
    sleep_tolerance_m_s: float

    @classmethod
    def read(cls, r: ParamReader) -> PhysicsParams:
        """From the ``physics`` section."""
        step = r.positive("timestep_s")
        if step > 0.01:
            raise SimConfigError(f"{r.where}.timestep_s must be <= 0.01 s, got {step}")
        g = r.numbers("gravity_m_s2", 3)
        return cls(
            step, r.choice("integrator", INTEGRATORS), r.choice("cone", CONES),
            r.number("impratio", 1.0, 1e3), (g[0], g[1], g[2]), r.flag("sleep"),
            r.positive("sleep_tolerance_m_s"),
        )  # fmt: skip


@dataclass(frozen=True)
class ArmServoParams:
    """The arm's joint servos (one position actuator per joint), per joint in chain order.

    Attributes:
        kp_nm_rad: position gain [N·m/rad]; kv_nms_rad: velocity damping [N·m·s/rad].
        armature_kgm2: reflected rotor inertia [kg·m²]; damping_nms_rad: joint friction.
        gravity_compensation: the drives add the links' gravity torque (as a real arm
            controller does), so tracking error does not depend on the pose.
        velocity_feedforward: the drives add kv times the setpoints' rate of change (as
            a CiA 402 drive in cyclic synchronous position mode does), so the arm follows
            a moving setpoint without lag.
        home_q_rad: the arm's configuration at reset [rad], outside the camera's view.
    """

    kp_nm_rad: tuple[float, ...]
    kv_nms_rad: tuple[float, ...]
    armature_kgm2: tuple[float, ...]
    damping_nms_rad: tuple[float, ...]
    gravity_compensation: bool
    velocity_feedforward: bool
    home_q_rad: tuple[float, ...]

    @classmethod
    def read(cls, r: ParamReader) -> ArmServoParams:
        """From the ``arm`` section."""
        return cls(
            r.numbers("kp_nm_rad", ARM_DOF, 1e-6), r.numbers("kv_nms_rad", ARM_DOF, 0.0),
            r.numbers("armature_kgm2", ARM_DOF, 0.0), r.numbers("damping_nms_rad", ARM_DOF, 0.0),
            r.flag("gravity_compensation"), r.flag("velocity_feedforward"),
            r.numbers("home_q_rad", ARM_DOF),
        )  # fmt: skip


@dataclass(frozen=True)
class GripperParams:
    """The finger servo and the grasp detector.

    Attributes:
        kp_n_m, kv_ns_m: position gain [N/m] and damping [N·s/m] of the finger servo.
        force_limit_n: largest finger force [N]; what holds a part by friction.
        stall_speed_m_s: below this finger speed [m/s] the fingers count as stalled.
        settle_s: the fingers must stay stalled this long [s] for a move to end.
        timeout_s: longest an open or close waits [s].
        poll_s: clock step while waiting [s].
        min_object_width_m: narrower than this, closed fingers hold nothing [m].
    """

    kp_n_m: float
    kv_ns_m: float
    force_limit_n: float
    stall_speed_m_s: float
    settle_s: float
    timeout_s: float
    poll_s: float
    min_object_width_m: float

    @classmethod
    def read(cls, r: ParamReader) -> GripperParams:
        """From the ``gripper`` section."""
        return cls(
            r.positive("kp_n_m"), r.number("kv_ns_m", 0.0), r.positive("force_limit_n"),
            r.positive("stall_speed_m_s"), r.positive("settle_s"), r.positive("timeout_s"),
            r.positive("poll_s"), r.positive("min_object_width_m"),
        )  # fmt: skip


@dataclass(frozen=True)
class ContactParams:
    """Contact between fingers, parts and furniture.

    Attributes:
        finger_friction, part_friction, fixed_friction: MuJoCo (sliding, torsional,
            rolling) friction coefficients of finger pads, parts, and the table/bins/arm.
        finger_condim, part_condim: contact dimensionality (4: sliding plus torsional
            friction, so a part does not spin in the grasp).
        solref: (time constant [s], damping ratio) of contacts.
        solimp: MuJoCo impedance (dmin, dmax, width [m], midpoint, power).
    """

    finger_friction: tuple[float, float, float]
    part_friction: tuple[float, float, float]
    fixed_friction: tuple[float, float, float]
    finger_condim: int
    part_condim: int
    solref: tuple[float, float]
    solimp: tuple[float, float, float, float, float]

    @classmethod
    def read(cls, r: ParamReader) -> ContactParams:
        """From the ``contact`` section."""

        def tri(key: str) -> tuple[float, float, float]:
            v = r.numbers(key, 3, 0.0)
            return (v[0], v[1], v[2])

        conds = []
        for key in ("finger_condim", "part_condim"):
            c = r.integer(key, 1)
            if c not in (1, 3, 4, 6):
                raise SimConfigError(f"{r.where}.{key} must be 1, 3, 4 or 6, got {c}")
            conds.append(c)
        ref = r.numbers("solref", 2, 0.0)
        imp = r.numbers("solimp", 5, 0.0)
        return cls(
            tri("finger_friction"), tri("part_friction"), tri("fixed_friction"),
            conds[0], conds[1], (ref[0], ref[1]), (imp[0], imp[1], imp[2], imp[3], imp[4]),
        )  # fmt: skip


@dataclass(frozen=True)
class RenderParams:
    """Off-screen rendering.

    Attributes:
        gl_backends: OpenGL backends to try in order (``MUJOCO_GL`` overrides the first).
        znear_m, zfar_m: clipping planes [m]; depth precision depends on znear.
        ambient, diffuse: light levels; they sum to 1 so a face turned to the light
            renders in exactly its catalogue colour.
    """

    gl_backends: tuple[str, ...]
    znear_m: float
    zfar_m: float
    ambient: float
    diffuse: float

    @classmethod
    def read(cls, r: ParamReader) -> RenderParams:
        """From the ``render`` section."""
        near, far = r.positive("znear_m"), r.positive("zfar_m")
        if far <= near:
            raise SimConfigError(f"{r.where}: zfar_m {far} must exceed znear_m {near}")
        return cls(
            r.strings("gl_backends"), near, far, r.number("ambient", 0.0, 1.0),
            r.number("diffuse", 0.0, 1.0),
        )  # fmt: skip


@dataclass(frozen=True)
class DepthNoiseParams:
    """A structured-light depth sensor's imperfections (all off when ``enabled`` is false).

    Attributes:
        std_at_1m_m: standard deviation of depth noise at 1 m [m]; it grows with z².
        dropout_probability: chance a pixel has no return anywhere [0..1].
        edge_dropout_probability: chance a pixel at a depth edge has no return [0..1]
            (the projector's pattern is occluded or smeared there).
        edge_threshold_m: a depth step larger than this to a neighbour is an edge [m].
        quantization_m: depth unit of the sensor [m]; 0 keeps full precision.
        seed: seed of the noise generator, so noisy frames are reproducible.
    """

    enabled: bool
    std_at_1m_m: float
    dropout_probability: float
    edge_dropout_probability: float
    edge_threshold_m: float
    quantization_m: float
    seed: int

    @classmethod
    def read(cls, r: ParamReader) -> DepthNoiseParams:
        """From the ``depth_noise`` section."""
        return cls(
            r.flag("enabled"), r.number("std_at_1m_m", 0.0, 0.1),
            r.number("dropout_probability", 0.0, 1.0),
            r.number("edge_dropout_probability", 0.0, 1.0), r.positive("edge_threshold_m"),
            r.number("quantization_m", 0.0, 0.1), r.integer("seed"),
        )  # fmt: skip


@dataclass(frozen=True)
class SimParams:
    """Everything in ``config/sim.yaml``."""

    physics: PhysicsParams
    arm: ArmServoParams
    gripper: GripperParams
    contact: ContactParams
    render: RenderParams
    depth_noise: DepthNoiseParams

    @classmethod
    def from_params(cls, params: Mapping[str, Any], where: str = "sim.yaml") -> SimParams:
        """From a ``ros__parameters`` mapping.

        Raises:
            SimConfigError: naming the first missing or bad value.
        """
        r = ParamReader(params, where, SimConfigError)
        return cls(
            PhysicsParams.read(r.section("physics")), ArmServoParams.read(r.section("arm")),
            GripperParams.read(r.section("gripper")), ContactParams.read(r.section("contact")),
            RenderParams.read(r.section("render")), DepthNoiseParams.read(r.section("depth_noise")),
        )  # fmt: skip


def load_sim_params(path: Path | str | None = None) -> SimParams:
    """Simulator settings from ``path`` (default: the packaged ``config/sim.yaml``)."""
    params = load_params("sim") if path is None else load_params_file(path)
    return SimParams.from_params(params, "sim.yaml" if path is None else str(path))
