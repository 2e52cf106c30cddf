"""Joint states against the Jazzy sensor_msgs/JointState definition."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.ports import DriveState
from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert.joints import drive_state_from_joint_state, joint_positions, joint_state_msg
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip

JOINTS = ("shoulder_pan_joint", "shoulder_lift_joint", "elbow_joint")


def _state(rng: np.random.Generator) -> DriveState:
    return DriveState(
        stamp_s=4.25,
        joint_names=JOINTS,
        position_rad=rng.uniform(-3, 3, 3),
        velocity_rad_s=rng.uniform(-1, 1, 3),
        effort=rng.uniform(-10, 10, 3),
    )


def test_drive_state_round_trips_through_cdr(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    state = _state(rng)
    back = drive_state_from_joint_state(cdr_round_trip(types.store, joint_state_msg(types, state)))
    assert back.stamp_s == 4.25 and back.joint_names == JOINTS
    np.testing.assert_array_equal(back.position_rad, state.position_rad)
    np.testing.assert_array_equal(back.velocity_rad_s, state.velocity_rad_s)
    np.testing.assert_array_equal(back.effort, state.effort)


def test_missing_velocity_and_effort_read_as_unknown(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    msg = joint_state_msg(types, _state(rng))
    msg.velocity = np.zeros(0)
    msg.effort = np.zeros(0)
    back = drive_state_from_joint_state(msg)
    assert np.isnan(back.velocity_rad_s).all() and np.isnan(back.effort).all()


def test_positions_are_picked_by_name_in_the_requested_order(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    state = _state(rng)
    msg = joint_state_msg(types, state)
    q = joint_positions(msg, ["elbow_joint", "shoulder_pan_joint"])
    np.testing.assert_array_equal(q, state.position_rad[[2, 0]])
    with pytest.raises(ConversionError, match=r"lacks joints \['wrist_1_joint'\]"):
        joint_positions(msg, ["elbow_joint", "wrist_1_joint"])


def test_length_mismatch_and_non_finite_positions_are_refused(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    state = _state(rng)
    bad = DriveState(
        state.stamp_s, JOINTS, state.position_rad[:2], state.velocity_rad_s, state.effort
    )
    with pytest.raises(ConversionError, match="position has 2 values for 3 joints"):
        joint_state_msg(types, bad)
    nan = DriveState(
        state.stamp_s, JOINTS, np.array([0.0, np.nan, 0.0]), state.velocity_rad_s, state.effort
    )
    with pytest.raises(ConversionError, match="position of shoulder_lift_joint must be finite"):
        joint_state_msg(types, nan)
    msg = joint_state_msg(types, state)
    msg.effort = np.zeros(2)
    with pytest.raises(ConversionError, match=r"joint_state.effort has 2 values for 3 names"):
        drive_state_from_joint_state(msg)
    msg.name = ["a", "a", "b"]
    with pytest.raises(ConversionError, match="must be unique"):
        drive_state_from_joint_state(msg)
