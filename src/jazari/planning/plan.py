"""The result of pick-and-place planning: labelled, timed segments.

Each segment carries what it takes to re-check it on its own: the finger opening, whether
the part is carried (and how), the part's pose when it lies in the world, and the
contacts allowed (the part leaving the surface it rests on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.planning.grasps import Grasp
from jazari.planning.part import Part
from jazari.robot.trajectory import JointTrajectory

SegmentLabel = Literal["approach", "grasp", "lift", "transfer", "place", "release", "retreat"]
SEGMENT_ORDER: tuple[SegmentLabel, ...] = (
    "approach", "grasp", "lift", "transfer", "place", "release", "retreat",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Segment:
    """One labelled motion (or gripper action) of a plan.

    Attributes:
        label: approach (free move to the pre-grasp pose, then the straight approach),
            grasp (fingers close), lift, transfer, place (straight descent), release
            (fingers open), retreat.
        trajectory: timed joint samples, starting and ending at rest; time from the
            segment's start [s].
        gripper_width_m: finger opening during the segment; for grasp and release, the
            opening commanded at the segment's start [m].
        carrying: whether the part is held (attached to the TCP) during the segment.
        part_pose: the part's pose in the base frame while it lies in the world (None
            while carried).
        allowed_contacts: (body, world object) pairs not checked (the carried part and
            the surface it is lifted from).
        waypoints: (K, 6) joint waypoints of the geometric path the trajectory follows.
    """

    label: SegmentLabel
    trajectory: JointTrajectory
    gripper_width_m: float
    carrying: bool
    part_pose: FloatArray | None
    allowed_contacts: tuple[tuple[str, str], ...] = ()
    waypoints: FloatArray = field(default_factory=lambda: np.zeros((0, 6)))

    @property
    def duration_s(self) -> float:
        """Duration of the segment [s]."""
        return self.trajectory.duration_s


@dataclass(frozen=True, eq=False)
class PickPlacePlan:
    """A complete pick-and-place motion.

    Attributes:
        part: the part picked (its pose is the pick pose).
        place_pose: the part's pose at release, in the base frame.
        grasp: the grasp used; T_tcp_part: the part in the TCP frame while carried.
        segments: in execution order (see :data:`SEGMENT_ORDER`).
        stats: planning statistics (times [s], counts).
    """

    part: Part
    place_pose: FloatArray
    grasp: Grasp
    T_tcp_part: FloatArray
    segments: tuple[Segment, ...]
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Total execution time [s]."""
        return sum(s.duration_s for s in self.segments)

    def segment(self, label: SegmentLabel) -> Segment:
        """The segment with ``label``."""
        for s in self.segments:
            if s.label == label:
                return s
        raise KeyError(label)

    def path_length_rad(self) -> float:
        """Joint-space length of the whole motion: Σ over samples of ‖Δq‖ [rad]."""
        return float(
            sum(
                np.linalg.norm(np.diff(s.trajectory.positions, axis=0), axis=1).sum()
                for s in self.segments
            )
        )
