"""CRC-16 of Dynamixel Protocol 2.0 (polynomial 0x8005, initial value 0, no reflection).

This is the CRC ROBOTIS specifies for Protocol 2.0; CRC catalogues list it as
CRC-16/UMTS (alias CRC-16/BUYPASS, CRC-16/VERIFONE): polynomial 0x8005, initial value
0, input and output not reflected, no final XOR. ``fastcrc`` computes it in compiled
code: a control cycle checks seven packets, and a table-driven Python loop cost tens of
microseconds of it on a cold cache (the tests check it against ROBOTIS' own
implementation and the e-Manual's packets).
"""

from __future__ import annotations

from fastcrc import crc16 as _catalogue

POLYNOMIAL = 0x8005

#: ``crc16(data, crc=0)``: the Protocol 2.0 CRC of ``data`` (any bytes-like object),
#: continuing from register value ``crc``. Bound directly to the compiled function: it
#: runs seven times per control cycle.
crc16 = _catalogue.umts
