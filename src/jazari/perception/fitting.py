"""Fit a box (minimum-area rectangle) or an upright cylinder (circle) to a top face.

Input are the 3-D points of a top face expressed in the table frame (z along the
table normal), so the fit is 2-D: the face's outline in the table's xy-plane. The
points are the pixel centres that see the face, so the outermost ones lie inside its
true edge by a fraction of a pixel; ``edge_inset_px`` adds that back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from jazari.perception.params import FitParams

FloatArray = NDArray[np.float64]

_MM = 1000.0  # OpenCV's geometry works in float32: fit in millimetres


@dataclass(frozen=True)
class FaceFit:
    """A top face's outline in the table frame.

    Attributes:
        shape: ``"box"`` or ``"cylinder"``.
        center_xy_m: (x, y) of the face's centre [m].
        yaw_rad: direction of the box's longer side in (−π/2, π/2]; 0 for a cylinder.
        size_m: box (length, width) with length ≥ width, or cylinder (diameter,) [m].
        fill: area of the face's hull over its minimum-area rectangle's (≈1 box, ≈π/4 disc).
        quality: in [0, 1]; how well the shape model explains the outline.
    """

    shape: str
    center_xy_m: tuple[float, float]
    yaw_rad: float
    size_m: tuple[float, ...]
    fill: float
    quality: float


def wrap_half_turn(angle_rad: float) -> float:
    """``angle_rad`` wrapped into (−π/2, π/2] (a rectangle's yaw is defined modulo π)."""
    a = math.fmod(angle_rad, math.pi)
    if a > math.pi / 2:
        a -= math.pi
    elif a <= -math.pi / 2:
        a += math.pi
    return a


def fit_circle(points: FloatArray) -> tuple[float, float, float]:
    """Least-squares (Kåsa) circle through 2-D points: (cx, cy, radius)."""
    x, y = points[:, 0], points[:, 1]
    A = np.stack([x, y, np.ones_like(x)], axis=1)
    (D, E, F), *_ = np.linalg.lstsq(A, -(x * x + y * y), rcond=None)
    cx, cy = -D / 2.0, -E / 2.0
    return float(cx), float(cy), float(math.sqrt(max(cx * cx + cy * cy - F, 0.0)))


def fit_face(points_xy_m: FloatArray, pixel_m: float, params: FitParams) -> FaceFit | None:
    """Box or cylinder outline of a face from its points (N, 2) [m] in the table frame.

    Args:
        points_xy_m: the face's points.
        pixel_m: the size of one pixel on the face [m].
        params: fit settings.

    Returns:
        The fit, or None when the points span no area.
    """
    pts = (points_xy_m * _MM).astype(np.float32)
    hull = cv2.convexHull(pts)
    if len(hull) < 3:
        return None
    _, (w, h), _ = cv2.minAreaRect(hull)
    hull_area = float(cv2.contourArea(hull))
    if w * h <= 0 or hull_area <= 0:
        return None
    fill = hull_area / (w * h)
    grow = 2.0 * params.edge_inset_px * pixel_m * _MM
    if fill >= params.box_min_fill:
        return _box(hull.reshape(-1, 2).astype(float), pts, grow, fill, params)
    hull_pts = hull.reshape(-1, 2).astype(float)
    ccx, ccy, r = fit_circle(hull_pts)
    resid = np.abs(np.hypot(hull_pts[:, 0] - ccx, hull_pts[:, 1] - ccy) - r)
    quality = float(np.clip(1.0 - np.sqrt(np.mean(resid**2)) / max(0.05 * r, 1e-9), 0.0, 1.0))
    d = 2.0 * r + grow
    return FaceFit("cylinder", (ccx / _MM, ccy / _MM), 0.0, (d / _MM,), fill, quality)


def _box(
    hull: FloatArray, pts: NDArray[np.float32], grow: float, fill: float, params: FitParams
) -> FaceFit:
    rect = cv2.minAreaRect(hull.astype(np.float32))
    corners = cv2.boxPoints(rect).astype(float)
    e1, e2 = corners[1] - corners[0], corners[2] - corners[1]
    axis = e1 if np.linalg.norm(e1) >= np.linalg.norm(e2) else e2
    yaw = wrap_half_turn(math.atan2(axis[1], axis[0]))
    center = np.asarray(rect[0], dtype=float)
    if params.refine == "lsq":
        center, yaw = refine_box(pts.astype(float), center, yaw)
    c, s = math.cos(yaw), math.sin(yaw)
    local = (pts.astype(float) - center) @ np.array([[c, -s], [s, c]])
    lo, hi = local.min(axis=0), local.max(axis=0)
    center = center + np.array([[c, -s], [s, c]]) @ ((lo + hi) / 2.0)
    length, width = float(hi[0] - lo[0]) + grow, float(hi[1] - lo[1]) + grow
    if width > length:
        length, width = width, length
        yaw = wrap_half_turn(yaw + math.pi / 2)
    quality = float(np.clip((fill - params.box_min_fill) / (1.0 - params.box_min_fill) + 0.5, 0, 1))
    return FaceFit("box", (center[0] / _MM, center[1] / _MM), yaw, (length / _MM, width / _MM),
                   fill, quality)  # fmt: skip


def refine_box(pts: FloatArray, center: FloatArray, yaw: float) -> tuple[FloatArray, float]:
    """Refine a rectangle's orientation by least squares on its outline points.

    The points nearest each side of the initial rectangle (its outline) are assigned to
    that side; every side's points are fitted with one shared direction (a total least
    squares fit of four parallel/perpendicular lines), which uses all edge pixels
    instead of the few extreme ones the minimum-area rectangle rests on.
    """
    c, s = math.cos(yaw), math.sin(yaw)
    R = np.array([[c, -s], [s, c]])
    local = (pts - center) @ R
    lo, hi = local.min(axis=0), local.max(axis=0)
    band = 0.12 * float(np.min(hi - lo))
    directions = []
    weights = []
    for axis in (0, 1):
        for bound in (lo[axis], hi[axis]):
            on_side = np.abs(local[:, axis] - bound) < band
            other = 1 - axis
            # keep the middle of the side: corners belong to two sides
            span = local[on_side, other]
            if span.size < 4:
                continue
            keep = np.abs(span - np.median(span)) < 0.4 * (span.max() - span.min())
            side = local[on_side][keep]
            if len(side) < 4:
                continue
            d = side - side.mean(axis=0)
            # Direction of the side in the rectangle frame, rotated to the x axis for y-sides.
            _, _, vt = np.linalg.svd(d, full_matrices=False)
            v = vt[0]
            ang = math.atan2(v[1], v[0]) if axis == 1 else math.atan2(v[1], v[0]) - math.pi / 2
            directions.append(wrap_half_turn(ang))
            weights.append(len(side))
    if not directions:
        return center, yaw
    delta = float(np.average(directions, weights=weights))
    return center, wrap_half_turn(yaw + delta)
