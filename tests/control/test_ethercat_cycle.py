"""The master's per-cycle decisions, against a process-data double: six emulated CiA 402
drives exchanging packed PDOs with :class:`CycleLogic` on virtual time (no wire; the
wire is tested in test_ethercat_wire.py)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from jazari.control.cia402 import Cia402Error, Command, PowerState, encode_command
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.cycle import BusMode, CycleLogic, FaultKind
from jazari.control.ethercat.pdo import CspInputs, CspOutputs
from jazari.sim.ethercat_slave.drive import DriveParameters, EmulatedCspDrive

GOOD_WKC = 18
QUICK_STOP = encode_command(Command.QUICK_STOP)


class DriveRig:
    """Drives and logic wired together; a wrong working counter means the frame did not
    reach the drives (their inputs are not trusted either)."""

    def __init__(self, threshold: int = 3) -> None:
        config = dataclasses.replace(EthercatBusConfig.load(), wkc_error_threshold=threshold)
        self.logic = CycleLogic(config, GOOD_WKC)
        params = DriveParameters(counts_per_rad=131072 * 100 / (2 * math.pi))
        self.drives = [EmulatedCspDrive(params, 1000 * i, 0.0) for i in range(6)]
        self.outputs = [CspOutputs(0, 0, 8)] * 6
        self.t = 0.0
        self.cycle = 0
        self.step(n=30)  # drive self-test
        self.logic.supervise()

    def step(self, wkc: int = GOOD_WKC, n: int = 1) -> None:
        for _ in range(n):
            self.t += 0.001
            self.cycle += 1
            for drive, out in zip(self.drives, self.outputs, strict=True):
                if wkc == GOOD_WKC:
                    drive.receive(
                        out.controlword, out.target_position, out.modes_of_operation, self.t
                    )
                drive.advance(self.t)
            inputs = [
                CspInputs.unpack(
                    CspInputs(
                        d.statusword,
                        d.position_actual,
                        d.velocity_actual,
                        d.torque_actual,
                        d.error_code,
                        d.mode_display,
                    ).pack()
                )
                for d in self.drives
            ]
            outs = self.logic.step(self.cycle, wkc, inputs)
            self.outputs = [CspOutputs.unpack(o.pack()) for o in outs]

    def states(self) -> list[PowerState]:
        return [d.machine.state for d in self.drives]

    def enable(self) -> None:
        self.logic.set_goal(PowerState.OPERATION_ENABLED)
        self.step(n=6)
        assert self.states() == [PowerState.OPERATION_ENABLED] * 6


def test_start_up_holds_every_drive_disabled_until_supervised() -> None:
    rig = DriveRig()
    assert rig.logic.mode is BusMode.ARMED
    assert rig.states() == [PowerState.SWITCH_ON_DISABLED] * 6
    assert all(o.controlword == 0 for o in rig.outputs)


def test_enable_walks_every_drive_to_operation_enabled_holding_position() -> None:
    rig = DriveRig()
    before = [d.position_actual for d in rig.drives]
    rig.enable()
    rig.step(n=20)
    assert [d.position_actual for d in rig.drives] == before
    assert [o.target_position for o in rig.outputs] == before
    assert all(o.controlword == 0x000F and o.modes_of_operation == 8 for o in rig.outputs)


def test_targets_move_enabled_drives_only() -> None:
    rig = DriveRig()
    rig.logic.set_targets([50_000] * 6)
    rig.step(n=5)
    assert rig.drives[0].position_actual == 0  # disabled: the target is not taken
    rig.enable()
    for k in range(1, 101):
        rig.logic.set_targets([1000 * i + 500 * k for i in range(6)])
        rig.step()
    rig.step(n=100)
    for i, drive in enumerate(rig.drives):
        assert drive.position_actual == pytest.approx(1000 * i + 50_000, abs=2)


@pytest.mark.parametrize("threshold", [1, 3, 5])
def test_wrong_working_counters_trip_at_the_threshold_not_before(threshold: int) -> None:
    rig = DriveRig(threshold)
    rig.enable()
    rig.step(wkc=15, n=threshold - 1)
    rig.step()
    assert rig.logic.mode is BusMode.ARMED  # a shorter burst is forgotten
    first_bad = rig.cycle + 1
    rig.step(wkc=-1, n=threshold)
    report = rig.logic.report
    assert rig.logic.mode is BusMode.TRIPPED
    assert report is not None
    assert report.kind is FaultKind.WORKING_COUNTER
    assert (report.first_bad_cycle, report.cycle) == (first_bad, first_bad + threshold - 1)
    assert "no frame came back instead of 18" in report.detail
    assert all(o.controlword == QUICK_STOP for o in rig.outputs)


def test_a_drive_fault_quick_stops_every_axis_in_the_same_cycle() -> None:
    rig = DriveRig()
    rig.enable()
    rig.drives[2].inject_fault(0x2310, persistent=False)
    rig.step()
    report = rig.logic.report
    assert report is not None
    assert (report.kind, report.slave_position, report.joint_name) == (
        FaultKind.DRIVE_FAULT,
        3,
        "elbow_joint",
    )
    assert report.first_bad_cycle == report.cycle == rig.cycle
    assert report.drive_fault is not None
    assert report.drive_fault.error_code == 0x2310
    assert "continuous over-current" in str(report)
    assert all(o.controlword == QUICK_STOP for o in rig.outputs)
    rig.step(n=200)
    states = rig.states()
    assert states[2] is PowerState.FAULT
    assert all(s is PowerState.QUICK_STOP_ACTIVE for i, s in enumerate(states) if i != 2)
    assert all(d.velocity_actual == 0 for d in rig.drives)


def test_a_trip_is_never_cleared_by_the_cycle_itself() -> None:
    rig = DriveRig()
    rig.enable()
    rig.step(wkc=3, n=3)
    rig.step(n=500)
    assert rig.logic.mode is BusMode.TRIPPED
    assert all(o.controlword == QUICK_STOP for o in rig.outputs)
    assert rig.states() == [PowerState.QUICK_STOP_ACTIVE] * 6
    with pytest.raises(Cia402Error, match="tripped"):
        rig.logic.set_goal(PowerState.OPERATION_ENABLED)


def test_rearm_resets_faults_and_quick_stops_then_arms_disabled() -> None:
    rig = DriveRig()
    rig.enable()
    rig.drives[4].inject_fault(0x4310, persistent=False)
    rig.step(n=300)
    rig.logic.begin_reset()
    rig.step(n=5)
    assert rig.logic.mode is BusMode.ARMED
    assert rig.logic.report is None
    assert rig.states() == [PowerState.SWITCH_ON_DISABLED] * 6
    rig.enable()


def test_rearm_cannot_complete_while_a_fault_persists() -> None:
    rig = DriveRig()
    rig.enable()
    rig.drives[0].inject_fault(0x7121, persistent=True)
    rig.step(n=300)
    rig.logic.begin_reset()
    rig.step(n=50)
    assert rig.logic.mode is BusMode.RESETTING
    assert rig.states()[0] is PowerState.FAULT
    rig.logic.abort_reset()
    assert rig.logic.mode is BusMode.TRIPPED
    assert rig.logic.report is not None
    rig.drives[0].clear_fault_cause()
    rig.logic.begin_reset()
    rig.step(n=5)
    assert rig.logic.mode is BusMode.ARMED


def test_a_drive_leaving_operation_enabled_by_itself_trips() -> None:
    rig = DriveRig()
    rig.enable()
    rig.drives[1].machine.apply(encode_command(Command.DISABLE_VOLTAGE))  # e.g. safe torque off
    rig.step()
    report = rig.logic.report
    assert report is not None
    assert (report.kind, report.slave_position) == (FaultKind.DRIVE_STATE, 2)
    assert "left operation enabled" in report.detail


def test_a_statusword_of_no_state_trips() -> None:
    rig = DriveRig()
    inputs = [CspInputs(0x0001, 0, 0, 0, 0, 8)] * 6
    rig.logic.step(rig.cycle + 1, GOOD_WKC, inputs)
    report = rig.logic.report
    assert report is not None
    assert report.kind is FaultKind.DRIVE_STATE
    assert "0x0001" in report.detail


def test_inputs_of_a_bad_cycle_are_not_trusted() -> None:
    rig = DriveRig()
    before = rig.logic.readings
    garbage = [CspInputs(0x0008, 123, 0, 0, 0xFFFF, 0)] * 6
    rig.logic.step(rig.cycle + 1, 0, garbage)
    after = rig.logic.readings
    assert [r.inputs for r in after] == [r.inputs for r in before]
    assert not any(r.fresh for r in after)
    assert rig.logic.mode is BusMode.ARMED


def test_disable_after_a_trip_removes_power_but_stays_tripped() -> None:
    rig = DriveRig()
    rig.enable()
    rig.step(wkc=0, n=3)
    rig.step(n=200)
    rig.logic.set_goal(PowerState.SWITCH_ON_DISABLED)
    rig.step(n=3)
    assert rig.states() == [PowerState.SWITCH_ON_DISABLED] * 6
    assert rig.logic.mode is BusMode.TRIPPED


def test_working_counter_errors_during_start_up_do_not_trip() -> None:
    config = EthercatBusConfig.load()
    logic = CycleLogic(config, GOOD_WKC)
    inputs = [CspInputs(0x0240, 0, 0, 0, 0, 0)] * 6
    for cycle in range(1, 20):
        logic.step(cycle, 6, inputs)  # SAFE-OP: inputs only
    assert logic.mode is BusMode.STARTING
    assert logic.report is None


def test_the_report_reads_as_one_sentence() -> None:
    rig = DriveRig()
    rig.logic.trip(FaultKind.OPERATOR, 7, "e-stop pressed")
    assert str(rig.logic.report) == (
        "EtherCAT bus stopped at cycle 7: operator stop at the segment: e-stop pressed"
    )
    rig.logic.amend_report(FaultKind.SLAVE_LOST, "slave does not answer", 5)
    assert str(rig.logic.report).endswith(
        "slave lost at slave 5 (wrist_2_joint): slave does not answer (e-stop pressed)"
    )
