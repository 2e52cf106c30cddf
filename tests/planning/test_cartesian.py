"""Straight Cartesian lines: the joints trace the poses on one IK branch, and a flip or a
lost branch is refused."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.geometry.transforms import pose_error
from jazari.planning.cartesian import follow_line, interpolate_poses
from jazari.planning.errors import LineError, PlanningInputError, UnreachableError
from jazari.robot.ik_analytic import AnalyticIK
from jazari.robot.model import RobotModel


@pytest.fixture(scope="module")
def ik(cell_model: RobotModel) -> AnalyticIK:
    return AnalyticIK.from_model(cell_model)


def test_interpolated_poses_keep_their_steps_and_ends(
    cell_model: RobotModel, home_q: np.ndarray
) -> None:
    T0 = cell_model.chain.fk(home_q)
    T1 = T0.copy()
    T1[:3, 3] += [0.0, 0.0, -0.1]
    T1[:3, :3] = T0[:3, :3] @ np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])  # +90° about tool z
    poses = interpolate_poses(T0, T1, 0.005, 0.05)
    np.testing.assert_allclose(poses[0], T0, atol=1e-12)
    np.testing.assert_allclose(poses[-1], T1, atol=1e-12)
    dp, dw = pose_error(poses[:-1], poses[1:])
    assert np.max(np.linalg.norm(dp, axis=1)) <= 0.005 + 1e-12
    assert np.max(np.linalg.norm(dw, axis=1)) <= 0.05 + 1e-12
    with pytest.raises(PlanningInputError):
        interpolate_poses(T0, T1, 0.0, 0.05)


def test_follow_line_reaches_every_pose_without_jumps(
    cell_model: RobotModel, ik: AnalyticIK, home_q: np.ndarray
) -> None:
    T0 = cell_model.chain.fk(home_q)
    T1 = T0.copy()
    T1[2, 3] -= 0.15
    poses = interpolate_poses(T0, T1, 0.005, 0.05)
    q = follow_line(ik, poses, home_q, 0.15)
    np.testing.assert_array_equal(q[0], home_q)
    dp, dw = pose_error(cell_model.chain.fk(q), poses)
    assert np.max(np.linalg.norm(dp, axis=1)) < 1e-9 and np.max(np.linalg.norm(dw, axis=1)) < 1e-9
    assert np.max(np.abs(np.diff(q, axis=0))) < 0.05


def test_a_line_through_the_wrist_singularity_is_refused_as_a_flip(
    cell_model: RobotModel, ik: AnalyticIK, home_q: np.ndarray
) -> None:
    # wrist 2 near zero: wrist 1 and 3 axes almost align; moving sideways there makes
    # the wrist joints swing fast
    q0 = home_q.copy()
    q0[4] = 0.05
    T0 = cell_model.chain.fk(q0)
    T1 = T0.copy()
    T1[1, 3] += 0.1
    with pytest.raises(LineError, match="jump"):
        follow_line(ik, interpolate_poses(T0, T1, 0.005, 0.05), q0, 0.15)


def test_a_line_out_of_reach_loses_the_branch(
    cell_model: RobotModel, ik: AnalyticIK, home_q: np.ndarray
) -> None:
    T0 = cell_model.chain.fk(home_q)
    T1 = T0.copy()
    T1[0, 3] += 1.0  # far beyond the reach
    with pytest.raises(UnreachableError, match="lost"):
        follow_line(ik, interpolate_poses(T0, T1, 0.01, 0.05), home_q, 0.15)


def test_a_start_that_does_not_solve_the_first_pose_is_refused(
    cell_model: RobotModel, ik: AnalyticIK, home_q: np.ndarray
) -> None:
    T0 = cell_model.chain.fk(home_q)
    with pytest.raises(LineError, match="not an IK solution"):
        follow_line(ik, T0[None], home_q + 0.01, 0.15)
