"""Errors of the EtherCAT slave emulator."""

from __future__ import annotations

from jazari.errors import JazariError


class EmulatorError(JazariError):
    """The slave emulator failed to start, or a request to it was refused."""


class FrameError(EmulatorError, ValueError):
    """An Ethernet frame is not a well-formed EtherCAT frame; it is dropped unanswered."""
