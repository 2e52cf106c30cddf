"""Shared fixtures of the planning tests: the planner, the empty cell scene, parts."""

from __future__ import annotations

import numpy as np
import pytest
from planning_scenes import HOME_Q

from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.scene import Scene
from jazari.robot.model import RobotModel


@pytest.fixture(scope="session")
def planner(cell_model: RobotModel) -> PickPlacePlanner:
    """The cell's planner with the packaged options."""
    return PickPlacePlanner(cell_model)


@pytest.fixture(scope="session")
def cell_scene(cell_model: RobotModel) -> Scene:
    """The cell's fixtures, no parts."""
    return Scene.from_model(cell_model)


@pytest.fixture
def home_q() -> np.ndarray:
    """The arm's home configuration (TCP above the table, pointing down)."""
    return HOME_Q.copy()
