"""Following trajectories on emulated servos, with FollowJointTrajectory result codes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from serial_rig import JOINTS, START_Q, serial_rig, trajectory_from

from jazari.clock import WallClock
from jazari.control.follower import FollowerConfig, TrajectoryFollower
from jazari.control.goal import ResultCode, TrajectoryGoal
from jazari.control.safety import SafetyConfigError, SupervisorState
from jazari.sim.dynamixel_emulator import CorruptReplies, SetLoadTorque

DQ = (0.2, -0.2, 0.2, -0.2, 0.2, -0.2)


def test_a_trajectory_is_followed_to_its_goal() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        seen: list[np.ndarray] = []
        result = rig.follower.follow(
            trajectory_from(START_Q, DQ, 1.0), on_cycle=lambda _k, s: seen.append(s.position_rad)
        )
        assert result.successful, result.error_string
        assert (result.code, result.error_string) == (ResultCode.SUCCESSFUL, "")
        assert result.final_state is not None
        np.testing.assert_allclose(result.final_state.position_rad, np.add(START_Q, DQ), atol=0.02)
        assert len(result.tick_times_s) == result.cycles
        # The arm went there smoothly: never further from the start than the goal.
        travel = np.abs(np.array(seen) - START_Q)
        assert np.all(travel <= np.abs(DQ) + 0.02)


def test_goal_columns_in_another_order_are_matched_by_name() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        traj = trajectory_from(START_Q, DQ, 0.8)
        order = [5, 4, 3, 2, 1, 0]
        goal = TrajectoryGoal(
            tuple(JOINTS[k] for k in order),
            traj.time_s,
            traj.positions[:, order],
            traj.velocities[:, order],
        )
        result = rig.follower.follow(goal)
        assert result.successful, result.error_string
        assert result.final_state is not None
        np.testing.assert_allclose(result.final_state.position_rad, np.add(START_Q, DQ), atol=0.02)


def test_a_goal_starting_later_moves_from_the_measured_position() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        target = np.add(START_Q, DQ)
        goal = TrajectoryGoal(JOINTS, [0.6, 1.0], [target, target])  # first point at t > 0
        result = rig.follower.follow(goal)
        assert result.successful, result.error_string
        first = rig.recorder.writes[1]  # after arming's re-sync: the follower's first setpoint
        assert np.max(np.abs(first - START_Q)) < 0.01  # no jump towards the first point


def test_an_old_goal_is_refused_and_nothing_is_written() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        n = len(rig.recorder.writes)
        clock = WallClock()
        result = rig.follower.follow(
            trajectory_from(START_Q, DQ, 1.0), start_time_s=clock.now() - 5.0
        )
        assert (result.code, result.status) == (ResultCode.OLD_HEADER_TIMESTAMP, "rejected")
        assert len(rig.recorder.writes) == n


def test_a_goal_stamped_in_the_future_holds_until_its_start() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        clock = WallClock()
        start = clock.now() + 0.3
        held: list[float] = []

        def on_cycle(_k: int, _s: object) -> None:
            if clock.now() < start - 0.01:
                armed = rig.recorder.writes[0]  # arming's re-sync to the measured position
                held.append(float(np.max(np.abs(rig.recorder.writes[-1] - armed))))

        result = rig.follower.follow(
            trajectory_from(START_Q, DQ, 0.5), start_time_s=start, on_cycle=on_cycle
        )
        assert result.successful, result.error_string
        assert held and max(held) == 0.0  # nothing moved before the stamp


def test_a_reply_lost_just_before_a_goal_does_not_refuse_it() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        rig.emulator.apply(CorruptReplies(3, count=1))  # the goal's first reading is stale
        result = rig.follower.follow(trajectory_from(START_Q, DQ, 0.3))
        assert result.successful, result.error_string


def test_unknown_joints_give_invalid_joints() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        goal = TrajectoryGoal(("a", "b", "c", "d", "e", "f"), [0.0], np.zeros((1, 6)))
        result = rig.follower.follow(goal)
        assert (result.code, result.status) == (ResultCode.INVALID_JOINTS, "rejected")


def test_a_tight_path_tolerance_aborts_with_path_tolerance_violated() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        follower = TrajectoryFollower(
            rig.supervisor,
            WallClock(),
            dataclasses.replace(rig.follower.config, path_tolerance_rad=0.002),
        )
        result = follower.follow(trajectory_from(START_Q, DQ, 1.0))
        assert (result.code, result.status) == (ResultCode.PATH_TOLERANCE_VIOLATED, "aborted")
        assert "from the path" in result.error_string
        assert rig.supervisor.state is SupervisorState.ARMED  # a goal failure, not a safety stop


def test_an_offset_at_the_end_gives_goal_tolerance_violated() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        rig.emulator.apply(SetLoadTorque(1, 3.0))  # a steady offset of a few centiradians
        follower = TrajectoryFollower(
            rig.supervisor,
            WallClock(),
            dataclasses.replace(rig.follower.config, goal_time_tolerance_s=0.3),
        )
        goal = trajectory_from(START_Q, DQ, 0.5)
        result = follower.follow(goal)
        assert (result.code, result.status) == (ResultCode.GOAL_TOLERANCE_VIOLATED, "aborted")
        assert "shoulder_pan_joint ended" in result.error_string
        assert rig.supervisor.state is SupervisorState.ARMED
        # the drives now hold where the arm stopped, not the goal it could not reach
        held, measured = rig.recorder.writes[-1], rig.supervisor.last_state.position_rad
        np.testing.assert_allclose(held, measured, atol=1e-9)
        assert abs(held[0] - goal.positions[-1][0]) > 0.02


def test_cancel_stops_following_and_holds() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()

        def on_cycle(k: int, _s: object) -> None:
            if k == 10:
                rig.follower.cancel()

        result = rig.follower.follow(trajectory_from(START_Q, DQ, 1.0), on_cycle=on_cycle)
        assert result.status == "canceled"
        assert result.cycles == 11


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rate_hz": 0.0}, "rate_hz"),
        ({"goal_tolerance_rad": -1.0}, "goal_tolerance_rad"),
        ({"path_tolerance_rad": 0.0}, "path_tolerance_rad"),
    ],
)
def test_bad_follower_configuration_is_named(change: dict[str, float], message: str) -> None:
    with pytest.raises(SafetyConfigError, match=message):
        FollowerConfig(**change)


def test_a_stall_delays_the_motion_instead_of_jumping_the_setpoint() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        written: list[np.ndarray] = []
        stalled: list[bool] = []

        def stall_once(k: int, state: object) -> None:
            written.append(np.array(rig.supervisor.setpoint))
            if k == 50 and not stalled:
                stalled.append(True)
                WallClock().sleep(0.15)  # the process is descheduled for 150 ms

        fast = np.array(DQ) * 3.0
        result = rig.follower.follow(trajectory_from(START_Q, fast, 1.0), on_cycle=stall_once)
        assert result.successful, result.error_string
        steps = np.abs(np.diff(np.array(written), axis=0)).max(axis=1)
        # No setpoint step larger than two periods at the trajectory's peak speed.
        peak = np.abs(fast).max() * np.pi / 2.0 / 1.0
        assert steps.max() <= peak * 2.0 / rig.follower.config.rate_hz + 1e-6
        assert rig.supervisor.state is SupervisorState.ARMED
