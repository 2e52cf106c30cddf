"""Trajectory goals as they arrive (untrusted), and the result codes of following them.

The result codes are those of ``control_msgs/action/FollowJointTrajectory``; the ROS
node copies them into the action result unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike

from jazari.errors import JazariError
from jazari.robot.trajectory import JointTrajectory


class ResultCode(IntEnum):
    """``control_msgs/action/FollowJointTrajectory`` result error codes."""

    SUCCESSFUL = 0
    INVALID_GOAL = -1
    INVALID_JOINTS = -2
    OLD_HEADER_TIMESTAMP = -3
    PATH_TOLERANCE_VIOLATED = -4
    GOAL_TOLERANCE_VIOLATED = -5


class GoalRejectedError(JazariError, ValueError):
    """A goal was refused before anything moved.

    Attributes:
        code: the FollowJointTrajectory result code for the refusal.
    """

    def __init__(self, code: ResultCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, eq=False)
class TrajectoryGoal:
    """A joint trajectory goal exactly as received (``trajectory_msgs/JointTrajectory``).

    Deliberately not validated here: it carries untrusted input to
    :meth:`jazari.control.safety.SafetySupervisor.validate_goal`, which checks every
    field and says what is wrong with which joint and sample.

    Attributes:
        joint_names: the columns' joint names.
        time_from_start_s: (K,) sample times from the trajectory's start [s].
        positions: (K, n) [rad].
        velocities: (K, n) [rad/s], or None to derive them from the positions.
    """

    joint_names: tuple[str, ...]
    time_from_start_s: ArrayLike
    positions: ArrayLike
    velocities: ArrayLike | None = None

    @classmethod
    def from_trajectory(cls, trajectory: JointTrajectory) -> TrajectoryGoal:
        """The goal of an already-built trajectory (its limits are still checked)."""
        return cls(
            tuple(trajectory.joint_names),
            np.array(trajectory.time_s, dtype=float),
            np.array(trajectory.positions, dtype=float),
            np.array(trajectory.velocities, dtype=float),
        )
