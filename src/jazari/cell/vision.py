"""What the cell sees in one frame: detected parts, their verdicts, and the geometry the
planner needs, with ids that stay with a part from frame to frame."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jazari.perception.detection import Detection
from jazari.perception.detector import PartDetector
from jazari.planning.part import Part
from jazari.ports import RGBDFrame
from jazari.quality.inspector import Inspector
from jazari.quality.verdict import Verdict

# A detection within this distance of a known part's last position is that part [m].
SAME_PART_M = 0.02


@dataclass(frozen=True, eq=False)
class SeenPart:
    """A part found in a frame.

    Attributes:
        id: the cell's id for the part, stable while the part stays put.
        detection: what perception measured.
        verdict: what inspection decided.
        part: the part as the planner sees it (name ``part<id>``).
    """

    id: int
    detection: Detection
    verdict: Verdict
    part: Part

    @property
    def good(self) -> bool:
        """True when the part passed inspection."""
        return self.verdict.passed

    @property
    def target_bin(self) -> str:
        """``accepted`` for good parts, ``rejected`` for the others."""
        return "accepted" if self.good else "rejected"


def planning_part(detection: Detection, name: str) -> Part:
    """The planner's view of a detection (a cylinder's diameter becomes its radius)."""
    if detection.shape == "box":
        return Part("box", detection.dimensions_m, detection.T_base_part, name)
    diameter, height = detection.dimensions_m
    return Part("cylinder", (diameter / 2.0, height), detection.T_base_part, name)


@dataclass
class PartIds:
    """Gives each part an id the first time it is seen and keeps it while it lies
    within :data:`SAME_PART_M` of where it was last seen."""

    last_seen: dict[int, np.ndarray] = field(default_factory=dict)
    next_id: int = 0

    def assign(self, positions: Sequence[np.ndarray]) -> list[int]:
        """Ids for parts at ``positions`` (base frame [m]), in order."""
        ids: list[int] = []
        free = dict(self.last_seen)
        for p in positions:
            match = min(free, key=lambda k: float(np.linalg.norm(free[k] - p)), default=None)
            if match is not None and np.linalg.norm(free[match] - p) <= SAME_PART_M:
                del free[match]
                ids.append(match)
            else:
                ids.append(self.next_id)
                self.next_id += 1
        for i, p in zip(ids, positions, strict=True):
            self.last_seen[i] = np.array(p, dtype=float)
        return ids


class CellVision:
    """Perception and inspection of one frame, with stable part ids."""

    def __init__(
        self, detector: PartDetector | None = None, inspector: Inspector | None = None
    ) -> None:
        self.detector = detector if detector is not None else PartDetector()
        self.inspector = inspector if inspector is not None else Inspector()
        self.ids = PartIds()

    def look(self, frame: RGBDFrame) -> list[SeenPart]:
        """Every part on the table in ``frame``, most confident first."""
        detections = sorted(self.detector.detect(frame), key=lambda d: -d.confidence)
        ids = self.ids.assign([d.T_base_part[:3, 3] for d in detections])
        return [
            SeenPart(i, d, self.inspector.inspect(d, frame), planning_part(d, f"part{i}"))
            for i, d in zip(ids, detections, strict=True)
        ]
