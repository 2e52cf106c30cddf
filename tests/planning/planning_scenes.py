"""Scene-building helpers for the planning tests."""

from __future__ import annotations

import math

import numpy as np

from jazari.planning.part import Part

# the arm above the middle of the table, tool pointing down
HOME_Q = np.array([math.pi, -math.pi / 2, math.pi / 2, -math.pi / 2, -math.pi / 2, 0.0])


def pose(x: float, y: float, z: float, yaw: float = 0.0) -> np.ndarray:
    """A pose at (x, y, z) [m] turned by ``yaw`` [rad] about z."""
    T = np.eye(4)
    c, s = math.cos(yaw), math.sin(yaw)
    T[:2, :2] = [[c, -s], [s, c]]
    T[:3, 3] = [x, y, z]
    return T


def box_on_table(
    x: float, y: float, size: tuple[float, float, float], yaw: float = 0.0, name: str = ""
) -> Part:
    """An upright box resting on the table at (x, y)."""
    return Part("box", size, pose(x, y, size[2] / 2, yaw), name)


def cylinder_on_table(x: float, y: float, radius: float, height: float, name: str = "") -> Part:
    """An upright cylinder resting on the table at (x, y)."""
    return Part("cylinder", (radius, height), pose(x, y, height / 2), name)
