"""Closed-form IK: every solution exact, within limits, ordered; singular and
unreachable poses behave."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.geometry.transforms import pose_error
from jazari.robot.errors import IKError, KinematicsError, RobotModelError
from jazari.robot.ik_analytic import AnalyticIK
from jazari.robot.model import RobotModel, load_cell_model

_MODEL = load_cell_model()
_IK = AnalyticIK.from_model(_MODEL)


def _assert_reaches(model: RobotModel, sols: np.ndarray, T: np.ndarray, tol: float = 1e-6) -> None:
    assert sols.shape[0] > 0
    dp, dw = pose_error(model.chain.fk(sols), np.broadcast_to(T, (len(sols), 4, 4)))
    assert np.max(np.linalg.norm(dp, axis=-1)) < tol
    assert np.max(np.linalg.norm(dw, axis=-1)) < tol
    assert np.all(model.chain.within_limits(sols))


def test_round_trip_on_random_reachable_poses(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    Q = cell_model.chain.sample(rng, 1000)
    for q, T in zip(Q, cell_model.chain.fk(Q), strict=True):
        sols = _IK.solve(T, q)
        _assert_reaches(cell_model, sols, T)
        # The configuration that produced the pose is among the solutions, first.
        np.testing.assert_allclose(sols[0], q, atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-2 * math.pi, 2 * math.pi), min_size=6, max_size=6),
       st.lists(st.floats(-2 * math.pi, 2 * math.pi), min_size=6, max_size=6))  # fmt: skip
def test_every_solution_reaches_the_target_within_limits(q: list[float], seed: list[float]) -> None:
    q_arr = np.clip(np.array(q), _MODEL.chain.lower, _MODEL.chain.upper)
    T = _MODEL.chain.fk(q_arr)
    sols = _IK.solve(T, np.clip(seed, _MODEL.chain.lower, _MODEL.chain.upper))
    _assert_reaches(_MODEL, sols, T)
    assert len(sols) <= 8


def test_solutions_are_ordered_by_distance_to_the_seed(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    for q in cell_model.chain.sample(rng, 50):
        seed = rng.uniform(-3, 3, 6)
        sols = _IK.solve(cell_model.chain.fk(q), seed)
        distances = np.linalg.norm(sols - seed, axis=1)
        assert np.all(np.diff(distances) >= -1e-12)


def test_solutions_wrap_to_the_representative_nearest_the_seed(cell_model: RobotModel) -> None:
    q = np.array([-0.3, -1.2, 1.0, 1.4, -1.5, -0.2])
    turns = np.array([2 * math.pi, 0, 0, -2 * math.pi, 0, 2 * math.pi])
    sols = _IK.solve(cell_model.chain.fk(q), q + turns + 0.05)
    np.testing.assert_allclose(sols[0], q + turns, atol=1e-9)


def test_generic_pose_has_eight_distinct_solutions(cell_model: RobotModel) -> None:
    T = cell_model.chain.fk(np.array([0.4, -1.0, 2.0, -1.0, 1.0, 0.5]))
    sols = _IK.solve(T)
    assert len(sols) == 8
    wrapped = np.round(np.angle(np.exp(1j * sols)), 6)
    assert len({tuple(r) for r in wrapped}) == 8


def test_wrist_singularity_gives_finite_solutions_keeping_the_seed_wrist(
    cell_model: RobotModel,
) -> None:
    q = np.array([0.5, -1.0, 1.2, -0.7, 0.0, 0.3])  # θ5 = 0: wrist 1 and wrist 3 axes align
    T = cell_model.chain.fk(q)
    sols = _IK.solve(T, q)
    assert np.all(np.isfinite(sols))
    _assert_reaches(cell_model, sols, T)
    np.testing.assert_allclose(sols[0, 5], q[5], atol=1e-9)


def test_elbow_singularity_at_full_stretch(cell_model: RobotModel) -> None:
    q = np.array([0.2, -0.8, 0.0, 0.4, 1.1, -0.3])  # θ3 = 0: arm fully stretched
    T = cell_model.chain.fk(q)
    sols = _IK.solve(T, q)
    assert np.all(np.isfinite(sols))
    _assert_reaches(cell_model, sols, T)


def test_shoulder_singularity_with_wrist_point_on_the_reach_cylinder(
    cell_model: RobotModel,
) -> None:
    # Wrist point at distance exactly d4 from the base axis: both shoulder branches meet.
    chain = cell_model.chain
    T = chain.fk(np.array([0.0, -1.3, 1.7, -1.9, -1.5708, 0.0]))
    p = _IK.params
    w = T[:3, 3] - p.d6 * T[:3, 2]
    T = T.copy()
    T[:2, 3] += (w[:2] / np.linalg.norm(w[:2])) * (p.d4 - np.linalg.norm(w[:2]))
    sols = _IK.solve(T)
    assert np.all(np.isfinite(sols))
    _assert_reaches(cell_model, sols, T)


@pytest.mark.parametrize("position", [[2.0, 0.0, 0.3], [0.0, 0.0, 1.5], [0.01, 0.0, 0.5]])
def test_unreachable_pose_gives_no_solution_and_a_clear_error(position: list[float]) -> None:
    T = np.eye(4)
    T[:3, 3] = position
    assert _IK.solve(T).shape == (0, 6)
    with pytest.raises(IKError, match="no IK solution"):
        _IK.solve_nearest(T)


def test_malformed_target_is_rejected() -> None:
    with pytest.raises(KinematicsError, match="4x4"):
        _IK.solve(np.eye(3))
    T = np.eye(4)
    T[0, 3] = np.nan
    with pytest.raises(KinematicsError, match="finite"):
        _IK.solve(T)


def test_joint_limits_filter_solutions(cell_model: RobotModel) -> None:
    """A solution needing the elbow beyond ±π is not returned."""
    T = cell_model.chain.fk(np.array([0.4, -1.1, 1.3, -1.6, -1.2, 0.5]))
    sols = _IK.solve(T)
    assert np.all(np.abs(sols[:, 2]) <= math.pi)


def test_batch_solver_agrees_with_single_pose_solver(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    Q = cell_model.chain.sample(rng, 200)
    Ts = cell_model.chain.fk(Q)
    q_batch, valid = _IK.solve_batch(Ts, Q)
    for i, T in enumerate(Ts):
        single = _IK.solve(T, Q[i])
        batch = q_batch[i][valid[i]]
        dp, dw = pose_error(cell_model.chain.fk(batch), np.broadcast_to(T, (len(batch), 4, 4)))
        assert np.max(np.abs(dp)) < 1e-9 and np.max(np.abs(dw)) < 1e-9
        best = batch[np.argmin(np.linalg.norm(batch - Q[i], axis=1))]
        np.testing.assert_allclose(best, single[0], atol=1e-9)


def test_a_chain_that_is_not_ur_type_is_refused(cell_model: RobotModel) -> None:
    from jazari.robot.chain import KinematicChain

    chain = KinematicChain.from_urdf(cell_model.urdf, "shoulder_link", "tcp")
    with pytest.raises(RobotModelError, match="6 revolute joints"):
        AnalyticIK.from_chain(chain)


def test_arm_stretched_with_a_singular_wrist_still_gets_its_solutions(
    cell_model: RobotModel,
) -> None:
    # Elbow straight and wrist singular at once; rounding makes sin θ5 look like 2e-8.
    q = np.array([3.0, 2.25, 0.0, 5.0, 0.0, 0.0])
    T = cell_model.chain.fk(q)
    _assert_reaches(cell_model, _IK.solve(T, np.zeros(6)), T)
    _assert_reaches(cell_model, _IK.solve(T, q), T)
