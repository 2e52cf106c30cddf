"""Dynamixel Protocol 2.0: CRC, packets and parser, control tables, and the master client.

The serial :class:`~jazari.ports.DriveBus` built on it is
:class:`jazari.control.serial_bus.DynamixelBus`; the emulated servos it is tested against
are in :mod:`jazari.sim.dynamixel_emulator`.
"""

from jazari.control.dynamixel.client import DynamixelClient, PingReply, SyncReadResult
from jazari.control.dynamixel.control_table import XM540_W270, ControlItem, ServoModel, servo_model
from jazari.control.dynamixel.errors import (
    BusConfigError,
    CommError,
    CommTimeoutError,
    DynamixelError,
    PacketError,
    StatusError,
)
from jazari.control.dynamixel.packet import HardwareError, Instruction, Packet, PacketParser
from jazari.control.dynamixel.transport import SerialTransport, Transport

__all__ = [
    "XM540_W270",
    "BusConfigError",
    "CommError",
    "CommTimeoutError",
    "ControlItem",
    "DynamixelClient",
    "DynamixelError",
    "HardwareError",
    "Instruction",
    "Packet",
    "PacketError",
    "PacketParser",
    "PingReply",
    "SerialTransport",
    "ServoModel",
    "StatusError",
    "SyncReadResult",
    "Transport",
    "servo_model",
]
