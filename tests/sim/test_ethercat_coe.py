"""The emulated slave's CoE server: object dictionary, SDO transfers and aborts, mailbox."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.sim.ethercat_slave.coe import (
    MailboxServer,
    ObjectDictionary,
    OdEntry,
    SdoAbortError,
    SdoServer,
)
from jazari.sim.ethercat_slave.errors import EmulatorError


def make_server() -> tuple[SdoServer, dict[str, int]]:
    store = {"u16": 0x1234, "i32": -5}
    od = ObjectDictionary()
    od.add(
        OdEntry(
            0x2000, 0, "u16", "a word", lambda: store["u16"], lambda v: store.update(u16=int(v))
        )
    )
    od.add(
        OdEntry(
            0x2001, 0, "i32", "a long", lambda: store["i32"], lambda v: store.update(i32=int(v))
        )
    )
    od.add(OdEntry(0x2002, 0, "str", "a name", lambda: "emulated drive"))
    od.add(OdEntry(0x2003, 0, "str", "too long", lambda: "x" * 200))
    return SdoServer(od, max_data=112), store


def request(command: int, index: int, sub: int, payload: bytes = b"\x00" * 4) -> bytes:
    return struct.pack("<HBHB", 0x2000, command, index, sub) + payload


def parse(reply: bytes | None) -> tuple[int, int, int, int, bytes]:
    assert reply is not None
    coe, command, index, sub = struct.unpack_from("<HBHB", reply)
    return coe >> 12, command, index, sub, reply[6:]


def test_expedited_upload_states_the_size_in_the_command() -> None:
    server, _ = make_server()
    service, command, index, sub, data = parse(server.handle(request(0x40, 0x2000, 0)))
    assert (service, command, index, sub) == (3, 0x4B, 0x2000, 0)
    assert data == b"\x34\x12\x00\x00"


def test_normal_upload_carries_the_size_then_the_data() -> None:
    server, _ = make_server()
    _, command, _, _, data = parse(server.handle(request(0x40, 0x2002, 0)))
    assert command == 0x41
    assert data == struct.pack("<I", 14) + b"emulated drive"


@given(st.integers(-(2**31), 2**31 - 1))
def test_expedited_download_stores_the_value(value: int) -> None:
    server, store = make_server()
    reply = parse(server.handle(request(0x23, 0x2001, 0, struct.pack("<i", value))))
    assert reply[:4] == (3, 0x60, 0x2001, 0)
    assert store["i32"] == value


def test_normal_download_is_accepted_when_it_fits() -> None:
    server, store = make_server()
    reply = parse(server.handle(request(0x21, 0x2000, 0, struct.pack("<I", 2) + b"\xcd\xab")))
    assert reply[1] == 0x60
    assert store["u16"] == 0xABCD


@pytest.mark.parametrize(
    ("command", "index", "sub", "payload", "code"),
    [
        (0x40, 0x3000, 0, b"\x00" * 4, 0x06020000),  # no object
        (0x40, 0x2000, 5, b"\x00" * 4, 0x06090011),  # no subindex
        (0x2B, 0x2002, 0, b"ab\x00\x00", 0x06010002),  # read only
        (0x2F, 0x2000, 0, b"\x01\x00\x00\x00", 0x06070010),  # 1 byte into a u16
        (0x50, 0x2000, 0, b"\x00" * 4, 0x06010000),  # complete access
        (0x60, 0x2000, 0, b"\x00" * 4, 0x05040001),  # segment upload: not supported
        (0x40, 0x2003, 0, b"\x00" * 4, 0x06010000),  # would need a segmented upload
        (0x21, 0x2000, 0, struct.pack("<I", 500) + b"\x00", 0x06010000),  # segmented download
    ],
)
def test_refused_requests_are_aborted_with_the_standard_code(
    command: int, index: int, sub: int, payload: bytes, code: int
) -> None:
    server, _ = make_server()
    service, reply_command, reply_index, reply_sub, data = parse(
        server.handle(request(command, index, sub, payload))
    )
    assert (service, reply_command, reply_index, reply_sub) == (2, 0x80, index, sub)
    assert struct.unpack("<I", data)[0] == code


def test_an_abort_from_the_master_gets_no_answer() -> None:
    server, _ = make_server()
    assert server.handle(request(0x80, 0x2000, 0)) is None


def test_entries_are_unique_and_typed() -> None:
    od = ObjectDictionary()
    od.add(OdEntry(0x2000, 0, "u8", "x", lambda: 0))
    with pytest.raises(EmulatorError, match="twice"):
        od.add(OdEntry(0x2000, 0, "u8", "x", lambda: 0))
    with pytest.raises(EmulatorError, match="data type"):
        OdEntry(0x2001, 0, "f32", "x", lambda: 0)
    with pytest.raises(SdoAbortError, match="0x06020000"):
        od.upload(0x2005, 0)


def mailbox(body: bytes, counter: int, mailbox_type: int = 3) -> bytes:
    return struct.pack("<HHBB", len(body), 0, 0, mailbox_type | counter << 4) + body


def test_mailbox_answers_coe_and_refuses_other_protocols() -> None:
    server, _ = make_server()
    box = MailboxServer(server)
    reply = box.handle(mailbox(request(0x40, 0x2000, 0), 1))
    assert reply is not None
    length, _, _, type_byte = struct.unpack_from("<HHBB", reply)
    assert (length, type_byte & 0x0F) == (10, 3)
    error = box.handle(mailbox(b"\x00" * 10, 2, mailbox_type=4))  # FoE
    assert error is not None
    assert error[5] & 0x0F == 0
    assert struct.unpack_from("<HH", error, 6) == (1, 2)


def test_mailbox_drops_a_request_repeated_with_the_same_counter() -> None:
    server, store = make_server()
    box = MailboxServer(server)
    write = mailbox(request(0x2B, 0x2000, 0, b"\x01\x00\x00\x00"), 5)
    assert box.handle(write) is not None
    store["u16"] = 7
    assert box.handle(write) is None
    assert store["u16"] == 7
    box.reset()
    assert box.handle(write) is not None
