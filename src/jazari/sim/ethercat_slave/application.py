"""The application behind an emulated slave's ESC: a CiA 402 drive with its object
dictionary, its configurable PDO mapping and assignment, and its mailbox.

The mapping objects (0x1600, 0x1A00) and assignments (0x1C12, 0x1C13) can be changed over
SDO in PRE-OP only, with the CANopen rule that subindex 0 is 0 while entries change; a
count is accepted only if every entry names a mappable object of the right direction and
length. Process data is packed with whatever mapping is assigned when the slave enters
SAFE-OP.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from jazari.control.ethercat.pdo import CSP_RXPDO, CSP_TXPDO
from jazari.sim.ethercat_slave.axis import Axis
from jazari.sim.ethercat_slave.coe import (
    ABORT_DEVICE_STATE,
    ABORT_NOT_MAPPABLE,
    ABORT_PDO_LENGTH,
    ABORT_SUBINDEX0_NOT_ZERO,
    ABORT_VALUE_RANGE,
    STRUCT_CODES,
    MailboxServer,
    ObjectDictionary,
    OdEntry,
    SdoAbortError,
    SdoServer,
    Value,
)
from jazari.sim.ethercat_slave.drive import DriveParameters, EmulatedCspDrive
from jazari.sim.ethercat_slave.sii import SlaveIdentity

AL_INIT, AL_PREOP, AL_BOOT, AL_SAFEOP, AL_OP = 1, 2, 3, 4, 8
AL_CODE_INVALID_OUTPUT_CONFIG = 0x001D
AL_CODE_INVALID_INPUT_CONFIG = 0x001E
_MAX_PDO_ENTRIES = 8
_MAX_PDO_BYTES = 32
_MAILBOX_OVERHEAD = 16  # mailbox header 6 + CoE 2 + SDO command, index, subindex 4 + size 4


@dataclass(frozen=True)
class DriveSpec:
    """Everything that distinguishes one emulated drive.

    Attributes:
        identity: SII identity and sync-manager layout.
        params: motor and limits.
        counts_per_rev: encoder counts per motor revolution (object 0x608F).
        gear_ratio: motor revolutions per joint revolution (object 0x6091).
        rated_torque_mnm: rated torque [mN·m] (object 0x6076).
        position_counts: encoder position at first power-on [counts].
    """

    identity: SlaveIdentity
    params: DriveParameters
    counts_per_rev: int
    gear_ratio: int
    rated_torque_mnm: int
    position_counts: int


class _PdoObject:
    """A PDO mapping (0x16xx/0x1Axx) or assignment (0x1C12/0x1C13) object: a count in
    subindex 0 and values in 1..n."""

    def __init__(self, defaults: list[int], capacity: int) -> None:
        self._defaults = list(defaults)
        self.capacity = capacity
        self.reset()

    def reset(self) -> None:
        self.values = self._defaults + [0] * (self.capacity - len(self._defaults))
        self.count = len(self._defaults)

    @property
    def active(self) -> list[int]:
        return self.values[: self.count]


class DriveApplication:
    """Object dictionary, PDOs and mailbox of one emulated CiA 402 drive.

    Args:
        spec: the drive.
        now_s: the caller's clock at power-on [s].
        axis: what the drive turns (default: its own motor model).
    """

    def __init__(self, spec: DriveSpec, now_s: float, axis: Axis | None = None) -> None:
        self.spec = spec
        self.drive = EmulatedCspDrive(spec.params, spec.position_counts, now_s, axis)
        self.al_state = AL_INIT
        self.controlword = 0
        self.target_position = spec.position_counts
        self.modes_of_operation = 0
        self._rx_map = _PdoObject([e.mapping_value for e in CSP_RXPDO.entries], _MAX_PDO_ENTRIES)
        self._tx_map = _PdoObject([e.mapping_value for e in CSP_TXPDO.entries], _MAX_PDO_ENTRIES)
        self._rx_assign = _PdoObject([CSP_RXPDO.mapping_index], 1)
        self._tx_assign = _PdoObject([CSP_TXPDO.mapping_index], 1)
        self.od = ObjectDictionary()
        self._populate_dictionary()
        max_data = spec.identity.read_mailbox.length - _MAILBOX_OVERHEAD
        self.mailbox = MailboxServer(SdoServer(self.od, max_data))
        self._rx_codec = self._codec("rx")
        self._tx_codec = self._codec("tx")

    def power_on(self, now_s: float) -> None:
        """Back to power-on defaults (mapping, mode, mailbox); the encoder keeps its count."""
        self.drive.power_on(now_s)
        for obj in (self._rx_map, self._tx_map, self._rx_assign, self._tx_assign):
            obj.reset()
        self.al_state = AL_INIT
        self.controlword = 0
        self.modes_of_operation = 0
        self.mailbox.reset()

    # -- ESC hooks -----------------------------------------------------------------------

    @property
    def output_size(self) -> int:
        """Bytes of outputs (RxPDO) with the assigned mapping."""
        return sum(v & 0xFF for v in self._rx_map.active) // 8 if self._rx_assign.count else 0

    @property
    def input_size(self) -> int:
        """Bytes of inputs (TxPDO) with the assigned mapping."""
        return sum(v & 0xFF for v in self._tx_map.active) // 8 if self._tx_assign.count else 0

    def enter_state(self, state: int) -> None:
        """The ESC changed AL state; SAFE-OP freezes the PDO codecs."""
        leaving_op = self.al_state == AL_OP and state != AL_OP
        self.al_state = state
        if state == AL_SAFEOP:
            self._rx_codec = self._codec("rx")
            self._tx_codec = self._codec("tx")
        if leaving_op:
            self.drive.outputs_lost()

    def outputs_lost(self) -> None:
        """The sync-manager watchdog expired."""
        self.drive.outputs_lost()

    def receive_outputs(self, data: bytes, now_s: float) -> None:
        """A complete outputs buffer arrived (OP only)."""
        codec, entries = self._rx_codec
        if len(data) != codec.size:
            return
        for entry, value in zip(entries, codec.unpack(data), strict=True):
            if entry.put is not None:  # every rx-mappable entry has one
                entry.put(value)
        self.drive.receive(self.controlword, self.target_position, self.modes_of_operation, now_s)

    def inputs(self) -> bytes:
        """The current inputs buffer."""
        codec, entries = self._tx_codec
        return codec.pack(*(entry.get() for entry in entries))

    # -- object dictionary ---------------------------------------------------------------

    def _codec(self, direction: str) -> tuple[struct.Struct, list[OdEntry]]:
        mapping = self._rx_map if direction == "rx" else self._tx_map
        assign = self._rx_assign if direction == "rx" else self._tx_assign
        entries = (
            [self.od.entry(v >> 16, (v >> 8) & 0xFF) for v in mapping.active]
            if assign.count
            else []
        )
        codes = "".join(STRUCT_CODES[e.data_type] for e in entries)
        return struct.Struct("<" + codes), entries

    def _require_preop(self, what: str) -> None:
        if self.al_state != AL_PREOP:
            raise SdoAbortError(ABORT_DEVICE_STATE, f"{what} can change in PRE-OP only")

    def _mapping_entries(self, index: int, obj: _PdoObject, direction: str) -> None:
        def put_count(value: Value) -> None:
            self._require_preop(f"0x{index:04X}")
            count = int(value)
            if not 0 <= count <= obj.capacity:
                raise SdoAbortError(
                    ABORT_VALUE_RANGE, f"0x{index:04X} holds at most {obj.capacity} entries"
                )
            bits = 0
            for mapping_value in obj.values[:count]:
                target = self._mappable(mapping_value, direction)
                bits += target.bit_length
            if bits > _MAX_PDO_BYTES * 8:
                raise SdoAbortError(ABORT_PDO_LENGTH, f"0x{index:04X} maps {bits} bits")
            obj.count = count

        self.od.add(OdEntry(index, 0, "u8", "number of entries", lambda: obj.count, put_count))
        for sub in range(1, obj.capacity + 1):
            self.od.add(
                OdEntry(
                    index,
                    sub,
                    "u32",
                    f"entry {sub}",
                    self._getter(obj, sub),
                    self._putter(index, obj, sub),
                )
            )

    def _mappable(self, mapping_value: int, direction: str) -> OdEntry:
        index, sub, bits = mapping_value >> 16, (mapping_value >> 8) & 0xFF, mapping_value & 0xFF
        try:
            target = self.od.entry(index, sub)
        except SdoAbortError:
            raise SdoAbortError(
                ABORT_NOT_MAPPABLE, f"0x{index:04X}:{sub:02X} does not exist"
            ) from None
        if target.pdo != direction or target.bit_length != bits:
            raise SdoAbortError(
                ABORT_NOT_MAPPABLE,
                f"0x{index:04X}:{sub:02X} ({bits} bits) cannot be mapped into a {direction} PDO",
            )
        return target

    @staticmethod
    def _getter(obj: _PdoObject, sub: int) -> Callable[[], Value]:
        return lambda: obj.values[sub - 1]

    def _putter(self, index: int, obj: _PdoObject, sub: int) -> Callable[[Value], None]:
        def put(value: Value) -> None:
            self._require_preop(f"0x{index:04X}")
            if obj.count != 0:
                raise SdoAbortError(ABORT_SUBINDEX0_NOT_ZERO, f"set 0x{index:04X}:00 to 0 first")
            obj.values[sub - 1] = int(value)

        return put

    def _assignment(self, index: int, obj: _PdoObject, allowed: int) -> None:
        def put_count(value: Value) -> None:
            self._require_preop(f"0x{index:04X}")
            if not 0 <= int(value) <= obj.capacity or (int(value) and obj.values[0] != allowed):
                raise SdoAbortError(ABORT_VALUE_RANGE, f"0x{index:04X}:00 = {value} is not allowed")
            obj.count = int(value)

        def put_entry(value: Value) -> None:
            self._require_preop(f"0x{index:04X}")
            if obj.count != 0:
                raise SdoAbortError(ABORT_SUBINDEX0_NOT_ZERO, f"set 0x{index:04X}:00 to 0 first")
            if int(value) != allowed:
                raise SdoAbortError(
                    ABORT_VALUE_RANGE, f"0x{index:04X} can only assign 0x{allowed:04X}"
                )
            obj.values[0] = int(value)

        self.od.add(
            OdEntry(index, 0, "u8", "number of assigned PDOs", lambda: obj.count, put_count)
        )
        self.od.add(OdEntry(index, 1, "u16", "assigned PDO", lambda: obj.values[0], put_entry))

    def _populate_dictionary(self) -> None:
        spec, drive = self.spec, self.drive
        ident = spec.identity
        od = self.od

        def const(index: int, sub: int, data_type: str, name: str, value: Value) -> None:
            od.add(OdEntry(index, sub, data_type, name, lambda: value))

        const(0x1000, 0, "u32", "device type", 0x00020192)  # CiA 402 servo drive
        od.add(OdEntry(0x1001, 0, "u8", "error register", lambda: 1 if drive.error_code else 0))
        const(0x1008, 0, "str", "device name", ident.name)
        const(0x1018, 0, "u8", "identity entries", 4)
        const(0x1018, 1, "u32", "vendor id", ident.vendor_id)
        const(0x1018, 2, "u32", "product code", ident.product_code)
        const(0x1018, 3, "u32", "revision", ident.revision)
        const(0x1018, 4, "u32", "serial number", ident.serial)
        self._mapping_entries(CSP_RXPDO.mapping_index, self._rx_map, "rx")
        self._mapping_entries(CSP_TXPDO.mapping_index, self._tx_map, "tx")
        const(0x1C00, 0, "u8", "sync manager count", 4)
        for sm, sm_type in enumerate((1, 2, 3, 4), start=1):
            const(0x1C00, sm, "u8", f"SM{sm - 1} type", sm_type)
        self._assignment(0x1C12, self._rx_assign, CSP_RXPDO.mapping_index)
        self._assignment(0x1C13, self._tx_assign, CSP_TXPDO.mapping_index)

        def set_attr(name: str) -> Callable[[Value], None]:
            return lambda value: setattr(self, name, int(value))

        def set_mode(value: Value) -> None:
            self.modes_of_operation = int(value)
            drive.request_mode(int(value))

        def set_quick_stop_option(value: Value) -> None:
            if int(value) != 6:
                raise SdoAbortError(ABORT_VALUE_RANGE, "only quick stop option code 6 is supported")

        od.add(OdEntry(0x603F, 0, "u16", "error code", lambda: drive.error_code, pdo="tx"))
        od.add(
            OdEntry(
                0x6040,
                0,
                "u16",
                "controlword",
                lambda: self.controlword,
                set_attr("controlword"),
                "rx",
            )
        )
        od.add(OdEntry(0x6041, 0, "u16", "statusword", lambda: drive.statusword, pdo="tx"))
        od.add(
            OdEntry(0x605A, 0, "i16", "quick stop option code", lambda: 6, set_quick_stop_option)
        )
        od.add(
            OdEntry(
                0x6060,
                0,
                "i8",
                "modes of operation",
                lambda: self.modes_of_operation,
                set_mode,
                "rx",
            )
        )
        od.add(
            OdEntry(
                0x6061, 0, "i8", "modes of operation display", lambda: drive.mode_display, pdo="tx"
            )
        )
        od.add(
            OdEntry(0x6064, 0, "i32", "position actual", lambda: drive.position_actual, pdo="tx")
        )
        od.add(
            OdEntry(0x606C, 0, "i32", "velocity actual", lambda: drive.velocity_actual, pdo="tx")
        )
        const(0x6076, 0, "u32", "rated torque", spec.rated_torque_mnm)
        od.add(OdEntry(0x6077, 0, "i16", "torque actual", lambda: drive.torque_actual, pdo="tx"))
        od.add(
            OdEntry(
                0x607A,
                0,
                "i32",
                "target position",
                lambda: self.target_position,
                set_attr("target_position"),
                "rx",
            )
        )
        const(0x608F, 0, "u8", "position encoder resolution entries", 2)
        const(0x608F, 1, "u32", "encoder increments", spec.counts_per_rev)
        const(0x608F, 2, "u32", "motor revolutions", 1)
        const(0x6091, 0, "u8", "gear ratio entries", 2)
        const(0x6091, 1, "u32", "motor shaft revolutions", spec.gear_ratio)
        const(0x6091, 2, "u32", "driving shaft revolutions", 1)
        const(0x6502, 0, "u32", "supported drive modes", 1 << 7)  # CSP
