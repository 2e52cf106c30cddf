"""Precompiled sync read/write: the same bytes as the general encoder, and a burst
decoder that accepts only what the general parser would accept as a clean answer."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.control.dynamixel.cyclic import SyncReadPlan, SyncWritePlan
from jazari.control.dynamixel.errors import PacketError
from jazari.control.dynamixel.packet import (
    BROADCAST_ID,
    STUFFING_PATTERN,
    Instruction,
    PacketParser,
    encode_packet,
    encode_status,
)

#: The serial bus's state block: current, velocity, position, temperature.
STATE = struct.Struct("<hiiB")
GOAL = struct.Struct("<i")

id_lists = st.lists(st.integers(0, 252), min_size=1, max_size=8, unique=True)
# Goal values rich in the bytes that make FF FF FD patterns (and so need stuffing).
goals = st.sampled_from([-1, -3, 0xFDFFFF, -0x020001, 0x7FFFFFFF, -(2**31)]) | st.integers(
    -(2**31), 2**31 - 1
)
states = st.tuples(
    st.integers(-(2**15), 2**15 - 1),
    st.integers(-(2**31), 2**31 - 1) | st.just(-3),
    st.integers(-(2**31), 2**31 - 1) | st.just(0xFDFFFF),
    st.integers(0, 255),
)


def _sync_write_bytes(
    address: int, layout: struct.Struct, ids: list[int], values: list[int]
) -> bytes:
    params = address.to_bytes(2, "little") + layout.size.to_bytes(2, "little")
    for servo_id, value in zip(ids, values, strict=True):
        params += bytes((servo_id,)) + layout.pack(value)
    return encode_packet(BROADCAST_ID, Instruction.SYNC_WRITE, params)


@given(id_lists, st.data())
def test_sync_write_plan_gives_exactly_the_bytes_of_encode_packet(
    ids: list[int], data: st.DataObject
) -> None:
    plan = SyncWritePlan(116, GOAL, ids)
    for _ in range(3):  # the template is reused: every packet must be fresh
        values = data.draw(st.lists(goals, min_size=len(ids), max_size=len(ids)))
        assert plan.encode(values) == _sync_write_bytes(116, GOAL, ids, values)


def test_sync_write_plan_stuffs_data_that_contains_the_header_pattern() -> None:
    plan = SyncWritePlan(116, GOAL, [1, 2])
    packet = plan.encode([0xFDFFFF, 7])  # bytes FF FF FD 00
    assert packet == _sync_write_bytes(116, GOAL, [1, 2], [0xFDFFFF, 7])
    assert b"\xff\xff\xfd\xfd" in packet[7:]
    assert PacketParser().feed(packet)[0].params[5:9] == (0xFDFFFF).to_bytes(4, "little")


def test_sync_write_plan_with_several_fields_interleaves_them_per_servo() -> None:
    layout = struct.Struct("<Bh")
    plan = SyncWritePlan(64, layout, [3, 4])
    params = bytes.fromhex("4000 0300") + b"\x03" + layout.pack(1, -2) + b"\x04" + layout.pack(0, 5)
    assert plan.encode([1, 0], [-2, 5]) == encode_packet(0xFE, Instruction.SYNC_WRITE, params)


def test_sync_write_plan_raises_on_bad_columns() -> None:
    plan = SyncWritePlan(116, GOAL, [1, 2])
    with pytest.raises(PacketError, match="1 columns, got 2"):
        plan.encode([1, 2], [3, 4])
    with pytest.raises(PacketError, match="3 values, not 2"):
        plan.encode([1, 2, 3])
    with pytest.raises(PacketError, match="does not fit"):
        plan.encode([2**31, 0])


@pytest.mark.parametrize(
    ("ids", "layout", "message"),
    [
        ([1, 1], GOAL, "unique"),
        ([253], GOAL, "253"),
        ([], GOAL, "at least one"),
        ([1], struct.Struct(">i"), "little-endian"),
    ],
)
def test_plans_name_their_bad_arguments(
    ids: list[int], layout: struct.Struct, message: str
) -> None:
    for plan in (SyncReadPlan, SyncWritePlan):
        with pytest.raises(PacketError, match=message):
            plan(116, layout, ids)


def test_sync_read_plan_packet_is_the_general_encoders() -> None:
    plan = SyncReadPlan(132, GOAL, [1, 2])
    params = bytes.fromhex("8400 0400 01 02")
    assert plan.packet == encode_packet(BROADCAST_ID, Instruction.SYNC_READ, params)
    assert plan.packet == bytes.fromhex("FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA")


def _burst(ids: list[int], values: list[tuple[int, int, int, int]], error: int = 0) -> bytes:
    return b"".join(
        encode_status(servo_id, error, STATE.pack(*v))
        for servo_id, v in zip(ids, values, strict=True)
    )


@given(id_lists, st.data())
def test_columns_decode_a_clean_burst_as_the_parser_does(
    ids: list[int], data: st.DataObject
) -> None:
    values = data.draw(st.lists(states, min_size=len(ids), max_size=len(ids)))
    raw = _burst(ids, values)
    columns = SyncReadPlan(224, STATE, ids).columns(raw)
    parsed = PacketParser().feed(raw)
    if columns is None:
        # Only a header pattern outside the headers (a stuffed answer, or one that the
        # data and CRC happen to form) sends a valid burst to the general path.
        assert raw.count(STUFFING_PATTERN) > len(ids)
        return
    assert columns == tuple(zip(*(STATE.unpack(p.data) for p in parsed), strict=True))


@given(id_lists, st.data())
def test_columns_reject_a_burst_with_any_byte_corrupted(
    ids: list[int], data: st.DataObject
) -> None:
    values = data.draw(st.lists(states, min_size=len(ids), max_size=len(ids)))
    raw = bytearray(_burst(ids, values))
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    assert SyncReadPlan(224, STATE, ids).columns(bytes(raw)) is None


def test_columns_reject_answers_in_the_wrong_order_or_count() -> None:
    values = [(1, 2, 3, 4), (5, 6, 7, 8)]
    plan = SyncReadPlan(224, STATE, [1, 2])
    assert plan.columns(_burst([1, 2], values)) == ((1, 5), (2, 6), (3, 7), (4, 8))
    assert plan.columns(_burst([2, 1], values)) is None
    assert plan.columns(_burst([1, 2], values)[:-1]) is None
    assert plan.columns(_burst([1, 2], values) + b"\x00") is None


@pytest.mark.parametrize("error", [0x01, 0x80, 0x85])
def test_columns_leave_a_burst_with_an_error_or_alert_to_the_general_path(error: int) -> None:
    values = [(1, 2, 3, 4), (5, 6, 7, 8)]
    raw = encode_status(1, 0, STATE.pack(*values[0])) + encode_status(
        2, error, STATE.pack(*values[1])
    )
    assert SyncReadPlan(224, STATE, [1, 2]).columns(raw) is None


def test_columns_of_a_single_field_layout_are_one_tuple() -> None:
    plan = SyncReadPlan(132, GOAL, [7, 9])
    raw = encode_status(7, 0, GOAL.pack(-5)) + encode_status(9, 0, GOAL.pack(42))
    assert plan.columns(raw) == ((-5, 42),)


def test_columns_skip_pad_bytes_of_the_layout() -> None:
    layout = struct.Struct("<h2xB")
    plan = SyncReadPlan(126, layout, [1])
    assert plan.columns(encode_status(1, 0, layout.pack(-7, 3))) == ((-7,), (3,))
