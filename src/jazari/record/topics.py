"""The cell's topics: names, message types and the QoS their publishers offer.

These are the names the ROS nodes publish under (relative to the cell's namespace)
and the topics ``jazari demo`` records, so a recording plays back into the same graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)

from jazari.record.errors import RecordError

# (0, 0) is rmw's "unspecified": the middleware default (no deadline, infinite lifespan).
_UNSPECIFIED = QosTime(0, 0)


def qos_profile(*, depth: int = 10, transient_local: bool = False) -> Qos:
    """A reliable keep-last QoS profile as a publisher offers it.

    Args:
        depth: history depth (messages kept for late or slow readers), >= 1.
        transient_local: latch the last ``depth`` messages for subscribers that join
            later (what ``/tf_static`` and ``/robot_description`` use).
    """
    if depth < 1:
        raise RecordError(f"QoS depth must be >= 1, got {depth}")
    return Qos(
        history=QosHistory.KEEP_LAST,
        depth=depth,
        reliability=QosReliability.RELIABLE,
        durability=QosDurability.TRANSIENT_LOCAL if transient_local else QosDurability.VOLATILE,
        deadline=_UNSPECIFIED,
        lifespan=_UNSPECIFIED,
        liveliness=QosLiveliness.AUTOMATIC,
        liveliness_lease_duration=_UNSPECIFIED,
        avoid_ros_namespace_conventions=False,
    )


QOS_DEFAULT = qos_profile()
# tf2's static broadcaster and robot_state_publisher latch one message (depth 1).
QOS_LATCHED = qos_profile(depth=1, transient_local=True)

_TOPIC_NAME = re.compile(r"^/(?:[A-Za-z_][A-Za-z0-9_]*)(?:/[A-Za-z_][A-Za-z0-9_]*)*$")
_MESSAGE_TYPE = re.compile(r"^[a-z][a-z0-9_]*/msg/[A-Z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class TopicSpec:
    """A recorded topic.

    Attributes:
        topic: absolute ROS name, e.g. ``"/camera/color/image_raw"``.
        msgtype: message type, e.g. ``"sensor_msgs/msg/Image"``.
        qos: the QoS profile its publisher offers (stored with the recording, used by
            ``ros2 bag play`` to publish it again).
    """

    topic: str
    msgtype: str
    qos: Qos = QOS_DEFAULT

    def __post_init__(self) -> None:
        if not _TOPIC_NAME.match(self.topic):
            raise RecordError(
                f"topic name must be an absolute ROS name like '/a/b_c', got {self.topic!r}"
            )
        if not _MESSAGE_TYPE.match(self.msgtype):
            raise RecordError(
                f"message type must look like 'pkg/msg/Name', got {self.msgtype!r} for {self.topic}"
            )


COLOR_IMAGE = TopicSpec("/camera/color/image_raw", "sensor_msgs/msg/Image")
COLOR_CAMERA_INFO = TopicSpec("/camera/color/camera_info", "sensor_msgs/msg/CameraInfo")
# Depth is aligned to the colour image: same intrinsics and optical frame.
DEPTH_IMAGE = TopicSpec("/camera/depth/image_raw", "sensor_msgs/msg/Image")
DEPTH_CAMERA_INFO = TopicSpec("/camera/depth/camera_info", "sensor_msgs/msg/CameraInfo")
POINTS = TopicSpec("/camera/depth/points", "sensor_msgs/msg/PointCloud2")
JOINT_STATES = TopicSpec("/joint_states", "sensor_msgs/msg/JointState")
TF = TopicSpec("/tf", "tf2_msgs/msg/TFMessage", qos_profile(depth=100))
# Record every static transform in ONE message: with depth 1 a player latches only the
# last /tf_static message it published.
TF_STATIC = TopicSpec("/tf_static", "tf2_msgs/msg/TFMessage", QOS_LATCHED)
ROBOT_DESCRIPTION = TopicSpec("/robot_description", "std_msgs/msg/String", QOS_LATCHED)
DETECTIONS = TopicSpec("/detections", "vision_msgs/msg/Detection3DArray")
INSPECTIONS = TopicSpec("/inspections", "jazari_interfaces/msg/InspectionResultArray")
PLANNED_TRAJECTORY = TopicSpec("/planned_trajectory", "trajectory_msgs/msg/JointTrajectory")
CELL_STATE = TopicSpec("/cell_state", "jazari_interfaces/msg/CellState")
DIAGNOSTICS = TopicSpec("/diagnostics", "diagnostic_msgs/msg/DiagnosticArray")

CELL_TOPICS: tuple[TopicSpec, ...] = (
    COLOR_IMAGE,
    COLOR_CAMERA_INFO,
    DEPTH_IMAGE,
    DEPTH_CAMERA_INFO,
    POINTS,
    JOINT_STATES,
    TF,
    TF_STATIC,
    ROBOT_DESCRIPTION,
    DETECTIONS,
    INSPECTIONS,
    PLANNED_TRAJECTORY,
    CELL_STATE,
    DIAGNOSTICS,
)
