"""What every conversion shares: the message-class provider, time stamps, headers and
reading numeric fields whatever container the message library uses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from jazari.geometry.transforms import FloatArray
from jazari.ros.errors import ConversionError

_NS_PER_S = 1_000_000_000


class MessageTypes(Protocol):
    """Where conversions get message classes and how they hand over numeric sequences.

    Two implementations exist: :class:`jazari.record.typestore.RosbagsMessageTypes`
    (rosbags dataclasses, for recording and tests) and
    :class:`jazari.ros.message_types.RclpyMessageTypes` (the classes rosidl generates,
    inside ROS nodes). Conversions build every message with keyword arguments for all
    of its fields, which both kinds of class accept.
    """

    def get(self, name: str) -> type[Any]:
        """The class of message type ``name``, e.g. ``"sensor_msgs/msg/Image"``; action
        parts are named like ``"control_msgs/action/FollowJointTrajectory_Goal"``."""
        ...

    def sequence(self, values: NDArray[Any]) -> Any:
        """The value to store in an unbounded numeric sequence field (``float64[]``,
        ``uint8[]``, ...) holding ``values``, a 1-D array of the field's dtype."""
        ...


def time_msg(types: MessageTypes, stamp_s: float, field: str = "stamp") -> Any:
    """``builtin_interfaces/msg/Time`` of a time [s] >= 0, rounded to the nanosecond."""
    if not math.isfinite(stamp_s) or stamp_s < 0:
        raise ConversionError(f"{field} must be a finite time >= 0 s, got {stamp_s}")
    sec, nanosec = divmod(round(stamp_s * _NS_PER_S), _NS_PER_S)
    if sec >= 2**31:
        raise ConversionError(f"{field} {stamp_s} s does not fit builtin_interfaces/Time (int32 s)")
    return types.get("builtin_interfaces/msg/Time")(sec=int(sec), nanosec=int(nanosec))


def duration_msg(types: MessageTypes, duration_s: float, field: str = "duration") -> Any:
    """``builtin_interfaces/msg/Duration`` of a duration [s] (may be negative)."""
    if not math.isfinite(duration_s) or abs(duration_s) >= 2**31:
        raise ConversionError(f"{field} must be a finite duration within int32 s, got {duration_s}")
    sec, nanosec = divmod(round(duration_s * _NS_PER_S), _NS_PER_S)
    return types.get("builtin_interfaces/msg/Duration")(sec=int(sec), nanosec=int(nanosec))


def seconds(msg: Any, field: str) -> float:
    """A ``Time`` or ``Duration`` message as seconds; ``nanosec`` must be < 1e9."""
    sec, nanosec = int(msg.sec), int(msg.nanosec)
    if not 0 <= nanosec < _NS_PER_S:
        raise ConversionError(f"{field}.nanosec must be in [0, 1e9), got {nanosec}")
    # One division of the exact integer count: k ns reads back as exactly k / 1e9.
    return (sec * _NS_PER_S + nanosec) / _NS_PER_S


def header_msg(types: MessageTypes, stamp_s: float, frame_id: str) -> Any:
    """``std_msgs/msg/Header`` with a time [s] on the cell's clock and a frame name."""
    return types.get("std_msgs/msg/Header")(
        stamp=time_msg(types, stamp_s, "header.stamp"), frame_id=str(frame_id)
    )


def numbers(value: Any, field: str, dtype: type[np.generic] = np.float64) -> NDArray[Any]:
    """A numeric array field as a 1-D numpy array of ``dtype``.

    Accepts what message libraries store there: numpy arrays (rosbags, and rclpy's
    fixed-size arrays), ``array.array`` (rclpy's sequences), bytes, or lists.
    """
    try:
        if isinstance(value, np.ndarray):
            return np.asarray(value, dtype=dtype).reshape(-1)
        if isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "typecode"):
            return np.frombuffer(value, dtype=np.dtype(getattr(value, "typecode", "B"))).astype(
                dtype, copy=False
            )
        return np.asarray(list(value), dtype=dtype).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"{field} must hold numbers, got {value!r:.80}: {exc}") from None


def byte_buffer(value: Any, field: str) -> NDArray[np.uint8]:
    """A ``uint8[]`` field as a 1-D uint8 array, without copying where possible."""
    if isinstance(value, np.ndarray) and value.dtype == np.uint8:
        return value.reshape(-1)
    return numbers(value, field, np.uint8)


def byte_constant(value: Any) -> int:
    """A ``byte`` field or constant as an int (rclpy holds bytes of length 1, rosbags an
    int)."""
    if isinstance(value, bytes | bytearray):
        return int(value[0])
    return int(value)


def finite_vector(values: Sequence[float] | NDArray[Any], field: str, length: int) -> FloatArray:
    """``values`` as a finite float64 vector of ``length`` entries."""
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.shape != (length,):
        raise ConversionError(f"{field} must have {length} values, got {arr.shape[0]}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ConversionError(f"{field}[{bad[0]}] must be finite, got {arr[bad[0]]}")
    return arr
