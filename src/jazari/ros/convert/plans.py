"""Plans as ``jazari_interfaces`` messages: ``PlanSegment`` lists, the ``PickPlace``
action's goal and result, and the ``PlanMove`` action's.

A core plan has seven segments (approach, grasp, lift, transfer, place, release,
retreat); grasp and release hold the arm still while the fingers move. On the wire the
gripper actions ride on the motion before them (``PlanSegment.gripper_action``), so a
plan travels as five motions: approach (then close), lift, transfer, place (then open),
retreat. :class:`PlannedMotion` is the same on the core side.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jazari.planning.plan import PickPlacePlan
from jazari.ports import DriveState
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert.base import MessageTypes, header_msg
from jazari.ros.convert.detections import PartDetection, detection3d_msg, detection_from_msg
from jazari.ros.convert.joints import drive_state_from_joint_state, joint_state_msg
from jazari.ros.convert.trajectories import joint_trajectory_from_msg, joint_trajectory_msg
from jazari.ros.errors import ConversionError


class GripperStep(enum.IntEnum):
    """What the gripper does after a motion (``PlanSegment.GRIPPER_*``)."""

    NONE = 0
    OPEN = 1
    CLOSE = 2


class PickPlaceCode(enum.IntEnum):
    """``PickPlace`` result codes."""

    SUCCESS = 0
    INVALID_GOAL = -1
    NO_GRASP = -2
    NO_PLACE = -3
    NO_PATH = -4
    CANCELED = -5
    INTERNAL_ERROR = -6


@dataclass(frozen=True, eq=False)
class PlannedMotion:
    """One arm motion of a plan and the gripper step after it.

    Attributes:
        name: the motion (``approach``, ``lift``, ``transfer``, ``place``, ``retreat``).
        trajectory: the timed joint samples; time from the motion's start [s].
        gripper: the gripper step once the motion has ended.
        gripper_width_m: the opening to open to for :attr:`GripperStep.OPEN` [m].
    """

    name: str
    trajectory: JointTrajectory
    gripper: GripperStep = GripperStep.NONE
    gripper_width_m: float = 0.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ConversionError("a planned motion needs a name")
        if self.gripper is GripperStep.OPEN and not (
            math.isfinite(self.gripper_width_m) and self.gripper_width_m > 0
        ):
            raise ConversionError(
                f"motion {self.name!r} opens the gripper to {self.gripper_width_m} m; "
                "the opening must be > 0"
            )


def planned_motions(plan: PickPlacePlan) -> list[PlannedMotion]:
    """The motions of a core plan with the grasp and release folded into the motions
    before them.

    Raises:
        ConversionError: when a gripper segment comes first (nothing to attach it to).
    """
    motions: list[PlannedMotion] = []
    for segment in plan.segments:
        if segment.label in ("grasp", "release"):
            if not motions:
                raise ConversionError(f"plan starts with the gripper segment {segment.label!r}")
            last = motions.pop()
            step = GripperStep.CLOSE if segment.label == "grasp" else GripperStep.OPEN
            width = 0.0 if step is GripperStep.CLOSE else float(segment.gripper_width_m)
            motions.append(PlannedMotion(last.name, last.trajectory, step, width))
        else:
            motions.append(PlannedMotion(segment.label, segment.trajectory))
    return motions


def plan_segment_msgs(types: MessageTypes, motions: Iterable[PlannedMotion]) -> list[Any]:
    """``PlanSegment`` messages of ``motions``, in order."""
    segment = types.get("jazari_interfaces/msg/PlanSegment")
    return [
        segment(
            name=m.name,
            trajectory=joint_trajectory_msg(types, m.trajectory),
            gripper_action=int(m.gripper),
            gripper_position=float(m.gripper_width_m),
        )
        for m in motions
    ]


def motions_from_msgs(msgs: Sequence[Any], field: str = "segments") -> list[PlannedMotion]:
    """The motions of ``PlanSegment`` messages.

    Raises:
        ConversionError: naming the segment with a malformed trajectory or an unknown
            gripper action.
    """
    out = []
    for i, m in enumerate(msgs):
        where = f"{field}[{i}]"
        try:
            step = GripperStep(int(m.gripper_action))
        except ValueError:
            raise ConversionError(
                f"{where}.gripper_action {int(m.gripper_action)} is not one of "
                f"{[s.value for s in GripperStep]}"
            ) from None
        trajectory = joint_trajectory_from_msg(m.trajectory, f"{where}.trajectory")
        out.append(PlannedMotion(str(m.name), trajectory, step, float(m.gripper_position)))
    if not out:
        raise ConversionError(f"{field} is empty: the plan has no motion")
    return out


def pick_place_goal_msg(
    types: MessageTypes,
    part: PartDetection,
    obstacles: Iterable[PartDetection],
    bin_frame: str,
    start: DriveState,
    stamp_s: float,
    frame_id: str,
) -> Any:
    """A ``PickPlace`` goal: ``part`` to ``bin_frame`` around ``obstacles``, poses in
    ``frame_id``, planned from ``start``'s joint positions."""
    return types.get("jazari_interfaces/action/PickPlace_Goal")(
        part=detection3d_msg(types, part, stamp_s, frame_id),
        obstacles=[detection3d_msg(types, o, stamp_s, frame_id) for o in obstacles],
        bin_frame=str(bin_frame),
        start_state=joint_state_msg(types, start),
    )


@dataclass(frozen=True, eq=False)
class PickPlaceRequest:
    """A ``PickPlace`` goal as values: poses in ``frame_id``."""

    part: PartDetection
    obstacles: tuple[PartDetection, ...]
    bin_frame: str
    frame_id: str


def pick_place_request(goal: Any) -> PickPlaceRequest:
    """The part, obstacles and bin of a ``PickPlace`` goal.

    Raises:
        ConversionError: for a malformed detection, an obstacle in another frame than
            the part, or an empty bin frame.
    """
    frame = str(goal.part.header.frame_id)
    for i, o in enumerate(goal.obstacles):
        if str(o.header.frame_id) != frame:
            raise ConversionError(
                f"goal.obstacles[{i}] is in frame {o.header.frame_id!r}, the part in {frame!r}"
            )
    if not str(goal.bin_frame):
        raise ConversionError("goal.bin_frame is empty")
    return PickPlaceRequest(
        detection_from_msg(goal.part, "goal.part"),
        tuple(detection_from_msg(o, f"goal.obstacles[{i}]") for i, o in enumerate(goal.obstacles)),
        str(goal.bin_frame),
        frame,
    )


def pick_place_result_msg(
    types: MessageTypes,
    code: PickPlaceCode,
    message: str = "",
    motions: Iterable[PlannedMotion] = (),
) -> Any:
    """A ``PickPlace`` result; segments only on success."""
    return types.get("jazari_interfaces/action/PickPlace_Result")(
        code=int(code),
        message=str(message),
        segments=plan_segment_msgs(types, motions) if code is PickPlaceCode.SUCCESS else [],
    )


def pick_place_feedback_msg(types: MessageTypes, stage: str) -> Any:
    """A ``PickPlace`` feedback naming the planning stage under way."""
    return types.get("jazari_interfaces/action/PickPlace_Feedback")(stage=str(stage))


@dataclass(frozen=True, eq=False)
class MoveRequest:
    """A ``PlanMove`` goal as values: positions [rad] by joint name (the goal's empty for
    the planner's observe pose), obstacles with poses in ``frame_id``."""

    start: dict[str, float]
    goal: dict[str, float]
    obstacles: tuple[PartDetection, ...]
    frame_id: str


def plan_move_goal_msg(
    types: MessageTypes,
    start: DriveState,
    goal: DriveState | None,
    obstacles: Iterable[PartDetection],
    stamp_s: float,
    frame_id: str,
) -> Any:
    """A ``PlanMove`` goal from ``start`` to ``goal`` (None: the observe pose)."""
    empty = DriveState(start.stamp_s, (), np.zeros(0), np.zeros(0), np.zeros(0))
    return types.get("jazari_interfaces/action/PlanMove_Goal")(
        start_state=joint_state_msg(types, start),
        goal_state=joint_state_msg(types, goal if goal is not None else empty),
        obstacles=[detection3d_msg(types, o, stamp_s, frame_id) for o in obstacles],
    )


def plan_move_request(goal: Any) -> MoveRequest:
    """The start, goal and obstacles of a ``PlanMove`` goal.

    Raises:
        ConversionError: for a malformed joint state or detection, or obstacles in
            different frames.
    """
    frames = {str(o.header.frame_id) for o in goal.obstacles}
    if len(frames) > 1:
        raise ConversionError(f"goal.obstacles are in several frames {sorted(frames)}")
    states = []
    for field in ("start_state", "goal_state"):
        state = drive_state_from_joint_state(getattr(goal, field), f"goal.{field}")
        states.append(dict(zip(state.joint_names, state.position_rad.tolist(), strict=True)))
    obstacles = tuple(
        detection_from_msg(o, f"goal.obstacles[{i}]") for i, o in enumerate(goal.obstacles)
    )
    return MoveRequest(states[0], states[1], obstacles, frames.pop() if frames else "")


def plan_move_result_msg(
    types: MessageTypes,
    code: PickPlaceCode,
    message: str = "",
    trajectory: JointTrajectory | None = None,
) -> Any:
    """A ``PlanMove`` result; the trajectory only on success (an empty one otherwise)."""
    if code is PickPlaceCode.SUCCESS and trajectory is not None:
        motion = joint_trajectory_msg(types, trajectory)
    else:
        motion = types.get("trajectory_msgs/msg/JointTrajectory")(
            header=header_msg(types, 0.0, ""), joint_names=[], points=[]
        )
    return types.get("jazari_interfaces/action/PlanMove_Result")(
        code=int(code), message=str(message), trajectory=motion
    )
