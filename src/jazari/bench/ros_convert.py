"""ROS message conversion: a camera image and a point cloud to and from ROS 2 messages.

Jazari's conversions (:mod:`jazari.ros.convert`) with rosbags' Jazzy message classes
(``jazari``) and with the ``array.array`` sequences rclpy stores
(``jazari_rclpy_containers``: one more copy into a fresh buffer, whose first-touch page
faults dominate for the 4.8 MB cloud), against:

- ``naive_per_element``: the same messages filled one element at a time in Python
  (a list of pixel values for an image, ``struct.pack_into`` per point for a cloud,
  as ROS 1's ``point_cloud2.create_cloud`` did);
- ``pointcloud2``: the ``pointcloud2`` package's ``create_cloud``/``read_points`` (a
  port of ROS 2's ``sensor_msgs_py.point_cloud2``), fed as its users do;
- ``rosbags_image``: ``rosbags.image``'s decoder (OpenCV colour conversion).

Library peers are measured when installed (the ``bench`` extra). Each peer's output is
checked against Jazari's (``same_output``), so only equal work is compared. Target:
a 640×480 image and a 300k-point cloud each in <= 2 ms.
"""

from __future__ import annotations

import argparse
import array
import importlib
import importlib.util
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jazari.bench.report import BenchResult, ratio, summarize
from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert import (
    arrays_from_pointcloud2,
    color_image_msg,
    depth_image_msg,
    pointcloud2_msg,
    rgb_from_image_msg,
)
from jazari.ros.convert.base import MessageTypes
from jazari.ros.message_types import RclpyMessageTypes

STATS = ("median", "p95")
TARGET_MS = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench ros_convert``."""
    parser.add_argument("--width", type=int, default=640, help="image width [px]")
    parser.add_argument("--height", type=int, default=480, help="image height [px]")
    parser.add_argument("--points", type=int, default=300_000, help="points in the cloud")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per Jazari case")
    parser.add_argument("--peer-repeats", type=int, default=3, help="timed calls per naive case")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random image and cloud")
    parser.add_argument(
        "--quick", action="store_true", help="a 64x48 image, 3000 points, 3 repeats (smoke test)"
    )


def _time_ms(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    fn()  # warm-up: first-call costs (class caches, page faults) are not conversion
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return summarize(samples, STATS)


class _RclpyContainers:
    """rosbags' classes with rclpy's ``array.array`` sequences: the cost a ROS node pays
    to fill its messages' arrays (rclpy's own per-message overhead not included)."""

    def __init__(self, base: RosbagsMessageTypes) -> None:
        self.base = base
        self.rclpy = RclpyMessageTypes()

    def get(self, name: str) -> type[Any]:
        return self.base.get(name)

    def sequence(self, values: NDArray[Any]) -> Any:
        return self.rclpy.sequence(values)


def _naive_image_data(rgb: NDArray[np.uint8]) -> array.array[int]:
    return array.array("B", [int(v) for v in rgb.reshape(-1)])


def _naive_depth_data(depth: NDArray[np.float32]) -> bytearray:
    flat = depth.reshape(-1)
    out = bytearray(4 * flat.size)
    for i, v in enumerate(flat.tolist()):
        struct.pack_into("<f", out, 4 * i, v)
    return out


def _naive_cloud_data(xyz: NDArray[np.float64], rgb: NDArray[np.uint8]) -> bytearray:
    out = bytearray(16 * len(xyz))
    for i, ((x, y, z), (r, g, b)) in enumerate(zip(xyz.tolist(), rgb.tolist(), strict=True)):
        struct.pack_into("<fffI", out, 16 * i, x, y, z, 0xFF000000 | (r << 16) | (g << 8) | b)
    return out


def _pointcloud2_peer(
    xyz: NDArray[np.float64], rgb: NDArray[np.uint8], jazari_msg: Any, repeats: int
) -> dict[str, Any]:
    # Optional peers are imported by name so that type checking does not need them.
    pointcloud2 = importlib.import_module("pointcloud2")
    field = pointcloud2.PointField
    fields = [
        field("x", 0, field.FLOAT32),
        field("y", 4, field.FLOAT32),
        field("z", 8, field.FLOAT32),
        field("rgb", 12, field.FLOAT32),
    ]
    header = jazari_msg.header

    def encode() -> Any:
        # What a sensor_msgs_py user writes: pack the colour into a float32, stack columns.
        packed = (
            np.uint32(0xFF000000)
            | (rgb[:, 0].astype(np.uint32) << 16)
            | (rgb[:, 1].astype(np.uint32) << 8)
            | rgb[:, 2]
        ).view(np.float32)
        points = np.column_stack([xyz.astype(np.float32), packed])
        return pointcloud2.create_cloud(header, fields, points)

    def decode() -> tuple[NDArray[np.float64], NDArray[np.uint8]]:
        points = pointcloud2.read_points(jazari_msg)
        xyz_out = np.column_stack([points["x"], points["y"], points["z"]]).astype(np.float64)
        bits = points["rgb"].view(np.uint32)
        rgb_out = np.column_stack([(bits >> s) & 0xFF for s in (16, 8, 0)]).astype(np.uint8)
        return xyz_out, rgb_out

    same = bytes(encode().data) == np.asarray(jazari_msg.data).tobytes()
    return {
        "cloud_ms": _time_ms(encode, 3),
        "cloud_decode_ms": _time_ms(decode, 3),
        "same_output": bool(same and np.array_equal(decode()[1], rgb)),
    }


def _encode_times(
    types: MessageTypes,
    rgb_image: NDArray[np.uint8],
    depth: NDArray[np.float32],
    xyz: NDArray[np.float64],
    colours: NDArray[np.uint8],
    repeats: int,
) -> dict[str, Any]:
    return {
        "image_rgb_ms": _time_ms(lambda: color_image_msg(types, rgb_image, 1.0, "c"), repeats),
        "image_depth_ms": _time_ms(lambda: depth_image_msg(types, depth, 1.0, "c"), repeats),
        "cloud_ms": _time_ms(lambda: pointcloud2_msg(types, xyz, colours, 1.0, "c"), repeats),
    }


def run(args: argparse.Namespace) -> BenchResult:
    """Run the benchmark; returns the result in the ARCHITECTURE.md shape."""
    if args.quick:
        args.width, args.height, args.points, args.repeats, args.peer_repeats = 64, 48, 3000, 3, 1
    rng = np.random.default_rng(args.seed)
    rgb_image = rng.integers(0, 256, (args.height, args.width, 3), dtype=np.uint8)
    depth = rng.uniform(0.2, 2.0, (args.height, args.width)).astype(np.float32)
    xyz = rng.uniform(-1.0, 1.0, (args.points, 3))
    colours = rng.integers(0, 256, (args.points, 3), dtype=np.uint8)
    types = RosbagsMessageTypes()
    image_msg = color_image_msg(types, rgb_image, 1.0, "camera")
    cloud_msg = pointcloud2_msg(types, xyz, colours, 1.0, "camera")

    results: dict[str, dict[str, Any]] = {
        impl: _encode_times(impl_types, rgb_image, depth, xyz, colours, args.repeats)
        for impl, impl_types in (
            ("jazari", types),
            ("jazari_rclpy_containers", _RclpyContainers(types)),
        )
    }
    bgr_msg = color_image_msg(types, np.ascontiguousarray(rgb_image[:, :, ::-1]), 1.0, "camera")
    bgr_msg.encoding = "bgr8"
    results["jazari"]["image_bgr_decode_ms"] = _time_ms(
        lambda: rgb_from_image_msg(bgr_msg), args.repeats
    )
    results["jazari"]["cloud_decode_ms"] = _time_ms(
        lambda: arrays_from_pointcloud2(cloud_msg), args.repeats
    )

    jazari_depth = np.asarray(depth_image_msg(types, depth, 1.0, "c").data).tobytes()
    results["naive_per_element"] = {
        "image_rgb_ms": _time_ms(lambda: _naive_image_data(rgb_image), args.peer_repeats),
        "image_depth_ms": _time_ms(lambda: _naive_depth_data(depth), args.peer_repeats),
        "cloud_ms": _time_ms(lambda: _naive_cloud_data(xyz, colours), args.peer_repeats),
        "same_output": bool(
            _naive_image_data(rgb_image).tobytes() == np.asarray(image_msg.data).tobytes()
            and bytes(_naive_depth_data(depth)) == jazari_depth
            and bytes(_naive_cloud_data(xyz, colours)) == np.asarray(cloud_msg.data).tobytes()
        ),
    }
    missing = []
    if importlib.util.find_spec("pointcloud2"):
        results["pointcloud2"] = _pointcloud2_peer(xyz, colours, cloud_msg, args.repeats)
    else:
        missing.append("pointcloud2")
    if importlib.util.find_spec("rosbags.image"):
        message_to_cvimage = importlib.import_module("rosbags.image").message_to_cvimage
        decoded = message_to_cvimage(bgr_msg, "rgb8")
        results["rosbags_image"] = {
            "image_bgr_decode_ms": _time_ms(
                lambda: message_to_cvimage(bgr_msg, "rgb8"), args.repeats
            ),
            "same_output": bool(np.array_equal(decoded, rgb_image)),
        }
    else:
        missing.append("rosbags_image")
    return {
        "bench": "ros_convert",
        "params": {
            "width": args.width,
            "height": args.height,
            "points": args.points,
            "repeats": args.repeats,
            "peer_repeats": args.peer_repeats,
            "seed": args.seed,
            "target_ms": TARGET_MS,
            "peers_not_installed": missing,
        },
        "results": results,
        "ratios": _ratios(results),
    }


def _ratios(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    jazari = results["jazari"]
    pairs = [
        ("naive_per_element", "image_rgb_ms"),
        ("naive_per_element", "image_depth_ms"),
        ("naive_per_element", "cloud_ms"),
        ("pointcloud2", "cloud_ms"),
        ("pointcloud2", "cloud_decode_ms"),
        ("rosbags_image", "image_bgr_decode_ms"),
    ]
    return {
        f"{peer}_{metric.removesuffix('_ms')}_vs_jazari": ratio(
            results[peer][metric]["median"], jazari[metric]["median"]
        )
        for peer, metric in pairs
        if peer in results
    }
