"""Numeric IK: converges within limits, fails clearly, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.geometry.transforms import pose_error
from jazari.robot.errors import IKError, KinematicsError
from jazari.robot.ik_numeric import NumericIK, NumericIKOptions
from jazari.robot.model import RobotModel


def test_reaches_random_poses_from_mid_range(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    ik = NumericIK(cell_model.chain)
    chain = cell_model.chain
    for T in chain.fk(chain.sample(rng, 40)):
        q = ik.solve(T, chain.mid_range(), rng)
        dp, dw = pose_error(chain.fk(q), T)
        assert np.linalg.norm(dp) <= 1e-5 and np.linalg.norm(dw) <= 1e-5
        assert chain.within_limits(q)


def test_unreachable_pose_raises_with_the_best_error(cell_model: RobotModel) -> None:
    ik = NumericIK(cell_model.chain, NumericIKOptions(max_attempts=3, max_iterations=30))
    T = np.eye(4)
    T[:3, 3] = [3.0, 0.0, 0.0]
    with pytest.raises(IKError, match="did not converge in 3 attempts; best errors"):
        ik.solve(T, cell_model.chain.mid_range())


def test_same_generator_seed_gives_the_same_solution(cell_model: RobotModel) -> None:
    ik = NumericIK(cell_model.chain)
    T = cell_model.chain.fk(np.array([2.0, -2.0, 2.5, 1.0, 2.0, -1.0]))
    a = ik.solve(T, np.zeros(6), np.random.default_rng(3))
    b = ik.solve(T, np.zeros(6), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("field", "value"), [("tol_position_m", 0.0), ("max_attempts", 0), ("initial_damping", -1.0)]
)
def test_bad_options_are_rejected(field: str, value: float) -> None:
    with pytest.raises(KinematicsError, match=field):
        NumericIKOptions(**{field: value})


def test_malformed_target_is_rejected(cell_model: RobotModel) -> None:
    with pytest.raises(KinematicsError):
        NumericIK(cell_model.chain).solve(np.full((4, 4), np.nan), np.zeros(6))
