"""Packets of Protocol 2.0: framing, stuffing, and a parser that never accepts corruption."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.control.dynamixel.crc import crc16
from jazari.control.dynamixel.errors import PacketError
from jazari.control.dynamixel.packet import (
    ALERT_BIT,
    HEADER,
    ErrorNumber,
    HardwareError,
    Instruction,
    Packet,
    PacketParser,
    describe_error,
    describe_hardware_error,
    encode_packet,
    encode_status,
    stuff,
    unstuff,
)

ids = st.integers(0, 252) | st.just(0xFE)
# Parameters rich in the bytes that matter for stuffing and headers.
params = st.lists(
    st.sampled_from([0xFF, 0xFD, 0x00, 0x55, 0x01]) | st.integers(0, 255), max_size=40
).map(bytes)


@pytest.mark.parametrize(
    ("servo_id", "instruction", "params", "expected"),
    [
        (1, Instruction.PING, b"", "FF FF FD 00 01 03 00 01 19 4E"),
        (
            1,
            Instruction.READ,
            bytes.fromhex("84000400"),
            "FF FF FD 00 01 07 00 02 84 00 04 00 1D 15",
        ),
        (
            1,
            Instruction.WRITE,
            bytes.fromhex("740000020000"),
            "FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89",
        ),
        (
            0xFE,
            Instruction.SYNC_READ,
            bytes.fromhex("840004000102"),
            "FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA",
        ),
        (
            0xFE,
            Instruction.SYNC_WRITE,
            bytes.fromhex("74000400019600000002AA000000"),
            "FF FF FD 00 FE 11 00 83 74 00 04 00 01 96 00 00 00 02 AA 00 00 00 82 87",
        ),
        (
            0xFE,
            Instruction.BULK_READ,
            bytes.fromhex("01900002000292000100"),
            "FF FF FD 00 FE 0D 00 92 01 90 00 02 00 02 92 00 01 00 1A 05",
        ),
        (1, Instruction.REBOOT, b"", "FF FF FD 00 01 03 00 08 2F 4E"),
    ],
)
def test_encode_packet_matches_the_emanual_examples(
    servo_id: int, instruction: int, params: bytes, expected: str
) -> None:
    assert encode_packet(servo_id, instruction, params) == bytes.fromhex(expected)


def test_encode_status_matches_the_emanual_ping_reply() -> None:
    assert encode_status(1, 0, bytes.fromhex("060426")) == bytes.fromhex(
        "FF FF FD 00 01 07 00 55 00 06 04 26 65 5D"
    )


def test_stuffing_inserts_fd_after_every_header_pattern_and_counts_it_in_length() -> None:
    packet = encode_packet(3, Instruction.WRITE, b"\xff\xff\xfd\x01")
    assert packet[7:13] == b"\x03\xff\xff\xfd\xfd\x01"
    assert packet[5] | (packet[6] << 8) == 1 + 5 + 2
    assert PacketParser().feed(packet) == [Packet(3, Instruction.WRITE, b"\xff\xff\xfd\x01")]


@pytest.mark.parametrize(("servo_id", "instruction"), [(253, 1), (255, 1), (-1, 1), (1, 256)])
def test_encode_packet_raises_on_bad_id_or_instruction(servo_id: int, instruction: int) -> None:
    with pytest.raises(PacketError, match=str(servo_id if servo_id != 1 else instruction)):
        encode_packet(servo_id, instruction)


def test_encode_packet_raises_on_oversized_packet() -> None:
    with pytest.raises(PacketError, match="exceeds"):
        encode_packet(1, Instruction.WRITE, bytes(2000))


@given(params)
def test_unstuff_inverts_stuff(body: bytes) -> None:
    assert unstuff(stuff(body)) == body
    assert b"\xff\xff\xfd" not in stuff(body).replace(b"\xff\xff\xfd\xfd", b"")


@given(ids, st.integers(0, 255), params, st.data())
def test_packets_round_trip_through_the_parser_in_any_chunking(
    servo_id: int, instruction: int, body: bytes, data: st.DataObject
) -> None:
    wire = encode_packet(servo_id, instruction, body)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    parser = PacketParser()
    out = []
    for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        out += parser.feed(wire[a:b])
    assert out == [Packet(servo_id, instruction, body)]
    assert out[0].wire_length == len(wire)
    assert parser.pending == 0


@given(
    st.lists(st.tuples(ids, st.integers(0, 255), params), min_size=1, max_size=5),
    st.binary(max_size=20),
)
def test_parser_finds_every_packet_behind_garbage(
    packets: list[tuple[int, int, bytes]], garbage: bytes
) -> None:
    # Garbage cannot hold a full header (it would be a frame of its own).
    garbage = garbage.replace(HEADER[:3], b"")
    wire = garbage + b"".join(encode_packet(*p) for p in packets)
    assert PacketParser().feed(wire) == [Packet(*p) for p in packets]


def _flip_bits(wire: bytes, positions: list[int]) -> bytes:
    out = bytearray(wire)
    for bit in positions:
        out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@given(ids, st.integers(0, 255), params, st.data())
def test_parser_never_accepts_a_packet_with_up_to_three_flipped_bits(
    servo_id: int, instruction: int, body: bytes, data: st.DataObject
) -> None:
    wire = encode_packet(servo_id, instruction, body)
    # The length field is left alone here (a changed length changes the frame the CRC
    # covers; see the exhaustive length test below). CRC-16 with polynomial 0x8005
    # detects every 1-, 2- and 3-bit error in frames this short.
    allowed = [b for b in range(len(wire) * 8) if not 40 <= b < 56]
    bits = data.draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3, unique=True))
    corrupted = _flip_bits(wire, bits)
    good = encode_packet(7, Instruction.STATUS, b"\x00\x01")
    assert PacketParser().feed(corrupted + good) == [Packet(7, Instruction.STATUS, b"\x00\x01")]


@given(ids, st.integers(0, 255), params, st.data())
def test_parser_never_accepts_a_packet_with_a_burst_error(
    servo_id: int, instruction: int, body: bytes, data: st.DataObject
) -> None:
    wire = encode_packet(servo_id, instruction, body)
    start = data.draw(st.integers(PREFIX_BITS := 56, len(wire) * 8 - 1))
    width = data.draw(st.integers(1, min(16, len(wire) * 8 - start)))
    pattern = data.draw(
        st.integers(1, (1 << width) - 1).filter(lambda p: p & 1 and p >> (width - 1))
    )
    bits = [start + k for k in range(width) if pattern >> k & 1]
    assert PREFIX_BITS == 56
    assert PacketParser().feed(_flip_bits(wire, bits)) == []


def test_parser_rejects_every_corrupted_length_field() -> None:
    wire = encode_packet(1, Instruction.STATUS, b"\x00" + bytes(range(20)))
    good = encode_packet(2, Instruction.STATUS, b"\x00\x05")
    for value in range(256):
        if value == wire[5]:
            continue
        corrupted = wire[:5] + bytes((value,)) + wire[6:]
        parser = PacketParser()
        out = parser.feed(corrupted + good) + parser.flush()
        assert out == [Packet(2, Instruction.STATUS, b"\x00\x05")], value


def test_parser_refuses_a_frame_with_a_bare_header_pattern_even_with_a_valid_crc() -> None:
    # A truncated packet running into the next header: its body holds FF FF FD 00,
    # which a compliant sender would have stuffed. Even when the CRC happens to match,
    # it is not one packet.
    body = b"\x55\x00\x01\x02" + HEADER + b"\x02"
    frame = HEADER + bytes((1, len(body) + 2, 0)) + body
    crc = crc16(frame)
    parser = PacketParser()
    assert parser.feed(frame + bytes((crc & 0xFF, crc >> 8))) == []
    assert parser.counters.malformed >= 1


def test_parser_flush_gives_up_a_truncated_frame_and_keeps_what_follows() -> None:
    first = encode_packet(1, Instruction.STATUS, b"\x00" + bytes(30))
    second = encode_packet(2, Instruction.STATUS, b"\x00\x09")
    parser = PacketParser()
    assert parser.feed(first[:20] + second) == []  # the truncated frame swallows the next
    assert parser.flush() == [Packet(2, Instruction.STATUS, b"\x00\x09")]
    assert parser.pending == 0


def test_parser_counts_what_it_throws_away() -> None:
    wire = bytearray(encode_packet(1, Instruction.PING))
    wire[-1] ^= 0xFF
    parser = PacketParser()
    assert parser.feed(b"\x12\x34" + bytes(wire)) == []
    assert parser.counters.crc_errors == 1
    assert parser.counters.discarded_bytes >= 3


def test_parser_reports_the_id_of_a_frame_with_a_bad_crc() -> None:
    seen: list[int] = []
    wire = bytearray(encode_packet(9, Instruction.READ, b"\x84\x00\x04\x00"))
    wire[-2] ^= 1
    PacketParser(on_bad_crc=seen.append).feed(bytes(wire))
    assert seen == [9]


def _random_stream(rng: np.random.Generator, valid: list[bytes]) -> bytes:
    kind = rng.integers(5)
    if kind == 4:  # intact
        return valid[int(rng.integers(len(valid)))]
    if kind == 0:  # line noise
        return rng.bytes(int(rng.integers(0, 64)))
    packet = bytearray(valid[int(rng.integers(len(valid)))])
    if kind == 1:  # a mutated packet
        for _ in range(int(rng.integers(1, 4))):
            packet[int(rng.integers(len(packet)))] = int(rng.integers(256))
        return bytes(packet)
    if kind == 2:  # truncated, inside noise
        return rng.bytes(int(rng.integers(0, 8))) + bytes(packet[: int(rng.integers(len(packet)))])
    # a header with a random length and body
    return HEADER + rng.bytes(int(rng.integers(0, 40)))


def test_parser_survives_100000_random_byte_strings(rng: np.random.Generator) -> None:
    valid = [
        encode_packet(1, Instruction.PING),
        encode_status(3, 0, b"\xff\xff\xfd\x10"),
        encode_packet(0xFE, Instruction.SYNC_READ, bytes.fromhex("e0000b00010203040506")),
        encode_status(2, ALERT_BIT, bytes(11)),
    ]
    parser = PacketParser()
    accepted = unsent = 0
    recent = b""  # at least as much of the stream as the parser may hold back
    for _ in range(100_000):
        chunk = _random_stream(rng, valid)
        recent = (recent + chunk)[-2048:]
        for packet in parser.feed(chunk):
            wire = packet.encode()
            assert wire[-packet.wire_length :] == wire  # well-formed: re-encodes whole
            accepted += 1
            unsent += wire not in recent
        assert parser.pending <= 1024
        if rng.random() < 0.01:
            parser.flush()
    assert accepted > 10_000
    # Frames never sent whole can pass a 16-bit CRC by chance (about 1 in 65,536 of
    # multi-byte corruptions); bare header patterns are refused outright.
    assert unsent <= 2


def test_status_packet_exposes_error_and_data() -> None:
    packet = PacketParser().feed(encode_status(4, ALERT_BIT | ErrorNumber.ACCESS, b"\x01\x02"))[0]
    assert packet.is_status
    assert packet.error == ALERT_BIT | ErrorNumber.ACCESS
    assert packet.data == b"\x01\x02"
    with pytest.raises(PacketError, match="no error byte"):
        _ = Packet(1, Instruction.READ, b"").error


def test_error_descriptions_name_the_error_and_the_alert() -> None:
    assert "access error" in describe_error(ALERT_BIT | ErrorNumber.ACCESS)
    assert "alert" in describe_error(ALERT_BIT)
    assert describe_error(0) == "no error"
    assert (
        describe_hardware_error(HardwareError.OVERHEATING | HardwareError.OVERLOAD)
        == "overheating, overload"
    )
    assert describe_hardware_error(0x02) == "unknown bits 0x02"
