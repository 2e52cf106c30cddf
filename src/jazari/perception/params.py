"""Perception settings from ``config/perception.yaml`` (ROS 2 parameter format).

Each section maps onto one frozen dataclass; a key the dataclass does not know, a value
of the wrong type or out of range raises :class:`PerceptionConfigError` naming it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from jazari.config import load_params, load_params_file
from jazari.perception.errors import PerceptionConfigError
from jazari.perception.plane import PlaneParams


@dataclass(frozen=True)
class SegmentationParams:
    """How the foreground is found and split into parts.

    Attributes:
        foreground_min_height_m: pixels higher than this above the table are foreground [m].
        table_color_distance: a pixel without depth is foreground when one of its RGB
            channels differs from the table's by more than this (0..255).
        color_edge_delta_e: neighbouring pixels farther apart than this ΔE*ab lie on
            either side of an edge.
        color_edge_dilate_px: colour edges are widened by this radius [px], which joins
            the dotted seam between touching parts of one colour into a cut.
        depth_edge_m: neighbouring pixels whose heights differ by more than this lie on
            either side of an edge [m].
        level_tolerance_m: pixels within this of a top face's height belong to it [m].
        min_part_height_m: top faces lower than this are not parts [m].
        min_seed_area_px: smaller edge-free regions are not top faces (marks, slivers).
        flat_fraction: a top face has at least this share of pixels within
            ``level_tolerance_m`` of its median height.
        split_peak_ratio: watershed markers are the regions where the distance to the
            face's border exceeds this share of its maximum.
        max_face_area_m2: a top face larger than this holds several parts [m²] (the
            largest part of the catalogue, with its worst dimension defect, plus margin).
        seam_min_votes: dark seam pixels a straight line needs before a face too large
            for one part is cut along it.
    """

    foreground_min_height_m: float = 0.008
    table_color_distance: int = 40
    color_edge_delta_e: float = 14.0
    color_edge_dilate_px: int = 0
    depth_edge_m: float = 0.005
    level_tolerance_m: float = 0.004
    min_part_height_m: float = 0.015
    min_seed_area_px: int = 60
    flat_fraction: float = 0.7
    split_peak_ratio: float = 0.6
    max_face_area_m2: float = 0.0035
    seam_min_votes: int = 6
    max_hue_difference_deg: float = 35.0

    def __post_init__(self) -> None:
        _positive(self, "foreground_min_height_m", "color_edge_delta_e", "depth_edge_m",
                  "level_tolerance_m", "min_part_height_m", "min_seed_area_px",
                  "max_face_area_m2", "seam_min_votes", "max_hue_difference_deg")  # fmt: skip
        _within(self, "table_color_distance", 1, 255)
        _within(self, "color_edge_dilate_px", 0, 5)
        for name in ("flat_fraction", "split_peak_ratio"):
            _within(self, name, 0.0, 1.0)


@dataclass(frozen=True)
class FitParams:
    """How a top face becomes a box or a cylinder.

    Attributes:
        box_min_fill: a top face filling at least this share of its minimum-area
            rectangle is a box, else a cylinder (a disc fills π/4 ≈ 0.785).
        edge_inset_px: the outermost pixel centres of a face lie on average this many
            pixels inside its true edge; added back to every side.
        refine: ``"none"`` or ``"lsq"``: refine the fit by least squares on the top
            face's outline.
    """

    box_min_fill: float = 0.89
    edge_inset_px: float = 0.0
    refine: str = "none"

    def __post_init__(self) -> None:
        _within(self, "box_min_fill", 0.79, 1.0)
        _within(self, "edge_inset_px", 0.0, 1.0)
        if self.refine not in ("none", "lsq"):
            raise PerceptionConfigError(f"fit.refine must be 'none' or 'lsq', got {self.refine!r}")


@dataclass(frozen=True)
class DetectorParams:
    """Everything in ``config/perception.yaml``.

    Attributes:
        depth_min_m, depth_max_m: the depth sensor's usable range [m].
        work_area_x_m, work_area_y_m: parts whose centre lies outside this rectangle of
            the base frame's xy-plane are ignored (bins, fixtures) [m].
        min_component_px: smaller foreground blobs are noise.
        plane, segmentation, fit: the stages' settings.
    """

    depth_min_m: float = 0.2
    depth_max_m: float = 2.0
    work_area_x_m: tuple[float, float] = (0.3, 0.8)
    work_area_y_m: tuple[float, float] = (-0.3, 0.3)
    min_component_px: int = 150
    plane: PlaneParams = field(default_factory=PlaneParams)
    segmentation: SegmentationParams = field(default_factory=SegmentationParams)
    fit: FitParams = field(default_factory=FitParams)

    def __post_init__(self) -> None:
        _positive(self, "depth_min_m", "min_component_px")
        if not self.depth_min_m < self.depth_max_m:
            raise PerceptionConfigError(
                f"depth range needs depth_min_m < depth_max_m, got "
                f"{self.depth_min_m}, {self.depth_max_m}"
            )
        for name in ("work_area_x_m", "work_area_y_m"):
            lo, hi = getattr(self, name)
            if not lo < hi:
                raise PerceptionConfigError(f"{name} must be (lo, hi) with lo < hi, got {lo, hi}")

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], where: str = "perception.yaml"
    ) -> DetectorParams:
        """From a ``ros__parameters`` mapping (every key optional, defaults above)."""
        flat = dict(params)
        sections = {
            "plane": PlaneParams, "segmentation": SegmentationParams, "fit": FitParams,
        }  # fmt: skip
        built: dict[str, Any] = {}
        for key, sub in sections.items():
            value = flat.pop(key, {})
            if not isinstance(value, Mapping):
                raise PerceptionConfigError(f"{where}: {key} must be a mapping, got {value!r}")
            built[key] = _build(sub, value, f"{where}: {key}")
        return _build(cls, {**flat, **built}, where)


def load_detector_params(path: Path | str | None = None) -> DetectorParams:
    """Settings from ``path`` (default: the packaged ``config/perception.yaml``)."""
    params = load_params("perception") if path is None else load_params_file(path)
    return DetectorParams.from_params(params, "perception.yaml" if path is None else str(path))


T = TypeVar("T")


def _build(cls: type[T], values: Mapping[str, Any], where: str) -> T:
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise PerceptionConfigError(
            f"{where}: unknown parameters {unknown}; known: {sorted(known)}"
        )
    kwargs = {}
    for name, value in values.items():
        default = getattr(cls(), name) if name not in ("plane", "segmentation", "fit") else None
        kwargs[name] = _coerce(value, default, f"{where}.{name}")
    return cls(**kwargs)


def _coerce(value: Any, default: Any, where: str) -> Any:
    if default is None:
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or len(value) != len(default):
            raise PerceptionConfigError(f"{where} must be {len(default)} numbers, got {value!r}")
        return tuple(_coerce(v, d, where) for v, d in zip(value, default, strict=True))
    if isinstance(default, bool | str):
        if type(value) is not type(default):
            raise PerceptionConfigError(
                f"{where} must be a {type(default).__name__}, got {value!r}"
            )
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise PerceptionConfigError(f"{where} must be an integer, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PerceptionConfigError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _positive(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not value > 0:
            raise PerceptionConfigError(f"{type(obj).__name__}.{name} must be > 0, got {value}")


def _within(obj: object, name: str, lo: float, hi: float) -> None:
    value = getattr(obj, name)
    if not lo <= value <= hi:
        raise PerceptionConfigError(
            f"{type(obj).__name__}.{name} must be in [{lo}, {hi}], got {value}"
        )
