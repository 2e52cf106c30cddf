"""Footprints of parts on the table (the xy-plane of the world frame) and their distances.

A box standing on the table covers a rotated rectangle, an upright cylinder a disc. The
spawner keeps parts apart, or makes them touch, with :func:`gap`: the exact Euclidean
distance between two footprints when they are apart, and minus the penetration depth
when they overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from jazari.geometry.transforms import FloatArray

RECT = "rect"
DISC = "disc"


@dataclass(frozen=True)
class Footprint:
    """A rectangle or disc on the table.

    Attributes:
        kind: ``"rect"`` or ``"disc"``.
        x_m, y_m: centre in the world frame [m].
        yaw_rad: rotation about world z [rad] (rectangles).
        half_x_m, half_y_m: half side lengths along the footprint's own axes [m]; for a
            disc both are the radius.
    """

    kind: str
    x_m: float
    y_m: float
    yaw_rad: float
    half_x_m: float
    half_y_m: float

    def __post_init__(self) -> None:
        if self.kind not in (RECT, DISC):
            raise ValueError(f"footprint kind must be {RECT!r} or {DISC!r}, got {self.kind!r}")
        if not (self.half_x_m > 0 and self.half_y_m > 0):
            raise ValueError(
                f"footprint half sizes must be > 0, got {self.half_x_m}, {self.half_y_m}"
            )

    @property
    def center(self) -> FloatArray:
        """(2,) centre [m]."""
        return np.array([self.x_m, self.y_m])

    @property
    def radius_m(self) -> float:
        """Radius of the smallest circle about the centre holding the footprint [m]."""
        return math.hypot(self.half_x_m, self.half_y_m) if self.kind == RECT else self.half_x_m

    def moved(self, x_m: float, y_m: float) -> Footprint:
        """The same footprint centred at (x_m, y_m)."""
        return Footprint(self.kind, x_m, y_m, self.yaw_rad, self.half_x_m, self.half_y_m)

    def axes(self) -> FloatArray:
        """(2, 2) unit axes of the footprint as rows (its x, then its y) in the world."""
        c, s = math.cos(self.yaw_rad), math.sin(self.yaw_rad)
        return np.array([[c, s], [-s, c]])

    def corners(self) -> FloatArray:
        """(4, 2) corners of a rectangle, counter-clockwise [m]."""
        ax = self.axes()
        signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float)
        half = np.array([self.half_x_m, self.half_y_m])
        corners: FloatArray = self.center + (signs * half) @ ax
        return corners

    def half_extent(self) -> FloatArray:
        """(2,) half size of the axis-aligned bounding box [m]."""
        if self.kind == DISC:
            return np.array([self.half_x_m, self.half_x_m])
        c, s = abs(math.cos(self.yaw_rad)), abs(math.sin(self.yaw_rad))
        return np.array(
            [c * self.half_x_m + s * self.half_y_m, s * self.half_x_m + c * self.half_y_m]
        )

    def area_m2(self) -> float:
        """Area [m²]."""
        if self.kind == DISC:
            return math.pi * self.half_x_m**2
        return 4.0 * self.half_x_m * self.half_y_m


def _rect_point_distance(rect: Footprint, p: FloatArray) -> float:
    """Signed distance from a point to a rectangle (negative inside) [m]."""
    local = rect.axes() @ (p - rect.center)
    q = np.abs(local) - np.array([rect.half_x_m, rect.half_y_m])
    outside = float(np.linalg.norm(np.maximum(q, 0.0)))
    return outside + min(float(np.max(q)), 0.0)


def _segment_point_distance(a: FloatArray, b: FloatArray, p: FloatArray) -> float:
    ab = b - a
    t = float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0))
    return float(np.linalg.norm(a + t * ab - p))


def _rect_rect_gap(a: Footprint, b: Footprint) -> float:
    ca, cb = a.corners(), b.corners()
    # Separating-axis test over the four edge normals: the smallest overlap is the
    # penetration depth of two convex polygons.
    overlap = math.inf
    for axis in np.vstack([a.axes(), b.axes()]):
        pa, pb = ca @ axis, cb @ axis
        o = min(pa.max(), pb.max()) - max(pa.min(), pb.min())
        if o <= 0:
            overlap = -1.0
            break
        overlap = min(overlap, o)
    if overlap > 0:
        return -overlap
    # Disjoint convex polygons: the distance is reached between a corner and an edge.
    best = math.inf
    for poly, other in ((ca, cb), (cb, ca)):
        for i in range(4):
            e0, e1 = other[i], other[(i + 1) % 4]
            for p in poly:
                best = min(best, _segment_point_distance(e0, e1, p))
    return best


def gap(a: Footprint, b: Footprint) -> float:
    """Distance between two footprints [m]; negative (minus the penetration) on overlap."""
    if a.kind == DISC and b.kind == DISC:
        return float(np.linalg.norm(a.center - b.center)) - a.half_x_m - b.half_x_m
    if a.kind == DISC:
        a, b = b, a
    if b.kind == DISC:
        return _rect_point_distance(a, b.center) - b.half_x_m
    return _rect_rect_gap(a, b)


def place_touching(
    fixed: Footprint, moving: Footprint, direction_rad: float, gap_m: float
) -> Footprint:
    """``moving`` slid along ``direction_rad`` from ``fixed``'s centre to ``gap_m`` from it.

    The gap along a ray leaving the inside of a convex set grows monotonically, so a
    bisection on the distance along the ray finds the contact position.
    """
    u = np.array([math.cos(direction_rad), math.sin(direction_rad)])
    lo, hi = 0.0, fixed.radius_m + moving.radius_m + gap_m + 1e-6
    for _ in range(40):  # 2^-40 of a metre: far below anything that matters
        mid = (lo + hi) / 2.0
        p = fixed.center + mid * u
        if gap(fixed, moving.moved(float(p[0]), float(p[1]))) < gap_m:
            lo = mid
        else:
            hi = mid
    p = fixed.center + hi * u
    return moving.moved(float(p[0]), float(p[1]))
