"""Trajectories: :class:`jazari.robot.trajectory.JointTrajectory` <->
``trajectory_msgs/msg/JointTrajectory``, and ``control_msgs`` FollowJointTrajectory goals.

Incoming trajectories come from other programs (MoveIt, rqt, scripts), so every value
is checked and an error names the first bad one (``points[3].positions[2] is nan``).
ROS lets a trajectory leave velocities or accelerations out; missing ones are estimated
from the positions by finite differences (``numpy.gradient``), so the follower's cubic
interpolation moves smoothly through the points instead of stopping at each one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.robot.errors import KinematicsError
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert.base import MessageTypes, duration_msg, header_msg, numbers, seconds
from jazari.ros.errors import ConversionError


def joint_trajectory_msg(
    types: MessageTypes,
    trajectory: JointTrajectory,
    *,
    start_stamp_s: float = 0.0,
    frame_id: str = "",
) -> Any:
    """``trajectory_msgs/msg/JointTrajectory`` with positions [rad], velocities [rad/s]
    and accelerations [rad/s²] at every sample; efforts are left empty.

    Args:
        start_stamp_s: when the trajectory starts [s]; 0 (the default) means "as soon
            as it is received", as ros2_control's trajectory controller reads it.
        frame_id: the header's frame (unused by joint trajectories; empty by default).
    """
    point_cls = types.get("trajectory_msgs/msg/JointTrajectoryPoint")
    empty = types.sequence(np.zeros(0))
    points = [
        point_cls(
            # Row copies: the message must not alias the trajectory's arrays.
            positions=types.sequence(trajectory.positions[k].copy()),
            velocities=types.sequence(trajectory.velocities[k].copy()),
            accelerations=types.sequence(trajectory.accelerations[k].copy()),
            effort=empty,
            time_from_start=duration_msg(
                types, float(trajectory.time_s[k]), f"points[{k}].time_from_start"
            ),
        )
        for k in range(len(trajectory.time_s))
    ]
    return types.get("trajectory_msgs/msg/JointTrajectory")(
        header=header_msg(types, start_stamp_s, frame_id),
        joint_names=list(trajectory.joint_names),
        points=points,
    )


def _point_values(point: Any, part: str, k: int, n: int, field: str) -> FloatArray | None:
    """One point's ``part`` (positions, velocities, ...) checked, or None when empty."""
    values = numbers(getattr(point, part), f"{field}.points[{k}].{part}")
    if values.size == 0:
        return None
    if values.size != n:
        raise ConversionError(f"{field}.points[{k}].{part} has {values.size} values for {n} joints")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise ConversionError(f"{field}.points[{k}].{part}[{i}] is {values[i]}, not finite")
    return values


def _column(points: list[Any], part: str, n: int, field: str) -> FloatArray | None:
    """(K, n) values of ``part`` over all points, or None when every point leaves it out."""
    rows = [_point_values(p, part, k, n, field) for k, p in enumerate(points)]
    given = [r is not None for r in rows]
    if not any(given):
        return None
    if not all(given):
        k = given.index(False)
        raise ConversionError(
            f"{field}.points[{k}].{part} is empty while other points give {part}; "
            "give it at every point or at none"
        )
    return np.vstack([r for r in rows if r is not None])


def joint_trajectory_from_msg(msg: Any, field: str = "trajectory") -> JointTrajectory:
    """A core trajectory from a ``trajectory_msgs/msg/JointTrajectory``.

    ``time_s`` is each point's ``time_from_start``; the header stamp is not used.

    Raises:
        ConversionError: for missing or repeated joint names, no points, a point with
            the wrong number of values or a non-finite one, or times that do not
            strictly increase; the message names the field and value.
    """
    names = tuple(str(n) for n in msg.joint_names)
    if not names:
        raise ConversionError(f"{field}.joint_names is empty")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConversionError(f"{field}.joint_names repeats {repeated}")
    points = list(msg.points)
    if not points:
        raise ConversionError(f"{field}.points is empty")
    n = len(names)
    positions = _column(points, "positions", n, field)
    if positions is None:
        raise ConversionError(f"{field}.points[0].positions is empty")
    time_s = np.array(
        [
            seconds(p.time_from_start, f"{field}.points[{k}].time_from_start")
            for k, p in enumerate(points)
        ]
    )
    steps = np.diff(time_s)
    if np.any(steps <= 0):
        k = int(np.argmax(steps <= 0)) + 1
        raise ConversionError(
            f"{field}.points[{k}].time_from_start {time_s[k]} s is not after "
            f"points[{k - 1}]'s {time_s[k - 1]} s"
        )
    velocities = _column(points, "velocities", n, field)
    if velocities is None:
        velocities = _derivative(positions, time_s)
    accelerations = _column(points, "accelerations", n, field)
    if accelerations is None:
        accelerations = _derivative(velocities, time_s)
    try:
        return JointTrajectory(names, time_s, positions, velocities, accelerations)
    except KinematicsError as exc:
        raise ConversionError(f"{field}: {exc}") from None


def _derivative(values: FloatArray, time_s: FloatArray) -> FloatArray:
    if len(time_s) < 2:
        return np.zeros_like(values)
    derivative: FloatArray = np.gradient(values, time_s, axis=0, edge_order=1)
    return derivative


def follow_joint_trajectory_goal(
    types: MessageTypes, trajectory: JointTrajectory, *, goal_time_tolerance_s: float = 0.0
) -> Any:
    """A ``control_msgs/action/FollowJointTrajectory`` goal for ``trajectory``.

    Tolerances are left to the server's defaults; ``goal_time_tolerance_s`` [s] is how
    late after the last point the goal may still be reached (0: the server's default).
    """
    if goal_time_tolerance_s < 0:
        raise ConversionError(f"goal_time_tolerance_s must be >= 0, got {goal_time_tolerance_s}")
    return types.get("control_msgs/action/FollowJointTrajectory_Goal")(
        trajectory=joint_trajectory_msg(types, trajectory),
        multi_dof_trajectory=types.get("trajectory_msgs/msg/MultiDOFJointTrajectory")(
            header=header_msg(types, 0.0, ""), joint_names=[], points=[]
        ),
        path_tolerance=[],
        component_path_tolerance=[],
        goal_tolerance=[],
        component_goal_tolerance=[],
        goal_time_tolerance=duration_msg(types, goal_time_tolerance_s, "goal_time_tolerance"),
    )


def joint_trajectory_from_goal(goal: Any, field: str = "goal") -> JointTrajectory:
    """The trajectory of a FollowJointTrajectory goal; multi-DOF joints are refused."""
    if list(goal.multi_dof_trajectory.joint_names) or list(goal.multi_dof_trajectory.points):
        raise ConversionError(
            f"{field}.multi_dof_trajectory is not supported (joints "
            f"{list(goal.multi_dof_trajectory.joint_names)}); send single-DOF joints only"
        )
    return joint_trajectory_from_msg(goal.trajectory, f"{field}.trajectory")
