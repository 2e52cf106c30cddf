"""CRC-16 of Protocol 2.0: e-Manual vectors and agreement with ROBOTIS' SDK."""

from __future__ import annotations

import dynamixel_sdk
from hypothesis import given
from hypothesis import strategies as st

from jazari.control.dynamixel.crc import crc16

# Packets from the ROBOTIS e-Manual (Protocol 2.0 page), CRC bytes last (low, high).
EMANUAL_PACKETS = [
    "FF FF FD 00 01 03 00 01 19 4E",  # ping ID 1
    "FF FF FD 00 01 07 00 55 00 06 04 26 65 5D",  # its status
    "FF FF FD 00 01 07 00 02 84 00 04 00 1D 15",  # read present position
    "FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89",  # write goal position
    "FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA",  # sync read
    "FF FF FD 00 01 03 00 08 2F 4E",  # reboot
]


def test_crc_matches_every_emanual_example() -> None:
    for text in EMANUAL_PACKETS:
        packet = bytes.fromhex(text)
        assert crc16(packet[:-2]) == packet[-2] | (packet[-1] << 8), text


@given(st.binary(max_size=300), st.integers(0, 0xFFFF))
def test_crc_equals_the_sdk_implementation(data: bytes, start: int) -> None:
    handler = dynamixel_sdk.Protocol2PacketHandler()
    assert crc16(data, start) == handler.updateCRC(start, list(data), len(data))


@given(st.binary(max_size=64), st.binary(max_size=64))
def test_crc_continues_across_chunks(head: bytes, tail: bytes) -> None:
    assert crc16(tail, crc16(head)) == crc16(head + tail)
