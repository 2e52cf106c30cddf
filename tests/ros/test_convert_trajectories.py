"""Joint trajectories and FollowJointTrajectory goals against the Jazzy trajectory_msgs
and the control_msgs definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.record.typestore import RosbagsMessageTypes, cell_typestore
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert.trajectories import (
    follow_joint_trajectory_goal,
    joint_trajectory_from_goal,
    joint_trajectory_from_msg,
    joint_trajectory_msg,
)
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip

TYPES = RosbagsMessageTypes(cell_typestore())
JOINTS = ("j1", "j2", "j3")


def _trajectory(rng: np.random.Generator, k: int = 20) -> JointTrajectory:
    # Times on whole nanoseconds, as a Duration holds them.
    time_s = np.cumsum(rng.integers(1, 200_000_000, k)) / 1e9
    return JointTrajectory(JOINTS, time_s, *(rng.normal(size=(k, 3)) for _ in range(3)))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 30))
def test_trajectory_round_trips_through_cdr(seed: int, k: int) -> None:
    traj = _trajectory(np.random.default_rng(seed), k)
    msg = cdr_round_trip(TYPES.store, joint_trajectory_msg(TYPES, traj))
    back = joint_trajectory_from_msg(msg)
    assert back.joint_names == JOINTS
    np.testing.assert_array_equal(back.time_s, traj.time_s)
    for name in ("positions", "velocities", "accelerations"):
        np.testing.assert_array_equal(getattr(back, name), getattr(traj, name))


def test_start_stamp_zero_means_start_on_receipt(rng: np.random.Generator) -> None:
    msg = joint_trajectory_msg(TYPES, _trajectory(rng), start_stamp_s=0.0)
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (0, 0)
    assert len(msg.points[0].effort) == 0


def test_follow_joint_trajectory_goal_round_trips(rng: np.random.Generator) -> None:
    traj = _trajectory(rng)
    goal = cdr_round_trip(
        TYPES.store, follow_joint_trajectory_goal(TYPES, traj, goal_time_tolerance_s=0.5)
    )
    assert goal.goal_time_tolerance.nanosec == 500_000_000
    assert goal.path_tolerance == [] and goal.goal_tolerance == []
    np.testing.assert_array_equal(joint_trajectory_from_goal(goal).positions, traj.positions)


def test_multi_dof_goals_are_refused(rng: np.random.Generator) -> None:
    goal = follow_joint_trajectory_goal(TYPES, _trajectory(rng))
    goal.multi_dof_trajectory.joint_names = ["base_planar"]
    with pytest.raises(
        ConversionError,
        match=r"goal.multi_dof_trajectory is not supported \(joints \['base_planar'\]\)",
    ):
        joint_trajectory_from_goal(goal)


def test_missing_velocities_and_accelerations_are_estimated_from_positions() -> None:
    # q(t) = t² on uneven times: central differences are exact inside for a quadratic.
    t = np.array([0.0, 0.1, 0.3, 0.4, 0.7, 1.0])
    q = np.stack([t**2] * 3, axis=1)
    traj = JointTrajectory(JOINTS, t, q, np.zeros_like(q), np.zeros_like(q))
    msg = joint_trajectory_msg(TYPES, traj)
    for point in msg.points:
        point.velocities = np.zeros(0)
        point.accelerations = np.zeros(0)
    back = joint_trajectory_from_msg(msg)
    np.testing.assert_allclose(back.velocities[1:-1, 0], 2 * t[1:-1], atol=1e-12)
    np.testing.assert_allclose(back.accelerations[2:-2, 0], 2.0, atol=1e-9)


def test_single_point_without_velocities_holds_still() -> None:
    traj = JointTrajectory(
        JOINTS, np.array([1.0]), np.ones((1, 3)), np.zeros((1, 3)), np.zeros((1, 3))
    )
    msg = joint_trajectory_msg(TYPES, traj)
    msg.points[0].velocities = np.zeros(0)
    msg.points[0].accelerations = np.zeros(0)
    np.testing.assert_array_equal(joint_trajectory_from_msg(msg).velocities, np.zeros((1, 3)))


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda m: setattr(m.points[3], "positions", np.zeros(2)),
            r"trajectory.points\[3\].positions has 2 values for 3 joints",
        ),
        (
            lambda m: m.points[2].positions.__setitem__(1, np.nan),
            r"trajectory.points\[2\].positions\[1\] is nan",
        ),
        (
            lambda m: setattr(m.points[4], "time_from_start", m.points[3].time_from_start),
            r"trajectory.points\[4\].time_from_start .* is not after points\[3\]",
        ),
        (lambda m: setattr(m, "joint_names", ["j1", "j2", "j1"]), r"joint_names repeats \['j1'\]"),
        (lambda m: setattr(m, "joint_names", []), "joint_names is empty"),
        (lambda m: setattr(m, "points", []), "trajectory.points is empty"),
        (
            lambda m: setattr(m.points[5], "velocities", np.zeros(0)),
            r"points\[5\].velocities is empty while other points give velocities",
        ),
        (
            lambda m: setattr(m.points[1].time_from_start, "nanosec", 2_000_000_000),
            r"points\[1\].time_from_start.nanosec must be in",
        ),
    ],
)
def test_malformed_trajectories_are_refused_naming_the_bad_value(
    rng: np.random.Generator, edit: object, match: str
) -> None:
    msg = joint_trajectory_msg(TYPES, _trajectory(rng))
    edit(msg)  # type: ignore[operator]
    with pytest.raises(ConversionError, match=match):
        joint_trajectory_from_msg(msg)


def test_negative_goal_time_tolerance_is_refused(rng: np.random.Generator) -> None:
    with pytest.raises(ConversionError, match="got -1"):
        follow_joint_trajectory_goal(TYPES, _trajectory(rng), goal_time_tolerance_s=-1.0)
