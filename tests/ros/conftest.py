"""Fixtures of the ROS conversion tests: rosbags' Jazzy classes as the message types."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from jazari.record.typestore import RosbagsMessageTypes, cell_typestore

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore


@pytest.fixture(scope="session")
def store() -> Typestore:
    """The cell's ROS 2 Jazzy type store with the extension packages."""
    return cell_typestore()


@pytest.fixture(scope="session")
def types(store: Typestore) -> RosbagsMessageTypes:
    """Message classes of the real Jazzy definitions."""
    return RosbagsMessageTypes(store)


# The rclpy double for the node tests (tests/ros/node_harness.py).
from node_harness import ros  # noqa: E402, F401
