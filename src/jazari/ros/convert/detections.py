"""Detections: :class:`PartDetection` values <-> ``vision_msgs/msg/Detection3D(Array)``.

:class:`PartDetection` is the ROS-facing record of one detected part; whatever the
perception core returns is mapped onto it by the caller. One hypothesis per detection
is written (the part's class and score); reading takes the most likely hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.ros.convert.base import MessageTypes, finite_vector, header_msg, numbers
from jazari.ros.convert.geometry import check_rigid, matrix_from_pose, pose_msg
from jazari.ros.errors import ConversionError


@dataclass(frozen=True, eq=False)
class PartDetection:
    """One detected part.

    Attributes:
        detection_id: stable id of the part across frames (``Detection3D.id``).
        class_id: the part's type, e.g. ``"red_box"`` (``ObjectHypothesis.class_id``).
        score: confidence in [0, 1].
        T_frame_part: 4×4 pose of the part's bounding-box centre in the frame of the
            message it travels in.
        size_m: (3,) full edge lengths of the box along the part's x, y, z [m], > 0.
    """

    detection_id: str
    class_id: str
    score: float
    T_frame_part: FloatArray
    size_m: FloatArray

    def __post_init__(self) -> None:
        if not math.isfinite(self.score) or not 0.0 <= self.score <= 1.0:
            raise ConversionError(
                f"score of {self.detection_id!r} must be in [0, 1], got {self.score}"
            )
        object.__setattr__(
            self,
            "T_frame_part",
            check_rigid(self.T_frame_part, f"T_frame_part of {self.detection_id!r}"),
        )
        size = finite_vector(self.size_m, f"size_m of {self.detection_id!r}", 3)
        if np.any(size <= 0):
            raise ConversionError(
                f"size_m of {self.detection_id!r} must be > 0, got {size.tolist()}"
            )
        object.__setattr__(self, "size_m", size)


def detection3d_msg(
    types: MessageTypes, detection: PartDetection, stamp_s: float, frame_id: str
) -> Any:
    """``vision_msgs/msg/Detection3D`` of one part; the box centre is also the
    hypothesis pose (covariance unknown: zeros)."""
    name = f"T_frame_part of {detection.detection_id!r}"
    hypothesis = types.get("vision_msgs/msg/ObjectHypothesisWithPose")(
        hypothesis=types.get("vision_msgs/msg/ObjectHypothesis")(
            class_id=detection.class_id, score=float(detection.score)
        ),
        pose=types.get("geometry_msgs/msg/PoseWithCovariance")(
            pose=pose_msg(types, detection.T_frame_part, name), covariance=np.zeros(36)
        ),
    )
    sx, sy, sz = (float(v) for v in detection.size_m)
    return types.get("vision_msgs/msg/Detection3D")(
        header=header_msg(types, stamp_s, frame_id),
        results=[hypothesis],
        bbox=types.get("vision_msgs/msg/BoundingBox3D")(
            center=pose_msg(types, detection.T_frame_part, name),
            size=types.get("geometry_msgs/msg/Vector3")(x=sx, y=sy, z=sz),
        ),
        id=detection.detection_id,
    )


def detection3d_array_msg(
    types: MessageTypes, detections: Iterable[PartDetection], stamp_s: float, frame_id: str
) -> Any:
    """``vision_msgs/msg/Detection3DArray`` of the parts seen in one frame (stamp and
    frame of that frame)."""
    return types.get("vision_msgs/msg/Detection3DArray")(
        header=header_msg(types, stamp_s, frame_id),
        detections=[detection3d_msg(types, d, stamp_s, frame_id) for d in detections],
    )


def detection_from_msg(msg: Any, field: str = "detection") -> PartDetection:
    """A :class:`PartDetection` from a ``Detection3D``: pose and size from its box, class
    and score from its most likely hypothesis.

    Raises:
        ConversionError: when it has no hypothesis, or its box, pose or score is bad.
    """
    results = list(msg.results)
    if not results:
        raise ConversionError(f"{field}.results is empty: the detection has no class")
    scores = numbers([r.hypothesis.score for r in results], f"{field}.results[].hypothesis.score")
    best = int(np.argmax(scores))
    size = [msg.bbox.size.x, msg.bbox.size.y, msg.bbox.size.z]
    T = matrix_from_pose(msg.bbox.center, f"{field}.bbox.center")
    try:
        return PartDetection(
            detection_id=str(msg.id),
            class_id=str(results[best].hypothesis.class_id),
            score=float(scores[best]),
            T_frame_part=T,
            size_m=np.asarray(size, dtype=float),
        )
    except ConversionError as exc:
        raise ConversionError(f"{field}: {exc}") from None


def detections_from_msg(msg: Any, field: str = "detections") -> list[PartDetection]:
    """Every detection of a ``Detection3DArray``."""
    return [detection_from_msg(d, f"{field}.detections[{i}]") for i, d in enumerate(msg.detections)]
