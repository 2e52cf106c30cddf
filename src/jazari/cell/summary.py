"""The run's picture (``summary.png``): the first camera frame with every detection and
its verdict, above a timeline of the run's events."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from jazari.cell.events import CellEvent, EventKind
from jazari.cell.vision import SeenPart
from jazari.ports import RGBDFrame

GOOD_RGB = (40, 170, 60)
BAD_RGB = (210, 40, 40)
FAULT_RGB = (120, 0, 160)
TIMELINE_HEIGHT_PX = 170


def annotate(frame: RGBDFrame, seen: Sequence[SeenPart]) -> NDArray[np.uint8]:
    """The colour image with each part's outline, id and verdict (RGB, uint8)."""
    image = np.ascontiguousarray(frame.color.copy())
    for s in seen:
        color = GOOD_RGB if s.good else BAD_RGB
        contours, _ = cv2.findContours(
            s.detection.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
        )
        cv2.drawContours(image, contours, -1, color, 2)
        x, y, _, _ = cv2.boundingRect(np.concatenate(contours)) if contours else (0, 0, 0, 0)
        label = f"#{s.id} {s.verdict.part_type} {'PASS' if s.good else 'FAIL'}"
        cv2.putText(
            image, label, (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv2.LINE_AA
        )
        if not s.good:
            reason = s.verdict.failed[0].name if s.verdict.failed else ""
            cv2.putText(
                image,
                reason,
                (x, max(26, y + 10)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4,
                color,
                1,
                cv2.LINE_AA,
            )
    return image


def timeline(events: Sequence[CellEvent], width_px: int) -> NDArray[np.uint8]:
    """A strip with a bar per pick (start to placement), failures and faults marked."""
    image = np.full((TIMELINE_HEIGHT_PX, width_px, 3), 250, np.uint8)
    if not events:
        return image
    t0, t1 = events[0].t_s, max(events[-1].t_s, events[0].t_s + 1e-3)
    margin = 40

    def x_of(t: float) -> int:
        return int(margin + (t - t0) / (t1 - t0) * (width_px - 2 * margin))

    axis_y = TIMELINE_HEIGHT_PX - 30
    cv2.line(image, (margin, axis_y), (width_px - margin, axis_y), (0, 0, 0), 1)
    cv2.putText(
        image,
        f"{t1 - t0:.1f} s",
        (width_px - margin - 10, axis_y + 18),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.4,
        (0, 0, 0),
        1,
    )
    cv2.putText(
        image, "0 s", (margin - 10, axis_y + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1
    )
    starts: dict[int, float] = {}
    row = 0
    for e in events:
        if e.kind is EventKind.PICK_START:
            starts[e.part] = e.t_s
        elif e.kind is EventKind.PLACED and e.part in starts:
            y = 12 + (row % 6) * 18
            row += 1
            color = GOOD_RGB if e.good else BAD_RGB
            cv2.rectangle(image, (x_of(starts.pop(e.part)), y), (x_of(e.t_s), y + 12), color, -1)
            cv2.putText(
                image,
                f"#{e.part} {e.detail}",
                (x_of(e.t_s) + 4, y + 10),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.35,
                (0, 0, 0),
                1,
            )
        elif e.kind in (EventKind.FAILURE, EventKind.FAULT):
            color = FAULT_RGB if e.kind is EventKind.FAULT else BAD_RGB
            cv2.drawMarker(image, (x_of(e.t_s), axis_y - 8), color, cv2.MARKER_TRIANGLE_DOWN, 10, 2)
    return image


def write_summary(
    path: Path, frame: RGBDFrame, seen: Sequence[SeenPart], events: Sequence[CellEvent]
) -> None:
    """Write the annotated frame over the timeline as a PNG."""
    top = annotate(frame, seen)
    picture = np.vstack([top, timeline(events, top.shape[1])])
    if not cv2.imwrite(str(path), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
