"""Dynamixel Protocol 2.0 packets: framing, byte stuffing, CRC and a streaming parser.

A packet on the wire is::

    FF FF FD 00 | ID | LEN_L LEN_H | INSTRUCTION | PARAMETERS… | CRC_L CRC_H

where LEN counts the instruction, the (stuffed) parameters and the CRC. Wherever the
bytes ``FF FF FD`` appear in the instruction and parameters, the sender inserts an extra
``FD`` (byte stuffing), so a header can never appear inside a packet; the CRC covers the
stuffed bytes. Status packets use instruction 0x55 and carry an error byte before their
parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag

from jazari.control.dynamixel.crc import crc16
from jazari.control.dynamixel.errors import PacketError

HEADER = b"\xff\xff\xfd\x00"
#: The byte sequence that byte stuffing protects (``FF FF FD``).
STUFFING_PATTERN = b"\xff\xff\xfd"
_PATTERN = STUFFING_PATTERN
_STUFFED = b"\xff\xff\xfd\xfd"
BROADCAST_ID = 0xFE
MAX_ID = 0xFC
#: Bytes before the instruction: header (4), ID (1), length (2).
PREFIX_LEN = 7
#: Smallest possible LEN field: instruction and CRC.
MIN_LENGTH_FIELD = 3
#: Largest LEN field the parser accepts; longer claims are treated as line noise.
#: (ROBOTIS' SDK buffers packets of at most 1 kB in total.)
MAX_LENGTH_FIELD = 1024 - PREFIX_LEN


class Instruction(IntEnum):
    """Instruction codes of Protocol 2.0."""

    PING = 0x01
    READ = 0x02
    WRITE = 0x03
    REG_WRITE = 0x04
    ACTION = 0x05
    FACTORY_RESET = 0x06
    REBOOT = 0x08
    CLEAR = 0x10
    STATUS = 0x55
    SYNC_READ = 0x82
    SYNC_WRITE = 0x83
    FAST_SYNC_READ = 0x8A
    BULK_READ = 0x92
    BULK_WRITE = 0x93


class ErrorNumber(IntEnum):
    """Error numbers (bits 0-6 of a status packet's error byte)."""

    NONE = 0x00
    RESULT_FAIL = 0x01
    INSTRUCTION = 0x02
    CRC = 0x03
    DATA_RANGE = 0x04
    DATA_LENGTH = 0x05
    DATA_LIMIT = 0x06
    ACCESS = 0x07


ALERT_BIT = 0x80

_ERROR_TEXT = {
    ErrorNumber.RESULT_FAIL: "result fail: the instruction could not be processed",
    ErrorNumber.INSTRUCTION: "instruction error: undefined, or action without reg write",
    ErrorNumber.CRC: "CRC error: the instruction packet's CRC did not match",
    ErrorNumber.DATA_RANGE: "data range error: value outside the item's range",
    ErrorNumber.DATA_LENGTH: "data length error: data shorter than the item",
    ErrorNumber.DATA_LIMIT: "data limit error: value beyond the configured limit",
    ErrorNumber.ACCESS: "access error: read-only, undefined, or EEPROM locked by torque enable",
}


class HardwareError(IntFlag):
    """Bits of the Hardware Error Status item (X series, address 70)."""

    INPUT_VOLTAGE = 0x01
    OVERHEATING = 0x04
    MOTOR_ENCODER = 0x08
    ELECTRICAL_SHOCK = 0x10
    OVERLOAD = 0x20


def describe_error(error: int) -> str:
    """Words for a status packet's error byte (alert bit and error number)."""
    number = error & 0x7F
    parts = []
    if number:
        try:
            parts.append(_ERROR_TEXT[ErrorNumber(number)])
        except ValueError:
            parts.append(f"unknown error number 0x{number:02X}")
    if error & ALERT_BIT:
        parts.append("alert: hardware error, see Hardware Error Status")
    return "; ".join(parts) if parts else "no error"


def describe_hardware_error(bits: int) -> str:
    """Names of the set bits of a Hardware Error Status value, or ``"none"``."""
    names = [flag.name.lower() for flag in HardwareError if bits & flag and flag.name]
    unknown = bits & ~sum(HardwareError)
    if unknown:
        names.append(f"unknown bits 0x{unknown:02X}")
    return ", ".join(names) if names else "none"


def stuff(body: bytes) -> bytes:
    """Insert the stuffing byte after every ``FF FF FD`` in ``body``.

    The pattern cannot overlap itself, so a left-to-right replacement is exactly the
    sender's rule.
    """
    return body.replace(_PATTERN, _STUFFED) if _PATTERN in body else body


def properly_stuffed(body: bytes) -> bool:
    """True when every ``FF FF FD`` in a received body is followed by its stuffing byte.

    A compliant sender never leaves the pattern bare, so a bare one means the frame is
    not one packet (typically a truncated packet running into the next header).
    """
    at = body.find(_PATTERN)
    while at >= 0:
        if body[at + 3 : at + 4] != b"\xfd":
            return False
        at = body.find(_PATTERN, at + 4)
    return True


def unstuff(body: bytes) -> bytes:
    """Remove the stuffing byte from every ``FF FF FD FD`` in a received ``body``."""
    return body.replace(_STUFFED, _PATTERN) if _STUFFED in body else body


def encode_packet(servo_id: int, instruction: int, params: bytes = b"") -> bytes:
    """The wire bytes of a packet (stuffed, with length and CRC).

    Raises:
        PacketError: when the ID or instruction is out of range or the packet is too long.
    """
    if not 0 <= servo_id <= BROADCAST_ID or servo_id == 0xFD:
        raise PacketError(f"servo ID must be 0..252 or 254 (broadcast), got {servo_id}")
    if not 0 <= instruction <= 0xFF:
        raise PacketError(f"instruction must be one byte, got {instruction}")
    body = stuff(bytes((instruction,)) + bytes(params))
    length = len(body) + 2
    if length > MAX_LENGTH_FIELD:
        raise PacketError(f"packet length {length} exceeds {MAX_LENGTH_FIELD}")
    frame = HEADER + bytes((servo_id, length & 0xFF, length >> 8)) + body
    crc = crc16(frame)
    return frame + bytes((crc & 0xFF, crc >> 8))


def encode_status(servo_id: int, error: int, params: bytes = b"") -> bytes:
    """The wire bytes of a status packet with error byte ``error``."""
    if not 0 <= error <= 0xFF:
        raise PacketError(f"status error byte must be 0..255, got {error}")
    return encode_packet(servo_id, Instruction.STATUS, bytes((error,)) + bytes(params))


@dataclass(frozen=True, slots=True)
class Packet:
    """A received packet, unstuffed and CRC-checked.

    Attributes:
        servo_id: the packet's ID byte.
        instruction: the instruction byte (0x55 for a status packet).
        params: parameters after unstuffing (for a status packet, the error byte first).
        wire_length: bytes the packet took on the wire (stuffing included); 0 when the
            packet was not received.
    """

    servo_id: int
    instruction: int
    params: bytes
    wire_length: int = field(default=0, compare=False)

    @property
    def is_status(self) -> bool:
        """True for a status (return) packet."""
        return self.instruction == Instruction.STATUS

    @property
    def error(self) -> int:
        """A status packet's error byte (alert bit and error number)."""
        if not self.is_status or not self.params:
            raise PacketError(f"packet with instruction 0x{self.instruction:02X} has no error byte")
        return self.params[0]

    @property
    def data(self) -> bytes:
        """A status packet's parameters after the error byte."""
        return self.params[1:] if self.is_status else self.params

    def encode(self) -> bytes:
        """The wire bytes of this packet."""
        return encode_packet(self.servo_id, self.instruction, self.params)


_REJECTED = object()
_INCOMPLETE = object()


@dataclass
class ParserCounters:
    """What a parser threw away, for diagnostics.

    Attributes:
        crc_errors: frames whose CRC did not match.
        malformed: headers with an impossible length or ID.
        discarded_bytes: bytes skipped while searching for a header.
    """

    crc_errors: int = 0
    malformed: int = 0
    discarded_bytes: int = 0


class PacketParser:
    """Splits a byte stream into packets; resynchronises on garbage.

    Feed it bytes as they arrive, in chunks of any size. A frame is accepted only when
    its header, ID and length are plausible and its CRC matches; otherwise the parser
    skips one byte past the false header and searches again, so a corrupted or
    truncated packet never hides the good one after it for longer than its claimed
    length, and :meth:`flush` gives up on a partial frame at a timeout.

    Args:
        on_bad_crc: called with the ID byte of every frame rejected for its CRC (a
            servo answers a unicast instruction with a bad CRC with a CRC error).
    """

    def __init__(self, on_bad_crc: Callable[[int], None] | None = None) -> None:
        self._buf = bytearray()
        self.counters = ParserCounters()
        self._on_bad_crc = on_bad_crc

    @property
    def pending(self) -> int:
        """Bytes held back, waiting for the rest of a frame."""
        return len(self._buf)

    def reset(self) -> None:
        """Drop every buffered byte."""
        self.counters.discarded_bytes += len(self._buf)
        self._buf.clear()

    def feed(self, data: bytes) -> list[Packet]:
        """Append ``data`` and return every complete, valid packet now available."""
        self._buf += data
        packets: list[Packet] = []
        while self._seek_header():
            frame = self._take_frame()
            if frame is _INCOMPLETE:
                break
            if isinstance(frame, Packet):
                packets.append(frame)
        return packets

    def flush(self) -> list[Packet]:
        """Give up on the partial frame at the head (at a timeout) and parse what remains.

        Every byte still buffered belongs to a frame that did not complete in time, or
        follows one; the valid packets found behind such a frame are returned and the
        buffer ends empty.
        """
        packets: list[Packet] = []
        while self._buf:
            self._drop(1)
            packets.extend(self.feed(b""))
        return packets

    def _drop(self, count: int) -> None:
        self.counters.discarded_bytes += count
        del self._buf[:count]

    def _seek_header(self) -> bool:
        """Drop the bytes before the first header; True when a whole prefix is buffered."""
        buf = self._buf
        head = buf.find(HEADER)
        if head < 0:
            # Keep a tail that could be the start of a header split across reads.
            keep = next((k for k in (3, 2, 1) if buf.endswith(HEADER[:k])), 0)
            if len(buf) > keep:
                self._drop(len(buf) - keep)
            return False
        if head:
            self._drop(head)
        return len(buf) >= PREFIX_LEN

    def _take_frame(self) -> Packet | object:
        """The packet at the head of the buffer, ``_REJECTED`` (a false header, skipped)
        or ``_INCOMPLETE`` (wait for more bytes)."""
        buf = self._buf
        servo_id = buf[4]
        length = buf[5] | (buf[6] << 8)
        if servo_id in (0xFD, 0xFF) or not MIN_LENGTH_FIELD <= length <= MAX_LENGTH_FIELD:
            self.counters.malformed += 1
            self._drop(1)
            return _REJECTED
        total = PREFIX_LEN + length
        if len(buf) < total:
            return _INCOMPLETE
        frame = bytes(buf[:total])
        body = frame[PREFIX_LEN:-2]
        if crc16(memoryview(frame)[:-2]) != (frame[-2] | (frame[-1] << 8)):
            self.counters.crc_errors += 1
            self._drop(1)
            if self._on_bad_crc is not None:
                self._on_bad_crc(servo_id)
            return _REJECTED
        if not properly_stuffed(body):
            self.counters.malformed += 1
            self._drop(1)
            return _REJECTED
        del buf[:total]
        body = unstuff(body)
        return Packet(servo_id, body[0], body[1:], total)
