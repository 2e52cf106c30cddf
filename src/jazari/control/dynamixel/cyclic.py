"""Sync read and sync write compiled once for a control loop.

A control loop reads the same items of the same servos and writes the same items every
cycle, so everything but the values is fixed: the sync read's instruction packet, the
byte layout of the burst of status packets a clean answer is, and the sync write's
packet around its data. The plans here precompute that, so a cycle costs one
``struct`` call to pack or unpack the values and one CRC per packet.

A plan never weakens the protocol: :meth:`SyncReadPlan.columns` accepts a burst only
when every packet, byte for byte, is the unstuffed status packet with error byte 0 that
the servo in that position must send (header, ID, length, instruction, CRC); anything
else is for the general parser (:class:`~jazari.control.dynamixel.packet.PacketParser`).
:meth:`SyncWritePlan.encode` gives exactly the bytes of
:func:`~jazari.control.dynamixel.packet.encode_packet`, stuffing included.
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Sequence

from jazari.control.dynamixel.crc import crc16
from jazari.control.dynamixel.errors import PacketError
from jazari.control.dynamixel.packet import (
    BROADCAST_ID,
    HEADER,
    MAX_ID,
    MAX_LENGTH_FIELD,
    PREFIX_LEN,
    STUFFING_PATTERN,
    Instruction,
    encode_packet,
)

#: Bytes of a status packet around its data: header 4, ID, length 2, 0x55, error, CRC 2.
STATUS_OVERHEAD = 11
#: Bytes of a sync instruction's parameters before the per-servo part: address, length.
_SYNC_HEAD = 4


def _check_layout(address: int, layout: struct.Struct, ids: Sequence[int]) -> int:
    """Validate a plan's arguments; the number of values ``layout`` holds."""
    if not layout.format.startswith("<"):
        raise PacketError(f"layout must be little-endian ('<…'), got {layout.format!r}")
    if not 0 <= address <= 0xFFFF:
        raise PacketError(f"address must be 0..65535, got {address}")
    if not 1 <= layout.size <= 0xFFFF:
        raise PacketError(f"data length must be 1..65535, got {layout.size}")
    if not ids:
        raise PacketError("a sync plan needs at least one servo ID")
    for servo_id in ids:
        if not 0 <= servo_id <= MAX_ID:
            raise PacketError(f"servo ID must be 0..{MAX_ID}, got {servo_id}")
    if len(set(ids)) != len(ids):
        raise PacketError(f"sync IDs must be unique, got {tuple(ids)}")
    return len(layout.unpack(bytes(layout.size)))


class SyncReadPlan:
    """One sync read of ``layout.size`` bytes at ``address`` from ``ids``, precompiled.

    Args:
        address: control table address of the first byte read.
        layout: the per-servo data as a little-endian :class:`struct.Struct` (its fields
            are the items, ``x`` pads skip bytes).
        ids: the servos, in the order they answer.

    Raises:
        PacketError: naming a bad address, layout, ID or a repeated ID.
    """

    def __init__(self, address: int, layout: struct.Struct, ids: Sequence[int]) -> None:
        self.fields = _check_layout(address, layout, ids)
        self.address = address
        self.layout = layout
        self.length = layout.size
        self.ids = tuple(ids)
        params = address.to_bytes(2, "little") + self.length.to_bytes(2, "little") + bytes(ids)
        #: The instruction packet's wire bytes.
        self.packet = encode_packet(BROADCAST_ID, Instruction.SYNC_READ, params)
        #: Bytes of one unstuffed status packet carrying the data, and of all of them.
        self.reply_len = STATUS_OVERHEAD + self.length
        self.total = len(self.ids) * self.reply_len
        length_field = (self.reply_len - PREFIX_LEN).to_bytes(2, "little")
        status = bytes((Instruction.STATUS,))
        # What a clean burst must be, per packet: the 8 bytes up to the error byte.
        self._prefixes = tuple(HEADER + bytes((sid,)) + length_field + status for sid in self.ids)
        # Per packet: prefix, error byte, the layout's values, CRC.
        self._stride = 3 + self.fields
        body = layout.format[1:]
        self._burst = struct.Struct("<" + f"8sB{body}H" * len(self.ids))
        # Views of one burst: each packet's CRC-covered bytes; the values of each field.
        self._crc_spans = tuple(
            slice(a, a + self.reply_len - 2) for a in range(0, self.total, self.reply_len)
        )
        self._fields_of = operator.itemgetter(
            *(slice(k, None, self._stride) for k in range(2, 2 + self.fields))
        )

    def columns(self, raw: bytes) -> tuple[tuple[int, ...], ...] | None:
        """The values of a clean burst, one tuple per layout field over the servos.

        ``raw`` is clean when it is exactly the status packets of every servo, in order,
        each with error byte 0, its data unstuffed (no ``FF FF FD`` anywhere but the
        headers) and a matching CRC. Returns None for anything else.
        """
        if len(raw) != self.total or raw.count(STUFFING_PATTERN) != len(self.ids):
            return None
        values = self._burst.unpack(raw)
        stride = self._stride
        if values[0::stride] != self._prefixes or any(values[1::stride]):
            return None
        frames = map(memoryview(raw).__getitem__, self._crc_spans)
        if tuple(map(crc16, frames)) != values[stride - 1 :: stride]:
            return None
        columns = self._fields_of(values)
        # itemgetter gives the bare item for a single field.
        return columns if self.fields > 1 else (columns,)


class SyncWritePlan:
    """One sync write of ``layout.size`` bytes at ``address`` to ``ids``, precompiled.

    The packet is kept as a template whose per-servo data is packed in place; a packet
    whose data happens to contain ``FF FF FD`` is stuffed like any other.

    Args:
        address: control table address of the first byte written.
        layout: the per-servo data as a little-endian :class:`struct.Struct`.
        ids: the servos, in packet order.

    Raises:
        PacketError: naming a bad address, layout, ID, a repeated ID or a packet too long.
    """

    def __init__(self, address: int, layout: struct.Struct, ids: Sequence[int]) -> None:
        self.fields = _check_layout(address, layout, ids)
        self.address = address
        self.layout = layout
        self.ids = tuple(ids)
        n = len(self.ids)
        params_len = _SYNC_HEAD + n * (1 + layout.size)
        length = 1 + params_len + 2
        if length > MAX_LENGTH_FIELD:
            raise PacketError(f"sync write of {n} servos: length {length} exceeds limit")
        self._end = PREFIX_LEN + length - 2  # where the CRC goes
        self._template = bytearray(self._end + 2)
        struct.pack_into(
            "<4sBHBHH", self._template, 0, HEADER, BROADCAST_ID, length,
            Instruction.SYNC_WRITE, address, layout.size,
        )  # fmt: skip
        self._stride = 1 + self.fields
        # Per servo: its ID, then its values (filled in per packet).
        self._args: list[int] = [0] * (n * self._stride)
        self._args[0 :: self._stride] = self.ids
        self._data = struct.Struct("<" + f"B{layout.format[1:]}" * n)

    def encode(self, *columns: Sequence[int]) -> bytes:
        """The packet writing ``columns`` (one sequence per layout field, over the servos).

        Raises:
            PacketError: when a column has the wrong length or a value does not fit.
        """
        if len(columns) != self.fields:
            raise PacketError(f"sync write needs {self.fields} columns, got {len(columns)}")
        args, stride, n = self._args, self._stride, len(self.ids)
        for k, column in enumerate(columns, start=1):
            if len(column) != n:
                raise PacketError(f"sync write column {k} has {len(column)} values, not {n}")
            args[k::stride] = column
        template, end = self._template, self._end
        try:
            self._data.pack_into(template, PREFIX_LEN + 1 + _SYNC_HEAD, *args)
        except struct.error as exc:
            raise PacketError(f"sync write value does not fit the layout: {exc}") from None
        if template.find(STUFFING_PATTERN, PREFIX_LEN, end) >= 0:
            params = bytes(template[PREFIX_LEN + 1 : end])
            return encode_packet(BROADCAST_ID, Instruction.SYNC_WRITE, params)
        crc = crc16(memoryview(template)[:end])
        template[end] = crc & 0xFF
        template[end + 1] = crc >> 8
        return bytes(template)
