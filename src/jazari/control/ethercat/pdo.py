"""Process data objects (PDOs) as data: which object dictionary entries travel in each
cycle, in which order, and how to pack them.

The master writes these layouts into each drive's PDO mapping objects (0x1600 receive,
0x1A00 transmit) over CoE in PRE-OP, and the emulated drive decodes its sync-manager
buffers with whatever mapping it was given, so both ends share this description.
"""

from __future__ import annotations

import struct
from dataclasses import asdict, dataclass
from functools import cached_property

from jazari.control.ethercat.errors import PdoError

_FORMATS: dict[tuple[int, bool], str] = {
    (8, False): "B",
    (8, True): "b",
    (16, False): "H",
    (16, True): "h",
    (32, False): "I",
    (32, True): "i",
}


@dataclass(frozen=True)
class PdoEntry:
    """One object dictionary entry mapped into a PDO.

    Attributes:
        index, subindex: the object's address in the dictionary.
        bit_length: 8, 16 or 32.
        signed: True for INTEGERn, False for UNSIGNEDn.
        name: short field name used by the codecs.
    """

    index: int
    subindex: int
    bit_length: int
    signed: bool
    name: str

    def __post_init__(self) -> None:
        if not 0x1000 <= self.index <= 0xFFFF:
            raise PdoError(f"PDO entry index must be in 0x1000..0xFFFF, got 0x{self.index:X}")
        if not 0 <= self.subindex <= 0xFF:
            raise PdoError(f"PDO entry subindex must be in 0..255, got {self.subindex}")
        if (self.bit_length, self.signed) not in _FORMATS:
            raise PdoError(f"PDO entry bit length must be 8, 16 or 32, got {self.bit_length}")

    @property
    def mapping_value(self) -> int:
        """The UNSIGNED32 written into a mapping object: index << 16 | subindex << 8 | bits."""
        return (self.index << 16) | (self.subindex << 8) | self.bit_length

    @property
    def format_char(self) -> str:
        """The :mod:`struct` code of this entry (little endian is set by the layout)."""
        return _FORMATS[(self.bit_length, self.signed)]


@dataclass(frozen=True)
class PdoLayout:
    """The entries of one PDO, in wire order.

    Attributes:
        mapping_index: the mapping object (0x1600.. receive, 0x1A00.. transmit).
        entries: the mapped entries.
    """

    mapping_index: int
    entries: tuple[PdoEntry, ...]

    def __post_init__(self) -> None:
        if not (0x1600 <= self.mapping_index <= 0x17FF or 0x1A00 <= self.mapping_index <= 0x1BFF):
            raise PdoError(
                f"mapping index must be 0x1600..0x17FF or 0x1A00..0x1BFF, got "
                f"0x{self.mapping_index:X}"
            )
        if not 1 <= len(self.entries) <= 254:
            raise PdoError(f"a PDO needs 1..254 entries, got {len(self.entries)}")
        names = [e.name for e in self.entries]
        if len(set(names)) != len(names):
            raise PdoError(f"PDO entry names must be unique, got {names}")

    @cached_property
    def codec(self) -> struct.Struct:
        """The little-endian packing of the entries."""
        return struct.Struct("<" + "".join(e.format_char for e in self.entries))

    @property
    def size_bytes(self) -> int:
        """Bytes of process data this PDO occupies."""
        return sum(e.bit_length for e in self.entries) // 8

    def pack(self, values: dict[str, int]) -> bytes:
        """Pack named values (every entry name is needed).

        Raises:
            PdoError: on a missing name or a value out of the entry's range.
        """
        try:
            return self.codec.pack(*(values[e.name] for e in self.entries))
        except KeyError as exc:
            raise PdoError(f"no value for PDO entry {exc.args[0]!r}") from None
        except struct.error as exc:
            raise PdoError(f"PDO value out of range: {exc} (values {values})") from None

    def unpack(self, data: bytes) -> dict[str, int]:
        """Named values from process data of exactly :attr:`size_bytes` bytes.

        Raises:
            PdoError: when ``data`` has the wrong length.
        """
        if len(data) != self.size_bytes:
            raise PdoError(
                f"PDO 0x{self.mapping_index:04X} needs {self.size_bytes} bytes, got {len(data)}"
            )
        return dict(zip((e.name for e in self.entries), self.codec.unpack(data), strict=True))


CONTROLWORD = PdoEntry(0x6040, 0, 16, False, "controlword")
TARGET_POSITION = PdoEntry(0x607A, 0, 32, True, "target_position")
MODES_OF_OPERATION = PdoEntry(0x6060, 0, 8, True, "modes_of_operation")
STATUSWORD = PdoEntry(0x6041, 0, 16, False, "statusword")
POSITION_ACTUAL = PdoEntry(0x6064, 0, 32, True, "position_actual")
VELOCITY_ACTUAL = PdoEntry(0x606C, 0, 32, True, "velocity_actual")
TORQUE_ACTUAL = PdoEntry(0x6077, 0, 16, True, "torque_actual")
ERROR_CODE = PdoEntry(0x603F, 0, 16, False, "error_code")
MODES_OF_OPERATION_DISPLAY = PdoEntry(0x6061, 0, 8, True, "modes_of_operation_display")

#: Outputs (master -> drive) for cyclic synchronous position mode.
CSP_RXPDO = PdoLayout(0x1600, (CONTROLWORD, TARGET_POSITION, MODES_OF_OPERATION))
#: Inputs (drive -> master) for cyclic synchronous position mode.
CSP_TXPDO = PdoLayout(
    0x1A00,
    (
        STATUSWORD,
        POSITION_ACTUAL,
        VELOCITY_ACTUAL,
        TORQUE_ACTUAL,
        ERROR_CODE,
        MODES_OF_OPERATION_DISPLAY,
    ),
)


@dataclass(frozen=True)
class CspOutputs:
    """One cycle's outputs to a drive in raw units.

    Attributes:
        controlword: object 0x6040.
        target_position: object 0x607A [encoder counts].
        modes_of_operation: object 0x6060.
    """

    controlword: int
    target_position: int
    modes_of_operation: int

    def pack(self) -> bytes:
        """The bytes of :data:`CSP_RXPDO`."""
        return CSP_RXPDO.pack(asdict(self))

    @classmethod
    def unpack(cls, data: bytes) -> CspOutputs:
        """Decode the bytes of :data:`CSP_RXPDO`."""
        return cls(**CSP_RXPDO.unpack(data))


@dataclass(frozen=True)
class CspInputs:
    """One cycle's inputs from a drive in raw units.

    Attributes:
        statusword: object 0x6041.
        position_actual: object 0x6064 [counts].
        velocity_actual: object 0x606C [counts/s].
        torque_actual: object 0x6077 [per mille of rated torque].
        error_code: object 0x603F.
        modes_of_operation_display: object 0x6061.
    """

    statusword: int
    position_actual: int
    velocity_actual: int
    torque_actual: int
    error_code: int
    modes_of_operation_display: int

    def pack(self) -> bytes:
        """The bytes of :data:`CSP_TXPDO`."""
        return CSP_TXPDO.pack(asdict(self))

    @classmethod
    def unpack(cls, data: bytes) -> CspInputs:
        """Decode the bytes of :data:`CSP_TXPDO`."""
        return cls(**CSP_TXPDO.unpack(data))
