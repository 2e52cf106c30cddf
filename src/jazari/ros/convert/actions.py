"""Results and feedback of the standard actions the drive and gripper nodes serve:
``control_msgs/action/FollowJointTrajectory`` and ``control_msgs/action/GripperCommand``,
and the ``std_srvs/srv/Trigger`` response of their services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jazari.control.follower import FollowResult
from jazari.geometry.transforms import FloatArray
from jazari.ports import DriveState
from jazari.ros.convert.base import MessageTypes, duration_msg, finite_vector, header_msg
from jazari.ros.errors import ConversionError


def _point(types: MessageTypes, positions: FloatArray, velocities: FloatArray, t_s: float) -> Any:
    empty = types.sequence(np.zeros(0))
    return types.get("trajectory_msgs/msg/JointTrajectoryPoint")(
        positions=types.sequence(np.array(positions, dtype=float)),
        velocities=types.sequence(np.array(velocities, dtype=float)),
        accelerations=empty,
        effort=empty,
        time_from_start=duration_msg(types, t_s, "time_from_start"),
    )


def follow_feedback_msg(
    types: MessageTypes,
    joint_names: Sequence[str],
    t_s: float,
    q_desired: FloatArray,
    v_desired: FloatArray,
    state: DriveState,
    stamp_s: float,
) -> Any:
    """``FollowJointTrajectory`` feedback: desired, actual and error at ``t_s`` [s] into
    the trajectory; arrays in the order of ``joint_names`` (the bus's)."""
    n = len(joint_names)
    q_des = finite_vector(q_desired, "q_desired", n)
    v_des = finite_vector(v_desired, "v_desired", n)
    q_act = np.asarray(state.position_rad, dtype=float)
    v_act = np.nan_to_num(np.asarray(state.velocity_rad_s, dtype=float))
    if q_act.shape != (n,):
        raise ConversionError(f"state has {q_act.size} positions for {n} joints")
    empty_multi = types.get("trajectory_msgs/msg/MultiDOFJointTrajectoryPoint")(
        transforms=[], velocities=[], accelerations=[],
        time_from_start=duration_msg(types, 0.0),
    )  # fmt: skip
    return types.get("control_msgs/action/FollowJointTrajectory_Feedback")(
        header=header_msg(types, stamp_s, ""),
        joint_names=list(joint_names),
        desired=_point(types, q_des, v_des, t_s),
        actual=_point(types, q_act, v_act, t_s),
        error=_point(types, q_des - q_act, v_des - v_act, t_s),
        multi_dof_joint_names=[],
        multi_dof_desired=empty_multi,
        multi_dof_actual=empty_multi,
        multi_dof_error=empty_multi,
    )


def follow_result_msg(types: MessageTypes, result: FollowResult) -> Any:
    """``FollowJointTrajectory`` result: the follower's code and error string."""
    return types.get("control_msgs/action/FollowJointTrajectory_Result")(
        error_code=int(result.code), error_string=result.error_string
    )


@dataclass(frozen=True)
class GripperOutcome:
    """Where a gripper command ended.

    Attributes:
        width_m: the opening between the pads [m].
        effort_n: the grip force [N] (0 when not holding).
        stalled: the fingers stopped on an object.
        reached_goal: the opening reached the commanded position.
    """

    width_m: float
    effort_n: float
    stalled: bool
    reached_goal: bool


def gripper_result_msg(
    types: MessageTypes, outcome: GripperOutcome, *, feedback: bool = False
) -> Any:
    """``GripperCommand`` result (or feedback, which has the same fields)."""
    kind = "Feedback" if feedback else "Result"
    return types.get(f"control_msgs/action/GripperCommand_{kind}")(
        position=float(outcome.width_m),
        effort=float(outcome.effort_n),
        stalled=bool(outcome.stalled),
        reached_goal=bool(outcome.reached_goal),
    )


def trigger_response(response: Any, success: bool, message: str) -> Any:
    """Fill a ``std_srvs/srv/Trigger`` response (rclpy hands the callback an empty one)."""
    response.success = bool(success)
    response.message = str(message)
    return response
