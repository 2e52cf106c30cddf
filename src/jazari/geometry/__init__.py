"""Rigid transforms and rotation conventions.

Quaternions: transforms3d orders them (w, x, y, z); ROS messages order them
(x, y, z, w). :mod:`jazari.geometry.transforms` is the one place that converts.
"""

from jazari.geometry.transforms import (
    axis_angle_matrix,
    invert,
    make_transform,
    pose_error,
    quat_wxyz_to_xyzw,
    quat_xyzw_to_wxyz,
    rotation_from_quat_xyzw,
    rpy_to_matrix,
    transform_from_xyz_rpy,
)

__all__ = [
    "axis_angle_matrix",
    "invert",
    "make_transform",
    "pose_error",
    "quat_wxyz_to_xyzw",
    "quat_xyzw_to_wxyz",
    "rotation_from_quat_xyzw",
    "rpy_to_matrix",
    "transform_from_xyz_rpy",
]
