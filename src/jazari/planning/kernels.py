"""Batched geometric tests between collision primitives.

All functions work on stacks: leading dimensions broadcast, the last one or two hold the
vector or matrix. Boxes are given by a rotation whose columns are the box axes in the
common frame, a centre and half extents [m]. Distances are Euclidean [m]; "gap" values
are lower bounds of the distance (positive: apart, ≤ 0: overlapping).
"""

from __future__ import annotations

import numpy as np

from jazari.geometry.transforms import FloatArray

_I1 = np.array([1, 2, 0])
_I2 = np.array([2, 0, 1])
# Edge axes A_i × B_j whose length is below this are (anti)parallel edge pairs; they
# cannot separate boxes that the face axes do not, so they are skipped.
_PARALLEL = 1e-6


def point_box_distance(p_local: FloatArray, half: FloatArray) -> FloatArray:
    """Distance from points to boxes, points given in the box frame (0 inside)."""
    d = np.maximum(np.abs(p_local) - half, 0.0)
    out: FloatArray = np.sqrt(np.einsum("...i,...i->...", d, d))
    return out


def point_cylinder_distance(
    p_local: FloatArray, radius: FloatArray, half_height: FloatArray
) -> FloatArray:
    """Distance from points to solid cylinders (axis z), points in the cylinder frame."""
    radial = np.maximum(np.hypot(p_local[..., 0], p_local[..., 1]) - radius, 0.0)
    axial = np.maximum(np.abs(p_local[..., 2]) - half_height, 0.0)
    out: FloatArray = np.hypot(radial, axial)
    return out


def to_local(p: FloatArray, R: FloatArray, t: FloatArray) -> FloatArray:
    """Points ``p`` (..., 3) expressed in frames (R, t): Rᵀ (p − t)."""
    out: FloatArray = (np.swapaxes(R, -1, -2) @ (p - t)[..., None])[..., 0]
    return out


def box_box_gap(
    Ra: FloatArray, ta: FloatArray, ea: FloatArray, Rb: FloatArray, tb: FloatArray, eb: FloatArray
) -> FloatArray:
    """Separating-axis test of oriented boxes A and B, as a signed gap [m].

    Returns the largest separation over the 15 candidate axes (3 face normals of each
    box and the 9 edge cross products). It is positive exactly when the boxes are apart,
    and then a lower bound of their distance; it is ≤ 0 when they overlap.
    """
    RaT = np.swapaxes(Ra, -1, -2)
    R = RaT @ Rb  # R_ij = A_i · B_j
    t = (RaT @ (tb - ta)[..., None])[..., 0]  # B's centre in A's frame
    absR = np.abs(R) + 1e-12
    face_a = np.abs(t) - ea - (absR @ eb[..., None])[..., 0]
    face_b = np.abs((t[..., None, :] @ R)[..., 0, :]) - eb - (ea[..., None, :] @ absR)[..., 0, :]
    proj = t[..., _I2, None] * R[..., _I1, :] - t[..., _I1, None] * R[..., _I2, :]
    r_a = ea[..., _I1, None] * absR[..., _I2, :] + ea[..., _I2, None] * absR[..., _I1, :]
    r_b = eb[..., None, _I1] * absR[..., :, _I2] + eb[..., None, _I2] * absR[..., :, _I1]
    norm = np.sqrt(np.maximum(1.0 - R * R, 0.0))
    edge = np.where(
        norm > _PARALLEL, (np.abs(proj) - r_a - r_b) / np.maximum(norm, _PARALLEL), -np.inf
    )
    gap: FloatArray = np.maximum(
        np.maximum(face_a.max(axis=-1), face_b.max(axis=-1)), edge.max(axis=(-2, -1))
    )
    return gap
