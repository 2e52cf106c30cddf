"""The Protocol 2.0 client against emulated servos over a pseudo-terminal."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator

import pytest

from jazari.control.dynamixel.client import DynamixelClient, SyncReadResult
from jazari.control.dynamixel.control_table import XM540_W270
from jazari.control.dynamixel.errors import (
    BusClosedError,
    CommError,
    CommTimeoutError,
    PacketError,
    StatusError,
)
from jazari.control.dynamixel.packet import ErrorNumber, HardwareError
from jazari.control.dynamixel.transport import SerialTransport
from jazari.sim.dynamixel_emulator import (
    CorruptReplies,
    EmulatorConfig,
    EmulatorThread,
    RaiseHardwareError,
    SendGarbage,
    SetSilent,
)
from jazari.sim.dynamixel_servo import ServoSpec

BAUD = 4_000_000


@pytest.fixture
def emulator() -> Iterator[EmulatorThread]:
    config = EmulatorConfig(tuple(ServoSpec(k, 0.1 * k, return_delay_time=0) for k in (1, 2, 3)))
    with EmulatorThread(config) as emu:
        yield emu


@pytest.fixture
def client(emulator: EmulatorThread) -> Iterator[DynamixelClient]:
    c = DynamixelClient(
        SerialTransport(emulator.port, BAUD),
        BAUD,
        return_delay_s=0.0,
        retries=1,
        timeout_margin_s=0.02,
    )
    yield c
    c.close()


def test_ping_returns_model_number_and_firmware(client: DynamixelClient) -> None:
    reply = client.ping(2)
    assert reply.model_number == XM540_W270.model_number
    assert reply.firmware_version == XM540_W270.firmware_version


def test_read_returns_the_present_position(client: DynamixelClient) -> None:
    counts = client.read_item(3, "present_position")
    assert counts == round(0.3 / XM540_W270.position_unit_rad)


def test_write_then_read_round_trips_an_item(client: DynamixelClient) -> None:
    client.write_item(1, "goal_position", 3000)
    assert client.read_item(1, "goal_position") == 3000


def test_goal_beyond_the_position_limits_raises_data_limit_error(client: DynamixelClient) -> None:
    with pytest.raises(StatusError, match="data limit"):
        client.write_item(1, "goal_position", -2048)  # position mode: 0..4095
    client.write_item(1, "operating_mode", 4)  # extended position mode: multi-turn
    client.write_item(1, "goal_position", -2048)
    assert client.read_item(1, "goal_position") == -2048


def test_write_to_a_read_only_item_raises_access_error(client: DynamixelClient) -> None:
    with pytest.raises(StatusError, match="access error") as info:
        client.write_item(1, "present_position", 5)
    assert info.value.error_number == ErrorNumber.ACCESS
    assert info.value.servo_id == 1


def test_eeprom_is_locked_while_torque_is_on(client: DynamixelClient) -> None:
    client.write_item(2, "torque_enable", 1)
    with pytest.raises(StatusError, match="access error"):
        client.write_item(2, "operating_mode", 4)
    client.write_item(2, "torque_enable", 0)
    client.write_item(2, "operating_mode", 4)
    assert client.read_item(2, "operating_mode") == 4


def test_out_of_range_value_raises_data_range_error(client: DynamixelClient) -> None:
    with pytest.raises(StatusError, match="data range"):
        client.write_item(1, "operating_mode", 2)


def test_sync_write_then_sync_read_reaches_every_servo(client: DynamixelClient) -> None:
    goal = XM540_W270["goal_position"]
    client.sync_write(goal.address, 4, {k: goal.encode(100 * k) for k in (1, 2, 3)})
    result = client.sync_read(goal.address, 4, (3, 1, 2))
    assert {k: goal.decode(v) for k, v in result.data.items()} == {1: 100, 2: 200, 3: 300}
    assert result.missing == ()


def test_sync_plans_write_and_read_every_servo(client: DynamixelClient) -> None:
    goal = XM540_W270["goal_position"]
    layout = struct.Struct("<i")
    client.sync_write_columns(
        client.sync_write_plan(goal.address, layout, (1, 2, 3)), [7, 2048, 4095]
    )
    columns = client.sync_read_columns(client.sync_read_plan(goal.address, layout, (3, 1, 2)))
    assert columns == ((4095, 7, 2048),)
    assert client.hardware_errors == {1: 0, 2: 0, 3: 0}


def test_sync_read_columns_give_the_full_result_after_a_corrupted_answer(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    plan = client.sync_read_plan(132, struct.Struct("<i"), (1, 2, 3))
    emulator.apply(CorruptReplies(2, count=1))
    result = client.sync_read_columns(plan)
    assert isinstance(result, SyncReadResult)
    assert result.missing == (2,)
    assert set(result.data) == {1, 3}
    assert client.parser.counters.crc_errors == 1
    assert isinstance(client.sync_read_columns(plan), tuple)  # the next cycle is clean


def test_sync_read_columns_read_the_hardware_error_after_an_alert(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    plan = client.sync_read_plan(132, struct.Struct("<i"), (1, 2))
    emulator.apply(RaiseHardwareError(1, HardwareError.OVERHEATING))
    result = client.sync_read_columns(plan)
    assert isinstance(result, SyncReadResult)
    assert result.hardware_errors == {1: HardwareError.OVERHEATING}
    assert set(result.data) == {1, 2}


def test_sync_read_lists_a_silent_servo_as_missing_and_keeps_the_others(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    emulator.apply(SetSilent(2))
    result = client.sync_read(132, 4, (1, 2, 3))
    assert result.missing == (2,)
    assert set(result.data) == {1, 3}


def test_unicast_to_a_silent_servo_times_out_within_its_bound(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    emulator.apply(SetSilent(1))
    t0 = time.monotonic()
    with pytest.raises(CommTimeoutError, match=r"servo 1: no answer .* 2 attempts"):
        client.ping(1)
    # Two attempts of a few hundred microseconds plus their 2 ms margins; a loose
    # upper bound only, to show the wait is bounded.
    assert time.monotonic() - t0 < 1.0


def test_a_corrupted_answer_is_retried_and_then_accepted(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    emulator.apply(CorruptReplies(3, count=1))
    assert client.ping(3).model_number == XM540_W270.model_number
    assert client.parser.counters.crc_errors >= 1


def test_only_corrupted_answers_raise_naming_the_crc_errors(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    emulator.apply(CorruptReplies(3, count=-1))
    with pytest.raises(CommTimeoutError, match="only corrupted answers"):
        client.ping(3)
    result = client.sync_read(132, 4, (1, 3))
    assert result.missing == (3,)


def test_garbage_before_an_answer_is_skipped(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    emulator.apply(SendGarbage(b"\xff\xff\xfd\x00\x01\xff\x00junk\x00\x12"))
    time.sleep(0.01)
    assert client.ping(1).servo_id == 1


def test_data_with_the_header_pattern_is_stuffed_and_read_back(client: DynamixelClient) -> None:
    port = XM540_W270["external_port_data_1"]
    client.write(1, port.address, b"\xff\xff\xfd\x07")  # items 1 and 2: FF FF, FD 07
    assert client.read(1, port.address, 4) == b"\xff\xff\xfd\x07"


def test_alert_bit_makes_the_client_read_the_hardware_error(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    emulator.apply(RaiseHardwareError(2, HardwareError.OVERLOAD))
    client.read_item(2, "present_temperature")
    assert client.hardware_errors[2] == HardwareError.OVERLOAD
    result = client.sync_read(132, 4, (1, 2))
    assert result.hardware_errors == {2: HardwareError.OVERLOAD}
    assert 2 in result.data  # the data of an alerting servo is still valid


def test_reboot_clears_the_hardware_error_and_torque_stays_off(
    client: DynamixelClient, emulator: EmulatorThread
) -> None:
    client.write_item(1, "torque_enable", 1)
    emulator.apply(RaiseHardwareError(1, HardwareError.OVERHEATING))
    assert client.read_item(1, "torque_enable") == 0
    with pytest.raises(StatusError, match="result fail"):
        client.write_item(1, "torque_enable", 1)
    client.reboot(1)
    time.sleep(0.1)  # the emulated boot time
    assert client.read_hardware_error(1) == 0
    assert client.read_item(1, "torque_enable") == 0


def test_bad_arguments_raise_before_anything_is_sent(client: DynamixelClient) -> None:
    with pytest.raises(PacketError, match="253"):
        client.ping(253)
    with pytest.raises(PacketError, match="unique"):
        client.sync_read(132, 4, (1, 1))
    with pytest.raises(PacketError, match="3 bytes, not 4"):
        client.sync_write(116, 4, {1: b"\x00\x00\x00"})


def test_a_closed_client_refuses_further_use(client: DynamixelClient) -> None:
    client.close()
    with pytest.raises(BusClosedError):
        client.ping(1)


def test_opening_a_missing_port_names_it() -> None:
    with pytest.raises(CommError, match="/dev/does-not-exist"):
        SerialTransport("/dev/does-not-exist", BAUD)
