"""What RViz draws of the cell's state: detected parts as ``visualization_msgs``
markers and planned tool paths as ``nav_msgs/msg/Path``.

Every marker array starts with a DELETEALL marker of its namespace, so parts that left
the table disappear from the display with the next frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.ros.convert.base import MessageTypes, duration_msg, header_msg
from jazari.ros.convert.detections import PartDetection
from jazari.ros.convert.geometry import check_rigid, pose_msg
from jazari.ros.errors import ConversionError

PASSED_RGBA = (0.1, 0.8, 0.2, 0.6)
FAILED_RGBA = (0.9, 0.1, 0.1, 0.6)
TEXT_RGBA = (1.0, 1.0, 1.0, 1.0)
TEXT_HEIGHT_M = 0.02
_CUBE, _CYLINDER, _TEXT, _DELETEALL, _ADD = 1, 3, 9, 3, 0


@dataclass(frozen=True, eq=False)
class PartMarker:
    """A detected part as drawn: its detection, shape (``box`` or ``cylinder``) and
    whether it passed inspection."""

    detection: PartDetection
    shape: str
    passed: bool

    def __post_init__(self) -> None:
        if self.shape not in ("box", "cylinder"):
            raise ConversionError(
                f"part {self.detection.detection_id!r}: shape must be box or cylinder, "
                f"got {self.shape!r}"
            )


def _marker(types: MessageTypes, stamp_s: float, frame_id: str, **fields: Any) -> Any:
    """A marker with every field set: ``fields`` over empty defaults."""
    defaults: dict[str, Any] = {
        "header": header_msg(types, stamp_s, frame_id),
        "ns": "",
        "id": 0,
        "type": _CUBE,
        "action": _ADD,
        "pose": pose_msg(types, np.eye(4)),
        "scale": types.get("geometry_msgs/msg/Vector3")(x=1.0, y=1.0, z=1.0),
        "color": _color(types, TEXT_RGBA),
        "lifetime": duration_msg(types, 0.0, "lifetime"),
        "frame_locked": False,
        "points": [],
        "colors": [],
        "texture_resource": "",
        "texture": types.get("sensor_msgs/msg/CompressedImage")(
            header=header_msg(types, stamp_s, frame_id),
            format="",
            data=types.sequence(np.zeros(0, np.uint8)),
        ),
        "uv_coordinates": [],
        "text": "",
        "mesh_resource": "",
        "mesh_file": types.get("visualization_msgs/msg/MeshFile")(
            filename="", data=types.sequence(np.zeros(0, np.uint8))
        ),
        "mesh_use_embedded_materials": False,
    }
    return types.get("visualization_msgs/msg/Marker")(**{**defaults, **fields})


def _color(types: MessageTypes, rgba: Sequence[float]) -> Any:
    r, g, b, a = (float(v) for v in rgba)
    return types.get("std_msgs/msg/ColorRGBA")(r=r, g=g, b=b, a=a)


def part_markers_msg(
    types: MessageTypes,
    parts: Iterable[PartMarker],
    stamp_s: float,
    frame_id: str,
    namespace: str = "parts",
) -> Any:
    """``MarkerArray``: per part a box or cylinder (green passed, red failed) and a label
    with its type and id above it; the first marker clears the namespace."""
    vector = types.get("geometry_msgs/msg/Vector3")
    markers = [_marker(types, stamp_s, frame_id, ns=namespace, action=_DELETEALL)]
    for k, p in enumerate(parts):
        d = p.detection
        sx, sy, sz = (float(v) for v in d.size_m)
        markers.append(
            _marker(types, stamp_s, frame_id, ns=namespace, id=2 * k,
                    type=_CUBE if p.shape == "box" else _CYLINDER,
                    pose=pose_msg(types, d.T_frame_part), scale=vector(x=sx, y=sy, z=sz),
                    color=_color(types, PASSED_RGBA if p.passed else FAILED_RGBA))
        )  # fmt: skip
        label = d.T_frame_part.copy()
        label[:3, :3] = np.eye(3)
        label[2, 3] += sz / 2.0 + TEXT_HEIGHT_M
        markers.append(
            _marker(types, stamp_s, frame_id, ns=namespace, id=2 * k + 1, type=_TEXT,
                    pose=pose_msg(types, label), scale=vector(x=0.0, y=0.0, z=TEXT_HEIGHT_M),
                    text=f"{d.class_id} #{d.detection_id}" + ("" if p.passed else " REJECT"))
        )  # fmt: skip
    return types.get("visualization_msgs/msg/MarkerArray")(markers=markers)


def path_msg(
    types: MessageTypes, T_frame_tcp: Sequence[FloatArray] | FloatArray, stamp_s: float,
    frame_id: str,
) -> Any:  # fmt: skip
    """``nav_msgs/msg/Path`` through the tool poses of a planned motion, in ``frame_id``.

    Raises:
        ConversionError: when a pose is not a rigid transform (naming its index).
    """
    pose_stamped = types.get("geometry_msgs/msg/PoseStamped")
    poses = [
        pose_stamped(
            header=header_msg(types, stamp_s, frame_id),
            pose=pose_msg(types, check_rigid(T, f"T_frame_tcp[{i}]")),
        )
        for i, T in enumerate(T_frame_tcp)
    ]
    return types.get("nav_msgs/msg/Path")(header=header_msg(types, stamp_s, frame_id), poses=poses)
