"""Colour, depth and camera info against the Jazzy sensor_msgs definitions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jazari.ports import CameraIntrinsics
from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert.images import (
    camera_info_msg,
    color_image_msg,
    depth_image_msg,
    depth_m_from_image_msg,
    intrinsics_from_camera_info,
    rgb_from_image_msg,
)
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip

INTRINSICS = CameraIntrinsics(width=640, height=480, fx=615.0, fy=616.0, cx=319.5, cy=239.0)


def _raw_image(
    types: RosbagsMessageTypes, pixels: np.ndarray, encoding: str, step: int, big: bool = False
) -> Any:
    """An Image message written by hand (another driver's layout), rows padded to step."""
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1).view(np.uint8).reshape(height, -1)
    padded = np.zeros((height, step), dtype=np.uint8)
    padded[:, : rows.shape[1]] = rows
    return types.get("sensor_msgs/msg/Image")(
        header=types.get("std_msgs/msg/Header")(
            stamp=types.get("builtin_interfaces/msg/Time")(sec=0, nanosec=0), frame_id="cam"
        ),
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=int(big),
        step=step,
        data=padded.reshape(-1),
    )


def test_colour_image_round_trips_exactly_as_rgb8(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    rgb = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    msg = cdr_round_trip(
        types.store, color_image_msg(types, rgb, 12.5, "camera_color_optical_frame")
    )
    assert (msg.encoding, msg.width, msg.height, msg.step) == ("rgb8", 640, 480, 1920)
    assert msg.header.frame_id == "camera_color_optical_frame"
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (12, 500_000_000)
    np.testing.assert_array_equal(rgb_from_image_msg(msg), rgb)


def test_message_does_not_alias_the_frame_buffer(types: RosbagsMessageTypes) -> None:
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    msg = color_image_msg(types, rgb, 0.0, "cam")
    rgb[:] = 255
    assert not np.asarray(msg.data).any()


def test_depth_round_trips_exactly_as_32fc1_metres(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    depth = rng.uniform(0.2, 2.0, (480, 640)).astype(np.float32)
    depth[10, 20] = 0.0
    depth[11, 21] = np.nan
    msg = cdr_round_trip(types.store, depth_image_msg(types, depth, 1.0, "cam"))
    assert (msg.encoding, msg.step, msg.is_bigendian) == ("32FC1", 640 * 4, 0)
    np.testing.assert_array_equal(depth_m_from_image_msg(msg), depth)


@pytest.mark.parametrize(
    ("encoding", "order"), [("bgr8", [2, 1, 0]), ("rgba8", [0, 1, 2, 3]), ("bgra8", [2, 1, 0, 3])]
)
def test_other_colour_encodings_and_padded_rows_read_as_rgb(
    types: RosbagsMessageTypes, rng: np.random.Generator, encoding: str, order: list[int]
) -> None:
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    rgba = np.concatenate([rgb, np.full((5, 7, 1), 255, np.uint8)], axis=2)
    pixels = np.ascontiguousarray(rgba[:, :, order])
    msg = _raw_image(types, pixels, encoding, step=7 * len(order) + 5)
    np.testing.assert_array_equal(rgb_from_image_msg(cdr_round_trip(types.store, msg)), rgb)


def test_16uc1_millimetres_read_as_metres_keeping_zero(types: RosbagsMessageTypes) -> None:
    mm = np.array([[0, 1000], [1500, 65535]], dtype=np.uint16)
    depth = depth_m_from_image_msg(_raw_image(types, mm, "16UC1", step=6))
    np.testing.assert_allclose(depth, [[0.0, 1.0], [1.5, 65.535]], rtol=1e-6)
    assert depth.dtype == np.float32


def test_big_endian_depth_reads_correctly(types: RosbagsMessageTypes) -> None:
    depth = np.array([[0.5, 1.25]], dtype=">f4")
    np.testing.assert_array_equal(
        depth_m_from_image_msg(_raw_image(types, depth, "32FC1", 8, big=True)), [[0.5, 1.25]]
    )


@pytest.mark.parametrize(
    ("pixels", "match"),
    [
        (np.zeros((4, 4), np.uint8), "H.W.3 uint8"),
        (np.zeros((4, 4, 3), np.float32), "H.W.3 uint8"),
        (np.zeros((0, 4, 3), np.uint8), "must not be empty"),
    ],
)
def test_malformed_colour_arrays_are_refused(
    types: RosbagsMessageTypes, pixels: np.ndarray, match: str
) -> None:
    with pytest.raises(ConversionError, match=match):
        color_image_msg(types, pixels, 0.0, "cam")


def test_negative_depth_is_refused_naming_the_pixel(types: RosbagsMessageTypes) -> None:
    depth = np.ones((3, 4), np.float32)
    depth[2, 1] = -0.1
    with pytest.raises(ConversionError, match=r"at pixel \(2, 1\)"):
        depth_image_msg(types, depth, 0.0, "cam")


def test_image_with_wrong_encoding_or_size_is_refused_naming_the_field(
    types: RosbagsMessageTypes,
) -> None:
    msg = _raw_image(types, np.zeros((2, 2, 3), np.uint8), "rgb8", step=6)
    with pytest.raises(ConversionError, match=r"depth.encoding 'rgb8' is not a depth encoding"):
        depth_m_from_image_msg(msg)
    msg.encoding = "yuv422"
    with pytest.raises(ConversionError, match=r"image.encoding 'yuv422'"):
        rgb_from_image_msg(msg)
    msg.encoding = "rgb8"
    msg.data = msg.data[:-1]
    with pytest.raises(
        ConversionError, match=r"image.data has 11 bytes, expected step x height = 12"
    ):
        rgb_from_image_msg(msg)
    msg.step = 5
    with pytest.raises(ConversionError, match=r"image.step 5 is less than"):
        rgb_from_image_msg(msg)


def test_camera_info_round_trips_the_intrinsics(types: RosbagsMessageTypes) -> None:
    msg = cdr_round_trip(types.store, camera_info_msg(types, INTRINSICS, 3.0, "cam"))
    assert msg.distortion_model == "plumb_bob"
    np.testing.assert_array_equal(msg.d, np.zeros(5))
    np.testing.assert_array_equal(msg.p.reshape(3, 4)[:, :3], INTRINSICS.matrix())
    assert intrinsics_from_camera_info(msg) == INTRINSICS


def test_camera_info_of_unrectified_images_is_refused(types: RosbagsMessageTypes) -> None:
    msg = camera_info_msg(types, INTRINSICS, 0.0, "cam")
    msg.d = np.array([0.1, 0.0, 0.0, 0.0, 0.0])
    with pytest.raises(
        ConversionError, match=r"camera_info.d = \[0.1, 0.0, 0.0, 0.0, 0.0\] is not zero"
    ):
        intrinsics_from_camera_info(msg)


@pytest.mark.parametrize(
    ("index", "value", "match"), [(1, 0.5, "zero-skew"), (0, -615.0, "fx"), (4, np.nan, "finite")]
)
def test_camera_info_with_bad_k_is_refused(
    types: RosbagsMessageTypes, index: int, value: float, match: str
) -> None:
    msg = camera_info_msg(types, INTRINSICS, 0.0, "cam")
    msg.k = msg.k.copy()
    msg.k[index] = value
    with pytest.raises(ConversionError, match=match):
        intrinsics_from_camera_info(msg)
