"""Transforms and the one place where quaternion orders are converted."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.geometry.transforms import (
    GeometryError,
    axis_angle_matrix,
    invert,
    make_transform,
    matrix_to_quat_xyzw,
    pose_error,
    quat_wxyz_to_xyzw,
    quat_xyzw_to_wxyz,
    rotation_from_quat_xyzw,
    rotation_log,
    rpy_to_matrix,
)

angles = st.floats(-math.pi, math.pi)
unit = st.lists(st.floats(-1, 1), min_size=3, max_size=3).filter(lambda v: np.linalg.norm(v) > 0.1)


@given(unit, st.floats(0.0, math.pi))
def test_rotation_log_inverts_axis_angle_including_half_turns(
    axis: list[float], angle: float
) -> None:
    a = np.array(axis) / np.linalg.norm(axis)
    R = axis_angle_matrix(a, np.array([angle]))[0]
    w = rotation_log(R)
    R_back = axis_angle_matrix(w / max(np.linalg.norm(w), 1e-300), np.array([np.linalg.norm(w)]))[0]
    np.testing.assert_allclose(R_back, R, atol=1e-7)
    assert np.linalg.norm(w) == pytest.approx(angle, abs=1e-7)


@given(angles, angles, angles)
def test_quaternion_round_trip_in_ros_order(roll: float, pitch: float, yaw: float) -> None:
    R = rpy_to_matrix(roll, pitch, yaw)
    q = matrix_to_quat_xyzw(R)
    assert q[3] >= 0  # w last, non-negative
    np.testing.assert_allclose(rotation_from_quat_xyzw(q), R, atol=1e-12)


def test_quaternion_orders_are_swapped_not_shuffled() -> None:
    np.testing.assert_array_equal(quat_wxyz_to_xyzw([1, 2, 3, 4]), [2, 3, 4, 1])
    np.testing.assert_array_equal(quat_xyzw_to_wxyz([2, 3, 4, 1]), [1, 2, 3, 4])


@pytest.mark.parametrize("q", [[0, 0, 0, 0], [np.nan, 0, 0, 1], [0, 0, 1]])
def test_degenerate_quaternion_is_rejected_with_its_value(q: list[float]) -> None:
    with pytest.raises(GeometryError, match="quaternion"):
        rotation_from_quat_xyzw(q)


def test_rpy_follows_the_urdf_convention() -> None:
    # URDF: fixed axes roll (x), then pitch (y), then yaw (z): R = Rz Ry Rx.
    R = rpy_to_matrix(0.1, 0.2, 0.3)
    Rx = axis_angle_matrix(np.array([1.0, 0, 0]), np.array([0.1]))[0]
    Ry = axis_angle_matrix(np.array([0, 1.0, 0]), np.array([0.2]))[0]
    Rz = axis_angle_matrix(np.array([0, 0, 1.0]), np.array([0.3]))[0]
    np.testing.assert_allclose(R, Rz @ Ry @ Rx, atol=1e-12)


def test_invert_and_pose_error(rng: np.random.Generator) -> None:
    T = make_transform(rpy_to_matrix(*rng.uniform(-3, 3, 3)), rng.uniform(-1, 1, 3))
    np.testing.assert_allclose(invert(T) @ T, np.eye(4), atol=1e-12)
    dp, dw = pose_error(T, T)
    assert np.allclose(dp, 0) and np.allclose(dw, 0)
