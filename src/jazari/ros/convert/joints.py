"""Joint states: :class:`jazari.ports.DriveState` <-> ``sensor_msgs/msg/JointState``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.ports import DriveState
from jazari.ros.convert.base import MessageTypes, header_msg, numbers, seconds
from jazari.ros.errors import ConversionError


def joint_state_msg(types: MessageTypes, state: DriveState) -> Any:
    """``JointState`` of every axis of a bus: position [rad], velocity [rad/s], effort [N·m].

    Raises:
        ConversionError: when an array's length differs from the number of joints or a
            position is not finite (naming the joint).
    """
    names = list(state.joint_names)
    arrays = {}
    for field, values in (
        ("position", state.position_rad),
        ("velocity", state.velocity_rad_s),
        ("effort", state.effort),
    ):
        arr = np.array(values, dtype=np.float64).reshape(-1)  # a copy: never alias the state
        if arr.size != len(names):
            raise ConversionError(f"{field} has {arr.size} values for {len(names)} joints {names}")
        arrays[field] = arr
    bad = np.flatnonzero(~np.isfinite(arrays["position"]))
    if bad.size:
        i = int(bad[0])
        raise ConversionError(f"position of {names[i]} must be finite, got {arrays['position'][i]}")
    return types.get("sensor_msgs/msg/JointState")(
        header=header_msg(types, state.stamp_s, ""),
        name=names,
        **{field: types.sequence(arr) for field, arr in arrays.items()},
    )


def drive_state_from_joint_state(msg: Any, field: str = "joint_state") -> DriveState:
    """A :class:`DriveState` (without telemetry) from a ``JointState``.

    ``JointState`` may leave velocity or effort empty; they become NaN (unknown).
    """
    names = tuple(str(n) for n in msg.name)
    if len(set(names)) != len(names):
        raise ConversionError(f"{field}.name must be unique, got {list(names)}")
    arrays = []
    for part, allow_empty in (("position", False), ("velocity", True), ("effort", True)):
        arr = numbers(getattr(msg, part), f"{field}.{part}")
        if arr.size == 0 and allow_empty:
            arr = np.full(len(names), np.nan)
        if arr.size != len(names):
            raise ConversionError(
                f"{field}.{part} has {arr.size} values for {len(names)} names {list(names)}"
            )
        arrays.append(arr)
    return DriveState(
        stamp_s=seconds(msg.header.stamp, f"{field}.header.stamp"),
        joint_names=names,
        position_rad=arrays[0],
        velocity_rad_s=arrays[1],
        effort=arrays[2],
    )


def joint_positions(msg: Any, joint_names: Sequence[str], field: str = "joint_state") -> FloatArray:
    """Positions [rad] of ``joint_names``, in that order, from a ``JointState`` that may
    hold them in any order and hold other joints too.

    Raises:
        ConversionError: naming the joints the message lacks, or a non-finite position.
    """
    names = [str(n) for n in msg.name]
    positions = numbers(msg.position, f"{field}.position")
    if positions.size != len(names):
        raise ConversionError(
            f"{field}.position has {positions.size} values for {len(names)} names {names}"
        )
    index = {n: i for i, n in enumerate(names)}
    missing = [j for j in joint_names if j not in index]
    if missing:
        raise ConversionError(f"{field} lacks joints {missing} (has {names})")
    q = positions[[index[j] for j in joint_names]]
    bad = np.flatnonzero(~np.isfinite(q))
    if bad.size:
        j = joint_names[int(bad[0])]
        raise ConversionError(f"{field}.position of {j} must be finite, got {q[bad[0]]}")
    return q
