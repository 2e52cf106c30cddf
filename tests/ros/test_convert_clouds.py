"""PointCloud2 against the Jazzy definition and against an independent reader."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert.clouds import arrays_from_pointcloud2, pointcloud2_msg
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip


def _cloud(rng: np.random.Generator, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(-2.0, 2.0, (n, 3)), rng.integers(0, 256, (n, 3), dtype=np.uint8)


def test_coloured_cloud_round_trips_through_cdr(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    xyz, rgb = _cloud(rng)
    msg = cdr_round_trip(
        types.store, pointcloud2_msg(types, xyz, rgb, 2.0, "camera_color_optical_frame")
    )
    assert [(f.name, f.offset, f.datatype, f.count) for f in msg.fields] == [
        ("x", 0, 7, 1),
        ("y", 4, 7, 1),
        ("z", 8, 7, 1),
        ("rgb", 12, 7, 1),
    ]
    assert (msg.height, msg.width, msg.point_step, msg.row_step) == (1, 1000, 16, 16000)
    assert msg.is_dense and not msg.is_bigendian
    xyz_back, rgb_back = arrays_from_pointcloud2(msg)
    np.testing.assert_array_equal(xyz_back, xyz.astype(np.float32))
    np.testing.assert_array_equal(rgb_back, rgb)


def test_packed_rgb_is_pcl_0xaarrggbb(types: RosbagsMessageTypes) -> None:
    msg = pointcloud2_msg(
        types, np.zeros((1, 3)), np.array([[0x12, 0x34, 0x56]], np.uint8), 0.0, "f"
    )
    packed = np.asarray(msg.data)[12:16].view("<u4")[0]
    assert packed == 0xFF123456


def test_cloud_layout_matches_an_independent_pointcloud2_reader(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    pointcloud2 = pytest.importorskip(
        "pointcloud2", reason="pointcloud2 (bench extra) not installed"
    )
    xyz, rgb = _cloud(rng, 50)
    points = pointcloud2.read_points(pointcloud2_msg(types, xyz, rgb, 0.0, "f"))
    np.testing.assert_array_equal(points["x"], xyz[:, 0].astype(np.float32))
    np.testing.assert_array_equal(points["z"], xyz[:, 2].astype(np.float32))
    packed = points["rgb"].view(np.uint32)
    np.testing.assert_array_equal((packed >> 16) & 0xFF, rgb[:, 0])


def test_cloud_without_colour_and_with_invalid_points_is_not_dense(
    types: RosbagsMessageTypes,
) -> None:
    xyz = np.array([[0.0, 1.0, 2.0], [np.nan, np.nan, np.nan]])
    msg = cdr_round_trip(types.store, pointcloud2_msg(types, xyz, None, 0.0, "f"))
    assert [f.name for f in msg.fields] == ["x", "y", "z"] and msg.point_step == 12
    assert not msg.is_dense
    xyz_back, rgb_back = arrays_from_pointcloud2(msg)
    np.testing.assert_array_equal(xyz_back, xyz)
    assert rgb_back is None


def test_organised_big_endian_float64_cloud_with_padding_reads(types: RosbagsMessageTypes) -> None:
    # 2×2 organised cloud, float64 x/y/z then a uint32 rgba, 4 bytes of padding per
    # point and 8 per row, big-endian: another driver's layout.
    point = np.dtype(
        {
            "names": ["x", "y", "z", "rgba"],
            "formats": [">f8", ">f8", ">f8", ">u4"],
            "offsets": [0, 8, 16, 24],
            "itemsize": 32,
        }
    )
    rows = np.zeros((2, 72), np.uint8)
    values = np.zeros((2, 2), point)
    values["x"] = [[1, 2], [3, 4]]
    values["y"] = 0.5
    values["z"] = -1.0
    values["rgba"] = 0x80FF0010
    rows[:, :64] = values.view(np.uint8).reshape(2, 64)
    field = types.get("sensor_msgs/msg/PointField")
    msg = types.get("sensor_msgs/msg/PointCloud2")(
        header=pointcloud2_msg(types, np.zeros((0, 3)), None, 0.0, "f").header,
        height=2,
        width=2,
        fields=[
            field(name=n, offset=o, datatype=d, count=1)
            for n, o, d in (("x", 0, 8), ("y", 8, 8), ("z", 16, 8), ("rgba", 24, 6))
        ],
        is_bigendian=True,
        point_step=32,
        row_step=72,
        data=rows.reshape(-1),
        is_dense=True,
    )
    xyz, rgb = arrays_from_pointcloud2(cdr_round_trip(types.store, msg))
    np.testing.assert_array_equal(xyz, [[1, 0.5, -1], [2, 0.5, -1], [3, 0.5, -1], [4, 0.5, -1]])
    np.testing.assert_array_equal(rgb, [[0xFF, 0x00, 0x10]] * 4)


def test_malformed_arrays_are_refused(types: RosbagsMessageTypes) -> None:
    with pytest.raises(ConversionError, match=r"xyz_m must be an \(N, 3\) float array"):
        pointcloud2_msg(types, np.zeros((4, 2)), None, 0.0, "f")
    with pytest.raises(ConversionError, match=r"rgb must be an \(4, 3\) uint8 array"):
        pointcloud2_msg(types, np.zeros((4, 3)), np.zeros((4, 3), np.float32), 0.0, "f")


def test_malformed_clouds_are_refused_naming_the_field(types: RosbagsMessageTypes) -> None:
    msg = pointcloud2_msg(types, np.zeros((3, 3)), None, 0.0, "f")
    msg.data = msg.data[:-4]
    with pytest.raises(
        ConversionError, match=r"cloud.data has 32 bytes, expected row_step x height = 36"
    ):
        arrays_from_pointcloud2(msg)
    msg = pointcloud2_msg(types, np.zeros((3, 3)), None, 0.0, "f")
    msg.fields = msg.fields[:2]
    with pytest.raises(ConversionError, match="no 'z' field"):
        arrays_from_pointcloud2(msg)
    msg = pointcloud2_msg(types, np.zeros((3, 3)), None, 0.0, "f")
    msg.fields[0].datatype = 2
    with pytest.raises(ConversionError, match=r"cloud.fields\['x'\] has datatype 2"):
        arrays_from_pointcloud2(msg)
    msg = pointcloud2_msg(types, np.zeros((3, 3)), None, 0.0, "f")
    msg.point_step = 8
    with pytest.raises(ConversionError, match="point_step 8 is less than its fields' 12 bytes"):
        arrays_from_pointcloud2(msg)
