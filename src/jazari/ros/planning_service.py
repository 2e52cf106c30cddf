"""What the planner node runs, without ROS: a ``PickPlace`` request in, a validated plan
or a result code saying why not out.

Planning is the in-process cell's (:class:`jazari.cell.planner.CellPlanner`: its bin
slots and stacking, its validation), fed with parts rebuilt from the request's
detections (:func:`jazari.ros.cell_adapters.seen_part`; the catalogue gives each class
its shape). The request names the bin, not the inspection verdict: the verdict handed
to the cell planner records that request. The node hears of plans, not of their
execution, so a part counts as placed in its bin once its plan is handed out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from jazari.cell.planner import BIN_LINKS, CellPlanner
from jazari.cell.vision import SeenPart
from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import (
    GraspInCollisionError,
    NoPathError,
    NoPlaceError,
    PlanningError,
    PlanningInputError,
    PlanValidationError,
    StartStateError,
    UnreachableError,
)
from jazari.planning.plan import PickPlacePlan
from jazari.quality.verdict import CheckResult, Verdict
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.cell_adapters import CellAdapterError, seen_part
from jazari.ros.convert.detections import PartDetection
from jazari.ros.convert.plans import MoveRequest, PickPlaceCode, PickPlaceRequest

# Planning failures, most specific first, and the result code each one gets.
_CODES: tuple[tuple[type[PlanningError], PickPlaceCode], ...] = (  # most specific first
    (NoPlaceError, PickPlaceCode.NO_PLACE),
    (PlanningInputError, PickPlaceCode.INVALID_GOAL),
    (StartStateError, PickPlaceCode.INVALID_GOAL),
    (GraspInCollisionError, PickPlaceCode.NO_GRASP),
    (UnreachableError, PickPlaceCode.NO_GRASP),
    (NoPathError, PickPlaceCode.NO_PATH),
    (PlanValidationError, PickPlaceCode.INTERNAL_ERROR),
)
_BIN_NAMES = {link: name for name, link in BIN_LINKS.items()}


@dataclass(frozen=True, eq=False)
class PlanOutcome:
    """The answer to one request: a code, why (empty on success) and the plan."""

    code: PickPlaceCode
    message: str = ""
    plan: PickPlacePlan | None = None


def requested_verdict(part_type: str, bin_frame: str) -> Verdict:
    """The verdict that sends a part of ``part_type`` to ``bin_frame``.

    Raises:
        CellAdapterError: when ``bin_frame`` is not one of the cell's bins.
    """
    name = _BIN_NAMES.get(bin_frame)
    if name is None:
        raise CellAdapterError(f"bin_frame {bin_frame!r} is not a bin; bins: {sorted(_BIN_NAMES)}")
    check = CheckResult("requested_bin", name == "accepted", 0.0, 0.0, 0.0, 0.0, "")
    return Verdict(part_type, (check,))


@dataclass
class PickPlaceService:
    """Plans requests with the cell planner.

    Args:
        planner: the cell planner (slots, scene, pick-and-place planner, generator).
        shapes: catalogue class -> shape (``box`` or ``cylinder``).
        base_frame: the frame requests must give poses in.
    """

    planner: CellPlanner
    shapes: Mapping[str, str]
    base_frame: str = "base_link"

    def _seen(self, detection: PartDetection, verdict: Verdict) -> SeenPart:
        shape = self.shapes.get(detection.class_id)
        if shape is None:
            raise CellAdapterError(
                f"part {detection.detection_id!r} has class {detection.class_id!r}, which is "
                f"not in the catalogue {sorted(self.shapes)}"
            )
        try:
            part_id = int(detection.detection_id)
        except ValueError:
            raise CellAdapterError(
                f"part id {detection.detection_id!r} is not an integer"
            ) from None
        return seen_part(detection, shape, verdict, part_id)

    def plan(self, request: PickPlaceRequest, q_start: FloatArray) -> PlanOutcome:
        """A validated plan for ``request`` from ``q_start`` [rad], or why there is none."""
        if request.frame_id != self.base_frame:
            return PlanOutcome(
                PickPlaceCode.INVALID_GOAL,
                f"poses must be in {self.base_frame!r}, got {request.frame_id!r}",
            )
        try:
            verdict = requested_verdict(request.part.class_id, request.bin_frame)
            target = self._seen(request.part, verdict)
            others = [self._seen(o, verdict) for o in request.obstacles]
        except (CellAdapterError, PlanningError) as exc:
            return PlanOutcome(PickPlaceCode.INVALID_GOAL, str(exc))
        q = np.asarray(q_start, dtype=float)
        try:
            plan = self.planner.plan(target, others, q)
            self.planner.validate(plan, others, q)
        except PlanningError as exc:
            return PlanOutcome(_code_for(exc), f"{type(exc).__name__}: {exc}")
        self.planner.placed(target, plan)
        return PlanOutcome(PickPlaceCode.SUCCESS, "", plan)

    def plan_move(self, request: MoveRequest, joint_names: Sequence[str]) -> MoveOutcome:
        """A collision-free motion from the request's start to its goal (the cell
        planner's observe pose when the goal names no joint), around its obstacles and
        the parts placed in the bins."""
        if request.obstacles and request.frame_id != self.base_frame:
            return MoveOutcome(
                PickPlaceCode.INVALID_GOAL,
                f"poses must be in {self.base_frame!r}, got {request.frame_id!r}",
            )
        try:
            q_start = _positions(request.start, joint_names, "start_state")
            planner = self.planner
            if request.goal:
                planner = dataclasses.replace(
                    planner, home_q=_positions(request.goal, joint_names, "goal_state")
                )
            keep_clear = Verdict("obstacle", ())
            others = [
                self._seen(o, Verdict(o.class_id, keep_clear.checks)) for o in request.obstacles
            ]
        except (CellAdapterError, PlanningError) as exc:
            return MoveOutcome(PickPlaceCode.INVALID_GOAL, str(exc))
        try:
            return MoveOutcome(PickPlaceCode.SUCCESS, "", planner.plan_home(others, q_start))
        except PlanningError as exc:
            return MoveOutcome(_code_for(exc), f"{type(exc).__name__}: {exc}")


def _positions(by_name: Mapping[str, float], joint_names: Sequence[str], field: str) -> FloatArray:
    missing = [j for j in joint_names if j not in by_name]
    if missing:
        raise CellAdapterError(f"goal.{field} lacks joints {missing} (has {sorted(by_name)})")
    return np.array([by_name[j] for j in joint_names], dtype=float)


@dataclass(frozen=True, eq=False)
class MoveOutcome:
    """The answer to a move request: a code, why (empty on success) and the motion."""

    code: PickPlaceCode
    message: str = ""
    trajectory: JointTrajectory | None = None


def _code_for(exc: PlanningError) -> PickPlaceCode:
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return PickPlaceCode.INTERNAL_ERROR
