"""Drive telemetry as ``diagnostic_msgs/msg/DiagnosticArray``: one status per drive.

Levels, most severe first: STALE when the reading is not fresh (or the bus reports no
telemetry), ERROR on a fault (non-zero fault code or status ``"fault"``) or a temperature
at the error limit, WARN on a temperature or current at the warning limit, else OK.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jazari.ports import DriveState, DriveTelemetry
from jazari.ros.convert.base import MessageTypes, header_msg
from jazari.ros.errors import ConversionError


@dataclass(frozen=True)
class DriveDiagnosticLimits:
    """When a drive's status turns WARN or ERROR.

    Attributes:
        temperature_warn_c: WARN at or above this temperature [°C].
        temperature_error_c: ERROR at or above this temperature [°C]; >= the warning.
        current_warn_a: WARN at or above this motor current magnitude [A] (inf: never).
    """

    temperature_warn_c: float = 70.0
    temperature_error_c: float = 80.0
    current_warn_a: float = math.inf

    def __post_init__(self) -> None:
        if not self.temperature_warn_c <= self.temperature_error_c:
            raise ConversionError(
                f"temperature_warn_c {self.temperature_warn_c} must be <= "
                f"temperature_error_c {self.temperature_error_c}"
            )
        if not self.current_warn_a > 0:
            raise ConversionError(f"current_warn_a must be > 0 A, got {self.current_warn_a}")


def drive_level(telemetry: DriveTelemetry, limits: DriveDiagnosticLimits) -> tuple[str, str]:
    """The level name (``"OK"``, ``"WARN"``, ``"ERROR"``, ``"STALE"``) and message of one
    drive's reading."""
    if telemetry.stale:
        return "STALE", "no fresh reading"
    if telemetry.fault_code != 0 or telemetry.status == "fault":
        return "ERROR", f"fault 0x{telemetry.fault_code:04X} (status {telemetry.status!r})"
    if telemetry.temperature_c >= limits.temperature_error_c:
        return "ERROR", (
            f"temperature {telemetry.temperature_c:.1f} °C >= {limits.temperature_error_c:.1f} °C"
        )
    if telemetry.temperature_c >= limits.temperature_warn_c:
        return "WARN", (
            f"temperature {telemetry.temperature_c:.1f} °C >= {limits.temperature_warn_c:.1f} °C"
        )
    if abs(telemetry.current_a) >= limits.current_warn_a:
        return "WARN", f"current {telemetry.current_a:.2f} A >= {limits.current_warn_a:.2f} A"
    return "OK", telemetry.status


def _values(types: MessageTypes, t: DriveTelemetry) -> list[Any]:
    key_value = types.get("diagnostic_msgs/msg/KeyValue")
    pairs = {
        "position_rad": f"{t.position_rad:.6f}",
        "velocity_rad_s": f"{t.velocity_rad_s:.6f}",
        "current_a": f"{t.current_a:.3f}",
        "temperature_c": f"{t.temperature_c:.1f}",
        "status": t.status,
        "fault_code": f"0x{t.fault_code:04X}",
        "stale": str(t.stale).lower(),
    }
    return [key_value(key=k, value=v) for k, v in pairs.items()]


def drive_diagnostics_msg(
    types: MessageTypes,
    state: DriveState,
    *,
    limits: DriveDiagnosticLimits | None = None,
    bus_name: str = "drives",
    hardware_ids: Mapping[str, str] | None = None,
) -> Any:
    """``DiagnosticArray`` with one ``DiagnosticStatus`` per axis of ``state``.

    Args:
        types: message classes.
        state: a bus reading with its telemetry (empty telemetry: every axis STALE).
        limits: warning and error thresholds (defaults of :class:`DriveDiagnosticLimits`).
        bus_name: prefix of the status names, which read ``"<bus_name>: <joint>"``.
        hardware_ids: per-joint hardware ids (servo id, EtherCAT position); empty if absent.

    Raises:
        ConversionError: when telemetry is given for a different number of axes.
    """
    limits = limits or DriveDiagnosticLimits()
    ids = hardware_ids or {}
    status_cls = types.get("diagnostic_msgs/msg/DiagnosticStatus")
    if state.telemetry and len(state.telemetry) != len(state.joint_names):
        raise ConversionError(
            f"telemetry has {len(state.telemetry)} entries for {len(state.joint_names)} joints"
        )
    statuses = []
    for i, joint in enumerate(state.joint_names):
        if state.telemetry:
            level, message = drive_level(state.telemetry[i], limits)
            values = _values(types, state.telemetry[i])
        else:
            level, message, values = "STALE", "the bus reports no telemetry", []
        statuses.append(
            status_cls(
                level=getattr(status_cls, level),
                name=f"{bus_name}: {joint}",
                message=message,
                hardware_id=ids.get(joint, ""),
                values=values,
            )
        )
    return types.get("diagnostic_msgs/msg/DiagnosticArray")(
        header=header_msg(types, state.stamp_s, ""), status=statuses
    )
