"""Poses and transforms: 4×4 matrices <-> ``geometry_msgs`` Pose/Transform and TF.

ROS orders quaternions (x, y, z, w); the order is converted only by
:mod:`jazari.geometry.transforms`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from jazari.geometry.transforms import (
    FloatArray,
    GeometryError,
    make_transform,
    matrix_to_quat_xyzw,
    rotation_from_quat_xyzw,
)
from jazari.ros.convert.base import MessageTypes, finite_vector, header_msg
from jazari.ros.errors import ConversionError

# How far from 1 a received quaternion's norm may be: loose enough for hand-written
# values such as (0, 0, 0.7071, 0.7071), tight enough to reject uninitialised or
# garbage rotations instead of silently normalising them.
QUATERNION_NORM_TOLERANCE = 1e-2
_RIGID_TOLERANCE = 1e-6


def check_rigid(T: FloatArray, name: str) -> FloatArray:
    """``T`` as a 4×4 float64 rigid transform (orthonormal, right-handed rotation).

    Raises:
        ConversionError: naming ``name`` and what is wrong with it.
    """
    M = np.asarray(T, dtype=float)
    if M.shape != (4, 4):
        raise ConversionError(f"{name} must be a 4x4 matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ConversionError(f"{name} must be finite, got {M.tolist()}")
    if not np.allclose(M[3], [0.0, 0.0, 0.0, 1.0], atol=_RIGID_TOLERANCE):
        raise ConversionError(f"{name}'s last row must be [0, 0, 0, 1], got {M[3].tolist()}")
    R = M[:3, :3]
    if not np.allclose(R.T @ R, np.eye(3), atol=_RIGID_TOLERANCE) or np.linalg.det(R) <= 0:
        raise ConversionError(f"{name}'s rotation is not a proper rotation: {R.tolist()}")
    return M


def _quaternion_msg(types: MessageTypes, T: FloatArray) -> Any:
    x, y, z, w = matrix_to_quat_xyzw(T[:3, :3])
    return types.get("geometry_msgs/msg/Quaternion")(x=float(x), y=float(y), z=float(z), w=float(w))


def _rotation(q: Any, field: str) -> FloatArray:
    xyzw = finite_vector([q.x, q.y, q.z, q.w], field, 4)
    norm = float(np.linalg.norm(xyzw))
    if abs(norm - 1.0) > QUATERNION_NORM_TOLERANCE:
        raise ConversionError(
            f"{field} (x, y, z, w) = {tuple(xyzw.tolist())} has norm {norm:.6g}, not 1"
        )
    try:
        return rotation_from_quat_xyzw(xyzw)
    except GeometryError as exc:
        raise ConversionError(f"{field}: {exc}") from None


def _xyz(v: Any, field: str) -> FloatArray:
    return finite_vector([v.x, v.y, v.z], field, 3)


def pose_msg(types: MessageTypes, T: FloatArray, name: str = "pose") -> Any:
    """``geometry_msgs/msg/Pose`` of a 4×4 pose (position [m], orientation)."""
    M = check_rigid(T, name)
    x, y, z = (float(v) for v in M[:3, 3])
    return types.get("geometry_msgs/msg/Pose")(
        position=types.get("geometry_msgs/msg/Point")(x=x, y=y, z=z),
        orientation=_quaternion_msg(types, M),
    )


def matrix_from_pose(msg: Any, field: str = "pose") -> FloatArray:
    """The 4×4 matrix of a ``geometry_msgs/msg/Pose``."""
    return make_transform(
        _rotation(msg.orientation, f"{field}.orientation"), _xyz(msg.position, f"{field}.position")
    )


def transform_msg(types: MessageTypes, T: FloatArray, name: str = "transform") -> Any:
    """``geometry_msgs/msg/Transform`` of a 4×4 transform (translation [m], rotation)."""
    M = check_rigid(T, name)
    x, y, z = (float(v) for v in M[:3, 3])
    return types.get("geometry_msgs/msg/Transform")(
        translation=types.get("geometry_msgs/msg/Vector3")(x=x, y=y, z=z),
        rotation=_quaternion_msg(types, M),
    )


def matrix_from_transform(msg: Any, field: str = "transform") -> FloatArray:
    """The 4×4 matrix of a ``geometry_msgs/msg/Transform``."""
    return make_transform(
        _rotation(msg.rotation, f"{field}.rotation"), _xyz(msg.translation, f"{field}.translation")
    )


def transform_stamped_msg(
    types: MessageTypes,
    T_parent_child: FloatArray,
    parent_frame: str,
    child_frame: str,
    stamp_s: float,
) -> Any:
    """``geometry_msgs/msg/TransformStamped``: the pose of ``child_frame`` in
    ``parent_frame`` at ``stamp_s`` [s] (what TF calls the transform parent -> child)."""
    if not parent_frame or not child_frame or parent_frame == child_frame:
        raise ConversionError(
            f"a transform needs two different frame names, got {parent_frame!r} -> {child_frame!r}"
        )
    return types.get("geometry_msgs/msg/TransformStamped")(
        header=header_msg(types, stamp_s, parent_frame),
        child_frame_id=child_frame,
        transform=transform_msg(types, T_parent_child, f"T_{parent_frame}_{child_frame}"),
    )


def tf_message(types: MessageTypes, transforms: Iterable[Any]) -> Any:
    """``tf2_msgs/msg/TFMessage`` holding ``TransformStamped`` messages."""
    return types.get("tf2_msgs/msg/TFMessage")(transforms=list(transforms))
