"""Distance and overlap kernels: exact point distances, a sound separating-axis test."""

from __future__ import annotations

import math

import fcl
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.geometry.transforms import axis_angle_matrix
from jazari.planning import kernels

coords = st.floats(-0.5, 0.5, allow_nan=False)
sizes = st.floats(0.005, 0.3, allow_nan=False)


def _rotation(axis: list[float], angle: float) -> np.ndarray:
    a = np.asarray(axis, dtype=float)
    n = np.linalg.norm(a)
    a = np.array([0.0, 0.0, 1.0]) if n < 1e-6 else a / n
    return axis_angle_matrix(a, np.array([angle]))[0]


vectors = st.lists(coords, min_size=3, max_size=3)
halves = st.lists(sizes, min_size=3, max_size=3)
rotations = st.builds(
    _rotation, st.lists(st.floats(-1, 1), min_size=3, max_size=3), st.floats(-math.pi, math.pi)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(coords, min_size=3, max_size=3), st.lists(sizes, min_size=3, max_size=3))
def test_point_box_distance_matches_clamping(p: list[float], half: list[float]) -> None:
    p_arr, h = np.array(p), np.array(half)
    nearest = np.clip(p_arr, -h, h)
    assert kernels.point_box_distance(p_arr, h) == pytest.approx(np.linalg.norm(p_arr - nearest))


def test_point_cylinder_distance_on_the_side_the_cap_and_the_rim() -> None:
    r, hh = 0.1, 0.2
    pts = np.array([[0.3, 0.0, 0.0], [0.0, 0.0, 0.5], [0.4, 0.0, 0.6], [0.05, 0.0, 0.1]])
    d = kernels.point_cylinder_distance(pts, r, hh)
    np.testing.assert_allclose(d, [0.2, 0.3, math.hypot(0.3, 0.4), 0.0])


def test_to_local_inverts_the_frame() -> None:
    R = _rotation([1, 2, 3], 0.7)
    t = np.array([0.1, -0.2, 0.3])
    p_local = np.array([0.05, 0.02, -0.4])
    np.testing.assert_allclose(kernels.to_local(R @ p_local + t, R, t), p_local, atol=1e-12)


@settings(max_examples=300, deadline=None)
@given(rotations, vectors, halves, rotations, vectors, halves)
def test_box_box_gap_agrees_with_fcl_and_bounds_the_distance(
    Ra: np.ndarray,
    ta: list[float],
    ea: list[float],
    Rb: np.ndarray,
    tb: list[float],
    eb: list[float],
) -> None:
    gap = float(kernels.box_box_gap(Ra, np.array(ta), np.array(ea), Rb, np.array(tb), np.array(eb)))
    a = fcl.CollisionObject(fcl.Box(*(2 * np.array(ea))), fcl.Transform(Ra, np.array(ta)))
    b = fcl.CollisionObject(fcl.Box(*(2 * np.array(eb))), fcl.Transform(Rb, np.array(tb)))
    touching = fcl.collide(a, b, fcl.CollisionRequest(), fcl.CollisionResult()) > 0
    distance = fcl.distance(a, b, fcl.DistanceRequest(), fcl.DistanceResult())
    if touching:
        assert gap <= 1e-9
    else:
        assert gap <= distance + 1e-7  # a lower bound of the true distance
        if distance > 1e-6:
            assert gap > 0.0  # separated boxes always have a separating axis
