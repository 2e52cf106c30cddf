"""Homogeneous transforms (4×4, float64) and rotation helpers.

Naming: ``T_a_b`` is the pose of frame b expressed in frame a, so
``T_a_c = T_a_b @ T_b_c`` and ``p_a = T_a_b @ p_b``.
"""

from __future__ import annotations

import numpy as np
import transforms3d
from numpy.typing import ArrayLike, NDArray

from jazari.errors import JazariError

FloatArray = NDArray[np.float64]


class GeometryError(JazariError, ValueError):
    """A transform, rotation or quaternion is malformed."""


def make_transform(R: ArrayLike, p: ArrayLike) -> FloatArray:
    """A 4×4 transform from a 3×3 rotation and a translation [m]."""
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = p
    return T


def invert(T: FloatArray) -> FloatArray:
    """Inverse of a rigid transform (or of a stack of them, shape (..., 4, 4))."""
    R = T[..., :3, :3]
    p = T[..., :3, 3]
    Rt = np.swapaxes(R, -1, -2)
    out = np.zeros_like(T)
    out[..., :3, :3] = Rt
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", Rt, p)
    out[..., 3, 3] = 1.0
    return out


def rpy_to_matrix(roll: float, pitch: float, yaw: float) -> FloatArray:
    """Rotation of URDF/ROS fixed-axis roll, pitch, yaw [rad]: Rz(yaw) Ry(pitch) Rx(roll)."""
    return np.asarray(transforms3d.euler.euler2mat(roll, pitch, yaw, "sxyz"), dtype=float)


def transform_from_xyz_rpy(xyz: ArrayLike, rpy: ArrayLike) -> FloatArray:
    """A 4×4 transform from a URDF ``<origin xyz=... rpy=...>`` [m, rad]."""
    r = np.asarray(rpy, dtype=float)
    return make_transform(rpy_to_matrix(float(r[0]), float(r[1]), float(r[2])), xyz)


def axis_angle_matrix(axis: FloatArray, angle: FloatArray) -> FloatArray:
    """Rotations about a unit ``axis`` (3,) by each of ``angle`` (N,) [rad]; shape (N, 3, 3)."""
    a = np.asarray(angle, dtype=float)
    x, y, z = axis
    c, s = np.cos(a), np.sin(a)
    C = 1.0 - c
    R = np.empty((*a.shape, 3, 3))
    R[..., 0, 0] = c + x * x * C
    R[..., 0, 1] = x * y * C - z * s
    R[..., 0, 2] = x * z * C + y * s
    R[..., 1, 0] = y * x * C + z * s
    R[..., 1, 1] = c + y * y * C
    R[..., 1, 2] = y * z * C - x * s
    R[..., 2, 0] = z * x * C - y * s
    R[..., 2, 1] = z * y * C + x * s
    R[..., 2, 2] = c + z * z * C
    return R


def rotation_log(R: FloatArray) -> FloatArray:
    """Rotation vector (axis × angle [rad]) of rotation matrices, shape (..., 3).

    Accurate near 0 and near π (where the naive formula divides by sin θ ≈ 0).
    """
    R = np.asarray(R, dtype=float)
    cos_t = np.clip((np.trace(R, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)
    theta = np.arccos(cos_t)
    v = np.stack(
        [R[..., 2, 1] - R[..., 1, 2], R[..., 0, 2] - R[..., 2, 0], R[..., 1, 0] - R[..., 0, 1]],
        axis=-1,
    )
    sin_t = np.sin(theta)
    small = sin_t < 1e-6
    scale = np.where(small, 0.5 + theta**2 / 12.0, theta / (2.0 * np.where(small, 1.0, sin_t)))
    out: FloatArray = v * scale[..., None]
    near_pi = small & (cos_t < 0.0)
    if np.any(near_pi):
        # θ ≈ π: the axis is the dominant column of (R + I) / 2, sign taken from v.
        for i in map(tuple, np.argwhere(near_pi)):
            B = (R[i] + np.eye(3)) / 2.0
            k = int(np.argmax(np.diag(B)))
            axis = B[:, k] / np.sqrt(max(B[k, k], 1e-300))
            if np.dot(axis, v[i]) < 0:
                axis = -axis
            out[i] = axis * theta[i]
    return out


def pose_error(T_current: FloatArray, T_target: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Position [m] and orientation [rad] errors between poses, both in the base frame.

    Returns:
        ``(dp, dw)``: ``dp = p_target - p_current`` and ``dw`` the rotation vector of
        ``R_target R_currentᵀ``; shapes (..., 3).
    """
    dp = T_target[..., :3, 3] - T_current[..., :3, 3]
    dR = T_target[..., :3, :3] @ np.swapaxes(T_current[..., :3, :3], -1, -2)
    return dp, rotation_log(dR)


def quat_wxyz_to_xyzw(q: ArrayLike) -> FloatArray:
    """Reorder a transforms3d quaternion (w, x, y, z) to ROS order (x, y, z, w)."""
    w, x, y, z = np.asarray(q, dtype=float)
    return np.array([x, y, z, w])


def quat_xyzw_to_wxyz(q: ArrayLike) -> FloatArray:
    """Reorder a ROS quaternion (x, y, z, w) to transforms3d order (w, x, y, z)."""
    x, y, z, w = np.asarray(q, dtype=float)
    return np.array([w, x, y, z])


def rotation_from_quat_xyzw(q: ArrayLike) -> FloatArray:
    """Rotation matrix of a ROS-ordered quaternion (x, y, z, w); it is normalised first.

    Raises:
        GeometryError: when the quaternion is not finite or has zero norm.
    """
    qa = np.asarray(q, dtype=float)
    norm = float(np.linalg.norm(qa))
    if qa.shape != (4,) or not np.isfinite(norm) or norm < 1e-12:
        raise GeometryError(
            f"quaternion (x, y, z, w) must be 4 finite values with non-zero norm, got {q!r}"
        )
    return np.asarray(transforms3d.quaternions.quat2mat(quat_xyzw_to_wxyz(qa / norm)), dtype=float)


def matrix_to_quat_xyzw(R: ArrayLike) -> FloatArray:
    """ROS-ordered quaternion (x, y, z, w) of a rotation matrix, with w ≥ 0."""
    q = np.asarray(transforms3d.quaternions.mat2quat(np.asarray(R, dtype=float)), dtype=float)
    if q[0] < 0:
        q = -q
    return quat_wxyz_to_xyzw(q)
