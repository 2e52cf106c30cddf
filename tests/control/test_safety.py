"""The safety supervisor with fault injection on emulated servos: each test says what
moved and what did not."""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest
from serial_rig import JOINTS, START_Q, Rig, serial_rig, trajectory_from

from jazari.control.dynamixel.control_table import XM540_W270
from jazari.control.dynamixel.packet import HardwareError
from jazari.control.goal import GoalRejectedError, ResultCode, TrajectoryGoal
from jazari.control.safety import (
    ArmError,
    JointLimits,
    MotionAbortedError,
    NotArmedError,
    SafetyConfig,
    SafetyConfigError,
    StopKind,
    SupervisorState,
)
from jazari.robot.model import load_cell_model
from jazari.sim.dynamixel_emulator import RaiseHardwareError, SetLoadTorque, SetSilent

COUNT = XM540_W270.position_unit_rad
MOVE = (0.3, 0.3, -0.3, 0.3, -0.3, 0.3)


def _goal(**change: object) -> TrajectoryGoal:
    q = np.array(START_Q)
    base: dict[str, object] = {
        "joint_names": JOINTS,
        "time_from_start_s": [0.0, 1.0, 2.0],
        "positions": [q, q + 0.1, q + 0.2],
        "velocities": None,
    }
    base.update(change)
    return TrajectoryGoal(**base)  # type: ignore[arg-type]


NAN_ROW = np.array([*START_Q[:2], np.nan, *START_Q[3:]])


@pytest.mark.parametrize(
    ("goal", "code", "message"),
    [
        (
            _goal(positions=[np.array(START_Q), NAN_ROW, np.array(START_Q)]),
            ResultCode.INVALID_GOAL,
            r"positions\[1, 2\] is nan",
        ),
        (_goal(velocities=np.full((3, 6), np.inf)), ResultCode.INVALID_GOAL, "velocities.* is inf"),
        (
            _goal(time_from_start_s=[0.0, 1.0, np.inf]),
            ResultCode.INVALID_GOAL,
            "time_from_start_s.* is inf",
        ),
        (
            _goal(joint_names=(*JOINTS[:5], "gripper_joint")),
            ResultCode.INVALID_JOINTS,
            "unknown joints .*gripper_joint",
        ),
        (
            _goal(joint_names=(*JOINTS[:5], JOINTS[0])),
            ResultCode.INVALID_JOINTS,
            "repeat.*shoulder_pan_joint",
        ),
        (
            _goal(joint_names=JOINTS[:5], positions=np.zeros((3, 5))),
            ResultCode.INVALID_JOINTS,
            "lacks joints.*wrist_3_joint",
        ),
        (
            _goal(time_from_start_s=[0.0, 1.0, 1.0]),
            ResultCode.INVALID_GOAL,
            "strictly increase: sample 2",
        ),
        (_goal(time_from_start_s=[0.0, 2.0, 1.0]), ResultCode.INVALID_GOAL, "strictly increase"),
        (
            _goal(positions=[np.array(START_Q)] * 2 + [np.add(START_Q, [0, 0, 9, 0, 0, 0])]),
            ResultCode.INVALID_GOAL,
            "position .* of elbow_joint is outside",
        ),
        (
            _goal(velocities=np.full((3, 6), 4.0)),
            ResultCode.INVALID_GOAL,
            "velocity 4.0 of shoulder_pan_joint exceeds",
        ),
        (
            _goal(time_from_start_s=[0.0, 0.01, 0.02]),
            ResultCode.INVALID_GOAL,
            "would move at 10.* above its limit",
        ),
        (
            _goal(positions=[np.array(START_Q) + 0.3] * 3),
            ResultCode.INVALID_GOAL,
            "starts 0.3.* away from the measured position",
        ),
        (
            _goal(time_from_start_s=[], positions=np.zeros((0, 6))),
            ResultCode.INVALID_GOAL,
            "no samples",
        ),
        (_goal(positions=np.zeros((3, 4))), ResultCode.INVALID_GOAL, r"shape \(3, 6\)"),
        (_goal(time_from_start_s=["a", "b", "c"]), ResultCode.INVALID_GOAL, "not numeric"),
    ],
)
def test_bad_goals_are_rejected_before_anything_moves(
    goal: TrajectoryGoal, code: ResultCode, message: str
) -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        goals_before, present_before = rig.snapshot_counts()
        writes_before = len(rig.recorder.writes)
        result = rig.follower.follow(goal)
        assert (result.code, result.status) == (code, "rejected")
        assert re.search(message, result.error_string), result.error_string
        goals, present = rig.snapshot_counts()
        np.testing.assert_array_equal(goals, goals_before)  # no servo got a new goal
        assert np.max(np.abs(present - present_before)) <= 2
        # Only the follower's one holding cycle was written, at the armed position.
        for q in rig.recorder.writes[writes_before:]:
            np.testing.assert_array_equal(q, rig.recorder.writes[writes_before - 1])


def test_a_goal_is_refused_unless_armed() -> None:
    with serial_rig() as rig:
        with pytest.raises(GoalRejectedError, match="disarmed; arm it first") as info:
            rig.supervisor.validate_goal(_goal())
        assert info.value.code is ResultCode.INVALID_GOAL
        with pytest.raises(NotArmedError):
            rig.supervisor.cycle(np.array(START_Q))
        assert rig.recorder.writes == []


def _run_until(rig: Rig, cycle_index: int, action: object, *, duration_s: float = 2.0):  # type: ignore[no-untyped-def]
    """Follow a move, calling ``action()`` after cycle ``cycle_index``; the result."""

    def on_cycle(k: int, _state: object) -> None:
        if k == cycle_index:
            action()  # type: ignore[operator]

    return rig.follower.follow(trajectory_from(START_Q, MOVE, duration_s), on_cycle=on_cycle)


def test_watchdog_stops_every_axis_when_a_drive_stops_answering() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        result = _run_until(rig, 40, lambda: rig.emulator.apply(SetSilent(4)))
        assert (result.code, result.status) == (ResultCode.PATH_TOLERANCE_VIOLATED, "aborted")
        assert "watchdog" in result.error_string and "wrist_1_joint" in result.error_string
        reason = rig.supervisor.stop_reason
        assert (
            reason is not None
            and reason.kind is StopKind.WATCHDOG
            and reason.joints == ("wrist_1_joint",)
        )
        # Three cycles without wrist_1: two kept going, the third stopped everything.
        assert result.cycles == 41 + 2
        hold = rig.recorder.writes[-1]
        state = rig.supervisor.last_state
        assert state is not None and state.telemetry[3].stale
        np.testing.assert_array_equal(hold, state.position_rad)  # last known, for wrist_1
        time.sleep(0.3)
        goals, present = rig.snapshot_counts()
        others = [0, 1, 2, 4, 5]
        np.testing.assert_array_equal(goals[others], np.round(hold[others] / COUNT))
        assert np.max(np.abs(present[others] * COUNT - hold[others])) < 0.03  # stopped there
        silent_goal = goals[3]  # wrist_1 never heard the stop: it keeps its last goal
        rig.supervisor.cycle()  # holding on; still stale
        assert rig.emulator.snapshot()[3].goal_position == silent_goal
        assert rig.supervisor.state is SupervisorState.STOPPED


def test_software_estop_stops_motion_within_one_cycle() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        marks: list[int] = []

        def press() -> None:
            marks.append(len(rig.recorder.writes))
            rig.supervisor.estop("operator pressed stop")

        result = _run_until(rig, 30, press)
        assert result.status == "aborted" and "e-stop: operator pressed stop" in result.error_string
        after = rig.recorder.writes[marks[0] :]
        assert len(after) == 1  # the very next cycle wrote the hold and aborted
        state = rig.supervisor.last_state
        assert state is not None
        np.testing.assert_array_equal(after[0], state.position_rad)
        _, present_then = rig.snapshot_counts()
        time.sleep(0.3)
        goals, present = rig.snapshot_counts()
        np.testing.assert_array_equal(goals, np.round(after[0] / COUNT))
        assert np.max(np.abs(present - present_then)) * COUNT < 0.05


def test_estop_from_another_thread_aborts_the_running_goal() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        started = threading.Event()
        marks: list[int] = []

        def on_cycle(k: int, _state: object) -> None:
            if k == 20:
                started.set()

        def press() -> None:
            started.wait(5.0)
            marks.append(len(rig.recorder.writes))
            rig.supervisor.estop()

        presser = threading.Thread(target=press)
        presser.start()
        result = rig.follower.follow(trajectory_from(START_Q, MOVE, 2.0), on_cycle=on_cycle)
        presser.join()
        assert result.status == "aborted" and "e-stop" in result.error_string
        # A cycle already past its checks may still write once; the next writes the hold.
        assert len(rig.recorder.writes) - marks[0] <= 2
        assert rig.supervisor.state is SupervisorState.STOPPED


def test_following_error_stops_every_axis() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        result = _run_until(rig, 20, lambda: rig.emulator.apply(SetLoadTorque(2, 20.0)))
        assert result.status == "aborted"
        reason = rig.supervisor.stop_reason
        assert reason is not None and reason.kind is StopKind.FOLLOWING_ERROR
        assert "shoulder_lift_joint" in reason.message
        hold = rig.recorder.writes[-1]
        time.sleep(0.2)
        goals, present = rig.snapshot_counts()
        np.testing.assert_array_equal(goals, np.round(hold / COUNT))
        others = [0, 2, 3, 4, 5]
        assert np.max(np.abs(present[others] * COUNT - hold[others])) < 0.03


def test_drive_fault_stops_everything_and_rearming_needs_a_fault_reset() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        result = _run_until(
            rig, 25, lambda: rig.emulator.apply(RaiseHardwareError(3, HardwareError.OVERHEATING))
        )
        assert result.status == "aborted" and "drive fault on elbow_joint" in result.error_string
        assert not rig.emulator.snapshot()[2].torque_enabled  # the servo cut its own torque
        with pytest.raises(ArmError, match=r"elbow_joint .*reset them first"):
            rig.supervisor.arm()
        assert rig.supervisor.state is SupervisorState.STOPPED
        n = len(rig.recorder.writes)
        state = rig.supervisor.arm(reset_faults=True)
        # Re-arming re-syncs the setpoints to the measured positions: no jump.
        np.testing.assert_array_equal(rig.recorder.writes[n], state.position_rad)
        goals, present = rig.snapshot_counts()
        assert np.max(np.abs(goals - present)) <= 2
        assert all(s.torque_enabled for s in rig.emulator.snapshot())
        assert rig.supervisor.state.name == "ARMED"


def test_nothing_resumes_until_an_explicit_rearm() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        rig.supervisor.stop("maintenance")
        with pytest.raises(MotionAbortedError, match="operator stop: maintenance"):
            rig.supervisor.cycle(np.array(START_Q))
        goals_stopped, _ = rig.snapshot_counts()
        with pytest.raises(MotionAbortedError):
            rig.supervisor.cycle(np.array(START_Q) + 0.01)  # still refused, still holding
        result = rig.follower.follow(trajectory_from(START_Q, MOVE, 1.0))
        assert (result.code, result.status) == (ResultCode.INVALID_GOAL, "rejected")
        assert "stopped" in result.error_string
        np.testing.assert_array_equal(rig.snapshot_counts()[0], goals_stopped)
        rig.supervisor.arm()
        state = rig.supervisor.last_state
        assert state is not None
        result = rig.follower.follow(trajectory_from(state.position_rad, [0.05] * 6, 0.5))
        assert result.successful, result.error_string


def test_a_setpoint_jump_is_refused_and_stops_the_arm() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        with pytest.raises(MotionAbortedError, match="bad setpoint: setpoint of elbow_joint moves"):
            rig.supervisor.cycle(np.add(START_Q, [0, 0, 0.5, 0, 0, 0]))
        assert not any(np.allclose(q[2], START_Q[2] + 0.5) for q in rig.recorder.writes)
        goals, present = rig.snapshot_counts()
        assert np.max(np.abs(goals - present)) <= 2


def test_a_setpoint_outside_the_limits_is_refused() -> None:
    with serial_rig(start_q=(0.0, 0.0, 3.1, 0.0, 0.0, 0.0)) as rig:
        rig.supervisor.arm()
        with pytest.raises(MotionAbortedError, match=r"setpoint 3\.15 of elbow_joint is outside"):
            rig.supervisor.cycle(np.array([0.0, 0.0, 3.15, 0.0, 0.0, 0.0]))


def test_a_failing_bus_stops_the_supervisor() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        rig.bus.close()
        with pytest.raises(MotionAbortedError, match="bus error: reading the drives failed"):
            rig.supervisor.cycle(np.array(START_Q))
        assert rig.supervisor.state is SupervisorState.STOPPED


def test_disarm_turns_torque_off() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        rig.supervisor.disarm()
        assert not any(s.torque_enabled for s in rig.emulator.snapshot())
        assert rig.supervisor.state is SupervisorState.DISARMED


def test_limits_come_from_the_urdf_in_bus_order() -> None:
    chain = load_cell_model().chain
    limits = JointLimits.from_chain(chain, tuple(reversed(JOINTS)))
    assert limits.upper[0] == chain.upper[-1]
    with pytest.raises(SafetyConfigError, match="gripper"):
        JointLimits.from_chain(chain, ("gripper",))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"watchdog_cycles": 0}, "watchdog_cycles"),
        ({"max_following_error_rad": -1.0}, "max_following_error_rad"),
        ({"start_tolerance_rad": float("nan")}, "start_tolerance_rad"),
    ],
)
def test_bad_safety_configuration_is_named(change: dict[str, float], message: str) -> None:
    with pytest.raises(SafetyConfigError, match=message):
        SafetyConfig(**change)  # type: ignore[arg-type]
    with pytest.raises(SafetyConfigError, match="3 values for 6 axes"):
        SafetyConfig(max_following_error_rad=(0.1, 0.1, 0.1)).following_limits(6)


def test_hold_measured_makes_a_lagging_arm_hold_where_it_is() -> None:
    with serial_rig() as rig:
        rig.supervisor.arm()
        state = rig.supervisor.cycle(np.add(START_Q, 0.01))  # a setpoint the arm has not reached
        state = rig.supervisor.hold_measured()
        np.testing.assert_array_equal(rig.supervisor.setpoint, state.position_rad)
        assert rig.supervisor.state is SupervisorState.ARMED
        rig.supervisor.estop("test")
        with pytest.raises(NotArmedError, match="needs an armed supervisor"):
            rig.supervisor.hold_measured()
