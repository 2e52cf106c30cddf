"""Inspection of detected parts against the parts catalogue.

A detection is first identified: among the catalogue's types of its shape, the one it
fails the fewest checks of (ties: the smallest summed excess relative to the limits).
A good part passes every check of its own type; a part with one defect fails one check
of its type but several of any other, so identification survives the defects it must
report. Then the checks of that type make the verdict:

* every dimension within ± ``tolerance_m`` of nominal (a box's sides compared longer to
  longer, since perception cannot tell the part's x from its y);
* the top face's mean colour within ``color_tolerance_delta_e`` of nominal, as ΔE*ab
  (CIE 1976, the catalogue's definition) or CIEDE2000 (``color_metric``);
* no surface mark on the top face larger than ``max_mark_area_m2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazari.config import load_params, load_params_file
from jazari.perception.colorspace import DELTA_E, srgb_to_lab
from jazari.perception.detection import Detection
from jazari.ports import RGBDFrame
from jazari.quality.catalogue import PartType, load_part_types
from jazari.quality.errors import CatalogueError, InspectionError
from jazari.quality.marks import find_mark
from jazari.quality.verdict import CheckResult, Verdict

_DIMENSION_NAMES = {"box": ("length", "width", "height"), "cylinder": ("diameter", "height")}


@dataclass(frozen=True)
class InspectionParams:
    """Settings of the inspection (``config/quality.yaml``).

    Attributes:
        color_metric: ``cie76`` (ΔE*ab, the catalogue's definition) or ``ciede2000``.
        max_mark_area_m2: the largest surface mark a good part may carry [m²].
        mark_min_delta_e: a mark pixel differs from the face by at least this ΔE*ab.
        mark_min_darkening: and is darker than the face by at least this L*.
        mark_erode_px: pixels of the face's rim left out of the mark search.
    """

    color_metric: str = "cie76"
    max_mark_area_m2: float = 1.5e-5
    mark_min_delta_e: float = 25.0
    mark_min_darkening: float = 15.0
    mark_erode_px: int = 2

    def __post_init__(self) -> None:
        if self.color_metric not in DELTA_E:
            raise CatalogueError(
                f"color_metric must be one of {sorted(DELTA_E)}, got {self.color_metric!r}"
            )
        for name in ("max_mark_area_m2", "mark_min_delta_e", "mark_min_darkening"):
            if not getattr(self, name) > 0:
                raise CatalogueError(f"inspection {name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.mark_erode_px <= 10:
            raise CatalogueError(f"mark_erode_px must be in [0, 10], got {self.mark_erode_px}")


def load_inspection_params(path: Path | str | None = None) -> InspectionParams:
    """Settings from ``path`` (default: the packaged ``config/quality.yaml``)."""
    params = dict(load_params("quality") if path is None else load_params_file(path))
    known = set(InspectionParams.__dataclass_fields__)
    unknown = sorted(set(params) - known)
    if unknown:
        raise CatalogueError(f"quality.yaml: unknown parameters {unknown}; known: {sorted(known)}")
    try:
        return InspectionParams(**params)
    except TypeError as exc:
        raise CatalogueError(f"quality.yaml: {exc}") from None


class Inspector:
    """Judges detections against the catalogue.

    Args:
        types: the part types (default: ``config/parts.yaml``).
        params: settings (default: ``config/quality.yaml``).
    """

    def __init__(
        self, types: Sequence[PartType] | None = None, params: InspectionParams | None = None
    ) -> None:
        self.types = tuple(types) if types is not None else load_part_types()
        if not self.types:
            raise CatalogueError("the inspector needs at least one part type")
        self.params = params if params is not None else load_inspection_params()
        self._delta_e = DELTA_E[self.params.color_metric]

    def inspect(self, detection: Detection, frame: RGBDFrame) -> Verdict:
        """The verdict on ``detection``, seen in ``frame``.

        Raises:
            InspectionError: when the catalogue has no type of the detection's shape or
                the frame's image does not match the detection's mask.
        """
        if frame.color.shape[:2] != detection.top_mask.shape:
            raise InspectionError(
                f"frame is {frame.color.shape[:2]}, detection mask is {detection.top_mask.shape}"
            )
        candidates = [t for t in self.types if t.shape == detection.shape]
        if not candidates:
            raise InspectionError(f"no part type of shape {detection.shape!r} in the catalogue")
        mark = self._mark_check(detection, frame)
        verdicts = [
            Verdict(
                t.name,
                (*self._dimension_checks(detection, t), self._color_check(detection, t), mark),
            )
            for t in candidates
        ]
        return min(verdicts, key=_identification_cost)

    def _dimension_checks(self, det: Detection, t: PartType) -> list[CheckResult]:
        out = []
        names = _DIMENSION_NAMES[t.shape]
        for name, measured, nominal in zip(
            names, det.dimensions_m, t.measured_order(), strict=True
        ):
            dev = abs(measured - nominal)
            excess = max(dev - t.tolerance_m, 0.0)
            out.append(CheckResult(f"dimension.{name}", excess == 0.0, measured, nominal,
                                   t.tolerance_m, excess, "m"))  # fmt: skip
        return out

    def _color_check(self, det: Detection, t: PartType) -> CheckResult:
        de = float(self._delta_e(srgb_to_lab(det.mean_color_rgb), srgb_to_lab(t.color_rgb)))
        excess = max(de - t.color_tolerance_delta_e, 0.0)
        return CheckResult(f"color.{self.params.color_metric}", excess == 0.0, de, 0.0,
                           t.color_tolerance_delta_e, excess, "ΔE")  # fmt: skip

    def _mark_check(self, det: Detection, frame: RGBDFrame) -> CheckResult:
        p = self.params
        found = find_mark(frame.color, det.top_mask, p.mark_min_delta_e, p.mark_min_darkening,
                          p.mark_erode_px)  # fmt: skip
        # A pixel on the top face covers (distance / focal length)² of it.
        T_camera_base = np.linalg.inv(frame.T_base_camera)
        top_centre = det.T_base_part @ np.array([0.0, 0.0, det.height_m / 2.0, 1.0])
        z = float((T_camera_base @ top_centre)[2])
        k = frame.intrinsics
        area = found.area_px * z * z / (k.fx * k.fy)
        excess = max(area - p.max_mark_area_m2, 0.0)
        return CheckResult("surface_mark", excess == 0.0, area, 0.0, p.max_mark_area_m2,
                           excess, "m²")  # fmt: skip


def inspect_all(
    inspector: Inspector, detections: Sequence[Detection], frame: RGBDFrame
) -> list[Verdict]:
    """One verdict per detection, in order."""
    return [inspector.inspect(d, frame) for d in detections]


def _identification_cost(v: Verdict) -> tuple[int, float]:
    """Failed checks first, then their summed excess in multiples of their limits; the
    surface mark says nothing about the type and is left out."""
    failed = [c for c in v.failed if c.name != "surface_mark"]
    return len(failed), sum(c.excess / c.limit for c in failed)
