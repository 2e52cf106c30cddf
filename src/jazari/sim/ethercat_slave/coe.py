"""CANopen over EtherCAT on the slave side: the object dictionary, the SDO server, and the
mailbox protocol around it (ETG.1000.6).

Supported: SDO upload and download, expedited and normal (unsegmented: every object fits
one mailbox), aborts with standard codes, mailbox error replies for other protocols, and
the mailbox counter that lets a slave ignore a request the master repeated after a lost
reply. Not supported (answered with an abort): complete access, segmented transfers,
SDO information.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from jazari.sim.ethercat_slave.errors import EmulatorError

MAILBOX_HEADER = struct.Struct("<HHBB")
MAILBOX_HEADER_LEN = 6
MAILBOX_TYPE_ERROR = 0x00
MAILBOX_TYPE_COE = 0x03
MAILBOX_ERROR_UNSUPPORTED_PROTOCOL = 0x0002
MAILBOX_ERROR_INVALID_SIZE = 0x0007
COE_SERVICE_SDO_REQUEST = 2
COE_SERVICE_SDO_RESPONSE = 3
_SDO = struct.Struct("<HBHB")  # CoE header, SDO command, index, subindex

ABORT_TOGGLE = 0x05030000
ABORT_COMMAND_SPECIFIER = 0x05040001
ABORT_UNSUPPORTED_ACCESS = 0x06010000
ABORT_WRITE_ONLY = 0x06010001
ABORT_READ_ONLY = 0x06010002
ABORT_SUBINDEX0_NOT_ZERO = 0x06010003
ABORT_NO_OBJECT = 0x06020000
ABORT_NOT_MAPPABLE = 0x06040041
ABORT_PDO_LENGTH = 0x06040042
ABORT_LENGTH_MISMATCH = 0x06070010
ABORT_NO_SUBINDEX = 0x06090011
ABORT_VALUE_RANGE = 0x06090030
ABORT_DEVICE_STATE = 0x08000022

#: :mod:`struct` codes of the numeric data types.
STRUCT_CODES: dict[str, str] = {
    "u8": "B",
    "i8": "b",
    "u16": "H",
    "i16": "h",
    "u32": "I",
    "i32": "i",
}

Value = int | str


class SdoAbortError(EmulatorError):
    """An SDO request is refused with a CoE abort code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"SDO abort 0x{code:08X}: {message}")
        self.code = code


@dataclass(frozen=True)
class OdEntry:
    """One entry (index, subindex) of an object dictionary.

    Attributes:
        index, subindex: the address.
        data_type: ``u8``, ``i8``, ``u16``, ``i16``, ``u32``, ``i32`` or ``str``.
        name: readable name.
        get: returns the current value.
        put: stores a new value (raising :class:`SdoAbortError` to refuse it); None for
            read-only entries.
        pdo: ``"rx"`` (mappable into outputs), ``"tx"`` (into inputs) or None.
    """

    index: int
    subindex: int
    data_type: str
    name: str
    get: Callable[[], Value]
    put: Callable[[Value], None] | None = None
    pdo: str | None = None

    def __post_init__(self) -> None:
        if self.data_type != "str" and self.data_type not in STRUCT_CODES:
            raise EmulatorError(f"unknown data type {self.data_type!r} of 0x{self.index:04X}")

    @property
    def bit_length(self) -> int:
        """Bits of a numeric entry (0 for strings)."""
        if self.data_type == "str":
            return 0
        return struct.calcsize(STRUCT_CODES[self.data_type]) * 8

    def encode(self) -> bytes:
        """The current value as wire bytes."""
        value = self.get()
        if self.data_type == "str":
            return str(value).encode()
        return struct.pack("<" + STRUCT_CODES[self.data_type], value)

    def decode(self, data: bytes) -> Value:
        """A value from wire bytes.

        Raises:
            SdoAbortError: when the length does not match the entry's type.
        """
        if self.data_type == "str":
            return data.decode(errors="replace")
        fmt = "<" + STRUCT_CODES[self.data_type]
        if len(data) != struct.calcsize(fmt):
            raise SdoAbortError(
                ABORT_LENGTH_MISMATCH,
                f"0x{self.index:04X}:{self.subindex:02X} is {self.data_type}, "
                f"got {len(data)} bytes",
            )
        value: int = struct.unpack(fmt, data)[0]
        return value


class ObjectDictionary:
    """The entries of a device, addressed by (index, subindex)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, int], OdEntry] = {}

    def add(self, entry: OdEntry) -> None:
        """Add an entry; its address must be new."""
        key = (entry.index, entry.subindex)
        if key in self._entries:
            raise EmulatorError(f"object 0x{entry.index:04X}:{entry.subindex:02X} defined twice")
        self._entries[key] = entry

    def entry(self, index: int, subindex: int) -> OdEntry:
        """The entry at an address.

        Raises:
            SdoAbortError: *object does not exist* or *subindex does not exist*.
        """
        found = self._entries.get((index, subindex))
        if found is not None:
            return found
        if any(i == index for i, _ in self._entries):
            raise SdoAbortError(ABORT_NO_SUBINDEX, f"0x{index:04X} has no subindex {subindex}")
        raise SdoAbortError(ABORT_NO_OBJECT, f"object 0x{index:04X} does not exist")

    def upload(self, index: int, subindex: int) -> bytes:
        """Read an entry as wire bytes."""
        return self.entry(index, subindex).encode()

    def download(self, index: int, subindex: int, data: bytes) -> None:
        """Write wire bytes to an entry.

        Raises:
            SdoAbortError: read-only entry, wrong length, or a value the entry refuses.
        """
        entry = self.entry(index, subindex)
        if entry.put is None:
            raise SdoAbortError(ABORT_READ_ONLY, f"0x{index:04X}:{subindex:02X} is read only")
        entry.put(entry.decode(data))


def _sdo_reply(index: int, subindex: int, command: int, payload: bytes, service: int) -> bytes:
    return _SDO.pack(service << 12, command, index, subindex) + payload


def _abort(index: int, subindex: int, code: int) -> bytes:
    return _sdo_reply(index, subindex, 0x80, struct.pack("<I", code), COE_SERVICE_SDO_REQUEST)


class SdoServer:
    """Answers CoE SDO requests from an object dictionary.

    Args:
        dictionary: the device's objects.
        max_data: largest payload a reply may carry (mailbox size minus headers) [bytes].
    """

    def __init__(self, dictionary: ObjectDictionary, max_data: int) -> None:
        self._od = dictionary
        self._max_data = max_data

    def handle(self, coe: bytes) -> bytes | None:
        """The CoE reply to a CoE request (None: nothing to answer, e.g. a master's abort)."""
        if len(coe) < _SDO.size:
            return None
        coe_header, command, index, subindex = _SDO.unpack_from(coe)
        if coe_header >> 12 != COE_SERVICE_SDO_REQUEST:
            return _abort(index, subindex, ABORT_COMMAND_SPECIFIER)
        data = coe[_SDO.size :]
        specifier = command >> 5
        try:
            if command & 0x10:
                raise SdoAbortError(ABORT_UNSUPPORTED_ACCESS, "complete access is not supported")
            if specifier == 1:
                return self._download(index, subindex, command, data)
            if specifier == 2:
                return self._upload(index, subindex)
            if specifier == 4:
                return None
            raise SdoAbortError(
                ABORT_COMMAND_SPECIFIER, f"command 0x{command:02X} is not supported"
            )
        except SdoAbortError as abort:
            return _abort(index, subindex, abort.code)

    def _upload(self, index: int, subindex: int) -> bytes:
        value = self._od.upload(index, subindex)
        if len(value) <= 4:
            command = 0x43 | ((4 - len(value)) << 2)
            return _sdo_reply(
                index, subindex, command, value.ljust(4, b"\x00"), COE_SERVICE_SDO_RESPONSE
            )
        if len(value) > self._max_data:
            raise SdoAbortError(
                ABORT_UNSUPPORTED_ACCESS, f"{len(value)} bytes need a segmented upload"
            )
        payload = struct.pack("<I", len(value)) + value
        return _sdo_reply(index, subindex, 0x41, payload, COE_SERVICE_SDO_RESPONSE)

    def _download(self, index: int, subindex: int, command: int, data: bytes) -> bytes:
        if len(data) < 4:
            raise SdoAbortError(ABORT_LENGTH_MISMATCH, "download request without data field")
        if command & 0x02:  # expedited: size in the command, or the object's own size
            if command & 0x01:
                value = data[: 4 - ((command >> 2) & 0x03)]
            else:
                value = data[: len(self._od.entry(index, subindex).encode())]
        else:
            size = struct.unpack_from("<I", data)[0]
            value = data[4 : 4 + size]
            if len(value) != size:
                raise SdoAbortError(
                    ABORT_UNSUPPORTED_ACCESS, f"{size} bytes need a segmented download"
                )
        self._od.download(index, subindex, value)
        return _sdo_reply(index, subindex, 0x60, b"\x00" * 4, COE_SERVICE_SDO_RESPONSE)


class MailboxServer:
    """The slave end of the mailbox: unpacks requests, routes CoE to the SDO server,
    answers other protocols with a mailbox error, and drops a repeated request (same
    non-zero counter as the previous one), which the master sends when a reply was lost.
    """

    def __init__(self, sdo: SdoServer) -> None:
        self._sdo = sdo
        self._last_counter = 0
        self._reply_counter = 0

    def reset(self) -> None:
        """Forget the counters (after a power cycle or INIT)."""
        self._last_counter = 0
        self._reply_counter = 0

    def handle(self, mailbox: bytes) -> bytes | None:
        """The reply mailbox (header + data) to a request mailbox, or None."""
        if len(mailbox) < MAILBOX_HEADER_LEN:
            return None
        length, _address, _channel, type_byte = MAILBOX_HEADER.unpack_from(mailbox)
        counter = (type_byte >> 4) & 0x07
        if counter and counter == self._last_counter:
            return None
        self._last_counter = counter
        body = mailbox[MAILBOX_HEADER_LEN : MAILBOX_HEADER_LEN + length]
        if length > len(mailbox) - MAILBOX_HEADER_LEN:
            return self._wrap(
                MAILBOX_TYPE_ERROR, struct.pack("<HH", 0x01, MAILBOX_ERROR_INVALID_SIZE)
            )
        if type_byte & 0x0F != MAILBOX_TYPE_COE:
            return self._wrap(
                MAILBOX_TYPE_ERROR, struct.pack("<HH", 0x01, MAILBOX_ERROR_UNSUPPORTED_PROTOCOL)
            )
        reply = self._sdo.handle(body)
        return None if reply is None else self._wrap(MAILBOX_TYPE_COE, reply)

    def _wrap(self, mailbox_type: int, body: bytes) -> bytes:
        self._reply_counter = self._reply_counter % 7 + 1
        return (
            MAILBOX_HEADER.pack(len(body), 0, 0, mailbox_type | (self._reply_counter << 4)) + body
        )
