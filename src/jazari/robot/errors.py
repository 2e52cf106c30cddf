"""Errors of the robot model and kinematics."""

from jazari.errors import JazariError


class RobotModelError(JazariError):
    """A robot description (URDF/xacro) is malformed or does not fit the request."""


class KinematicsError(JazariError, ValueError):
    """Joint values or poses handed to kinematics are malformed (shape, NaN, names)."""


class IKError(JazariError):
    """Inverse kinematics found no solution; the message says why."""
