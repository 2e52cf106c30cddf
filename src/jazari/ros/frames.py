"""RGB-D frames from camera topics: colour, aligned depth and camera_info matched by stamp
(``message_filters``), with the camera's pose from TF at the frame's stamp.

Used by the perception node (which detects in every frame) and by the cell node (whose
camera port waits for the next frame).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from message_filters import ApproximateTimeSynchronizer, Subscriber
from rclpy.callback_groups import CallbackGroup
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from rclpy.time import Time
from tf2_ros import Buffer, TransformException, TransformListener

from jazari.errors import JazariError
from jazari.ports import RGBDFrame
from jazari.ros.convert.base import seconds
from jazari.ros.convert.geometry import matrix_from_transform
from jazari.ros.convert.images import (
    depth_m_from_image_msg,
    intrinsics_from_camera_info,
    rgb_from_image_msg,
)
from jazari.ros.message_types import RclpyMessageTypes

COLOR_TOPIC = "camera/color/image_raw"
DEPTH_TOPIC = "camera/depth/image_raw"
INFO_TOPIC = "camera/color/camera_info"


class FrameSubscriber:
    """Calls ``on_frame`` with every complete frame; logs and skips a frame that cannot be
    used (malformed image, no transform).

    Args:
        node: the node to subscribe on.
        on_frame: called with each frame (in ``group``'s thread).
        base_frame: the frame of ``RGBDFrame.T_base_camera``.
        slop_s: largest stamp difference within a set [s].
        queue_size: messages kept per input while matching.
        tf_timeout_s: how long to wait for the camera's transform [s].
        group: callback group of the subscriptions.
    """

    def __init__(
        self,
        node: Node,
        on_frame: Callable[[RGBDFrame], None],
        *,
        base_frame: str,
        slop_s: float,
        queue_size: int,
        tf_timeout_s: float,
        group: CallbackGroup,
    ) -> None:
        self._node = node
        self._on_frame = on_frame
        self.base_frame = base_frame
        self._tf_timeout = Duration(seconds=tf_timeout_s)
        self._tf = Buffer()
        self._tf_listener = TransformListener(self._tf, node)
        types = RclpyMessageTypes()
        image, info = types.get("sensor_msgs/msg/Image"), types.get("sensor_msgs/msg/CameraInfo")
        qos = qos_profile_sensor_data
        inputs = [
            Subscriber(node, image, COLOR_TOPIC, qos_profile=qos, callback_group=group),
            Subscriber(node, image, DEPTH_TOPIC, qos_profile=qos, callback_group=group),
            Subscriber(node, info, INFO_TOPIC, qos_profile=qos, callback_group=group),
        ]
        self._sync = ApproximateTimeSynchronizer(inputs, queue_size, slop_s)
        self._sync.registerCallback(self._on_messages)

    def _on_messages(self, color: Any, depth: Any, info: Any) -> None:
        try:
            frame = RGBDFrame(
                rgb_from_image_msg(color, "color"),
                depth_m_from_image_msg(depth, "depth"),
                intrinsics_from_camera_info(info),
                self._camera_pose(str(color.header.frame_id), color.header.stamp),
                seconds(color.header.stamp, "color.header.stamp"),
            )
        except (TransformException, JazariError) as exc:
            self._node.get_logger().warning(f"frame skipped: {exc}", throttle_duration_sec=5.0)
            return
        self._on_frame(frame)

    def _camera_pose(self, frame_id: str, stamp: Any) -> Any:
        transform = self._tf.lookup_transform(
            self.base_frame, frame_id, Time.from_msg(stamp), timeout=self._tf_timeout
        )
        return matrix_from_transform(transform.transform, f"TF {self.base_frame} -> {frame_id}")
