"""CRC-16 of Dynamixel Protocol 2.0 (polynomial 0x8005, initial value 0, no reflection).

This is the CRC ROBOTIS specifies for Protocol 2.0 (also known as CRC-16/BUYPASS). The
byte-wise table follows directly from the polynomial. The hot path processes two bytes
per step with a 65,536-entry table built from it, because the protocol's packets are
short and a Python loop per byte would cost more than the rest of a control cycle.
"""

from __future__ import annotations

from array import array

POLYNOMIAL = 0x8005


def _byte_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ POLYNOMIAL) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


BYTE_TABLE: tuple[int, ...] = tuple(_byte_table())


def _update_bytewise(crc: int, data: bytes | bytearray | memoryview) -> int:
    for byte in data:
        crc = ((crc << 8) ^ BYTE_TABLE[(crc >> 8) ^ byte]) & 0xFFFF
    return crc


def _word_table() -> array[int]:
    # Entry w is the CRC register after feeding the two bytes (w >> 8, w & 0xFF) into a
    # zero register. Because CRC-16 shifts a whole 16-bit register out in two bytes, the
    # register after two more bytes b0, b1 is WORD[crc ^ (b0 << 8 | b1)].
    table = array("H", bytes(2 * 65536))
    for hi in range(256):
        after_hi = BYTE_TABLE[hi]
        base = hi << 8
        for lo in range(256):
            table[base | lo] = ((after_hi << 8) ^ BYTE_TABLE[(after_hi >> 8) ^ lo]) & 0xFFFF
    return table


def _swapped(table: array[int]) -> array[int]:
    # Native little-endian 16-bit reads give (b1 << 8 | b0); keeping the register
    # byte-swapped lets the loop use them unchanged: r' = SWAPPED[r ^ w].
    out = array("H", bytes(2 * 65536))
    for w in range(65536):
        idx = ((w & 0xFF) << 8) | (w >> 8)
        v = table[idx]
        out[w] = ((v & 0xFF) << 8) | (v >> 8)
    return out


_WORD_SWAPPED: array[int] = _swapped(_word_table())
_LITTLE_ENDIAN = array("H", b"\x01\x00")[0] == 1


def crc16(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The Protocol 2.0 CRC of ``data``, continuing from register value ``crc``."""
    n = len(data)
    if n < 8 or not _LITTLE_ENDIAN:
        return _update_bytewise(crc, data)
    even = n & ~1
    words = memoryview(data)[:even].cast("B").cast("H")
    table = _WORD_SWAPPED
    r = ((crc & 0xFF) << 8) | (crc >> 8)
    for w in words:
        r = table[r ^ w]
    crc = ((r & 0xFF) << 8) | (r >> 8)
    if n != even:
        crc = _update_bytewise(crc, data[even:])
    return crc
