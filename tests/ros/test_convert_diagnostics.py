"""Drive telemetry as diagnostic_msgs/DiagnosticArray (Jazzy definition)."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.ports import DriveState, DriveTelemetry
from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert.diagnostics import DriveDiagnosticLimits, drive_diagnostics_msg, drive_level
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip

LIMITS = DriveDiagnosticLimits(
    temperature_warn_c=60.0, temperature_error_c=75.0, current_warn_a=2.0
)


def _telemetry(**changes: object) -> DriveTelemetry:
    values: dict[str, object] = {
        "position_rad": 0.5,
        "velocity_rad_s": 0.0,
        "current_a": 0.3,
        "temperature_c": 40.0,
        "status": "enabled",
    }
    values.update(changes)
    return DriveTelemetry(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "level", "words"),
    [
        ({}, "OK", "enabled"),
        ({"temperature_c": 61.0}, "WARN", "temperature 61.0"),
        ({"current_a": -2.5}, "WARN", "current -2.50 A"),
        ({"temperature_c": 75.0}, "ERROR", "temperature 75.0"),
        ({"fault_code": 0x24}, "ERROR", "fault 0x0024"),
        ({"status": "fault"}, "ERROR", "status 'fault'"),
        ({"stale": True, "fault_code": 4}, "STALE", "no fresh reading"),
    ],
)
def test_levels_follow_the_most_severe_condition(
    changes: dict[str, object], level: str, words: str
) -> None:
    got_level, message = drive_level(_telemetry(**changes), LIMITS)
    assert got_level == level and words in message


def test_one_status_per_drive_round_trips_through_cdr(types: RosbagsMessageTypes) -> None:
    state = DriveState(
        stamp_s=2.0,
        joint_names=("j1", "j2"),
        position_rad=np.zeros(2),
        velocity_rad_s=np.zeros(2),
        effort=np.zeros(2),
        telemetry=(_telemetry(), _telemetry(fault_code=1)),
    )
    msg = drive_diagnostics_msg(
        types, state, limits=LIMITS, bus_name="serial", hardware_ids={"j2": "id 2"}
    )
    msg = cdr_round_trip(types.store, msg)
    status_cls = types.get("diagnostic_msgs/msg/DiagnosticStatus")
    assert [s.level for s in msg.status] == [status_cls.OK, status_cls.ERROR]
    assert [s.name for s in msg.status] == ["serial: j1", "serial: j2"]
    assert [s.hardware_id for s in msg.status] == ["", "id 2"]
    values = {kv.key: kv.value for kv in msg.status[1].values}
    assert values["fault_code"] == "0x0001" and values["temperature_c"] == "40.0"


def test_bus_without_telemetry_reports_every_drive_stale(types: RosbagsMessageTypes) -> None:
    state = DriveState(1.0, ("j1",), np.zeros(1), np.zeros(1), np.zeros(1))
    status = drive_diagnostics_msg(types, state).status[0]
    assert status.level == types.get("diagnostic_msgs/msg/DiagnosticStatus").STALE
    assert status.message == "the bus reports no telemetry"


def test_telemetry_for_the_wrong_number_of_drives_is_refused(types: RosbagsMessageTypes) -> None:
    state = DriveState(1.0, ("j1", "j2"), np.zeros(2), np.zeros(2), np.zeros(2), (_telemetry(),))
    with pytest.raises(ConversionError, match="telemetry has 1 entries for 2 joints"):
        drive_diagnostics_msg(types, state)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"temperature_warn_c": 90.0}, "must be <="), ({"current_warn_a": 0.0}, "current_warn_a")],
)
def test_inconsistent_limits_are_refused(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConversionError, match=match):
        DriveDiagnosticLimits(**kwargs)
