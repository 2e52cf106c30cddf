"""Jerk-limited timing: the double-S profile and trajectories along joint paths stay
within velocity, acceleration and jerk limits and follow the path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.config import load_params
from jazari.errors import ConfigError
from jazari.planning.errors import PlanningInputError
from jazari.planning.timing import (
    DoubleS,
    SplinePiece,
    StraightPiece,
    TimingLimits,
    time_parameterize,
)
from jazari.robot.model import RobotModel

positive = st.floats(1e-3, 1e3, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-4, 10.0), positive, positive, positive)
def test_double_s_reaches_the_goal_within_its_limits(
    h: float, v: float, a: float, j: float
) -> None:
    profile = DoubleS.plan(h, v, a, j)
    t = np.linspace(0.0, profile.duration_s, 4001)
    s, sd, sdd = profile.evaluate(t)
    assert s[0] == 0.0 and s[-1] == pytest.approx(h, rel=1e-9, abs=1e-12)
    assert sd[0] == sd[-1] == 0.0 and sdd[0] == 0.0
    assert np.all(np.diff(s) >= -1e-12 * h)
    assert np.max(sd) <= v * (1 + 1e-9) and np.max(np.abs(sdd)) <= a * (1 + 1e-9)
    jerk = np.abs(np.diff(sdd)) / np.diff(t)
    assert np.max(jerk) <= j * (1 + 1e-6)
    # the velocity is the position's derivative (trapezoid error ≤ j·dt²/12)
    dt = np.diff(t)
    err = np.abs(np.diff(s) / dt - (sd[1:] + sd[:-1]) / 2)
    assert np.all(err <= j * dt**2 / 6 + 1e-9 * max(v, 1.0))


def test_double_s_is_time_optimal_for_a_simple_case() -> None:
    # h = 1, v = 1, a = 1, j = 1: v·j = a², so Tj = 1, Ta = 2, and Tv = 1 - 2 < 0:
    # velocity is not reached; h >= 2a³/j² = 2 fails, so Tj = (h/2j)^(1/3), T = 4 Tj
    profile = DoubleS.plan(1.0, 1.0, 1.0, 1.0)
    assert profile.duration_s == pytest.approx(4 * 0.5 ** (1 / 3))
    with pytest.raises(PlanningInputError):
        DoubleS.plan(0.0, 1.0, 1.0, 1.0)


def test_spline_piece_passes_through_its_configurations(rng: np.random.Generator) -> None:
    configs = np.cumsum(rng.normal(scale=0.01, size=(15, 6)), axis=0)
    piece = SplinePiece(configs, 0.07)
    q, _, _ = piece.evaluate(np.linspace(0.0, 1.0, 15))
    np.testing.assert_allclose(q, configs, atol=1e-12)
    d1, d2, _ = piece.derivative_bounds()
    s = np.linspace(0.0, 1.0, 2001)
    _, qd, qdd = piece.evaluate(s)
    assert np.all(np.abs(qd).max(axis=0) <= d1 + 1e-9)
    assert np.all(np.abs(qdd).max(axis=0) <= d2 + 1e-9)


def _limits() -> TimingLimits:
    return TimingLimits(np.full(6, 3.14), np.full(6, 5.0), np.full(6, 50.0), 0.25, 1.0)


def _check(
    traj_pos: np.ndarray, vel: np.ndarray, acc: np.ndarray, t: np.ndarray, lim: TimingLimits
) -> None:
    assert np.all(np.abs(vel) <= lim.velocity * (1 + 1e-9))
    assert np.all(np.abs(acc) <= lim.acceleration * (1 + 1e-9))
    jerk = np.abs(np.diff(acc, axis=0)) / np.diff(t)[:, None]
    assert np.all(jerk <= lim.jerk * (1 + 1e-6))
    np.testing.assert_allclose(vel[[0, -1]], 0.0, atol=1e-12)


def test_straight_pieces_are_timed_within_limits_and_stop_at_each_corner(
    home_q: np.ndarray,
) -> None:
    steps = np.array([[0.0] * 6, [0.5, -0.3, 0.2, 0, 0, 0], [0.9, 0, 0, 0.4, 0, 1.0]])
    path = home_q + steps
    names = tuple(f"j{i}" for i in range(6))
    pieces = [StraightPiece(path[0], path[1]), StraightPiece(path[1], path[2])]
    traj = time_parameterize(pieces, _limits(), names, 0.004)
    _check(traj.positions, traj.velocities, traj.accelerations, traj.time_s, _limits())
    corner = np.argmin(np.max(np.abs(traj.positions - path[1]), axis=1))
    assert np.max(np.abs(traj.positions[corner] - path[1])) < 1e-12
    np.testing.assert_allclose(traj.velocities[corner], 0.0, atol=1e-12)
    # samples stay on the straight segments
    first = traj.positions[: corner + 1]
    u = (first - path[0]) @ (path[1] - path[0]) / np.sum((path[1] - path[0]) ** 2)
    np.testing.assert_allclose(first, path[0] + u[:, None] * (path[1] - path[0]), atol=1e-12)


def test_a_spline_piece_respects_joint_and_cartesian_limits(home_q: np.ndarray) -> None:
    s = np.linspace(0, 1, 21)[:, None]
    configs = home_q + s * [0.1, 0.2, -0.3, 0.1, 0, 0] + 0.02 * np.sin(3 * s)
    lim = _limits()
    traj = time_parameterize([SplinePiece(configs, 0.1)], lim, tuple("abcdef"), 0.004)
    _check(traj.positions, traj.velocities, traj.accelerations, traj.time_s, lim)
    # 0.1 m at no more than 0.25 m/s and 1 m/s²: at least 0.4 s, and the spline's ends
    assert traj.duration_s >= 0.4
    np.testing.assert_allclose(traj.positions[[0, -1]], configs[[0, -1]], atol=1e-12)


def test_pieces_that_do_not_join_are_refused(home_q: np.ndarray) -> None:
    pieces = [StraightPiece(home_q, home_q + 0.1), StraightPiece(home_q + 0.2, home_q + 0.3)]
    with pytest.raises(PlanningInputError, match="join"):
        time_parameterize(pieces, _limits(), tuple("abcdef"), 0.004)


def test_limits_come_from_the_urdf_and_joint_limits_yaml(cell_model: RobotModel) -> None:
    lim = TimingLimits.from_config(cell_model, scale=0.5)
    np.testing.assert_allclose(lim.velocity, cell_model.chain.velocity * 0.5)
    yaml = load_params("joint_limits")
    np.testing.assert_allclose(lim.acceleration, np.array(yaml["max_acceleration"]) * 0.5)
    np.testing.assert_allclose(lim.jerk, np.array(yaml["max_jerk"]) * 0.5)
    params = {"joints": ["a"], "max_acceleration": [1.0], "max_jerk": [1.0]}
    with pytest.raises(ConfigError, match="no limits for joints"):
        TimingLimits.from_config(cell_model, params)
    with pytest.raises(ConfigError, match="max_jerk"):
        TimingLimits.from_config(cell_model, {"joints": ["a"], "max_acceleration": [1.0]})
    with pytest.raises(PlanningInputError, match="scale"):
        TimingLimits.from_config(cell_model, scale=0.0)
    with pytest.raises(PlanningInputError, match="jerk"):
        TimingLimits(np.ones(6), np.ones(6), np.zeros(6))
