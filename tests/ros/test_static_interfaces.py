"""Every ROS interface the nodes name exists in the Jazzy definitions (rosbags' store with
control_msgs, vision_msgs and jazari_interfaces registered from their text), so a typo
in a type name fails here rather than on the robot."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
from rclpy_double import build_factory

from jazari.record.interfaces import load_interface_package
from jazari.record.typestore import interfaces_package_dir

ROOT = Path(__file__).resolve().parents[2]
ROS = ROOT / "src" / "jazari" / "ros"
_NAME = re.compile(r'"([a-z][a-z0-9_]*/(?:msg|srv|action)/[A-Z][A-Za-z0-9]*(?:_[A-Z][A-Za-z]*)?)"')


_SECTIONS = {
    "msg": ("",),
    "srv": ("_Request", "_Response"),
    "action": ("_Goal", "_Result", "_Feedback"),
}


@functools.cache
def _store() -> Any:
    return build_factory().store


def _used_types() -> set[str]:
    names: set[str] = set()
    for path in ROS.rglob("*.py"):
        names |= set(_NAME.findall(path.read_text()))
    return names


def test_the_nodes_name_interfaces() -> None:
    used = _used_types()
    assert {"sensor_msgs/msg/Image", "control_msgs/action/FollowJointTrajectory",
            "jazari_interfaces/action/PickPlace", "std_srvs/srv/Trigger"} <= used  # fmt: skip


@pytest.mark.parametrize("name", sorted(_used_types()))
def test_every_interface_the_nodes_use_exists(name: str) -> None:
    # The double's store: the cell's Jazzy store plus std_srvs/srv/Trigger (not shipped
    # by rosbags; its definition restated from std_srvs, Jazzy).
    store = _store()
    package, kind, type_name = name.split("/")
    parts = _SECTIONS[kind]
    if "_" in type_name:  # a part named directly (PickPlace_Goal)
        parts = ("",)
    for suffix in parts:
        assert f"{package}/{kind}/{type_name}{suffix}" in store.types, f"{name}{suffix}"


def test_jazari_interfaces_parse_and_hold_what_the_nodes_exchange() -> None:
    types = load_interface_package(interfaces_package_dir(), "jazari_interfaces")
    names = ("msg/CellState", "msg/InspectionResult", "msg/InspectionResultArray")
    for name in (*names, "msg/PlanSegment", "action/PickPlace_Goal", "action/PickPlace_Result"):
        assert f"jazari_interfaces/{name}" in types, name
