"""What perception reports for each part it finds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jazari.perception.errors import PerceptionError

FloatArray = NDArray[np.float64]
BoolImage = NDArray[np.bool_]

SHAPES = ("box", "cylinder")


@dataclass(frozen=True, eq=False)
class Detection:
    """One part seen in one RGB-D frame.

    Attributes:
        shape: ``"box"`` or ``"cylinder"``.
        T_base_part: 4×4 pose of the part frame in the robot's base frame: origin at the
            part's centre, z along the table normal (up), for a box x along its longer
            horizontal side. Symmetric shapes report a canonical orientation: a box's yaw
            lies in (−90°, 90°], a cylinder's is 0 about the table frame.
        dimensions_m: box (length ≥ width, height) or cylinder (diameter, height) [m].
        mean_color_rgb: mean sRGB colour in [0, 1] of the top face, marks and edges left
            out.
        confidence: in [0, 1]; the share of the part's pixels with depth, times how well
            the shape model fits the top face.
        mask: H×W bool, the part's pixels (top face and visible sides).
        top_mask: H×W bool, the pixels of the top face (holes such as marks and depth
            dropouts filled).
        valid_depth_fraction: share of ``mask`` with a depth reading.
    """

    shape: str
    T_base_part: FloatArray
    dimensions_m: tuple[float, ...]
    mean_color_rgb: tuple[float, float, float]
    confidence: float
    mask: BoolImage
    top_mask: BoolImage
    valid_depth_fraction: float

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise PerceptionError(f"shape must be one of {SHAPES}, got {self.shape!r}")
        n = 3 if self.shape == "box" else 2
        if len(self.dimensions_m) != n or not all(
            math.isfinite(d) and d > 0 for d in self.dimensions_m
        ):
            raise PerceptionError(
                f"a {self.shape} needs {n} finite dimensions > 0 m, got {self.dimensions_m}"
            )
        T = np.asarray(self.T_base_part)
        if T.shape != (4, 4) or not np.all(np.isfinite(T)):
            raise PerceptionError(f"T_base_part must be a finite 4x4 transform, got {T.shape}")
        if not 0.0 <= self.confidence <= 1.0:
            raise PerceptionError(f"confidence must be in [0, 1], got {self.confidence}")
        if not all(0.0 <= c <= 1.0 for c in self.mean_color_rgb) or len(self.mean_color_rgb) != 3:
            raise PerceptionError(
                f"mean_color_rgb must be 3 values in [0, 1], got {self.mean_color_rgb}"
            )
        if self.mask.dtype != np.bool_ or self.top_mask.shape != self.mask.shape:
            raise PerceptionError("mask and top_mask must be bool images of one shape")

    @property
    def position_m(self) -> FloatArray:
        """(3,) the part's centre in the base frame [m]."""
        return np.asarray(self.T_base_part[:3, 3])

    @property
    def yaw_rad(self) -> float:
        """Rotation of the part's x axis about the base z axis [rad]."""
        return math.atan2(float(self.T_base_part[1, 0]), float(self.T_base_part[0, 0]))

    @property
    def height_m(self) -> float:
        """Height of the part [m]."""
        return self.dimensions_m[-1]
