"""Robust table-plane estimation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.perception.errors import PerceptionConfigError, TablePlaneError
from jazari.perception.plane import Plane, PlaneParams, fit_table_plane

UP = np.array([0.0, 0.0, -1.0])  # camera looking down: the table's normal points at it


def table_and_parts(rng: np.random.Generator, table_share: float, n: int = 3000) -> np.ndarray:
    """Camera-frame points: a table at z = 0.9 m and part tops 3–5 cm above it."""
    xy = rng.uniform(-0.3, 0.3, (n, 2))
    z = np.full(n, 0.9)
    on_parts = rng.uniform(size=n) > table_share
    z[on_parts] -= rng.choice([0.03, 0.04, 0.05], size=on_parts.sum())
    z += rng.normal(0.0, 0.001, n)
    return np.column_stack([xy, z])


def test_fit_table_plane_finds_the_table_when_parts_cover_most_of_it(
    rng: np.random.Generator,
) -> None:
    pts = table_and_parts(rng, table_share=0.2)  # parts' tops hold 80% of the samples
    plane = fit_table_plane(pts, UP, PlaneParams())
    np.testing.assert_allclose(plane.normal, UP, atol=0.01)
    assert plane.offset_m == pytest.approx(0.9, abs=0.002)
    assert plane.height(np.array([0.0, 0.0, 0.86])) == pytest.approx(0.04, abs=0.002)


@settings(max_examples=25, deadline=None)
@given(tilt=st.floats(-0.15, 0.15), dist=st.floats(0.5, 1.5), seed=st.integers(0, 2**16))
def test_fit_table_plane_recovers_tilted_planes(tilt: float, dist: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_true = np.array([np.sin(tilt), 0.0, -np.cos(tilt)])
    xy = rng.uniform(-0.3, 0.3, (800, 2))
    # points with n·p + d = 0, d = dist
    z = (-dist - n_true[0] * xy[:, 0]) / n_true[2]
    plane = fit_table_plane(np.column_stack([xy, z]), UP, PlaneParams())
    np.testing.assert_allclose(plane.normal, n_true, atol=1e-6)
    assert plane.offset_m == pytest.approx(dist, abs=1e-6)


def test_plane_transformed_keeps_heights() -> None:
    plane = Plane(np.array([0.0, 0.0, -1.0]), 0.9)
    T = np.eye(4)
    T[:3, :3] = [[0, -1, 0], [-1, 0, 0], [0, 0, -1]]
    T[:3, 3] = [0.55, 0.0, 0.9]
    moved = plane.transformed(T)
    p_cam = np.array([0.1, 0.2, 0.85])
    p_base = T[:3, :3] @ p_cam + T[:3, 3]
    assert moved.height(p_base) == pytest.approx(plane.height(p_cam))


def test_fit_table_plane_raises_without_enough_points() -> None:
    with pytest.raises(TablePlaneError, match="at least 3"):
        fit_table_plane(np.zeros((2, 3)), UP, PlaneParams())


def test_fit_table_plane_raises_when_no_plane_is_level(rng: np.random.Generator) -> None:
    wall = np.column_stack([np.zeros(500), rng.uniform(-1, 1, (500, 2))])  # the plane x = 0
    with pytest.raises(TablePlaneError):
        fit_table_plane(wall, UP, PlaneParams())


def test_plane_params_reject_bad_values() -> None:
    with pytest.raises(PerceptionConfigError, match="iterations"):
        PlaneParams(iterations=0)
