"""The CiA 402 power state machine, controlword and statusword: every transition, the
commands that must not move it, and the codecs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.control.cia402 import (
    CW_FAULT_RESET,
    SW_REMOTE,
    SW_VOLTAGE_ENABLED,
    TRANSITIONS,
    Cia402Error,
    Command,
    DriveFault,
    PowerState,
    PowerStateMachine,
    Transition,
    command_towards,
    decode_controlword,
    decode_statusword,
    describe_error_code,
    encode_command,
    encode_statusword,
)

ALL_STATES = list(PowerState)
OPERATIONAL = [
    s for s in PowerState if s not in (PowerState.FAULT, PowerState.FAULT_REACTION_ACTIVE)
]


def machine_in(state: PowerState) -> PowerStateMachine:
    """A machine brought to ``state`` through its own transitions."""
    machine = PowerStateMachine()
    if state is PowerState.NOT_READY_TO_SWITCH_ON:
        return machine
    machine.complete_self_test()
    if state in (PowerState.FAULT_REACTION_ACTIVE, PowerState.FAULT):
        machine.fault(0x2310)
        if state is PowerState.FAULT:
            machine.complete_fault_reaction()
        return machine
    target = PowerState.OPERATION_ENABLED if state is PowerState.QUICK_STOP_ACTIVE else state
    for _ in range(6):
        command = command_towards(machine.state, target)
        if command is None:
            break
        machine.apply(encode_command(command))
    if state is PowerState.QUICK_STOP_ACTIVE:
        machine.apply(encode_command(Command.QUICK_STOP))
    assert machine.state is state
    return machine


@pytest.mark.parametrize(
    ("source", "command"), list(TRANSITIONS), ids=lambda x: x.name if hasattr(x, "name") else str(x)
)
def test_every_commanded_transition_reaches_its_target(
    source: PowerState, command: Command
) -> None:
    machine = machine_in(source)
    expected = TRANSITIONS[(source, command)]
    taken = machine.apply(encode_command(command))
    assert taken == expected
    assert machine.state is expected.target


def test_transition_numbers_cover_the_profile_except_16() -> None:
    numbers = {t.number for t in TRANSITIONS.values()}
    assert numbers == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15}


NO_TRANSITION = [p for p in itertools.product(ALL_STATES, Command) if p not in TRANSITIONS]


@pytest.mark.parametrize(("state", "command"), NO_TRANSITION)
def test_commands_without_a_transition_leave_the_state_alone(
    state: PowerState, command: Command
) -> None:
    machine = machine_in(state)
    assert machine.apply(encode_command(command)) is None
    assert machine.state is state


def test_transition_1_self_test_leaves_not_ready_only_once() -> None:
    machine = PowerStateMachine()
    assert machine.state is PowerState.NOT_READY_TO_SWITCH_ON
    assert machine.apply(encode_command(Command.SHUTDOWN)) is None
    taken = machine.complete_self_test()
    assert taken is not None
    assert (taken.number, machine.state) == (1, PowerState.SWITCH_ON_DISABLED)
    assert machine.complete_self_test() is None


@pytest.mark.parametrize("state", OPERATIONAL)
def test_transition_13_a_fault_from_any_state_starts_the_fault_reaction(state: PowerState) -> None:
    machine = machine_in(state)
    taken = machine.fault(0x4310)
    assert taken == Transition(13, state, PowerState.FAULT_REACTION_ACTIVE)
    assert machine.error_code == 0x4310


def test_transition_14_only_the_drive_ends_the_fault_reaction() -> None:
    machine = machine_in(PowerState.FAULT_REACTION_ACTIVE)
    for command in Command:
        machine.apply(encode_command(command))
        assert machine.state is PowerState.FAULT_REACTION_ACTIVE
    taken = machine.complete_fault_reaction()
    assert taken is not None
    assert (taken.number, machine.state) == (14, PowerState.FAULT)


def test_transition_15_fault_reset_acts_on_a_rising_edge_only() -> None:
    machine = machine_in(PowerState.FAULT)
    machine.apply(CW_FAULT_RESET)
    assert machine.state is PowerState.SWITCH_ON_DISABLED
    assert machine.error_code == 0
    machine.fault(0x7121)
    machine.complete_fault_reaction()
    machine.apply(CW_FAULT_RESET)  # bit 7 still high from before: no edge
    assert machine.state is PowerState.FAULT
    machine.apply(0)
    machine.apply(CW_FAULT_RESET)
    assert machine.state is PowerState.SWITCH_ON_DISABLED


def test_fault_reset_has_no_effect_while_the_cause_persists() -> None:
    machine = machine_in(PowerState.FAULT)
    assert machine.apply(CW_FAULT_RESET, fault_cause_present=True) is None
    assert machine.state is PowerState.FAULT
    assert machine.error_code == 0x2310


def test_quick_stop_active_does_not_resume_on_enable_operation() -> None:
    machine = machine_in(PowerState.QUICK_STOP_ACTIVE)
    for _ in range(3):
        assert machine.apply(encode_command(Command.ENABLE_OPERATION)) is None
    assert machine.state is PowerState.QUICK_STOP_ACTIVE
    taken = machine.apply(encode_command(Command.DISABLE_VOLTAGE))
    assert taken is not None
    assert (taken.number, machine.state) == (12, PowerState.SWITCH_ON_DISABLED)


def test_a_second_fault_keeps_the_first_error_code() -> None:
    machine = machine_in(PowerState.FAULT_REACTION_ACTIVE)
    assert machine.fault(0x3210) is None
    assert machine.error_code == 0x2310


def test_fault_needs_a_non_zero_u16_error_code() -> None:
    machine = machine_in(PowerState.OPERATION_ENABLED)
    with pytest.raises(Cia402Error, match="non-zero"):
        machine.fault(0)
    with pytest.raises(Cia402Error, match="70000"):
        machine.fault(70000)


@given(st.integers(0, 0xFFFF))
def test_every_controlword_decodes_to_one_command(controlword: int) -> None:
    command = decode_controlword(controlword)
    assert decode_controlword(encode_command(command)) is command


@pytest.mark.parametrize(
    ("controlword", "command"),
    [
        (0x0006, Command.SHUTDOWN),
        (0x0007, Command.SWITCH_ON),
        (0x000F, Command.ENABLE_OPERATION),
        (0x0000, Command.DISABLE_VOLTAGE),
        (0x0002, Command.QUICK_STOP),
        (0x0080, Command.FAULT_RESET),
        (0x010F, Command.ENABLE_OPERATION),  # halt bit does not change the command
    ],
)
def test_controlword_patterns_of_the_profile(controlword: int, command: Command) -> None:
    assert decode_controlword(controlword) is command


def test_fault_reset_encoding_drops_bit_7_first_when_it_is_still_high() -> None:
    assert encode_command(Command.FAULT_RESET, previous_controlword=0x0000) == CW_FAULT_RESET
    assert encode_command(Command.FAULT_RESET, previous_controlword=CW_FAULT_RESET) == 0x0000


@pytest.mark.parametrize("value", [-1, 0x10000])
def test_words_out_of_u16_are_rejected_with_the_value(value: int) -> None:
    with pytest.raises(Cia402Error, match=str(value)):
        decode_controlword(value)
    with pytest.raises(Cia402Error, match=str(value)):
        decode_statusword(value)


@settings(deadline=None)
@given(st.sampled_from(ALL_STATES), st.integers(0, 0xFFFF))
def test_statusword_round_trips_with_any_extra_bits(state: PowerState, extra: int) -> None:
    word = encode_statusword(state, extra)
    assert decode_statusword(word) is state


def test_statusword_sets_voltage_enabled_only_when_powered() -> None:
    assert encode_statusword(PowerState.OPERATION_ENABLED) & SW_VOLTAGE_ENABLED
    assert not encode_statusword(PowerState.SWITCH_ON_DISABLED) & SW_VOLTAGE_ENABLED
    assert encode_statusword(PowerState.OPERATION_ENABLED) == 0x0237
    assert encode_statusword(PowerState.FAULT, 0) == 0x0008
    assert encode_statusword(PowerState.QUICK_STOP_ACTIVE, SW_REMOTE) == 0x0217


@pytest.mark.parametrize("word", [0x0001, 0x0003, 0x0025])
def test_statusword_matching_no_state_is_rejected(word: int) -> None:
    with pytest.raises(Cia402Error, match=f"0x{word:04X}"):
        decode_statusword(word)


@pytest.mark.parametrize("start", [*OPERATIONAL, PowerState.FAULT])
@pytest.mark.parametrize("goal", [PowerState.OPERATION_ENABLED, PowerState.SWITCH_ON_DISABLED])
def test_command_towards_leads_every_state_to_the_goal(start: PowerState, goal: PowerState) -> None:
    machine = machine_in(start)
    if start is PowerState.NOT_READY_TO_SWITCH_ON:
        machine.complete_self_test()
    controlword = CW_FAULT_RESET if start is PowerState.FAULT else 0  # worst case: bit 7 high
    for _ in range(8):
        command = command_towards(machine.state, goal)
        if command is None:
            break
        controlword = encode_command(command, controlword)
        machine.apply(controlword)
    assert machine.state is goal


def test_command_towards_has_nothing_for_states_only_the_drive_leaves() -> None:
    assert command_towards(PowerState.FAULT_REACTION_ACTIVE, PowerState.SWITCH_ON_DISABLED) is None
    assert command_towards(PowerState.OPERATION_ENABLED, PowerState.FAULT) is None
    assert command_towards(PowerState.SWITCHED_ON, PowerState.SWITCHED_ON) is None


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (0x2310, "continuous over-current"),
        (0x8611, "following error"),
        (0x4211, "temperature error"),
        (0x8120, "communication error"),
        (0xFF12, "device-specific error"),
        (0xA001, "EtherCAT state machine transition error"),
        (0x0000, "no error"),
    ],
)
def test_error_codes_are_described_exactly_or_by_class(code: int, text: str) -> None:
    assert describe_error_code(code) == text


def test_drive_fault_reads_as_code_and_meaning() -> None:
    fault = DriveFault(0x2310)
    assert str(fault) == "error code 0x2310 (continuous over-current)"
    with pytest.raises(Cia402Error, match="65536"):
        DriveFault(65536)
