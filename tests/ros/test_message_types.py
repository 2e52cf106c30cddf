"""The rclpy-side message provider, checked without ROS: class lookup by rosidl's
module layout, array.array sequences, and readers accepting what rclpy stores."""

from __future__ import annotations

import array
import sys
import types as pytypes
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from jazari.ports import DriveState
from jazari.record.typestore import RosbagsMessageTypes
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert import (
    arrays_from_pointcloud2,
    color_image_msg,
    drive_state_from_joint_state,
    joint_state_msg,
    joint_trajectory_from_msg,
    joint_trajectory_msg,
    pointcloud2_msg,
    rgb_from_image_msg,
)
from jazari.ros.errors import ConversionError, MessageTypeError
from jazari.ros.message_types import RclpyMessageTypes


class _Goal:
    """Stands for a nested action class the way rosidl generates it."""


def _install_package(monkeypatch: pytest.MonkeyPatch) -> None:
    msg = pytypes.ModuleType("demo_msgs.msg")
    msg.Thing = type("Thing", (), {})  # type: ignore[attr-defined]
    action = pytypes.ModuleType("demo_msgs.action")
    action.DoIt = type("DoIt", (), {"Goal": _Goal})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "demo_msgs", pytypes.ModuleType("demo_msgs"))
    monkeypatch.setitem(sys.modules, "demo_msgs.msg", msg)
    monkeypatch.setitem(sys.modules, "demo_msgs.action", action)


def test_types_resolve_through_rosidl_module_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    _install_package(monkeypatch)
    provider = RclpyMessageTypes()
    assert provider.get("demo_msgs/msg/Thing").__name__ == "Thing"
    assert provider.get("demo_msgs/action/DoIt_Goal") is _Goal


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("missing_msgs/msg/Thing", "cannot import missing_msgs.msg"),
        ("demo_msgs/msg/Other", "demo_msgs.msg has no type Other"),
        ("demo_msgs/action/DoIt_Result", "demo_msgs.action has no type DoIt.Result"),
        ("demo_msgs/Thing", "must look like 'pkg/msg/Name'"),
    ],
)
def test_missing_types_are_named(monkeypatch: pytest.MonkeyPatch, name: str, match: str) -> None:
    _install_package(monkeypatch)
    with pytest.raises(MessageTypeError, match=match):
        RclpyMessageTypes().get(name)


@pytest.mark.parametrize(
    ("dtype", "code"),
    [(np.float64, "d"), (np.float32, "f"), (np.uint8, "B"), (np.int32, "i"), (np.uint64, "Q")],
)
def test_sequences_become_array_arrays_with_rosidl_type_codes(dtype: type, code: str) -> None:
    seq = RclpyMessageTypes().sequence(np.arange(4, dtype=dtype))
    assert isinstance(seq, array.array) and seq.typecode == code
    assert list(seq) == [0, 1, 2, 3]


def test_big_endian_values_are_stored_natively() -> None:
    seq = RclpyMessageTypes().sequence(np.array([1.5, -2.0], dtype=">f8"))
    assert list(seq) == [1.5, -2.0]


def test_unsupported_sequence_dtype_is_refused() -> None:
    with pytest.raises(ConversionError, match="complex128"):
        RclpyMessageTypes().sequence(np.zeros(2, dtype=complex))


class _RclpyContainers:
    """rosbags' classes holding sequences as rclpy does (array.array), to check that the
    readers accept rclpy's containers."""

    def __init__(self, base: RosbagsMessageTypes) -> None:
        self.base = base

    def get(self, name: str) -> type[Any]:
        return self.base.get(name)

    def sequence(self, values: NDArray[Any]) -> Any:
        return RclpyMessageTypes().sequence(values)


def test_readers_accept_rclpy_sequence_containers(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    rclpy_like = _RclpyContainers(types)
    rgb = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    image = color_image_msg(rclpy_like, rgb, 0.0, "cam")
    assert isinstance(image.data, array.array)
    np.testing.assert_array_equal(rgb_from_image_msg(image), rgb)

    xyz, colours = rng.normal(size=(10, 3)), rng.integers(0, 256, (10, 3), dtype=np.uint8)
    xyz_back, colours_back = arrays_from_pointcloud2(
        pointcloud2_msg(rclpy_like, xyz, colours, 0.0, "f")
    )
    np.testing.assert_array_equal(xyz_back, xyz.astype(np.float32))
    np.testing.assert_array_equal(colours_back, colours)

    state = DriveState(1.0, ("a", "b"), np.array([0.1, 0.2]), np.zeros(2), np.ones(2))
    back = drive_state_from_joint_state(joint_state_msg(rclpy_like, state))
    np.testing.assert_array_equal(back.position_rad, state.position_rad)

    t = np.array([0.0, 0.5, 1.0])
    traj = JointTrajectory(
        ("a", "b"), t, rng.normal(size=(3, 2)), np.zeros((3, 2)), np.zeros((3, 2))
    )
    np.testing.assert_array_equal(
        joint_trajectory_from_msg(joint_trajectory_msg(rclpy_like, traj)).positions, traj.positions
    )
