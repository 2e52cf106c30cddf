"""Re-checking a plan before it moves the arm.

:func:`check_plan` lists every problem it finds; :func:`validate` raises
:class:`PlanValidationError` on the first ones. Both check, independently of how the
plan was made:

* structure: the seven segments in order, the arm's joint names;
* start: the first sample within ``start_tolerance_rad`` of the current state;
* continuity: each segment starts where the previous one ended, at rest; no step
  between samples exceeds what the velocity limit allows;
* limits: positions within the URDF limits; velocities, accelerations and jerks (from
  consecutive accelerations) within the robot's limits (URDF velocity,
  ``config/joint_limits.yaml``), whatever scaling the planner used;
* collisions: every segment at a finer resolution than planning (linear interpolation
  between samples, checker padding half that resolution), with the segment's gripper
  opening, carried part and allowed contacts; a lift may only ignore contacts between
  the part and what it rests on at the pick pose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray
from jazari.planning.collision import CollisionChecker
from jazari.planning.errors import PlanningInputError, PlanValidationError
from jazari.planning.motion import densify
from jazari.planning.pick_place import (
    TARGET,
    PickPlacePlanner,
    default_planner,
    support_contacts,
)
from jazari.planning.plan import SEGMENT_ORDER, PickPlacePlan, Segment
from jazari.planning.robot_geometry import Attachment
from jazari.planning.scene import Scene
from jazari.planning.timing import TimingLimits
from jazari.planning.world import WorldGeometry, WorldObject

ViolationKind = Literal[
    "structure", "start", "continuity", "position", "velocity", "acceleration", "jerk",
    "collision",
]  # fmt: skip


@dataclass(frozen=True)
class Violation:
    """One problem of a plan: its kind, the segment, the sample index and a message."""

    kind: ViolationKind
    segment: str
    sample: int
    message: str

    def __str__(self) -> str:
        return f"{self.segment}[{self.sample}] {self.kind}: {self.message}"


def _limit_violations(
    seg: Segment, limits: TimingLimits, lower: FloatArray, upper: FloatArray, tol: float
) -> list[Violation]:
    tr = seg.trajectory
    out: list[Violation] = []
    checks: list[tuple[ViolationKind, FloatArray, FloatArray]] = [
        ("velocity", np.abs(tr.velocities), limits.velocity),
        ("acceleration", np.abs(tr.accelerations), limits.acceleration),
    ]
    if len(tr.time_s) > 1:
        dt = np.diff(tr.time_s)[:, None]
        checks.append(("jerk", np.abs(np.diff(tr.accelerations, axis=0)) / dt, limits.jerk))
        step = np.abs(np.diff(tr.positions, axis=0))
        checks.append(("continuity", step / dt, limits.velocity))
    for kind, value, bound in checks:
        bad = value > bound * (1.0 + tol) + 1e-9
        if np.any(bad):
            k, j = np.argwhere(bad)[0]
            msg = f"joint {j}: {value[k, j]:.6g} exceeds {bound[j]:.6g}"
            out.append(Violation(kind, seg.label, int(k), msg))
    outside = (tr.positions < lower - 1e-9) | (tr.positions > upper + 1e-9)
    if np.any(outside):
        k, j = np.argwhere(outside)[0]
        msg = (
            f"joint {j} at {tr.positions[k, j]:.6g} rad is outside [{lower[j]:.6g}, {upper[j]:.6g}]"
        )
        out.append(Violation("position", seg.label, int(k), msg))
    return out


def _structure(
    plan: PickPlacePlan, names: tuple[str, ...], q_now: FloatArray, tol_rad: float
) -> list[Violation]:
    out = []
    labels = tuple(s.label for s in plan.segments)
    if labels != SEGMENT_ORDER:
        out.append(
            Violation("structure", "plan", 0, f"segments {labels}, expected {SEGMENT_ORDER}")
        )
    for seg in plan.segments:
        if seg.trajectory.joint_names != names:
            out.append(Violation("structure", seg.label, 0, f"joints {seg.trajectory.joint_names}"))
    if out:
        return out
    first = plan.segments[0].trajectory.positions[0]
    err = float(np.max(np.abs(first - q_now)))
    if err > tol_rad:
        msg = f"plan starts {err:.4g} rad from the current state (tolerance {tol_rad})"
        out.append(Violation("start", plan.segments[0].label, 0, msg))
    previous: Segment | None = None
    for seg in plan.segments:
        tr = seg.trajectory
        for k, where in ((0, "start"), (len(tr.time_s) - 1, "end")):
            v = float(np.max(np.abs(tr.velocities[k])))
            if v > 1e-9:
                out.append(
                    Violation("continuity", seg.label, k, f"not at rest at its {where} ({v:.3g})")
                )
        if previous is not None:
            gap = float(np.max(np.abs(tr.positions[0] - previous.trajectory.positions[-1])))
            if gap > 1e-9:
                msg = f"starts {gap:.3g} rad from where {previous.label} ended"
                out.append(Violation("continuity", seg.label, 0, msg))
        previous = seg
    return out


def segment_world(plan: PickPlacePlan, scene: Scene, seg: Segment) -> list[WorldObject]:
    """The world objects during ``seg``: the scene without the part, plus the part where
    it lies (at the pick or the place pose) unless it is carried."""
    base = scene.without_part(plan.part)
    if seg.part_pose is None:
        return base.objects_with()
    return base.objects_with([(TARGET, plan.part.moved_to(seg.part_pose))])


def segment_checker(
    planner: PickPlacePlanner, plan: PickPlacePlan, scene: Scene, seg: Segment, padding_m: float
) -> CollisionChecker:
    """The collision checker of one segment: its world, finger opening (the open width
    for the gripper actions), carried part and allowed contacts."""
    world = WorldGeometry.build(segment_world(plan, scene, seg))
    attach = Attachment(plan.part, plan.T_tcp_part) if seg.carrying else None
    width = plan.grasp.open_width_m if seg.label in ("grasp", "release") else seg.gripper_width_m
    return planner.checker(world, width, attach, seg.allowed_contacts, padding_m)


def check_plan(
    plan: PickPlacePlan,
    scene: Scene,
    q_now: ArrayLike,
    planner: PickPlacePlanner | None = None,
    resolution_m: float | None = None,
) -> list[Violation]:
    """Every violation found in ``plan`` (empty: the plan is safe to execute).

    Args:
        plan: the plan.
        scene: the scene as it is now (fixtures and other parts).
        q_now: the arm's current joint values [rad].
        planner: gives the model, options and checkers (default: :func:`default_planner`).
        resolution_m: collision re-check resolution [m] (default: the options'
            ``validation_resolution_m``).
    """
    p = default_planner(scene.model) if planner is None else planner
    o = p.options
    res = o.validation_resolution_m if resolution_m is None else resolution_m
    if not res > 0:
        raise PlanningInputError(f"resolution_m must be > 0, got {res}")
    q = np.asarray(q_now, dtype=float)
    if q.shape != (p.model.chain.dof,) or not np.all(np.isfinite(q)):
        raise PlanningInputError(f"q_now must be {p.model.chain.dof} finite values, got {q_now!r}")
    out = _structure(plan, p.model.joint_names, q, o.start_tolerance_rad)
    if any(v.kind == "structure" for v in out):
        return out
    limits = TimingLimits.from_config(p.model)
    chain = p.model.chain
    support = set(support_contacts(plan.part, scene.without_part(plan.part).world, p))
    for seg in plan.segments:
        out += _limit_violations(seg, limits, chain.lower, chain.upper, o.limit_tolerance)
        extra = set(seg.allowed_contacts) - (support if seg.label == "lift" else set())
        if extra:
            out.append(Violation("collision", seg.label, 0, f"ignores contacts {sorted(extra)}"))
            continue
        checker = segment_checker(p, plan, scene, seg, res / 2.0)
        configs = densify(checker.robot, seg.trajectory.positions, res)
        hit = checker.in_collision(configs)
        if np.any(hit):
            k = int(np.argmax(hit))
            pairs = checker.colliding_pairs(configs[k])
            out.append(Violation("collision", seg.label, k, f"collides: {pairs}"))
    return out


def validate(
    plan: PickPlacePlan, scene: Scene, q_now: ArrayLike, planner: PickPlacePlanner | None = None
) -> None:
    """Raise :class:`PlanValidationError` unless ``plan`` passes :func:`check_plan`."""
    problems = check_plan(plan, scene, q_now, planner)
    if problems:
        shown = "; ".join(str(v) for v in problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PlanValidationError(f"plan rejected: {shown}{more}")
