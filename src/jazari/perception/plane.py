"""Robust estimation of the table plane from a depth image.

RANSAC on a sparse grid of back-projected pixels, with two twists that make it robust
to parts covering much of the table:

* hypotheses must be within ``max_tilt_deg`` of the table orientation the camera's pose
  predicts (the base frame's z axis), so the sides of parts never win;
* hypotheses are drawn from the 40% of samples lowest along that predicted normal,
  where the table's share is largest;
* a hypothesis loses ``behind_penalty`` points for every sample lying more than
  ``behind_margin_m`` *beyond* it (farther from the camera). The table is the surface
  everything else rests on, so almost nothing is behind it, while the top face of a
  part has the whole visible table behind it. The table wins even when parts' top
  faces hold more samples than the visible table.

The winner is refined by a least-squares fit (SVD) to its inliers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jazari.perception.errors import PerceptionConfigError, TablePlaneError

FloatArray = NDArray[np.float64]
_POOL_QUANTILE = 0.4


@dataclass(frozen=True)
class PlaneParams:
    """Settings of :func:`fit_table_plane`.

    Attributes:
        sample_stride_px: one sample every this many pixels in each direction.
        iterations: RANSAC hypotheses.
        inlier_threshold_m: largest distance of an inlier from the plane [m].
        behind_margin_m: samples farther than this beyond a plane count against it [m].
        behind_penalty: score lost per sample behind a plane (inliers score 1).
        max_tilt_deg: largest angle between the plane normal and the predicted one [deg].
        min_inlier_fraction: the table must hold at least this share of the samples.
        seed: seed of the hypothesis sampler (results are deterministic per frame).
    """

    sample_stride_px: int = 12
    iterations: int = 48
    inlier_threshold_m: float = 0.004
    behind_margin_m: float = 0.008
    behind_penalty: float = 2.0
    max_tilt_deg: float = 15.0
    min_inlier_fraction: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("sample_stride_px", "iterations", "inlier_threshold_m", "behind_margin_m"):
            if not getattr(self, name) > 0:
                raise PerceptionConfigError(f"plane.{name} must be > 0, got {getattr(self, name)}")
        for name, hi in (("max_tilt_deg", 90.0), ("min_inlier_fraction", 1.0)):
            if not 0.0 <= getattr(self, name) <= hi:
                raise PerceptionConfigError(
                    f"plane.{name} must be in [0, {hi}], got {getattr(self, name)}"
                )


@dataclass(frozen=True, eq=False)
class Plane:
    """The plane {X : normal · X + offset_m = 0}; ``normal · X + offset_m`` is the signed
    height of X above it [m], positive on the side the normal points to.

    Attributes:
        normal: (3,) unit normal.
        offset_m: signed distance of the frame's origin from the plane [m].
        inlier_fraction: share of the samples that lie on the plane (for diagnostics).
    """

    normal: FloatArray
    offset_m: float
    inlier_fraction: float = 1.0

    def height(self, points: FloatArray) -> FloatArray:
        """Signed heights [m] of points (..., 3) above the plane."""
        return np.asarray(points @ self.normal + self.offset_m)

    def transformed(self, T_new_old: FloatArray) -> Plane:
        """The same plane in another frame, given the 4×4 pose of the old frame in it."""
        n = T_new_old[:3, :3] @ self.normal
        return Plane(n, float(self.offset_m - n @ T_new_old[:3, 3]), self.inlier_fraction)


def _refine(points: FloatArray, up: FloatArray) -> tuple[FloatArray, float]:
    centroid = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centroid, full_matrices=False)
    n = vt[2] if vt[2] @ up > 0 else -vt[2]
    return n, float(-n @ centroid)


def fit_table_plane(
    points: FloatArray, up_hint: FloatArray, params: PlaneParams
) -> Plane:  # fmt: skip
    """The table plane through ``points`` (N, 3), its normal oriented along ``up_hint``.

    Args:
        points: samples of the scene in one frame (usually the camera's) [m].
        up_hint: (3,) the table's expected normal in that frame (toward the camera).
        params: RANSAC settings.

    Raises:
        TablePlaneError: when fewer than 3 samples are given or no hypothesis within
            the tilt limit holds ``min_inlier_fraction`` of them.
    """
    n_pts = len(points)
    if n_pts < 3:
        raise TablePlaneError(f"need at least 3 depth samples to find the table, got {n_pts}")
    up = np.asarray(up_hint, dtype=float) / np.linalg.norm(up_hint)
    rng = np.random.default_rng(params.seed)
    # Hypotheses are drawn from the samples lowest along the expected normal: the table
    # lies below everything on it, so they hold most of its points even when parts
    # cover most of the view.
    pool = np.flatnonzero(points @ up <= np.quantile(points @ up, _POOL_QUANTILE))
    idx = pool[rng.integers(0, pool.size, size=(params.iterations, 3))]
    p0, p1, p2 = points[idx[:, 0]], points[idx[:, 1]], points[idx[:, 2]]
    normals = np.cross(p1 - p0, p2 - p0)
    norms = np.linalg.norm(normals, axis=1)
    ok = norms > 1e-9
    normals[ok] /= norms[ok, None]
    normals *= np.where(normals @ up < 0, -1.0, 1.0)[:, None]
    ok &= normals @ up >= np.cos(np.radians(params.max_tilt_deg))
    if not ok.any():
        raise TablePlaneError(
            f"no plane within {params.max_tilt_deg}° of the expected table orientation"
        )
    normals, p0 = normals[ok], p0[ok]
    offsets = -np.einsum("ij,ij->i", normals, p0)
    heights = points @ normals.T + offsets  # (N, K)
    inliers = np.abs(heights) < params.inlier_threshold_m
    behind = heights < -params.behind_margin_m
    score = inliers.sum(axis=0) - params.behind_penalty * behind.sum(axis=0)
    best = int(np.argmax(score))
    mask = inliers[:, best]
    if mask.mean() < params.min_inlier_fraction:
        raise TablePlaneError(
            f"the best table hypothesis holds {mask.mean():.1%} of the depth samples, "
            f"less than min_inlier_fraction {params.min_inlier_fraction:.1%}"
        )
    n, d = _refine(points[mask], up)
    for _ in range(2):  # re-select inliers around the least-squares plane, then refit
        mask = np.abs(points @ n + d) < params.inlier_threshold_m
        n, d = _refine(points[mask], up)
    return Plane(n, d, float(mask.mean()))
