"""Emulated Dynamixel servos: protocol conformance (with ROBOTIS' own SDK), wire timing,
control loop, protection and fault injection."""

from __future__ import annotations

import time
from collections.abc import Iterator

import dynamixel_sdk as sdk
import numpy as np
import pytest

from jazari.control.dynamixel.client import DynamixelClient
from jazari.control.dynamixel.control_table import XM540_W270
from jazari.control.dynamixel.packet import (
    ALERT_BIT,
    ErrorNumber,
    HardwareError,
    Instruction,
    PacketParser,
    encode_packet,
    encode_status,
)
from jazari.control.dynamixel.transport import SerialTransport
from jazari.sim.dynamixel_emulator import (
    CorruptReplies,
    DynamixelChain,
    EmulatorConfig,
    EmulatorError,
    EmulatorProcess,
    EmulatorThread,
    RaiseHardwareError,
    SetLoadTorque,
    SetSilent,
    SetTemperature,
)
from jazari.sim.dynamixel_servo import ServoSpec
from jazari.sim.errors import SimConfigError
from jazari.sim.twin import CellTwin

BAUD = 4_000_000
BYTE_S = 10 / BAUD
COUNT = XM540_W270.position_unit_rad


def _config(*ids: int, delay: int | None = 0, **kw: object) -> EmulatorConfig:
    return EmulatorConfig(
        tuple(ServoSpec(k, 0.1 * k, return_delay_time=delay) for k in ids),
        **kw,  # type: ignore[arg-type]
    )


def _client(port: str, *, retries: int = 2, return_delay_s: float = 0.0) -> DynamixelClient:
    # A wide timeout margin: the emulator shares two loaded cores with everything else.
    return DynamixelClient(
        SerialTransport(port, BAUD), BAUD, return_delay_s=return_delay_s, retries=retries,
        timeout_margin_s=0.02,
    )  # fmt: skip


@pytest.fixture
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread(_config(1, 2, 3, overload_time_s=0.2)) as emu:
        yield emu


@pytest.fixture
def sdk_port(emulator: EmulatorThread) -> Iterator[sdk.PortHandler]:
    port = sdk.PortHandler(emulator.port)
    assert port.openPort()
    assert port.setBaudRate(BAUD)
    yield port
    port.closePort()


def test_dynamixel_sdk_pings_reads_writes_sync_reads_and_sync_writes_the_emulator(
    sdk_port: sdk.PortHandler, emulator: EmulatorThread
) -> None:
    ph = sdk.PacketHandler(2.0)
    assert ph.ping(sdk_port, 1) == (XM540_W270.model_number, sdk.COMM_SUCCESS, 0)
    assert ph.read4ByteTxRx(sdk_port, 2, 132) == (round(0.2 / COUNT), sdk.COMM_SUCCESS, 0)
    assert ph.write1ByteTxRx(sdk_port, 1, 11, 4) == (sdk.COMM_SUCCESS, 0)  # extended position
    assert ph.read1ByteTxRx(sdk_port, 1, 11) == (4, sdk.COMM_SUCCESS, 0)

    writer = sdk.GroupSyncWrite(sdk_port, ph, 116, 4)
    goals = {1: 500, 2: 900, 3: 1300}
    for sid, goal in goals.items():
        assert writer.addParam(sid, list(goal.to_bytes(4, "little")))
    assert writer.txPacket() == sdk.COMM_SUCCESS
    torque = sdk.GroupSyncWrite(sdk_port, ph, 64, 1)
    for sid in goals:
        torque.addParam(sid, [1])
    assert torque.txPacket() == sdk.COMM_SUCCESS

    reader = sdk.GroupSyncRead(sdk_port, ph, 116, 4)
    for sid in goals:
        reader.addParam(sid)
    assert reader.txRxPacket() == sdk.COMM_SUCCESS
    assert {sid: reader.getData(sid, 116, 4) for sid in goals} == goals

    time.sleep(1.0)
    positions = sdk.GroupSyncRead(sdk_port, ph, 132, 4)
    for sid in goals:
        positions.addParam(sid)
    assert positions.txRxPacket() == sdk.COMM_SUCCESS
    for sid, goal in goals.items():
        assert abs(positions.getData(sid, 132, 4) - goal) <= 10  # the servos moved there
    for snap in emulator.snapshot():
        assert snap.goal_position == goals[snap.servo_id]


def test_dynamixel_sdk_broadcast_ping_bulk_read_and_reboot(
    sdk_port: sdk.PortHandler, emulator: EmulatorThread
) -> None:
    ph = sdk.PacketHandler(2.0)
    found, result = ph.broadcastPing(sdk_port)
    assert result == sdk.COMM_SUCCESS
    assert found == {k: [XM540_W270.model_number, XM540_W270.firmware_version] for k in (1, 2, 3)}

    bulk = sdk.GroupBulkRead(sdk_port, ph)
    assert bulk.addParam(1, 132, 4)
    assert bulk.addParam(3, 146, 1)
    assert bulk.txRxPacket() == sdk.COMM_SUCCESS
    assert bulk.getData(1, 132, 4) == round(0.1 / COUNT)
    assert bulk.getData(3, 146, 1) == 25

    emulator.apply(RaiseHardwareError(2, HardwareError.OVERLOAD))
    _, _, error = ph.read1ByteTxRx(sdk_port, 2, 70)
    assert error & ALERT_BIT
    assert ph.reboot(sdk_port, 2) == (sdk.COMM_SUCCESS, ALERT_BIT)
    time.sleep(0.1)
    assert ph.read1ByteTxRx(sdk_port, 2, 70) == (0, sdk.COMM_SUCCESS, 0)


def test_status_packets_are_byte_exact() -> None:
    chain = DynamixelChain(_config(1))
    chain.receive(encode_packet(1, Instruction.READ, b"\x84\x00\x04\x00"), 5.0)
    out = chain.pop_due(6.0)
    assert out == encode_status(1, 0, round(0.1 / COUNT).to_bytes(4, "little"))


def test_answers_are_due_after_wire_time_and_return_delay() -> None:
    delay = 100  # 200 µs
    chain = DynamixelChain(_config(1, 2, 3, delay=delay))
    ping = encode_packet(2, Instruction.PING)
    chain.receive(ping, 10.0)
    expected = 10.0 + len(ping) * BYTE_S + delay * 2e-6 + 14 * BYTE_S
    assert chain.next_due_s() == pytest.approx(expected)
    assert chain.pop_due(expected - 1e-6) == b""
    assert PacketParser().feed(chain.pop_due(expected))[0].servo_id == 2


def test_sync_read_answers_follow_each_other_on_the_wire() -> None:
    chain = DynamixelChain(_config(1, 2, 3, delay=50))
    request = encode_packet(0xFE, Instruction.SYNC_READ, b"\x84\x00\x04\x00\x03\x01\x02")
    chain.receive(request, 0.0)
    t = len(request) * BYTE_S
    order = []
    for _ in range(3):
        t += 100e-6 + 15 * BYTE_S
        assert chain.next_due_s() == pytest.approx(t)
        order += [p.servo_id for p in PacketParser().feed(chain.pop_due(t))]
    assert order == [3, 1, 2]


def test_a_busy_bus_delays_the_next_instruction() -> None:
    chain = DynamixelChain(_config(1))
    first = encode_packet(0xFE, Instruction.SYNC_WRITE, b"\x74\x00\x04\x00\x01" + bytes(4))
    ping = encode_packet(1, Instruction.PING)
    chain.receive(first + ping, 0.0)  # both written at once: the ping waits its turn
    expected = (len(first) + len(ping) + 14) * BYTE_S
    assert chain.next_due_s() == pytest.approx(expected)


def test_status_return_level_decides_which_instructions_are_answered() -> None:
    chain = DynamixelChain(_config(1))
    read = encode_packet(1, Instruction.READ, b"\x84\x00\x04\x00")
    chain.receive(encode_packet(1, Instruction.WRITE, b"\x44\x00\x00"), 0.0)  # level 0
    chain.receive(read, 0.0)
    assert chain.pop_due(1.0) == b""  # neither the write nor the read is answered
    chain.receive(encode_packet(1, Instruction.PING), 1.0)
    assert PacketParser().feed(chain.pop_due(2.0))[0].servo_id == 1  # ping always is
    chain.receive(encode_packet(1, Instruction.WRITE, b"\x44\x00\x01"), 2.0)  # level 1
    chain.receive(read, 2.0)
    answers = PacketParser().feed(chain.pop_due(3.0))
    assert [len(p.data) for p in answers] == [4]  # only the read


def test_an_instruction_with_a_bad_crc_is_answered_with_a_crc_error() -> None:
    chain = DynamixelChain(_config(4))
    packet = bytearray(encode_packet(4, Instruction.PING))
    packet[-1] ^= 0xFF
    chain.receive(bytes(packet), 0.0)
    answer = PacketParser().feed(chain.pop_due(1.0))
    assert [(p.servo_id, p.error) for p in answer] == [(4, ErrorNumber.CRC)]


def test_unknown_instruction_is_answered_with_an_instruction_error() -> None:
    chain = DynamixelChain(_config(1))
    chain.receive(encode_packet(1, 0x77), 0.0)
    assert PacketParser().feed(chain.pop_due(1.0))[0].error == ErrorNumber.INSTRUCTION


def test_indirect_addresses_gather_scattered_items() -> None:
    chain = DynamixelChain(_config(1))
    servo = chain.servos[0]
    mapping = b"".join(a.to_bytes(2, "little") for a in (146, 132, 133, 134, 135))
    assert servo.write(168, mapping) == 0
    error, data = servo.read(224, 5)
    assert error == 0
    assert data == bytes((25,)) + round(0.1 / COUNT).to_bytes(4, "little")
    # Writing through indirect data reaches the item (goal position via 4 bytes).
    assert servo.write(168, b"".join(a.to_bytes(2, "little") for a in (116, 117, 118, 119))) == 0
    assert servo.write(224, (1234).to_bytes(4, "little")) == 0
    assert servo.get("goal_position") == 1234


def test_writes_follow_the_emanual_rules() -> None:
    servo = DynamixelChain(_config(1)).servos[0]
    assert servo.write(132, bytes(4)) == ErrorNumber.ACCESS  # read only
    assert servo.write(116, b"\x01\x02") == ErrorNumber.DATA_LENGTH  # half an item
    assert servo.write(64, b"\x02") == ErrorNumber.DATA_RANGE
    assert servo.write(116, (5000).to_bytes(4, "little")) == ErrorNumber.DATA_LIMIT
    assert servo.write(64, b"\x01") == 0
    assert servo.write(11, b"\x04") == ErrorNumber.ACCESS  # EEPROM locked by torque


def test_position_loop_reaches_the_goal_and_current_flows_under_load(
    emulator: EmulatorThread,
) -> None:
    client = _client(emulator.port)
    try:
        client.write_item(1, "torque_enable", 1)
        client.write_item(1, "goal_position", 1500)
        time.sleep(1.0)
        assert abs(client.read_item(1, "present_position") - 1500) <= 5
        emulator.apply(SetLoadTorque(1, 3.0))
        time.sleep(0.5)
        current = client.read_item(1, "present_current") * XM540_W270.current_unit_a
        assert current == pytest.approx(3.0 / XM540_W270.torque_constant_nm_per_a, rel=0.1)
        assert client.read_item(1, "present_position") < 1500  # pushed back by the load
    finally:
        client.close()


def test_overload_latches_an_error_with_the_alert_bit_and_cuts_torque(
    emulator: EmulatorThread,
) -> None:
    client = _client(emulator.port)
    try:
        client.write_item(2, "torque_enable", 1)
        emulator.apply(SetLoadTorque(2, 30.0))  # three times the stall torque
        time.sleep(0.8)
        assert client.read_item(2, "torque_enable") == 0
        assert client.hardware_errors[2] == HardwareError.OVERLOAD
        emulator.apply(SetLoadTorque(2, 0.0))
        client.reboot(2)
        time.sleep(0.1)
        assert client.read_hardware_error(2) == 0
    finally:
        client.close()


def test_overheating_cuts_torque_until_a_reboot_after_cooling(emulator: EmulatorThread) -> None:
    client = _client(emulator.port)
    try:
        client.write_item(3, "torque_enable", 1)
        emulator.apply(SetTemperature(3, 95.0))
        time.sleep(0.05)
        assert client.read_item(3, "torque_enable") == 0
        assert client.hardware_errors[3] == HardwareError.OVERHEATING
        client.reboot(3)  # still hot: the error comes back
        time.sleep(0.1)
        assert client.read_hardware_error(3) == HardwareError.OVERHEATING
        emulator.apply(SetTemperature(3, 40.0))
        client.reboot(3)
        time.sleep(0.1)
        assert client.read_hardware_error(3) == 0
        client.write_item(3, "torque_enable", 1)
    finally:
        client.close()


def test_silent_and_corrupting_servos_are_injectable(emulator: EmulatorThread) -> None:
    client = _client(emulator.port, retries=0)
    try:
        emulator.apply(SetSilent(1))
        emulator.apply(CorruptReplies(2, count=1))
        result = client.sync_read(132, 4, (1, 2, 3))
        assert result.missing == (1, 2)
        assert client.parser.counters.crc_errors == 1
        emulator.apply(SetSilent(1, silent=False))
        assert client.sync_read(132, 4, (1, 2, 3)).missing == ()
    finally:
        client.close()


def test_emulator_drives_the_mujoco_twin_only_through_the_bus() -> None:
    twin = CellTwin()
    names = twin.joint_names
    q_home = twin.joint_state()[0].copy()
    config = EmulatorConfig(tuple(ServoSpec(k + 1) for k in range(6)), joint_names=names)
    with EmulatorThread(config, plant=twin) as emu:
        client = _client(emu.port, return_delay_s=500e-6)
        try:
            present = client.sync_read(132, 4, range(1, 7))
            counts = [int.from_bytes(present.data[k], "little", signed=True) for k in range(1, 7)]
            np.testing.assert_allclose(np.array(counts) * COUNT, q_home, atol=COUNT)
            time.sleep(0.3)
            np.testing.assert_allclose(twin.joint_state()[0], q_home, atol=0.02)  # holds
            client.write_item(1, "operating_mode", 4)
            client.sync_write(64, 1, dict.fromkeys(range(1, 7), b"\x01"))  # hold where they are
            goal = round((q_home[0] + 0.3) / COUNT)
            client.write_item(1, "goal_position", goal)
            time.sleep(1.5)
            q = twin.joint_state()[0]
            assert q[0] == pytest.approx(q_home[0] + 0.3, abs=0.02)
            np.testing.assert_allclose(q[1:], q_home[1:], atol=0.02)
            assert abs(client.read_item(1, "present_position") - goal) < 0.02 / COUNT
        finally:
            client.close()


def test_emulator_process_serves_the_same_protocol_and_commands() -> None:
    with EmulatorProcess(_config(1, 2)) as emu:
        client = _client(emu.port)
        try:
            assert client.ping(2).model_number == XM540_W270.model_number
            emu.apply(SetSilent(2))
            assert client.sync_read(132, 4, (1, 2)).missing == (2,)
            assert [s.servo_id for s in emu.snapshot()] == [1, 2]
            with pytest.raises(EmulatorError, match="no emulated servo with ID 9"):
                emu.apply(SetSilent(9))
        finally:
            client.close()
    with pytest.raises(EmulatorError, match="stopped"):
        emu.snapshot()


def test_bad_configurations_are_named() -> None:
    with pytest.raises(SimConfigError, match="unique"):
        EmulatorConfig((ServoSpec(1), ServoSpec(1)))
    with pytest.raises(SimConfigError, match="12345"):
        EmulatorConfig((ServoSpec(1),), baud=12345)
    with pytest.raises(SimConfigError, match="servo_id"):
        ServoSpec(300)
    with pytest.raises(SimConfigError, match="joint_names"):
        DynamixelChain(_config(1), plant=CellTwin())


def test_emulator_survives_random_instructions_and_only_sends_whole_packets(
    rng: np.random.Generator,
) -> None:
    chain = DynamixelChain(_config(1, 2, 3))
    instructions = [int(i) for i in Instruction] + [0x00, 0x77, 0xFF]
    parser = PacketParser()
    answered = 0
    t = 0.0
    for _ in range(5000):
        servo_id = int(rng.choice([1, 2, 3, 7, 0xFE]))
        params = rng.bytes(int(rng.integers(0, 24)))
        chain.receive(encode_packet(servo_id, int(rng.choice(instructions)), params), t)
        t += 1e-3
        answered += len(parser.feed(chain.pop_due(t)))
    # Random writes may change IDs, baud rates or return levels, as on real servos;
    # whatever was answered was a sequence of whole, valid status packets.
    assert answered > 10
    assert (parser.counters.crc_errors, parser.counters.malformed, parser.pending) == (0, 0, 0)
    assert parser.counters.discarded_bytes == 0
    assert len(chain.snapshot()) == 3
