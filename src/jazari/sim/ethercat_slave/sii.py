"""The slave information interface (SII) EEPROM image of an emulated slave (ETG.2010).

Words 0x00-0x3F hold the fixed area (ESC configuration, identity, mailbox layout,
supported mailbox protocols, EEPROM size); categories follow from word 0x40 (strings,
general, FMMU usage, sync managers, TxPDO and RxPDO), ended by category 0xFFFF.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from jazari.control.ethercat.pdo import PdoLayout
from jazari.sim.ethercat_slave.errors import EmulatorError

SII_START_WORD = 0x40
CATEGORY_STRINGS = 10
CATEGORY_GENERAL = 30
CATEGORY_FMMU = 40
CATEGORY_SYNC_MANAGER = 41
CATEGORY_TXPDO = 50
CATEGORY_RXPDO = 51
CATEGORY_END = 0xFFFF
MAILBOX_PROTOCOL_COE = 0x0004
# CoE details: SDO, PDO assign and PDO configuration; no complete access, no SDO info.
COE_DETAILS = 0x01 | 0x04 | 0x08

SM_TYPE_MAILBOX_OUT, SM_TYPE_MAILBOX_IN, SM_TYPE_OUTPUTS, SM_TYPE_INPUTS = 1, 2, 3, 4
FMMU_USAGE_OUTPUTS, FMMU_USAGE_INPUTS, FMMU_USAGE_MAILBOX_STATE, FMMU_UNUSED = 1, 2, 3, 0xFF


@dataclass(frozen=True)
class SyncManagerSpec:
    """A sync manager as the SII describes it (start [byte], length [bytes], control
    byte, enable, type: 1 mailbox out, 2 mailbox in, 3 outputs, 4 inputs)."""

    start: int
    length: int
    control: int
    enable: int
    sm_type: int

    def pack(self) -> bytes:
        """The 8 bytes of an SM category entry."""
        return struct.pack(
            "<HHBBBB", self.start, self.length, self.control, 0, self.enable, self.sm_type
        )


@dataclass(frozen=True)
class SlaveIdentity:
    """Identity and memory layout of an emulated slave.

    Attributes:
        vendor_id, product_code, revision, serial: the SII identity (UNSIGNED32 each).
        name: device name (SII string 1, object 0x1008).
        sync_managers: SM0 (write mailbox), SM1 (read mailbox), SM2 (outputs),
            SM3 (inputs).
    """

    vendor_id: int
    product_code: int
    revision: int
    serial: int
    name: str
    sync_managers: tuple[SyncManagerSpec, ...]

    def __post_init__(self) -> None:
        for field in ("vendor_id", "product_code", "revision", "serial"):
            value = getattr(self, field)
            if not 0 <= value <= 0xFFFFFFFF:
                raise EmulatorError(f"{field} must be an UNSIGNED32, got {value!r}")
        if not 0 < len(self.name.encode()) < 256:
            raise EmulatorError(f"name must be 1..255 bytes, got {self.name!r}")
        types = [sm.sm_type for sm in self.sync_managers]
        if types[:2] != [SM_TYPE_MAILBOX_OUT, SM_TYPE_MAILBOX_IN]:
            raise EmulatorError(f"SM0/SM1 must be the mailboxes, got types {types}")

    @property
    def write_mailbox(self) -> SyncManagerSpec:
        """SM0: master -> slave mailbox."""
        return self.sync_managers[0]

    @property
    def read_mailbox(self) -> SyncManagerSpec:
        """SM1: slave -> master mailbox."""
        return self.sync_managers[1]


def _crc8(data: bytes) -> int:
    """The SII checksum of words 0-6 (CRC-8, polynomial x^8 + x^2 + x + 1, init 0xFF)."""
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _category(cat_type: int, data: bytes) -> bytes:
    if len(data) % 2:
        data += b"\x00"
    return struct.pack("<HH", cat_type, len(data) // 2) + data


def _strings(strings: list[str]) -> bytes:
    out = bytearray([len(strings)])
    for text in strings:
        raw = text.encode()
        out += bytes([len(raw)]) + raw
    return bytes(out)


def _pdo_category(layout: PdoLayout, sync_manager: int) -> bytes:
    # PDO header: index, entry count, SM, DC sync, name string, flags; entries: index,
    # subindex, name string, data type, bit length, flags.
    data_types = {
        (8, False): 0x05,
        (8, True): 0x02,
        (16, False): 0x06,
        (16, True): 0x03,
        (32, False): 0x07,
        (32, True): 0x04,
    }
    out = struct.pack("<HBBBBH", layout.mapping_index, len(layout.entries), sync_manager, 0, 0, 0)
    for entry in layout.entries:
        out += struct.pack(
            "<HBBBBH",
            entry.index,
            entry.subindex,
            0,
            data_types[(entry.bit_length, entry.signed)],
            entry.bit_length,
            0,
        )
    return out


def build_sii(identity: SlaveIdentity, txpdo: PdoLayout, rxpdo: PdoLayout) -> bytes:
    """The EEPROM content, as bytes (little-endian words)."""
    head = bytearray(SII_START_WORD * 2)
    struct.pack_into("<HHHH", head, 0, 0x0005, 0, 0, 0)  # PDI control: 8-bit µC, async
    head[14] = _crc8(bytes(head[:14]))
    struct.pack_into(
        "<IIII",
        head,
        0x08 * 2,
        identity.vendor_id,
        identity.product_code,
        identity.revision,
        identity.serial,
    )
    wmb, rmb = identity.write_mailbox, identity.read_mailbox
    struct.pack_into("<HHHH", head, 0x18 * 2, wmb.start, wmb.length, rmb.start, rmb.length)
    struct.pack_into("<H", head, 0x1C * 2, MAILBOX_PROTOCOL_COE)
    struct.pack_into("<HH", head, 0x3E * 2, 0x000F, 0x0001)  # 16 kbit EEPROM, SII version 1
    general = bytearray(32)
    general[3] = 1  # name: string 1
    general[5] = COE_DETAILS
    struct.pack_into("<h", general, 12, 0)  # E-bus current [mA]
    outputs_sm = next(
        i for i, sm in enumerate(identity.sync_managers) if sm.sm_type == SM_TYPE_OUTPUTS
    )
    inputs_sm = next(
        i for i, sm in enumerate(identity.sync_managers) if sm.sm_type == SM_TYPE_INPUTS
    )
    body = (
        _category(CATEGORY_STRINGS, _strings([identity.name, "Drives"]))
        + _category(CATEGORY_GENERAL, bytes(general))
        + _category(
            CATEGORY_FMMU,
            bytes([FMMU_USAGE_OUTPUTS, FMMU_USAGE_INPUTS, FMMU_USAGE_MAILBOX_STATE, FMMU_UNUSED]),
        )
        + _category(CATEGORY_SYNC_MANAGER, b"".join(sm.pack() for sm in identity.sync_managers))
        + _category(CATEGORY_TXPDO, _pdo_category(txpdo, inputs_sm))
        + _category(CATEGORY_RXPDO, _pdo_category(rxpdo, outputs_sm))
        + struct.pack("<H", CATEGORY_END)
    )
    return bytes(head) + body


def read_words(image: bytes | bytearray, word_address: int, count: int) -> bytes:
    """``count`` words from ``word_address``; words past the image read as 0xFFFF."""
    start = word_address * 2
    chunk = bytes(image[start : start + 2 * count])
    return chunk + b"\xff" * (2 * count - len(chunk))
