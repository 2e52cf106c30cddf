"""``perception_node``: parts seen and inspected in each RGB-D frame.

In: ``camera/color/image_raw``, ``camera/depth/image_raw`` (aligned to colour) and
``camera/color/camera_info``, matched by stamp (``message_filters``), and the camera's
pose in ``base_frame`` from TF at the frame's stamp.

Out, one of each per frame, stamped with the frame's time, poses in ``base_frame``:
``detections`` (``vision_msgs/msg/Detection3DArray``: class = the catalogue type the
inspection identified, id = the part's id, stable while it stays put),
``inspections`` (``jazari_interfaces/msg/InspectionResultArray``) and
``detection_markers`` (RViz), and ``camera/points`` (``sensor_msgs/msg/PointCloud2`` of
every ``cloud_stride_px``-th pixel, in ``base_frame``; 0 turns it off). A frame that
cannot be used (no table plane, no transform) is reported in the log and skipped.

Parameters: ``config/perception.yaml``, ``quality.yaml``, ``parts.yaml``.
"""

from __future__ import annotations

from typing import Any

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node

from jazari.cell.vision import CellVision
from jazari.errors import JazariError
from jazari.perception.detector import PartDetector
from jazari.perception.params import DetectorParams
from jazari.ports import RGBDFrame
from jazari.quality.catalogue import part_types_from_params
from jazari.quality.inspector import InspectionParams, Inspector
from jazari.ros.convert.clouds import pointcloud2_msg
from jazari.ros.convert.detections import detection3d_array_msg
from jazari.ros.convert.inspection import inspection_array_msg, part_detection
from jazari.ros.convert.markers import PartMarker, part_markers_msg
from jazari.ros.display import frame_cloud
from jazari.ros.frames import FrameSubscriber
from jazari.ros.message_types import RclpyMessageTypes
from jazari.ros.node_schemas import PARTS, PERCEPTION, QUALITY, schema
from jazari.ros.param_schema import group_values, nest
from jazari.ros.parameters import declare_from_schema
from jazari.ros.runtime import run_nodes


class PerceptionNode(Node):  # type: ignore[misc]  # rclpy is untyped without ROS
    """Detection and inspection of every synchronised frame."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "perception_node", automatically_declare_parameters_from_overrides=True, **kwargs
        )
        values = declare_from_schema(self, schema("perception_node"))
        own = nest(values)
        detector = PartDetector(DetectorParams.from_params(group_values(values, PERCEPTION)))
        inspector = Inspector(
            part_types_from_params(group_values(values, PARTS)),
            InspectionParams(**group_values(values, QUALITY)),
        )
        self._vision = CellVision(detector, inspector)
        self._base_frame = str(own["base_frame"])
        self._types = types = RclpyMessageTypes()
        self._detections_pub = self.create_publisher(
            types.get("vision_msgs/msg/Detection3DArray"), "detections", 10
        )
        self._inspections_pub = self.create_publisher(
            types.get("jazari_interfaces/msg/InspectionResultArray"), "inspections", 10
        )
        self._markers_pub = self.create_publisher(
            types.get("visualization_msgs/msg/MarkerArray"), "detection_markers", 10
        )
        self._cloud_stride = int(own["cloud_stride_px"])
        self._cloud_pub = self.create_publisher(
            types.get("sensor_msgs/msg/PointCloud2"), "camera/points", 2
        )
        self._frames = FrameSubscriber(
            self, self._on_frame, base_frame=self._base_frame,
            slop_s=float(own["sync_slop_s"]), queue_size=int(own["queue_size"]),
            tf_timeout_s=float(own["tf_timeout_s"]),
            group=MutuallyExclusiveCallbackGroup(),  # one frame at a time
        )  # fmt: skip

    def _on_frame(self, frame: RGBDFrame) -> None:
        if self._cloud_stride > 0:
            xyz, rgb = frame_cloud(frame, self._cloud_stride)
            self._cloud_pub.publish(
                pointcloud2_msg(self._types, xyz, rgb, frame.stamp_s, self._base_frame)
            )
        try:
            seen = self._vision.look(frame)
        except JazariError as exc:
            self.get_logger().warning(f"frame skipped: {exc}", throttle_duration_sec=5.0)
            return
        stamp_s = frame.stamp_s
        types, base = self._types, self._base_frame
        parts = [(str(s.id), s) for s in seen]
        detections = [part_detection(pid, s.detection, s.verdict) for pid, s in parts]
        self._detections_pub.publish(detection3d_array_msg(types, detections, stamp_s, base))
        self._inspections_pub.publish(
            inspection_array_msg(types, [(pid, s.verdict) for pid, s in parts], stamp_s, base)
        )
        markers = [
            PartMarker(d, s.detection.shape, s.good)
            for d, (_, s) in zip(detections, parts, strict=True)
        ]
        self._markers_pub.publish(part_markers_msg(types, markers, stamp_s, base))


def main(args: list[str] | None = None) -> None:
    """Run the perception node until shutdown."""
    run_nodes(lambda: [PerceptionNode()], args)


if __name__ == "__main__":
    main()
