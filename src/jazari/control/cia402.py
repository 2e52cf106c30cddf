"""The CiA 402 (IEC 61800-7-201) drive profile: power state machine, controlword and
statusword, modes of operation and error codes. Pure logic, no I/O.

One implementation serves both ends of the wire: the emulated drive
(:mod:`jazari.sim.ethercat_slave`) moves a :class:`PowerStateMachine` with the
controlwords it receives, and the master decodes statuswords with :func:`decode_statusword`
and plans the controlword that leads towards the state it wants with
:func:`command_towards`, over the same :data:`TRANSITIONS` table.

Deliberate choices, all on the safe side of what the profile allows:

- Quick stop behaves as quick stop option code 6 (slow down on the quick stop ramp, then
  stay in QUICK STOP ACTIVE holding position). Transition 16 (quick stop active -> operation
  enabled) is not supported: leaving quick stop needs *disable voltage* (transition 12) and
  the full enable sequence again, so a master that keeps sending "enable operation" after a
  quick stop does not restart the axis.
- A fault is reset only on a rising edge of controlword bit 7, and only once the fault
  cause is gone. Holding bit 7 high resets nothing more.
- Nothing leaves FAULT or QUICK STOP ACTIVE by itself.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from jazari.errors import JazariError


class Cia402Error(JazariError, ValueError):
    """A controlword, statusword, mode or error code is out of its range."""


class PowerState(enum.Enum):
    """The states of the CiA 402 power state machine."""

    NOT_READY_TO_SWITCH_ON = "not ready to switch on"
    SWITCH_ON_DISABLED = "switch on disabled"
    READY_TO_SWITCH_ON = "ready to switch on"
    SWITCHED_ON = "switched on"
    OPERATION_ENABLED = "operation enabled"
    QUICK_STOP_ACTIVE = "quick stop active"
    FAULT_REACTION_ACTIVE = "fault reaction active"
    FAULT = "fault"


class Command(enum.Enum):
    """Device control commands, as encoded in controlword bits 0-3 and 7."""

    SHUTDOWN = "shutdown"
    SWITCH_ON = "switch on"  # also "disable operation" from OPERATION ENABLED
    ENABLE_OPERATION = "enable operation"  # "switch on + enable operation"
    DISABLE_VOLTAGE = "disable voltage"
    QUICK_STOP = "quick stop"
    FAULT_RESET = "fault reset"


class ModeOfOperation(enum.IntEnum):
    """Modes of operation (object 0x6060, displayed in 0x6061)."""

    PROFILE_POSITION = 1
    VELOCITY = 2
    PROFILE_VELOCITY = 3
    PROFILE_TORQUE = 4
    HOMING = 6
    INTERPOLATED_POSITION = 7
    CYCLIC_SYNCHRONOUS_POSITION = 8
    CYCLIC_SYNCHRONOUS_VELOCITY = 9
    CYCLIC_SYNCHRONOUS_TORQUE = 10


DEFAULT_MODE = ModeOfOperation.CYCLIC_SYNCHRONOUS_POSITION

# Controlword bits.
CW_SWITCH_ON = 0x0001
CW_ENABLE_VOLTAGE = 0x0002
CW_QUICK_STOP = 0x0004  # active low: 0 requests a quick stop
CW_ENABLE_OPERATION = 0x0008
CW_FAULT_RESET = 0x0080
CW_HALT = 0x0100

# Statusword bits.
SW_READY_TO_SWITCH_ON = 0x0001
SW_SWITCHED_ON = 0x0002
SW_OPERATION_ENABLED = 0x0004
SW_FAULT = 0x0008
SW_VOLTAGE_ENABLED = 0x0010
SW_QUICK_STOP = 0x0020  # active low: 0 while a quick stop is active
SW_SWITCH_ON_DISABLED = 0x0040
SW_WARNING = 0x0080
SW_REMOTE = 0x0200
SW_TARGET_REACHED = 0x0400
SW_INTERNAL_LIMIT = 0x0800
SW_CSP_FOLLOWING = 0x1000  # CSP: the drive follows the target position
SW_CSP_FOLLOWING_ERROR = 0x2000

# The command bits each command sets (bit 7 low except for fault reset).
_COMMAND_BITS: dict[Command, int] = {
    Command.SHUTDOWN: CW_ENABLE_VOLTAGE | CW_QUICK_STOP,
    Command.SWITCH_ON: CW_SWITCH_ON | CW_ENABLE_VOLTAGE | CW_QUICK_STOP,
    Command.ENABLE_OPERATION: CW_SWITCH_ON
    | CW_ENABLE_VOLTAGE
    | CW_QUICK_STOP
    | CW_ENABLE_OPERATION,
    Command.DISABLE_VOLTAGE: 0x0000,
    Command.QUICK_STOP: CW_ENABLE_VOLTAGE,
    Command.FAULT_RESET: CW_FAULT_RESET,
}

# (mask, value) of the statusword bits 0-3, 5, 6 that identify each state (CiA 402 table).
_STATUS_PATTERNS: tuple[tuple[int, int, PowerState], ...] = (
    (0x004F, 0x0000, PowerState.NOT_READY_TO_SWITCH_ON),
    (0x004F, 0x0040, PowerState.SWITCH_ON_DISABLED),
    (0x006F, 0x0021, PowerState.READY_TO_SWITCH_ON),
    (0x006F, 0x0023, PowerState.SWITCHED_ON),
    (0x006F, 0x0027, PowerState.OPERATION_ENABLED),
    (0x006F, 0x0007, PowerState.QUICK_STOP_ACTIVE),
    (0x004F, 0x000F, PowerState.FAULT_REACTION_ACTIVE),
    (0x004F, 0x0008, PowerState.FAULT),
)

_STATE_BITS: dict[PowerState, int] = {
    PowerState.NOT_READY_TO_SWITCH_ON: 0x0000,
    PowerState.SWITCH_ON_DISABLED: SW_SWITCH_ON_DISABLED,
    PowerState.READY_TO_SWITCH_ON: SW_READY_TO_SWITCH_ON | SW_QUICK_STOP,
    PowerState.SWITCHED_ON: SW_READY_TO_SWITCH_ON | SW_SWITCHED_ON | SW_QUICK_STOP,
    PowerState.OPERATION_ENABLED: SW_READY_TO_SWITCH_ON
    | SW_SWITCHED_ON
    | SW_OPERATION_ENABLED
    | SW_QUICK_STOP,
    PowerState.QUICK_STOP_ACTIVE: SW_READY_TO_SWITCH_ON | SW_SWITCHED_ON | SW_OPERATION_ENABLED,
    PowerState.FAULT_REACTION_ACTIVE: SW_READY_TO_SWITCH_ON
    | SW_SWITCHED_ON
    | SW_OPERATION_ENABLED
    | SW_FAULT,
    PowerState.FAULT: SW_FAULT,
}

# States in which the power stage is on (statusword bit 4).
_POWERED = frozenset(
    {
        PowerState.SWITCHED_ON,
        PowerState.OPERATION_ENABLED,
        PowerState.QUICK_STOP_ACTIVE,
        PowerState.FAULT_REACTION_ACTIVE,
    }
)


@dataclass(frozen=True)
class Transition:
    """One numbered transition of the CiA 402 state machine."""

    number: int
    source: PowerState
    target: PowerState


_S = PowerState
_C = Command

#: The commanded transitions: (state, command) -> transition. Commands absent for a state
#: leave it unchanged. Automatic transitions (0, 1, 13, 14) are methods of
#: :class:`PowerStateMachine`; 16 is not supported (see the module docstring).
TRANSITIONS: dict[tuple[PowerState, Command], Transition] = {
    (_S.SWITCH_ON_DISABLED, _C.SHUTDOWN): Transition(
        2, _S.SWITCH_ON_DISABLED, _S.READY_TO_SWITCH_ON
    ),
    (_S.READY_TO_SWITCH_ON, _C.SWITCH_ON): Transition(3, _S.READY_TO_SWITCH_ON, _S.SWITCHED_ON),
    (_S.READY_TO_SWITCH_ON, _C.ENABLE_OPERATION): Transition(
        3, _S.READY_TO_SWITCH_ON, _S.SWITCHED_ON
    ),
    (_S.SWITCHED_ON, _C.ENABLE_OPERATION): Transition(4, _S.SWITCHED_ON, _S.OPERATION_ENABLED),
    (_S.OPERATION_ENABLED, _C.SWITCH_ON): Transition(5, _S.OPERATION_ENABLED, _S.SWITCHED_ON),
    (_S.SWITCHED_ON, _C.SHUTDOWN): Transition(6, _S.SWITCHED_ON, _S.READY_TO_SWITCH_ON),
    (_S.READY_TO_SWITCH_ON, _C.DISABLE_VOLTAGE): Transition(
        7, _S.READY_TO_SWITCH_ON, _S.SWITCH_ON_DISABLED
    ),
    (_S.READY_TO_SWITCH_ON, _C.QUICK_STOP): Transition(
        7, _S.READY_TO_SWITCH_ON, _S.SWITCH_ON_DISABLED
    ),
    (_S.OPERATION_ENABLED, _C.SHUTDOWN): Transition(8, _S.OPERATION_ENABLED, _S.READY_TO_SWITCH_ON),
    (_S.OPERATION_ENABLED, _C.DISABLE_VOLTAGE): Transition(
        9, _S.OPERATION_ENABLED, _S.SWITCH_ON_DISABLED
    ),
    (_S.SWITCHED_ON, _C.DISABLE_VOLTAGE): Transition(10, _S.SWITCHED_ON, _S.SWITCH_ON_DISABLED),
    (_S.SWITCHED_ON, _C.QUICK_STOP): Transition(10, _S.SWITCHED_ON, _S.SWITCH_ON_DISABLED),
    (_S.OPERATION_ENABLED, _C.QUICK_STOP): Transition(
        11, _S.OPERATION_ENABLED, _S.QUICK_STOP_ACTIVE
    ),
    (_S.QUICK_STOP_ACTIVE, _C.DISABLE_VOLTAGE): Transition(
        12, _S.QUICK_STOP_ACTIVE, _S.SWITCH_ON_DISABLED
    ),
    (_S.FAULT, _C.FAULT_RESET): Transition(15, _S.FAULT, _S.SWITCH_ON_DISABLED),
}

TRANSITION_SELF_TEST = Transition(1, _S.NOT_READY_TO_SWITCH_ON, _S.SWITCH_ON_DISABLED)
TRANSITION_FAULT_REACTION_DONE = Transition(14, _S.FAULT_REACTION_ACTIVE, _S.FAULT)


def _check_u16(name: str, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise Cia402Error(f"{name} must be an unsigned 16-bit integer, got {value!r}")


def decode_controlword(controlword: int) -> Command:
    """The device control command a controlword carries.

    Every controlword maps to exactly one command: bit 7 set is a fault reset (acting
    only on its rising edge, see :class:`PowerStateMachine`), otherwise bits 0-3 decide.

    Raises:
        Cia402Error: when ``controlword`` is not an unsigned 16-bit integer.
    """
    _check_u16("controlword", controlword)
    if controlword & CW_FAULT_RESET:
        return Command.FAULT_RESET
    if not controlword & CW_ENABLE_VOLTAGE:
        return Command.DISABLE_VOLTAGE
    if not controlword & CW_QUICK_STOP:
        return Command.QUICK_STOP
    if not controlword & CW_SWITCH_ON:
        return Command.SHUTDOWN
    if controlword & CW_ENABLE_OPERATION:
        return Command.ENABLE_OPERATION
    return Command.SWITCH_ON


def encode_command(command: Command, previous_controlword: int = 0) -> int:
    """The controlword to send for ``command``.

    A fault reset acts on a rising edge of bit 7, so when the previous controlword already
    had bit 7 set, this returns a controlword with bit 7 low (a *disable voltage*, harmless
    in FAULT) so that the next call can raise it again.
    """
    _check_u16("previous controlword", previous_controlword)
    if command is Command.FAULT_RESET and previous_controlword & CW_FAULT_RESET:
        return _COMMAND_BITS[Command.DISABLE_VOLTAGE]
    return _COMMAND_BITS[command]


def decode_statusword(statusword: int) -> PowerState:
    """The power state a statusword reports.

    Raises:
        Cia402Error: when ``statusword`` is not an unsigned 16-bit integer or matches no
            state (for example 0x0001: ready to switch on without quick stop bit).
    """
    _check_u16("statusword", statusword)
    for mask, value, state in _STATUS_PATTERNS:
        if statusword & mask == value:
            return state
    raise Cia402Error(f"statusword 0x{statusword:04X} matches no CiA 402 state")


def encode_statusword(state: PowerState, extra_bits: int = SW_REMOTE) -> int:
    """The statusword a drive in ``state`` reports.

    Args:
        state: the power state.
        extra_bits: bits beyond the state pattern and *voltage enabled* (bit 4): warning,
            remote, target reached, internal limit, mode-specific bits 12-13.
    """
    _check_u16("extra statusword bits", extra_bits)
    state_mask = 0x006F | SW_VOLTAGE_ENABLED
    word = _STATE_BITS[state] | (extra_bits & ~state_mask & 0xFFFF)
    if state in _POWERED:
        word |= SW_VOLTAGE_ENABLED
    return word


def command_towards(state: PowerState, goal: PowerState) -> Command | None:
    """The first command on a shortest path of commanded transitions from ``state`` to
    ``goal``; None when already there or when no command leads there (for example from
    FAULT REACTION ACTIVE, which only the drive leaves, or into FAULT).

    This is how the master drives an axis: it sends this command every cycle and reads the
    new state back from the statusword, so a lost frame only delays the sequence.
    """
    if state is goal:
        return None
    first_step: dict[PowerState, Command] = {}
    queue: deque[PowerState] = deque([state])
    seen = {state}
    while queue:
        current = queue.popleft()
        for (source, command), transition in TRANSITIONS.items():
            if source is not current or transition.target in seen:
                continue
            seen.add(transition.target)
            first_step[transition.target] = first_step.get(current, command)
            if transition.target is goal:
                return first_step[goal]
            queue.append(transition.target)
    return None


class PowerStateMachine:
    """The drive side of the CiA 402 state machine.

    Call :meth:`apply` once per received controlword. The machine never leaves FAULT,
    FAULT REACTION ACTIVE or QUICK STOP ACTIVE without an explicit event: a rising edge of
    the fault-reset bit (with the cause gone), the drive reporting that the fault reaction
    is done, or *disable voltage*.
    """

    def __init__(self) -> None:
        self._state = PowerState.NOT_READY_TO_SWITCH_ON
        self._previous_controlword = 0
        self._error_code = 0

    @property
    def state(self) -> PowerState:
        """The current power state."""
        return self._state

    @property
    def error_code(self) -> int:
        """The error code of the active or last fault (object 0x603F); 0 after a reset."""
        return self._error_code

    def complete_self_test(self) -> Transition | None:
        """Transition 1: the drive finished initialising (only from NOT READY)."""
        if self._state is not PowerState.NOT_READY_TO_SWITCH_ON:
            return None
        self._state = TRANSITION_SELF_TEST.target
        return TRANSITION_SELF_TEST

    def fault(self, error_code: int) -> Transition | None:
        """Transition 13: a fault occurred; the drive starts its fault reaction.

        A fault while already in FAULT REACTION ACTIVE or FAULT keeps the first error code,
        which names the cause.

        Raises:
            Cia402Error: when ``error_code`` is 0 or not an unsigned 16-bit integer.
        """
        _check_u16("error code", error_code)
        if error_code == 0:
            raise Cia402Error("a fault needs a non-zero error code")
        if self._state in (PowerState.FAULT_REACTION_ACTIVE, PowerState.FAULT):
            return None
        transition = Transition(13, self._state, PowerState.FAULT_REACTION_ACTIVE)
        self._state = PowerState.FAULT_REACTION_ACTIVE
        self._error_code = error_code
        return transition

    def complete_fault_reaction(self) -> Transition | None:
        """Transition 14: the drive finished its fault reaction (axis stopped, power off)."""
        if self._state is not PowerState.FAULT_REACTION_ACTIVE:
            return None
        self._state = TRANSITION_FAULT_REACTION_DONE.target
        return TRANSITION_FAULT_REACTION_DONE

    def apply(self, controlword: int, fault_cause_present: bool = False) -> Transition | None:
        """Act on one received controlword; returns the transition taken, if any.

        Args:
            controlword: object 0x6040 as received.
            fault_cause_present: True while the condition behind the fault persists; a
                fault reset then has no effect.

        Raises:
            Cia402Error: when ``controlword`` is not an unsigned 16-bit integer.
        """
        command = decode_controlword(controlword)
        rising_reset = bool(controlword & CW_FAULT_RESET) and not (
            self._previous_controlword & CW_FAULT_RESET
        )
        self._previous_controlword = controlword
        if command is Command.FAULT_RESET and (not rising_reset or fault_cause_present):
            return None
        transition = TRANSITIONS.get((self._state, command))
        if transition is None:
            return None
        self._state = transition.target
        if transition.number == 15:
            self._error_code = 0
        return transition


# Error codes (CiA 301 / CiA 402 / ETG.1000.6), exact ones first, then by class.
_ERROR_CODES: dict[int, str] = {
    0x0000: "no error",
    0x1000: "generic error",
    0x2310: "continuous over-current",
    0x2320: "short circuit or earth leakage",
    0x3210: "DC link over-voltage",
    0x3220: "DC link under-voltage",
    0x4210: "excess device temperature",
    0x4310: "excess drive temperature",
    0x5441: "safe torque off active",
    0x7121: "motor blocked",
    0x7305: "position encoder fault",
    0x8611: "following error",
    0x8612: "reference limit",
    0xA000: "EtherCAT state machine left OPERATIONAL while the drive was enabled",
}
_ERROR_CLASSES: tuple[tuple[int, int, str], ...] = (
    (0xFF00, 0xFF00, "device-specific error"),
    (0xFF00, 0xA000, "EtherCAT state machine transition error"),
    (0xFF00, 0xF000, "additional functions error"),
    (0xFF00, 0x8100, "communication error"),
    (0xFF00, 0x8200, "protocol error"),
    (0xF000, 0x1000, "generic error"),
    (0xF000, 0x2000, "current error"),
    (0xF000, 0x3000, "voltage error"),
    (0xF000, 0x4000, "temperature error"),
    (0xF000, 0x5000, "device hardware error"),
    (0xF000, 0x6000, "device software error"),
    (0xF000, 0x7000, "additional modules error"),
    (0xF000, 0x8000, "monitoring error"),
    (0xF000, 0x9000, "external error"),
)


def describe_error_code(error_code: int) -> str:
    """A readable description of a CiA 402 error code (object 0x603F)."""
    _check_u16("error code", error_code)
    if error_code in _ERROR_CODES:
        return _ERROR_CODES[error_code]
    for mask, value, text in _ERROR_CLASSES:
        if error_code & mask == value:
            return text
    return "unknown error"


@dataclass(frozen=True)
class DriveFault:
    """A drive fault as the master reports it.

    Attributes:
        error_code: object 0x603F.
        description: readable meaning of the code.
    """

    error_code: int

    def __post_init__(self) -> None:
        _check_u16("error code", self.error_code)

    @property
    def description(self) -> str:
        """Readable meaning of the error code."""
        return describe_error_code(self.error_code)

    def __str__(self) -> str:
        return f"error code 0x{self.error_code:04X} ({self.description})"
