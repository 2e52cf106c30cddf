"""Byte transports under the Dynamixel client: a serial port opened with pyserial."""

from __future__ import annotations

import os
import select
import termios
from typing import Any, Protocol, runtime_checkable

import serial

from jazari.control.dynamixel.errors import BusClosedError, CommError


@runtime_checkable
class Transport(Protocol):
    """A half-duplex byte pipe to the servos."""

    def write(self, data: bytes) -> None:
        """Send every byte of ``data``."""
        ...

    def read(self, timeout_s: float, min_bytes: int = 1) -> bytes:
        """Wait up to ``timeout_s`` for ``min_bytes`` of input (fewer at the timeout).

        Returns every byte available then (b"" when none came).
        """
        ...

    def discard_input(self) -> None:
        """Drop input received so far (left-overs of an earlier transaction)."""
        ...

    def close(self) -> None:
        """Release the port; later calls raise :class:`BusClosedError`."""
        ...


class SerialTransport:
    """A serial port (USB adapter, RS-485 or a pseudo-terminal) opened with pyserial.

    pyserial opens the port, puts it in raw mode, sets the baud rate and takes an
    exclusive lock. The per-cycle reads and writes then go straight to the file
    descriptor with ``select``/``os.read``: pyserial's ``read`` loops in Python around the
    same calls, and per control cycle that overhead is measurable.

    To wait for a whole set of replies with one return to Python, :meth:`read` sets the
    terminal's VMIN to the number of bytes expected: in non-canonical mode with VTIME 0
    the tty layer reports the descriptor readable only once that many bytes are in. (The
    kernel still wakes the waiting thread at each chunk that arrives, but re-checks and
    sleeps again without returning to user space.) With VMIN above 64 a read call hands
    out at most 64 bytes, so a set of replies is read in a few calls; a VMIN of 64 or less
    would drain it in one call but wake Python per chunk, which costs more.

    Args:
        port: device path (``/dev/ttyUSB0``, ``/dev/pts/3``).
        baud: bit rate [bit/s].

    Raises:
        CommError: when the port cannot be opened; the message names it.
    """

    def __init__(self, port: str, baud: int) -> None:
        try:
            self._serial = serial.Serial(port, baudrate=baud, timeout=0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise CommError(f"cannot open serial port {port!r} at {baud} baud: {exc}") from None
        self.port = port
        self._fd: int | None = self._serial.fileno()
        self._vmin = -1
        try:
            self._attrs: list[Any] | None = termios.tcgetattr(self._fd)
        except termios.error:
            self._attrs = None  # not a terminal: select wakes at the first byte

    def _require_fd(self) -> int:
        if self._fd is None:
            raise BusClosedError(f"serial port {self.port!r} is closed")
        return self._fd

    def write(self, data: bytes) -> None:
        """Send every byte of ``data`` (looping over partial writes)."""
        fd = self._fd
        if fd is None:
            raise BusClosedError(f"serial port {self.port!r} is closed")
        try:
            sent = os.write(fd, data)
        except BlockingIOError:
            sent = 0
        if sent < len(data):
            self._write_rest(fd, memoryview(data)[sent:])

    @staticmethod
    def _write_rest(fd: int, view: memoryview) -> None:
        while view:
            try:
                sent = os.write(fd, view)
            except BlockingIOError:
                select.select((), (fd,), (), 0.01)
                continue
            view = view[sent:]

    def read(self, timeout_s: float, min_bytes: int = 1) -> bytes:
        """Wait up to ``timeout_s`` [s] for ``min_bytes`` (VMIN caps at 255); return what is in.

        The descriptor is non-blocking (pyserial opens it so), so the reads below never
        wait; they return what the tty holds.
        """
        fd = self._fd
        if fd is None:
            raise BusClosedError(f"serial port {self.port!r} is closed")
        vmin = max(1, min(255, min_bytes))
        if vmin != self._vmin and self._attrs is not None:
            self._attrs[6][termios.VMIN] = vmin
            self._attrs[6][termios.VTIME] = 0
            termios.tcsetattr(fd, termios.TCSANOW, self._attrs)
            self._vmin = vmin
        # At the timeout, whatever arrived (fewer than VMIN bytes) is read all the same.
        select.select((fd,), (), (), timeout_s if timeout_s > 0.0 else 0.0)
        # With VMIN above 64, current kernels hand out at most 64 bytes per read call:
        # read until the wanted count is in or nothing more is buffered.
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return b""
        while 0 < len(data) < min_bytes:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def discard_input(self) -> None:
        """Drop unread input."""
        fd = self._require_fd()
        if self._attrs is not None:
            termios.tcflush(fd, termios.TCIFLUSH)
        else:
            self._serial.reset_input_buffer()

    def close(self) -> None:
        """Close the port (idempotent)."""
        if self._fd is not None:
            self._fd = None
            self._serial.close()
