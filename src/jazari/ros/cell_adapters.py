"""What the cell node needs to run :class:`jazari.cell.sequence.CellSequence` on other
nodes' results, without ROS: parts seen from detection and inspection messages, plans
rebuilt from ``PlanSegment`` motions, and the cell's status for ``CellState``.

Over ROS the perception node keeps the images: a seen part carries its pose, size,
class, confidence and verdict, and its :class:`~jazari.perception.detection.Detection`
has empty masks and no mean colour (the sequence reads neither). A plan comes back as
motions; the grasp and the place pose are recovered from the arm's kinematics at the
grasp and at the release (the TCP pose there and the part's pose at the pick).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np

from jazari.cell.events import CellEvent, EventKind
from jazari.cell.kpi import OEE, compute_oee
from jazari.cell.vision import SeenPart, planning_part
from jazari.errors import JazariError
from jazari.geometry.transforms import FloatArray, invert
from jazari.perception.detection import Detection
from jazari.planning.grasps import Grasp
from jazari.planning.part import Part
from jazari.planning.plan import SEGMENT_ORDER, PickPlacePlan, Segment, SegmentLabel
from jazari.quality.verdict import Verdict
from jazari.robot.model import RobotModel
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert.detections import PartDetection
from jazari.ros.convert.plans import GripperStep, PlannedMotion

_NO_MASK = np.zeros((0, 0), dtype=bool)
#: Duration of the arm's rest while the fingers move [s] (the gripper action's own wait
#: decides how long the fingers really take).
GRIPPER_HOLD_S = 0.001


class CellAdapterError(JazariError):
    """Messages from the other nodes do not fit together (a part without a verdict, a
    plan without its grasp or release)."""


def seen_part(detection: PartDetection, shape: str, verdict: Verdict, part_id: int) -> SeenPart:
    """A part the perception node saw and inspected, as the sequence sees it."""
    size = detection.size_m
    dims = tuple(float(v) for v in (size if shape == "box" else (size[0], size[2])))
    thin = Detection(
        shape, detection.T_frame_part, dims, (0.0, 0.0, 0.0), detection.score, _NO_MASK,
        _NO_MASK, 1.0,
    )  # fmt: skip
    return SeenPart(part_id, thin, verdict, planning_part(thin, f"part{part_id}"))


def seen_parts(
    detections: Sequence[PartDetection],
    verdicts: Mapping[str, Verdict],
    shapes: Mapping[str, str],
) -> list[SeenPart]:
    """Every detected part with its verdict, most confident first.

    Raises:
        CellAdapterError: when a detection has no verdict, an id is not an integer, or
            its class is not in the catalogue.
    """
    out = []
    for d in sorted(detections, key=lambda d: -d.score):
        if d.detection_id not in verdicts:
            raise CellAdapterError(f"part {d.detection_id!r} was detected but not inspected")
        if d.class_id not in shapes:
            raise CellAdapterError(f"part {d.detection_id!r} has unknown class {d.class_id!r}")
        try:
            part_id = int(d.detection_id)
        except ValueError:
            raise CellAdapterError(f"part id {d.detection_id!r} is not an integer") from None
        out.append(seen_part(d, shapes[d.class_id], verdicts[d.detection_id], part_id))
    return out


def _hold(q: FloatArray, names: tuple[str, ...]) -> JointTrajectory:
    pos = np.stack([q, q])
    zero = np.zeros_like(pos)
    return JointTrajectory(names, np.array([0.0, GRIPPER_HOLD_S]), pos, zero, zero.copy())


def plan_from_motions(
    motions: Sequence[PlannedMotion], part: Part, model: RobotModel
) -> PickPlacePlan:
    """The core plan of a ``PickPlace`` result: the motions with the grasp after the
    closing motion and the release after the opening one.

    Raises:
        CellAdapterError: when no motion closes or none opens the gripper, or they come
            in the wrong order.
    """
    close = [i for i, m in enumerate(motions) if m.gripper is GripperStep.CLOSE]
    open_ = [i for i, m in enumerate(motions) if m.gripper is GripperStep.OPEN]
    if len(close) != 1 or len(open_) != 1 or not close[0] < open_[0]:
        raise CellAdapterError(
            "a pick-and-place needs one closing motion before one opening motion, got "
            f"{[(m.name, m.gripper.name) for m in motions]}"
        )
    k_close, k_open = close[0], open_[0]
    names = motions[0].trajectory.joint_names
    q_grasp = motions[k_close].trajectory.positions[-1]
    q_release = motions[k_open].trajectory.positions[-1]
    T_tcp_part = invert(model.chain.fk(q_grasp)) @ part.T_base_part
    place_pose = model.chain.fk(q_release) @ T_tcp_part
    open_width = motions[k_open].gripper_width_m
    # The fingers close along the TCP's x axis: the part's extent along it.
    x_in_part = T_tcp_part[:3, :3].T @ np.array([1.0, 0.0, 0.0])
    width = float(2.0 * np.abs(x_in_part) @ part.half_extents_m)
    grasp = Grasp(invert(T_tcp_part), width, open_width, bool(model.chain.fk(q_grasp)[2, 2] < 0),
                  "planned by the planner node")  # fmt: skip
    unknown = [m.name for m in motions if m.name not in SEGMENT_ORDER]
    if unknown:
        raise CellAdapterError(f"motions {unknown} are not plan segments {SEGMENT_ORDER}")
    segments: list[Segment] = []
    for i, m in enumerate(motions):
        carrying = k_close < i <= k_open
        pose = None if carrying else (part.T_base_part if i <= k_close else place_pose)
        width_i = width if carrying else open_width
        label = cast("SegmentLabel", m.name)
        segments.append(Segment(label, m.trajectory, width_i, carrying, pose))
        if i == k_close:
            segments.append(Segment("grasp", _hold(q_grasp, names), width, False, part.T_base_part))
        if i == k_open:
            segments.append(Segment("release", _hold(q_release, names), open_width, False,
                                    place_pose))  # fmt: skip
    return PickPlacePlan(part, place_pose, grasp, T_tcp_part, tuple(segments))


def run_oee(events: Sequence[CellEvent], now_s: float, ideal_cycle_time_s: float) -> OEE | None:
    """OEE of a run so far: its events closed at ``now_s`` (None before it started)."""
    events = list(events)
    if not any(e.kind is EventKind.RUN_START for e in events):
        return None
    if not any(e.kind is EventKind.RUN_END for e in events):
        end = max(now_s, events[-1].t_s)
        if end <= events[0].t_s:
            return None
        events.append(CellEvent(end, EventKind.RUN_END))
    return compute_oee(events, ideal_cycle_time_s)
