"""EtherCAT frame layout: building, parsing, and refusing malformed frames."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.sim.ethercat_slave.errors import FrameError
from jazari.sim.ethercat_slave.frame import (
    Command,
    DatagramSpec,
    build_frame,
    datagrams,
    read_wkc,
    write_adp,
    write_wkc,
)

datagram_specs = st.builds(
    DatagramSpec,
    command=st.sampled_from(list(Command)),
    adp=st.integers(0, 0xFFFF),
    ado=st.integers(0, 0xFFFF),
    data=st.binary(max_size=64),
    index=st.integers(0, 255),
    wkc=st.integers(0, 0xFFFF),
)


@given(st.lists(datagram_specs, min_size=1, max_size=6))
def test_frames_parse_back_into_their_datagrams(specs: list[DatagramSpec]) -> None:
    frame = build_frame(specs)
    parsed = list(datagrams(frame))
    assert len(parsed) == len(specs)
    for spec, got in zip(specs, parsed, strict=True):
        assert (got.command, got.index, got.adp, got.ado) == (
            spec.command,
            spec.index,
            spec.adp,
            spec.ado,
        )
        assert bytes(got.data) == spec.data
        assert read_wkc(frame, got) == spec.wkc


def test_frame_header_is_broadcast_ethercat_from_the_master() -> None:
    frame = build_frame([DatagramSpec(Command.BRD, 0, 0x0130, bytes(2))])
    assert frame[:6] == b"\xff" * 6
    assert frame[6:12] == b"\x01" * 6
    assert frame[12:14] == b"\x88\xa4"
    assert int.from_bytes(frame[14:16], "little") == 0x1000 | 14


def test_datagram_data_is_a_view_into_the_frame() -> None:
    frame = build_frame([DatagramSpec(Command.APRD, 0, 0x0010, bytes(2))])
    (datagram,) = datagrams(frame)
    datagram.data[:] = b"\x01\x10"
    write_wkc(frame, datagram, 0x10001)
    write_adp(frame, datagram, -1)
    (again,) = datagrams(frame)
    assert bytes(again.data) == b"\x01\x10"
    assert read_wkc(frame, again) == 1
    assert again.adp == 0xFFFF


def test_logical_address_joins_both_address_words() -> None:
    (datagram,) = datagrams(build_frame([DatagramSpec(Command.LRW, 0x5678, 0x1234, b"\x00")]))
    assert datagram.logical_address == 0x12345678


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda f: f[:20], "too short"),
        (lambda f: f[:12] + b"\x08\x00" + f[14:], "not EtherCAT"),
        (lambda f: f[:15] + bytes([0x20 | (f[15] & 0x0F)]) + f[16:], "type 2"),
        (lambda f: f[:14] + (0x1000 | 200).to_bytes(2, "little") + f[16:], "runs past"),
        (lambda f: f[:22] + (60).to_bytes(2, "little") + f[24:], "runs past the frame"),
    ],
)
def test_malformed_frames_are_refused_with_the_reason(
    mangle: Callable[[bytes], bytes], message: str
) -> None:
    frame = build_frame([DatagramSpec(Command.FPRD, 0x1001, 0x0130, bytes(6))])
    bad = bytearray(mangle(bytes(frame)))
    with pytest.raises(FrameError, match=message):
        list(datagrams(bad))


def test_oversized_datagrams_cannot_be_built() -> None:
    with pytest.raises(FrameError, match="exceeds"):
        DatagramSpec(Command.LRW, 0, 0, bytes(0x800))
    with pytest.raises(FrameError, match="at least one"):
        build_frame([])
