"""Errors of the ROS layer."""

from jazari.errors import JazariError


class ConversionError(JazariError, ValueError):
    """A ROS message or a core value cannot be converted; the message names the field
    (``points[3].positions[2]``) and the bad value."""


class MessageTypeError(JazariError, LookupError):
    """A ROS message type cannot be found (its package is not installed or not built)."""
