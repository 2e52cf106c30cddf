"""EtherCAT frames and datagrams (IEC 61158-4-12): layout, parsing and building.

A frame is an Ethernet II frame with EtherType 0x88A4 whose payload starts with a 2-byte
EtherCAT header (11-bit length, 4-bit type = 1) followed by datagrams. Each datagram has a
10-byte header (command, index, address, length with the *more follows* flag, interrupt),
its data, and a 16-bit working counter. Everything is little endian except the Ethernet
header.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from jazari.sim.ethercat_slave.errors import FrameError

ETHERTYPE_ETHERCAT = 0x88A4
ETH_HEADER_LEN = 14
ECAT_HEADER_LEN = 2
DATAGRAM_HEADER_LEN = 10
WKC_LEN = 2
MAX_DATAGRAM_DATA = 0x7FF
_MORE_FOLLOWS = 0x8000
_DATAGRAM_HEADER = struct.Struct("<BBHHHH")
_ECAT_TYPE_DATAGRAMS = 1


class Command(enum.IntEnum):
    """EtherCAT datagram commands."""

    NOP = 0
    APRD = 1
    APWR = 2
    APRW = 3
    FPRD = 4
    FPWR = 5
    FPRW = 6
    BRD = 7
    BWR = 8
    BRW = 9
    LRD = 10
    LWR = 11
    LRW = 12
    ARMW = 13
    FRMW = 14


@dataclass
class Datagram:
    """One datagram inside a frame; ``data`` is a writable view into the frame buffer.

    Attributes:
        command: the raw command byte (see :class:`Command`).
        index: the master's frame index.
        adp, ado: address words (position or station address and register offset, or the
            low and high words of a logical address).
        data: the datagram's data, as a view into the frame (writes change the frame).
        wkc_offset: where the working counter of this datagram sits in the frame.
    """

    command: int
    index: int
    adp: int
    ado: int
    data: memoryview
    header_offset: int
    wkc_offset: int

    @property
    def logical_address(self) -> int:
        """The 32-bit logical address of L* commands."""
        return (self.ado << 16) | self.adp


def _unpack_wkc(frame: bytearray, offset: int) -> int:
    return int.from_bytes(frame[offset : offset + WKC_LEN], "little")


def datagrams(frame: bytearray) -> Iterator[Datagram]:
    """The datagrams of an EtherCAT frame, in order.

    Raises:
        FrameError: when the frame is not EtherCAT, is truncated, or its datagram lengths
            do not add up to the EtherCAT header's length.
    """
    if len(frame) < ETH_HEADER_LEN + ECAT_HEADER_LEN + DATAGRAM_HEADER_LEN + WKC_LEN:
        raise FrameError(f"frame of {len(frame)} bytes is too short for EtherCAT")
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype != ETHERTYPE_ETHERCAT:
        raise FrameError(f"EtherType 0x{ethertype:04X} is not EtherCAT (0x88A4)")
    header = int.from_bytes(frame[14:16], "little")
    length, ecat_type = header & 0x07FF, header >> 12
    if ecat_type != _ECAT_TYPE_DATAGRAMS:
        raise FrameError(f"EtherCAT header type {ecat_type} is not 1 (datagrams)")
    end = ETH_HEADER_LEN + ECAT_HEADER_LEN + length
    if end > len(frame):
        raise FrameError(f"EtherCAT length {length} runs past the {len(frame)}-byte frame")
    view = memoryview(frame)
    offset = ETH_HEADER_LEN + ECAT_HEADER_LEN
    while True:
        if offset + DATAGRAM_HEADER_LEN + WKC_LEN > end:
            raise FrameError(f"datagram header at byte {offset} runs past the EtherCAT length")
        command, index, adp, ado, len_field, _irq = _DATAGRAM_HEADER.unpack_from(frame, offset)
        data_len = len_field & MAX_DATAGRAM_DATA
        data_start = offset + DATAGRAM_HEADER_LEN
        wkc_offset = data_start + data_len
        if wkc_offset + WKC_LEN > end:
            raise FrameError(
                f"datagram at byte {offset} with {data_len} data bytes runs past the frame"
            )
        yield Datagram(command, index, adp, ado, view[data_start:wkc_offset], offset, wkc_offset)
        offset = wkc_offset + WKC_LEN
        if not len_field & _MORE_FOLLOWS:
            return


def read_wkc(frame: bytearray, datagram: Datagram) -> int:
    """The working counter of ``datagram`` as it is in the frame."""
    return _unpack_wkc(frame, datagram.wkc_offset)


def write_wkc(frame: bytearray, datagram: Datagram, wkc: int) -> None:
    """Store a working counter (modulo 2**16) for ``datagram``."""
    frame[datagram.wkc_offset : datagram.wkc_offset + WKC_LEN] = (wkc & 0xFFFF).to_bytes(
        2, "little"
    )


def write_adp(frame: bytearray, datagram: Datagram, adp: int) -> None:
    """Store the address-position word of ``datagram`` (auto-increment commands)."""
    at = datagram.header_offset + 2
    frame[at : at + 2] = (adp & 0xFFFF).to_bytes(2, "little")


@dataclass(frozen=True)
class DatagramSpec:
    """A datagram to put into a frame (used by tests and tools that play master)."""

    command: Command
    adp: int
    ado: int
    data: bytes
    index: int = 0
    wkc: int = 0

    def __post_init__(self) -> None:
        if len(self.data) > MAX_DATAGRAM_DATA:
            raise FrameError(f"datagram data of {len(self.data)} bytes exceeds {MAX_DATAGRAM_DATA}")


def build_frame(
    specs: list[DatagramSpec],
    source_mac: bytes = b"\x01\x01\x01\x01\x01\x01",
) -> bytearray:
    """An EtherCAT frame holding ``specs`` in order, addressed to broadcast.

    Raises:
        FrameError: when there are no datagrams or they exceed the EtherCAT length field.
    """
    if not specs:
        raise FrameError("a frame needs at least one datagram")
    body = bytearray()
    for i, spec in enumerate(specs):
        len_field = len(spec.data) | (_MORE_FOLLOWS if i < len(specs) - 1 else 0)
        body += _DATAGRAM_HEADER.pack(
            int(spec.command), spec.index, spec.adp & 0xFFFF, spec.ado & 0xFFFF, len_field, 0
        )
        body += spec.data
        body += (spec.wkc & 0xFFFF).to_bytes(2, "little")
    if len(body) > 0x07FF:
        raise FrameError(f"datagrams of {len(body)} bytes exceed the EtherCAT length field")
    header = (_ECAT_TYPE_DATAGRAMS << 12) | len(body)
    return bytearray(
        b"\xff" * 6
        + source_mac
        + ETHERTYPE_ETHERCAT.to_bytes(2, "big")
        + header.to_bytes(2, "little")
        + body
    )
