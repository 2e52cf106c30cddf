"""The emulated CSP drive: following the target, quick stop, fault reaction, monitoring."""

from __future__ import annotations

import math

import pytest

from jazari.control.cia402 import Command, PowerState, decode_statusword, encode_command
from jazari.sim.ethercat_slave.drive import (
    ERROR_FOLLOWING,
    ERROR_LEFT_OP,
    DriveParameters,
    EmulatedCspDrive,
)
from jazari.sim.ethercat_slave.errors import EmulatorError

PER_RAD = 131072 * 100 / (2 * math.pi)
PARAMS = DriveParameters(counts_per_rad=PER_RAD)
CSP = 8


class Clocked:
    """A drive fed one controlword and target per millisecond."""

    def __init__(self, position: int = 0) -> None:
        self.t = 0.0
        self.drive = EmulatedCspDrive(PARAMS, position, 0.0)
        self.run(0.03, 0, position)

    def run(self, seconds: float, controlword: int, target: int | None = None) -> None:
        for _ in range(round(seconds / 0.001)):
            self.t += 0.001
            goal = self.drive.position_actual if target is None else target
            self.drive.receive(controlword, goal, CSP, self.t)

    def enable(self) -> None:
        for command in (Command.SHUTDOWN, Command.SWITCH_ON, Command.ENABLE_OPERATION):
            self.run(0.001, encode_command(command))
        assert self.drive.machine.state is PowerState.OPERATION_ENABLED


def test_the_drive_finishes_its_self_test_then_waits_disabled() -> None:
    drive = EmulatedCspDrive(PARAMS, 5, 0.0)
    drive.advance(0.01)
    assert drive.machine.state is PowerState.NOT_READY_TO_SWITCH_ON
    drive.advance(0.03)
    assert decode_statusword(drive.statusword) is PowerState.SWITCH_ON_DISABLED
    assert drive.position_actual == 5


def test_csp_follows_a_ramp_within_a_milliradian() -> None:
    rig = Clocked()
    rig.enable()
    errors = []
    for k in range(1, 501):
        target = round(0.5 * PER_RAD * k * 0.001)  # 0.5 rad/s
        rig.run(0.001, 0x000F, target)
        if k > 50:
            errors.append(abs(rig.drive.position_actual - target))
    assert max(errors) < 0.001 * PER_RAD
    assert rig.drive.velocity_actual == pytest.approx(0.5 * PER_RAD, rel=0.05)
    assert rig.drive.mode_display == CSP


def test_a_target_beyond_the_following_window_faults_the_drive() -> None:
    rig = Clocked()
    rig.enable()
    rig.run(0.002, 0x000F, round(0.5 * PER_RAD))
    rig.run(0.5, 0x000F, round(0.5 * PER_RAD))
    assert rig.drive.machine.state is PowerState.FAULT
    assert rig.drive.error_code == ERROR_FOLLOWING


def test_quick_stop_ramps_down_and_holds_until_voltage_is_disabled() -> None:
    rig = Clocked()
    rig.enable()
    for k in range(1, 301):
        rig.run(0.001, 0x000F, round(1.0 * PER_RAD * k * 0.001))
    rig.run(0.001, encode_command(Command.QUICK_STOP))
    assert rig.drive.machine.state is PowerState.QUICK_STOP_ACTIVE
    rig.run(0.03, encode_command(Command.QUICK_STOP))
    assert rig.drive.velocity_actual != 0  # 1 rad/s at 20 rad/s² takes 50 ms
    rig.run(0.05, encode_command(Command.ENABLE_OPERATION))
    assert rig.drive.velocity_actual == 0
    stopped_at = rig.drive.position_actual
    assert stopped_at == pytest.approx(0.3 * PER_RAD + 0.025 * PER_RAD, rel=0.05)
    rig.run(0.1, encode_command(Command.ENABLE_OPERATION), 0)
    assert rig.drive.machine.state is PowerState.QUICK_STOP_ACTIVE
    assert rig.drive.position_actual == stopped_at


def test_a_fault_ramps_to_standstill_before_entering_fault() -> None:
    rig = Clocked()
    rig.enable()
    for k in range(1, 201):
        rig.run(0.001, 0x000F, round(1.0 * PER_RAD * k * 0.001))
    rig.drive.inject_fault(0x2310, persistent=False)
    rig.run(0.01, 0x000F)
    assert rig.drive.machine.state is PowerState.FAULT_REACTION_ACTIVE
    rig.run(0.1, 0x000F)
    assert rig.drive.machine.state is PowerState.FAULT
    assert (rig.drive.velocity_actual, rig.drive.error_code) == (0, 0x2310)
    rig.run(0.001, 0x0080)
    assert rig.drive.machine.state is PowerState.SWITCH_ON_DISABLED


def test_losing_the_outputs_faults_a_powered_drive_only() -> None:
    disabled = Clocked()
    disabled.drive.outputs_lost()
    assert disabled.drive.machine.state is PowerState.SWITCH_ON_DISABLED
    enabled = Clocked()
    enabled.enable()
    enabled.drive.outputs_lost()
    assert enabled.drive.error_code == ERROR_LEFT_OP


def test_a_power_cycle_keeps_the_absolute_position() -> None:
    rig = Clocked(position=4242)
    rig.enable()
    rig.drive.power_on(rig.t)
    assert rig.drive.machine.state is PowerState.NOT_READY_TO_SWITCH_ON
    assert rig.drive.position_actual == 4242


def test_unsupported_modes_are_not_displayed() -> None:
    rig = Clocked()
    rig.drive.request_mode(1)
    assert (rig.drive.mode_display, rig.drive.mode_requested) == (CSP, 1)


def test_parameters_must_be_positive() -> None:
    with pytest.raises(EmulatorError, match="max_velocity_rad_s"):
        DriveParameters(counts_per_rad=1.0, max_velocity_rad_s=0.0)
