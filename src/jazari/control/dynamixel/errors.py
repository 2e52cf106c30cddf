"""Errors of the Dynamixel Protocol 2.0 layer and of the serial drive bus."""

from __future__ import annotations

from jazari.errors import ConfigError, JazariError


class DynamixelError(JazariError):
    """Root of the errors of the Dynamixel protocol, client and serial bus."""


class PacketError(DynamixelError, ValueError):
    """A packet cannot be built from the given values (bad ID, too long, bad field)."""


class CommError(DynamixelError):
    """A transaction on the bus failed: no answer, or only corrupted answers."""


class CommTimeoutError(CommError):
    """A servo did not answer within the transaction's bounded timeout and retries."""


class StatusError(DynamixelError):
    """A servo answered with a non-zero error number in its status packet.

    Attributes:
        servo_id: the servo that answered.
        error_number: the status packet's error number (bits 0-6).
    """

    def __init__(self, servo_id: int, error_number: int, message: str) -> None:
        super().__init__(message)
        self.servo_id = servo_id
        self.error_number = error_number


class BusConfigError(DynamixelError, ConfigError):
    """The serial bus configuration is missing a value or holds a bad one."""


class BusClosedError(DynamixelError):
    """The bus or client was used after :meth:`close`."""
