"""The emulated slaves at register level: frames built here play the master, the way
SOEM does it (addresses, EEPROM, AL states, mailbox and CoE, FMMUs, watchdog, faults)."""

from __future__ import annotations

import struct

import pytest

from jazari.sim.ethercat_slave.application import AL_INIT, AL_OP, AL_PREOP, AL_SAFEOP
from jazari.sim.ethercat_slave.frame import Command, DatagramSpec, build_frame, datagrams, read_wkc
from jazari.sim.ethercat_slave.segment import Segment
from jazari.sim.ethercat_slave.sii import read_words
from jazari.sim.ethercat_slave.spec import (
    EMULATOR_PRODUCT_CODE,
    EMULATOR_VENDOR_ID,
    SlaveSpec,
    build_segment,
)

N = 6
MAILBOX_SMS = bytes.fromhex("00108000260001008010800022000100")
SM2 = struct.pack("<HHBBBB", 0x1100, 7, 0x64, 0, 1, 0)
SM3 = struct.pack("<HHBBBB", 0x1180, 15, 0x20, 0, 1, 0)


class FrameMaster:
    """Sends one datagram per frame through a segment, on virtual time."""

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.now = 0.0
        self.counter = 0

    def send(self, command: Command, adp: int, ado: int, data: bytes) -> tuple[bytes, int, int]:
        frame = build_frame([DatagramSpec(command, adp, ado, data)])
        assert self.segment.process(frame, self.now)
        (datagram,) = datagrams(frame)
        return bytes(datagram.data), read_wkc(frame, datagram), datagram.adp

    def fprd(self, station: int, ado: int, size: int) -> tuple[bytes, int]:
        data, wkc, _ = self.send(Command.FPRD, station, ado, bytes(size))
        return data, wkc

    def fpwr(self, station: int, ado: int, data: bytes) -> int:
        return self.send(Command.FPWR, station, ado, data)[1]

    def al_status(self, station: int) -> tuple[int, int]:
        data, _ = self.fprd(station, 0x0130, 6)
        status, _, code = struct.unpack("<HHH", data)
        return status, code

    def request(self, station: int, state: int) -> tuple[int, int]:
        self.fpwr(station, 0x0120, struct.pack("<H", state))
        return self.al_status(station)

    def tick(self, seconds: float) -> None:
        steps = max(1, round(seconds / 0.001))
        for _ in range(steps):
            self.now += seconds / steps
            self.segment.run_applications(self.now)

    def sdo(self, station: int, body: bytes, counter: int | None = None) -> bytes | None:
        """One CoE request through SM0; the reply from SM1 (None when SM1 stays empty)."""
        if counter is None:
            self.counter = self.counter % 7 + 1
            counter = self.counter
        mailbox = struct.pack("<HHBB", len(body), 0, 0, 0x03 | counter << 4) + body
        assert self.fpwr(station, 0x1000, mailbox.ljust(128, b"\x00")) == 1
        data, wkc = self.fprd(station, 0x1080, 128)
        if wkc == 0:
            return None
        length = struct.unpack_from("<H", data)[0]
        return data[6 : 6 + length]


def upload(index: int, sub: int) -> bytes:
    return struct.pack("<HBHBI", 0x2000, 0x40, index, sub, 0)


def download(index: int, sub: int, value: bytes) -> bytes:
    command = 0x23 | (4 - len(value)) << 2
    return struct.pack("<HBHB", 0x2000, command, index, sub) + value.ljust(4, b"\x00")


def abort_code(reply: bytes | None) -> int:
    assert reply is not None
    assert reply[2] == 0x80, f"not an abort: {reply.hex()}"
    return int(struct.unpack_from("<I", reply, 6)[0])


@pytest.fixture
def master() -> FrameMaster:
    master = FrameMaster(build_segment([SlaveSpec() for _ in range(N)], 0.0))
    for position in range(1, N + 1):
        _, wkc, _ = master.send(
            Command.APWR, (1 - position) & 0xFFFF, 0x0010, struct.pack("<H", 0x1000 + position)
        )
        assert wkc == 1
    master.tick(0.05)  # drive self-test
    return master


def to_preop(master: FrameMaster, station: int) -> None:
    assert master.fpwr(station, 0x0800, MAILBOX_SMS) == 1
    assert master.request(station, AL_PREOP | 0x10) == (AL_PREOP, 0)


def to_op(master: FrameMaster, station: int, position: int) -> None:
    to_preop(master, station)
    master.fpwr(station, 0x0810, SM2)
    master.fpwr(station, 0x0818, SM3)
    fmmu_out = struct.pack("<IHBBHBBBxxx", 7 * (position - 1), 7, 0, 7, 0x1100, 0, 2, 1)
    fmmu_in = struct.pack("<IHBBHBBBxxx", 7 * N + 15 * (position - 1), 15, 0, 7, 0x1180, 0, 1, 1)
    master.fpwr(station, 0x0600, fmmu_out + fmmu_in)
    assert master.request(station, AL_SAFEOP) == (AL_SAFEOP, 0)
    assert master.request(station, AL_OP) == (AL_OP, 0)


def test_broadcast_read_counts_every_slave(master: FrameMaster) -> None:
    data, wkc, adp = master.send(Command.BRD, 0, 0x0000, bytes(2))
    assert wkc == N
    assert adp == N
    assert data == b"\x4a\x01"  # ESC type, revision


def test_auto_increment_addresses_the_slave_at_position_zero(master: FrameMaster) -> None:
    data, wkc, adp = master.send(Command.APRD, 0xFFFE, 0x0010, bytes(2))
    assert (data, wkc) == (struct.pack("<H", 0x1003), 1)
    assert adp == (0xFFFE + N) & 0xFFFF
    assert master.fprd(0x1003, 0x0010, 2) == (struct.pack("<H", 0x1003), 1)
    assert master.fprd(0x1099, 0x0010, 2) == (bytes(2), 0)


def test_eeprom_reads_the_identity_eight_bytes_at_a_time(master: FrameMaster) -> None:
    assert master.fprd(0x1002, 0x0502, 2)[0] == struct.pack("<H", 0x0040)
    assert master.fpwr(0x1002, 0x0502, struct.pack("<HHH", 0x0100, 0x0008, 0)) == 1
    data, wkc = master.fprd(0x1002, 0x0508, 8)
    assert wkc == 1
    assert struct.unpack("<II", data) == (EMULATOR_VENDOR_ID, EMULATOR_PRODUCT_CODE)
    assert master.fprd(0x1002, 0x0502, 2)[0] == struct.pack("<H", 0x0040)  # not busy, no error


def test_sii_image_holds_what_soem_reads() -> None:
    eeprom = bytes(build_segment([SlaveSpec(serial=77)], 0.0).slaves[0]._eeprom)
    assert struct.unpack("<IIII", read_words(eeprom, 0x08, 8)) == (
        EMULATOR_VENDOR_ID,
        EMULATOR_PRODUCT_CODE,
        1,
        77,
    )
    assert struct.unpack("<HHHHH", read_words(eeprom, 0x18, 5)) == (
        0x1000,
        128,
        0x1080,
        128,
        0x0004,
    )
    categories: dict[int, bytes] = {}
    at = 0x40
    while True:
        cat_type, words = struct.unpack("<HH", read_words(eeprom, at, 2))
        if cat_type == 0xFFFF:
            break
        categories[cat_type] = read_words(eeprom, at + 2, words)
        at += 2 + words
    strings = categories[10]
    assert strings[0] == 2
    assert strings[2 : 2 + strings[1]] == b"Jazari CSP drive emulator"
    assert categories[30][5] == 0x0D  # CoE: SDO, PDO assign, PDO config; no complete access
    assert [struct.unpack_from("<HHBBBB", categories[41], 8 * n) for n in range(4)] == [
        (0x1000, 128, 0x26, 0, 1, 1),
        (0x1080, 128, 0x22, 0, 1, 2),
        (0x1100, 7, 0x64, 0, 1, 3),
        (0x1180, 15, 0x20, 0, 1, 4),
    ]
    assert struct.unpack_from("<HBB", categories[50]) == (0x1A00, 6, 3)
    assert struct.unpack_from("<HBB", categories[51]) == (0x1600, 3, 2)
    assert read_words(eeprom, 0x4000, 1) == b"\xff\xff"


def test_preop_needs_the_mailbox_and_errors_need_an_acknowledge(master: FrameMaster) -> None:
    assert master.request(0x1001, AL_PREOP) == (AL_INIT | 0x10, 0x0016)
    master.fpwr(0x1001, 0x0800, MAILBOX_SMS)
    assert master.request(0x1001, AL_PREOP) == (AL_INIT | 0x10, 0x0016)  # no ack: ignored
    assert master.request(0x1001, AL_PREOP | 0x10) == (AL_PREOP, 0)


@pytest.mark.parametrize(
    ("state", "code"),
    [(AL_OP, 0x0011), (3, 0x0013), (5, 0x0012), (AL_SAFEOP, 0x001D)],
)
def test_invalid_state_requests_stay_put_with_a_status_code(
    master: FrameMaster, state: int, code: int
) -> None:
    to_preop(master, 0x1004)
    assert master.request(0x1004, state) == (AL_PREOP | 0x10, code)
    assert master.request(0x1004, AL_INIT) == (AL_INIT | 0x10, code)  # going down needs no ack


def test_sdo_upload_expedited_and_normal(master: FrameMaster) -> None:
    to_preop(master, 0x1001)
    reply = master.sdo(0x1001, upload(0x1018, 1))
    assert reply is not None
    assert reply[2] == 0x43
    assert struct.unpack_from("<I", reply, 6)[0] == EMULATOR_VENDOR_ID
    reply = master.sdo(0x1001, upload(0x1C00, 0))
    assert reply is not None
    assert (reply[2], reply[6]) == (0x4F, 4)  # one byte
    reply = master.sdo(0x1001, upload(0x1008, 0))
    assert reply is not None
    size = struct.unpack_from("<I", reply, 6)[0]
    assert (reply[2], reply[10 : 10 + size]) == (0x41, b"Jazari CSP drive emulator")
    assert abort_code(master.sdo(0x1001, upload(0x2000, 0))) == 0x06020000
    assert abort_code(master.sdo(0x1001, upload(0x1018, 9))) == 0x06090011


def test_an_empty_read_mailbox_is_not_read(master: FrameMaster) -> None:
    to_preop(master, 0x1002)
    assert master.fprd(0x1002, 0x1080, 128)[1] == 0
    assert master.fprd(0x1002, 0x080D, 1)[0] == b"\x00"


def test_pdo_mapping_changes_follow_the_canopen_rules(master: FrameMaster) -> None:
    to_preop(master, 0x1003)
    assert (
        abort_code(master.sdo(0x1003, download(0x1600, 1, struct.pack("<I", 0x60410010))))
        == 0x06010003
    )
    assert master.sdo(0x1003, download(0x1600, 0, b"\x00")) is not None
    reply = master.sdo(0x1003, download(0x1600, 1, struct.pack("<I", 0x60410010)))
    assert reply is not None
    assert reply[2] == 0x60
    assert (
        abort_code(master.sdo(0x1003, download(0x1600, 0, b"\x01"))) == 0x06040041
    )  # statusword is an input
    assert abort_code(master.sdo(0x1003, download(0x1600, 0, b"\x00\x00"))) == 0x06070010
    assert abort_code(master.sdo(0x1003, download(0x6041, 0, b"\x00\x00"))) == 0x06010002


def test_pdo_mapping_is_locked_outside_preop(master: FrameMaster) -> None:
    to_op(master, 0x1002, 2)
    assert abort_code(master.sdo(0x1002, download(0x1C12, 0, b"\x00"))) == 0x08000022


def test_a_repeated_mailbox_request_is_answered_once(master: FrameMaster) -> None:
    to_preop(master, 0x1005)
    assert master.sdo(0x1005, upload(0x1000, 0), counter=3) is not None
    assert master.sdo(0x1005, upload(0x1000, 0), counter=3) is None
    assert master.sdo(0x1005, upload(0x1000, 0), counter=4) is not None


def test_a_lost_mailbox_reply_is_sent_again_on_a_repeat_request(master: FrameMaster) -> None:
    to_preop(master, 0x1001)
    first = master.sdo(0x1001, upload(0x1018, 2))
    master.fpwr(0x1001, 0x080E, b"\x03")  # toggle the repeat bit
    assert master.fprd(0x1001, 0x080F, 1)[0][0] & 0x02
    data, wkc = master.fprd(0x1001, 0x1080, 128)
    assert wkc == 1
    assert data[6 : 6 + len(first or b"")] == first


def test_process_data_goes_through_the_fmmus_with_three_per_slave(master: FrameMaster) -> None:
    for position in range(1, N + 1):
        to_op(master, 0x1000 + position, position)
    master.tick(0.002)
    outputs = struct.pack("<HiB", 0x0006, 0, 8) * N
    data, wkc, _ = master.send(Command.LRW, 0, 0, outputs + bytes(15 * N))
    assert wkc == 3 * N
    assert data[: 7 * N] == outputs  # outputs come back unchanged
    assert struct.unpack_from("<H", data, 7 * N)[0] == 0x0240  # switch on disabled, remote
    master.tick(0.002)
    data, wkc, _ = master.send(Command.LRW, 0, 0, outputs + bytes(15 * N))
    assert struct.unpack_from("<H", data, 7 * N + 15 * 3)[0] == 0x0221  # ready to switch on, remote
    master.request(0x1002, AL_SAFEOP)
    assert master.send(Command.LRW, 0, 0, outputs + bytes(15 * N))[1] == 3 * N - 2


def test_the_watchdog_drops_a_slave_without_outputs_to_safeop(master: FrameMaster) -> None:
    to_op(master, 0x1001, 1)
    frame = struct.pack("<HiB", 0x0006, 0, 8)
    for word in (0x0006, 0x0007, 0x000F):
        frame = struct.pack("<HiB", word, 0, 8)
        master.send(Command.LRW, 0, 0, frame + bytes(15))
        master.tick(0.001)
    assert master.segment.slaves[0].app.drive.machine.state.value == "operation enabled"
    master.tick(0.15)
    assert master.al_status(0x1001) == (AL_SAFEOP | 0x10, 0x001B)
    assert master.segment.slaves[0].app.drive.error_code == 0xA000


def test_read_only_registers_keep_their_values(master: FrameMaster) -> None:
    assert master.fpwr(0x1001, 0x0130, b"\x08\x00") == 1
    assert master.al_status(0x1001) == (AL_INIT, 0)
    assert master.fpwr(0x1001, 0x0000, b"\x00") == 1
    assert master.fprd(0x1001, 0x0000, 1)[0] == b"\x4a"


def test_a_power_cycled_slave_vanishes_then_returns_reset(master: FrameMaster) -> None:
    to_preop(master, 0x1002)
    master.segment.slave(2).power_cycle(master.now, 0.1)
    assert master.send(Command.BRD, 0, 0x0000, bytes(2))[1] == N - 1
    assert master.send(Command.APRD, 0xFFFF, 0x0010, bytes(2))[0] == struct.pack("<H", 0x1003)
    master.tick(0.11)
    assert master.send(Command.BRD, 0, 0x0000, bytes(2))[1] == N
    assert master.send(Command.APRD, 0xFFFF, 0x0010, bytes(2))[0] == bytes(2)  # address forgotten
    assert master.segment.slave(2).al_state == AL_INIT


def test_a_silenced_slave_keeps_its_state_when_it_answers_again(master: FrameMaster) -> None:
    to_preop(master, 0x1006)
    master.segment.slave(6).silence(master.now, 0.05)
    assert master.fprd(0x1006, 0x0130, 2)[1] == 0
    master.tick(0.06)
    assert master.al_status(0x1006) == (AL_PREOP, 0)


def test_frame_faults_drop_frames_and_bend_process_data_counters(master: FrameMaster) -> None:
    segment = master.segment
    segment.faults.drop_frames = 2
    frame = build_frame([DatagramSpec(Command.BRD, 0, 0, bytes(2))])
    assert not segment.process(frame, 0.0)
    assert not segment.process(frame, 0.0)
    assert segment.process(frame, 0.0)
    segment.faults.wkc_offset, segment.faults.wkc_frames = 5, 1
    assert master.send(Command.BRD, 0, 0, bytes(2))[1] == N  # not process data
    assert master.send(Command.LRD, 0, 0, bytes(4))[1] == 5
    assert master.send(Command.LRD, 0, 0, bytes(4))[1] == 0
    assert segment.counters.dropped == 2


def test_malformed_frames_are_dropped_unanswered(master: FrameMaster) -> None:
    frame = build_frame([DatagramSpec(Command.BRD, 0, 0, bytes(2))])
    frame[12:14] = b"\x08\x00"
    assert not master.segment.process(frame, 0.0)
    assert master.segment.counters.malformed == 1


def test_device_information_registers_describe_the_esc(master: FrameMaster) -> None:
    data, wkc = master.fprd(0x1001, 0x0000, 8)
    assert wkc == 1
    assert struct.unpack("<BBHBBBB", data) == (0x4A, 1, 1, 3, 4, 8, 0x0F)
    assert master.fprd(0x1001, 0x0008, 2)[0] == bytes(2)  # no distributed clocks
    assert master.fprd(0x1001, 0x0110, 2)[0] == struct.pack("<H", 0x0A31)  # ports 0 and 1 open
    assert master.fprd(0x1006, 0x0110, 2)[0] == struct.pack("<H", 0x0611)  # last: port 1 closed
