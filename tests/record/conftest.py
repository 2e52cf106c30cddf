"""Fixtures of the recording tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from jazari.record.typestore import cell_typestore

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore


@pytest.fixture(scope="session")
def store() -> Typestore:
    """The cell's ROS 2 Jazzy type store with the extension packages."""
    return cell_typestore()
