"""Conversions between Jazari's core values and ROS 2 messages, by field name.

Pure functions without rclpy: each takes a :class:`MessageTypes` provider that gives the
message classes (rclpy's generated classes in a node, rosbags' dataclasses when
recording and in tests) and builds messages with keyword arguments for every field.
Readers accept either kind of message. A malformed message raises
:class:`jazari.ros.errors.ConversionError` naming the field and the value.

Modules: :mod:`.images` (colour, depth, camera info), :mod:`.clouds` (PointCloud2),
:mod:`.geometry` (poses, transforms, TF), :mod:`.joints` (joint states),
:mod:`.trajectories` (joint trajectories, FollowJointTrajectory goals),
:mod:`.detections` (vision_msgs), :mod:`.diagnostics` (drive telemetry).
"""

from jazari.ros.convert.base import MessageTypes, duration_msg, header_msg, seconds, time_msg
from jazari.ros.convert.clouds import arrays_from_pointcloud2, pointcloud2_msg
from jazari.ros.convert.detections import (
    PartDetection,
    detection3d_array_msg,
    detection3d_msg,
    detection_from_msg,
    detections_from_msg,
)
from jazari.ros.convert.diagnostics import (
    DriveDiagnosticLimits,
    drive_diagnostics_msg,
    drive_level,
)
from jazari.ros.convert.geometry import (
    matrix_from_pose,
    matrix_from_transform,
    pose_msg,
    tf_message,
    transform_msg,
    transform_stamped_msg,
)
from jazari.ros.convert.images import (
    camera_info_msg,
    color_image_msg,
    depth_image_msg,
    depth_m_from_image_msg,
    intrinsics_from_camera_info,
    rgb_from_image_msg,
)
from jazari.ros.convert.joints import drive_state_from_joint_state, joint_positions, joint_state_msg
from jazari.ros.convert.trajectories import (
    follow_joint_trajectory_goal,
    joint_trajectory_from_goal,
    joint_trajectory_from_msg,
    joint_trajectory_msg,
)

__all__ = [
    "DriveDiagnosticLimits",
    "MessageTypes",
    "PartDetection",
    "arrays_from_pointcloud2",
    "camera_info_msg",
    "color_image_msg",
    "depth_image_msg",
    "depth_m_from_image_msg",
    "detection3d_array_msg",
    "detection3d_msg",
    "detection_from_msg",
    "detections_from_msg",
    "drive_diagnostics_msg",
    "drive_level",
    "drive_state_from_joint_state",
    "duration_msg",
    "follow_joint_trajectory_goal",
    "header_msg",
    "intrinsics_from_camera_info",
    "joint_positions",
    "joint_state_msg",
    "joint_trajectory_from_goal",
    "joint_trajectory_from_msg",
    "joint_trajectory_msg",
    "matrix_from_pose",
    "matrix_from_transform",
    "pointcloud2_msg",
    "pose_msg",
    "rgb_from_image_msg",
    "seconds",
    "tf_message",
    "time_msg",
    "transform_msg",
    "transform_stamped_msg",
]
