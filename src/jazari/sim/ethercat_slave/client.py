"""Start, steer and stop the slave emulator process from a test or a benchmark.

The emulator runs as ``ip netns exec NAMESPACE python -m jazari.sim.ethercat_slave`` (its
own process, inside the namespace of its veth end) and listens for requests on a Unix
socket in a private temporary directory; this class speaks that protocol.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jazari.sim.ethercat_slave.axis import DEFAULT_FEEDBACK_TIMEOUT_S
from jazari.sim.ethercat_slave.errors import EmulatorError
from jazari.sim.ethercat_slave.netns import VethWire
from jazari.sim.ethercat_slave.spec import SlaveSpec


class EmulatorProcess:
    """A running emulator; use as a context manager or call :meth:`stop`.

    Args:
        wire: the namespace and veth pair; the emulator answers on the slave end.
        specs: the emulated drives, in wire order.
        start_timeout_s: how long to wait for the emulator to listen.
        realtime_priority: SCHED_FIFO priority of the emulator (0: normal scheduling).
            Real slaves answer within microseconds; a priority keeps the emulator's
            answers prompt on a busy machine.
        plant_link: a :class:`~jazari.sim.joint_link.JointLink` file whose joints the
            drives turn, one slot per drive in wire order (None: their motor models).
        feedback_timeout_s: with a plant, the age of its measurements at which a drive
            reports an encoder fault [s].
    """

    def __init__(
        self,
        wire: VethWire,
        specs: list[SlaveSpec],
        start_timeout_s: float = 15.0,
        realtime_priority: int = 0,
        plant_link: Path | None = None,
        feedback_timeout_s: float = DEFAULT_FEEDBACK_TIMEOUT_S,
    ) -> None:
        if not specs:
            raise EmulatorError("the emulator needs at least one slave spec")
        self._dir = tempfile.TemporaryDirectory(prefix="jazari-ecat-")
        self.control_path = str(Path(self._dir.name) / "control.sock")
        spec_json = json.dumps([s.to_dict() for s in specs])
        command = ["ip", "netns", "exec", wire.namespace, sys.executable, "-m"]
        command += ["jazari.sim.ethercat_slave", "--interface", wire.slave_interface]
        command += ["--control", self.control_path, "--spec", spec_json]
        command += ["--realtime-priority", str(realtime_priority)]
        if plant_link is not None:
            command += ["--plant-link", str(plant_link)]
            command += ["--feedback-timeout", str(feedback_timeout_s)]
        # Diagnostics go to a file, not a pipe nobody drains while the emulator runs.
        self._log_path = Path(self._dir.name) / "emulator.log"
        with self._log_path.open("w") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._sock: socket.socket | None = None
        self._buffer = b""
        try:
            self._connect(start_timeout_s)
        except EmulatorError:
            self.stop()
            raise

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _connect(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._log_path.read_text()
                raise EmulatorError(
                    f"emulator exited with {self._process.returncode}: {err.strip()}"
                )
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.control_path)
            except OSError:
                sock.close()
                time.sleep(0.02)
                continue
            self._sock = sock
            return
        raise EmulatorError(f"emulator did not listen on {self.control_path} within {timeout_s} s")

    def request(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send one request and return the reply.

        Raises:
            EmulatorError: when the emulator refuses the request or is gone.
        """
        if self._sock is None:
            raise EmulatorError("the emulator is not running")
        self._sock.sendall(json.dumps({"cmd": cmd, **args}).encode() + b"\n")
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise EmulatorError(f"emulator closed the control socket during {cmd!r}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise EmulatorError(f"emulator refused {cmd!r}: {reply.get('error')}")
        return reply

    # -- convenience ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Counters and per-slave state (AL state, drive state, position ...)."""
        return self.request("status")

    def drop_frames(self, count: int) -> None:
        """Leave the next ``count`` frames unanswered."""
        self.request("drop_frames", count=count)

    def wrong_wkc(self, offset: int, frames: int) -> None:
        """Add ``offset`` to the working counter of the next ``frames`` process-data frames."""
        self.request("wrong_wkc", offset=offset, frames=frames)

    def silence(self, slave: int, duration_s: float | None = None) -> None:
        """Make slave ``slave`` (1-based) stop answering, for good or for a while."""
        self.request("silence", slave=slave, duration_s=duration_s)

    def power_cycle(self, slave: int, off_s: float) -> None:
        """Switch slave ``slave`` off for ``off_s`` seconds; it returns as from power-on."""
        self.request("power_cycle", slave=slave, off_s=off_s)

    def drive_fault(self, slave: int, error_code: int, persistent: bool = False) -> None:
        """Make the drive of slave ``slave`` fault with ``error_code`` (object 0x603F)."""
        self.request("drive_fault", slave=slave, error_code=error_code, persistent=persistent)

    def al_error(self, slave: int, al_status_code: int) -> None:
        """Make slave ``slave`` drop out of OP to SAFE-OP with an AL error."""
        self.request("al_error", slave=slave, al_status_code=al_status_code)

    def stop(self) -> None:
        """Shut the emulator down (killing it if it does not go) and clean up."""
        if self._sock is not None:
            with contextlib.suppress(EmulatorError, OSError):
                self.request("shutdown")
            self._sock.close()
            self._sock = None
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._dir.cleanup()
