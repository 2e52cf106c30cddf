"""What the master decides each cycle, without any I/O: check the working counter and the
drives' statuswords, trip the bus on a fault, and compose every drive's outputs.

The rules:

- A wrong working counter (or no frame back) for ``wkc_error_threshold`` consecutive
  cycles trips the bus; a shorter burst is tolerated and forgotten after one good cycle.
  Inputs of a cycle with a wrong counter are not trusted: the last good ones are kept.
- A drive in FAULT or FAULT REACTION ACTIVE trips the bus, as does a drive that left
  OPERATION ENABLED without being told to.
- Once tripped, every axis is sent *quick stop* with its target held, every cycle, until
  an operator re-arms. Nothing clears a trip by itself.
- Re-arming first walks every drive to SWITCH ON DISABLED (fault reset on a rising edge,
  or *disable voltage* out of quick stop); the bus is armed again only when all are
  there with a good working counter.
- While an axis is not following (not OPERATION ENABLED) its target is its actual
  position, so enabling never jumps.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from jazari.control.cia402 import (
    DEFAULT_MODE,
    Cia402Error,
    Command,
    DriveFault,
    PowerState,
    command_towards,
    decode_statusword,
    encode_command,
)
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.pdo import CspInputs, CspOutputs


class BusMode(enum.Enum):
    """Where the bus is in its life."""

    STARTING = "starting"
    ARMED = "armed"
    TRIPPED = "tripped"
    RESETTING = "resetting"


class FaultKind(enum.Enum):
    """Why the bus tripped."""

    WORKING_COUNTER = "working counter"
    DRIVE_FAULT = "drive fault"
    DRIVE_STATE = "drive state"
    SLAVE_LOST = "slave lost"
    SLAVE_LEFT_OP = "slave left OP"
    OPERATOR = "operator stop"


@dataclass(frozen=True)
class FaultReport:
    """Why and when the bus stopped the cell.

    Attributes:
        kind: the class of fault.
        cycle: the cycle in which the master decided to stop (the quick stop goes out in
            the next cycle's frame).
        first_bad_cycle: the first cycle in which the fault was visible.
        detail: what happened, in words.
        slave_position: 1-based position of the slave at fault, if known.
        joint_name: the joint that slave moves, if known.
        drive_fault: the drive's error code, for drive faults.
        al_state, al_status_code: the slave's AL state and status code, if read.
    """

    kind: FaultKind
    cycle: int
    first_bad_cycle: int
    detail: str
    slave_position: int | None = None
    joint_name: str | None = None
    drive_fault: DriveFault | None = None
    al_state: int | None = None
    al_status_code: int | None = None

    def __str__(self) -> str:
        where = (
            f"slave {self.slave_position} ({self.joint_name})"
            if self.slave_position is not None
            else "the segment"
        )
        head = f"EtherCAT bus stopped at cycle {self.cycle}"
        return f"{head}: {self.kind.value} at {where}: {self.detail}"


@dataclass(frozen=True)
class AxisReading:
    """The last trusted inputs of one axis and the state they say.

    Attributes:
        inputs: raw inputs (None before the first good cycle).
        state: decoded power state (None when unknown or undecodable).
        fresh: True when this cycle's counter was right and the inputs are new.
    """

    inputs: CspInputs | None
    state: PowerState | None
    fresh: bool


_HOLD: dict[PowerState, Command] = {
    PowerState.OPERATION_ENABLED: Command.ENABLE_OPERATION,
    PowerState.SWITCH_ON_DISABLED: Command.DISABLE_VOLTAGE,
}


class CycleLogic:
    """The per-cycle decisions of the master for ``config.slaves``.

    Args:
        config: the bus configuration (joint names, threshold).
        expected_wkc: the working counter a good process-data frame returns.
    """

    def __init__(self, config: EthercatBusConfig, expected_wkc: int) -> None:
        self._config = config
        self._joints = config.joint_names
        self.expected_wkc = expected_wkc
        n = len(self._joints)
        self.mode = BusMode.STARTING
        self.goal = PowerState.SWITCH_ON_DISABLED
        self.report: FaultReport | None = None
        self._bad_cycles = 0
        self._first_bad_cycle: int | None = None
        self._readings = [AxisReading(None, None, False)] * n
        self._targets: list[int | None] = [None] * n
        self._controlwords = [0] * n

    # -- commands from the bus ------------------------------------------------------

    def supervise(self) -> None:
        """End of start-up (all slaves in OP): from now on every check applies."""
        if self.mode is BusMode.STARTING:
            self.mode = BusMode.ARMED
            self._bad_cycles = 0
            self._first_bad_cycle = None

    def set_goal(self, goal: PowerState) -> None:
        """Drive every axis towards OPERATION ENABLED or SWITCH ON DISABLED.

        Raises:
            Cia402Error: for any other goal, or for enabling a bus that is not armed.
        """
        if goal not in (PowerState.OPERATION_ENABLED, PowerState.SWITCH_ON_DISABLED):
            raise Cia402Error(f"the bus drives axes to enabled or disabled, not {goal.value}")
        if goal is PowerState.OPERATION_ENABLED and self.mode is not BusMode.ARMED:
            raise Cia402Error(f"cannot enable the drives while the bus is {self.mode.value}")
        self.goal = goal

    def set_targets(self, targets: list[int]) -> None:
        """Target positions [counts] for the axes that are following."""
        for i, state in enumerate(r.state for r in self._readings):
            if state is PowerState.OPERATION_ENABLED:
                self._targets[i] = targets[i]

    def trip(
        self,
        kind: FaultKind,
        cycle: int,
        detail: str,
        position: int | None = None,
        drive_fault: DriveFault | None = None,
    ) -> None:
        """Stop every axis now; the first trip's report is kept."""
        if self.mode is BusMode.TRIPPED and self.report is not None:
            return
        first = self._first_bad_cycle if kind is FaultKind.WORKING_COUNTER else cycle
        self.report = FaultReport(
            kind=kind,
            cycle=cycle,
            first_bad_cycle=cycle if first is None else first,
            detail=detail,
            slave_position=position,
            joint_name=None if position is None else self._joints[position - 1],
            drive_fault=drive_fault,
        )
        self.mode = BusMode.TRIPPED

    def amend_report(
        self,
        kind: FaultKind,
        detail: str,
        position: int | None,
        al_state: int | None = None,
        al_status_code: int | None = None,
    ) -> None:
        """Replace the cause with what a diagnosis after the trip found out (which slave,
        in which AL state); the cycles stay as they were."""
        if self.report is None:
            return
        self.report = replace(
            self.report,
            kind=kind,
            detail=f"{detail} ({self.report.detail})",
            slave_position=position,
            joint_name=None if position is None else self._joints[position - 1],
            al_state=al_state,
            al_status_code=al_status_code,
        )

    def begin_reset(self) -> None:
        """Operator re-arm: walk every drive to SWITCH ON DISABLED, then arm."""
        self.mode = BusMode.RESETTING
        self.goal = PowerState.SWITCH_ON_DISABLED
        self._bad_cycles = 0
        self._first_bad_cycle = None

    def abort_reset(self) -> None:
        """A re-arm that did not complete: back to tripped, the report kept."""
        if self.mode is BusMode.RESETTING:
            self.mode = BusMode.TRIPPED

    # -- the cycle --------------------------------------------------------------------

    @property
    def readings(self) -> list[AxisReading]:
        """The last trusted reading of every axis."""
        return list(self._readings)

    def step(self, cycle: int, wkc: int, inputs: list[CspInputs]) -> list[CspOutputs]:
        """Take one cycle's working counter and inputs; return the next outputs."""
        good = wkc == self.expected_wkc
        self._check_wkc(cycle, wkc, good)
        if good:
            self._readings = [self._read(x) for x in inputs]
            self._check_drives(cycle)
        else:
            self._readings = [replace(r, fresh=False) for r in self._readings]
        if self.mode is BusMode.RESETTING and good and self._all_reset():
            self.mode = BusMode.ARMED
            self.report = None
        return [self._outputs(i, r) for i, r in enumerate(self._readings)]

    def _check_wkc(self, cycle: int, wkc: int, good: bool) -> None:
        if good:
            self._bad_cycles = 0
            self._first_bad_cycle = None
            return
        self._bad_cycles += 1
        if self._first_bad_cycle is None:
            self._first_bad_cycle = cycle
        if self.mode in (BusMode.STARTING, BusMode.TRIPPED):
            return
        if self._bad_cycles >= self._config.wkc_error_threshold:
            got = "no frame came back" if wkc < 0 else f"working counter {wkc}"
            self.trip(
                FaultKind.WORKING_COUNTER,
                cycle,
                f"{got} instead of {self.expected_wkc} for {self._bad_cycles} consecutive cycles",
            )

    @staticmethod
    def _read(inputs: CspInputs) -> AxisReading:
        try:
            state: PowerState | None = decode_statusword(inputs.statusword)
        except Cia402Error:
            state = None
        return AxisReading(inputs, state, True)

    def _check_drives(self, cycle: int) -> None:
        if self.mode in (BusMode.STARTING, BusMode.TRIPPED):
            return
        for position, reading in enumerate(self._readings, start=1):
            if reading.inputs is None:
                continue
            state = reading.state
            if state in (PowerState.FAULT, PowerState.FAULT_REACTION_ACTIVE):
                if self.mode is BusMode.RESETTING:
                    continue  # the reset is walking it out of FAULT
                fault = DriveFault(reading.inputs.error_code)
                detail = f"drive reports {state.value}, {fault}"
                self.trip(FaultKind.DRIVE_FAULT, cycle, detail, position, fault)
                return
            if state is None:
                detail = f"statusword 0x{reading.inputs.statusword:04X} is no CiA 402 state"
                self.trip(FaultKind.DRIVE_STATE, cycle, detail, position)
                return
            was_following = self._targets[position - 1] is not None
            if (
                self.mode is BusMode.ARMED
                and was_following
                and state is not PowerState.OPERATION_ENABLED
                and self.goal is PowerState.OPERATION_ENABLED
            ):
                detail = f"drive left operation enabled by itself (now {state.value})"
                self.trip(FaultKind.DRIVE_STATE, cycle, detail, position)
                return

    def _all_reset(self) -> bool:
        return all(r.state is PowerState.SWITCH_ON_DISABLED for r in self._readings)

    def _outputs(self, i: int, reading: AxisReading) -> CspOutputs:
        actual = reading.inputs.position_actual if reading.inputs is not None else 0
        if reading.state is not PowerState.OPERATION_ENABLED:
            self._targets[i] = None  # not following: hold the actual position
        elif self._targets[i] is None:
            self._targets[i] = actual  # just enabled: start from where the axis is
        target = self._targets[i]
        controlword = encode_command(self._command(reading.state), self._controlwords[i])
        self._controlwords[i] = controlword
        return CspOutputs(controlword, actual if target is None else target, int(DEFAULT_MODE))

    def _command(self, state: PowerState | None) -> Command:
        if self.mode is BusMode.TRIPPED:
            # After a trip only a stop is sent: quick stop, or power off once disable()
            # asked for it; leaving either needs a re-arm.
            if self.goal is PowerState.SWITCH_ON_DISABLED:
                return Command.DISABLE_VOLTAGE
            return Command.QUICK_STOP
        if self.mode is BusMode.STARTING or state is None:
            return Command.DISABLE_VOLTAGE
        if state is PowerState.FAULT:
            return (
                Command.FAULT_RESET if self.mode is BusMode.RESETTING else Command.DISABLE_VOLTAGE
            )
        step = command_towards(state, self.goal)
        if step is not None:
            return step
        return _HOLD.get(state, Command.DISABLE_VOLTAGE)
