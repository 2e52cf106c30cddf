"""Shared fixtures: the cell's robot model and seeded generators."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

from jazari.robot.model import RobotModel, load_cell_model

# Headless rendering for every test that opens a MuJoCo camera (set before mujoco loads).
os.environ.setdefault("MUJOCO_GL", "egl")

# CI explores the same examples on every run, so a red build is reproducible.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def cell_model() -> RobotModel:
    """The cell's arm (base_link to tcp) from urdf/cell.urdf.xacro."""
    return load_cell_model()


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator with a fixed seed, fresh for each test."""
    return np.random.default_rng(20261126)
