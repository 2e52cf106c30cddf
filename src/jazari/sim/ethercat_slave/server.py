"""The emulator process: answers EtherCAT frames on a network interface and takes
fault-injection requests on a Unix socket.

Frames arrive on an ``AF_PACKET`` socket bound to EtherType 0x88A4 on one end of a veth
pair; each one is processed by the :class:`Segment` and sent back out of the same
interface (one reply per frame, never unprompted). Requests are JSON lines on a Unix
stream socket; each gets one JSON line back (``{"ok": true, ...}`` or ``{"ok": false,
"error": "..."}``).

This must run in its own process: SOEM holds the GIL in several blocking calls, so an
emulator thread inside the master's process would miss every frame.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import time
from collections.abc import Callable
from typing import Any

from jazari.control.cia402 import describe_error_code
from jazari.sim.ethercat_slave.errors import EmulatorError
from jazari.sim.ethercat_slave.segment import Segment

_log = logging.getLogger(__name__)
ETH_P_ETHERCAT = 0x88A4
_PACKET_OUTGOING = 4
_APPLICATION_PERIOD_S = 0.001
_MAX_FRAME = 1600


class EmulatorServer:
    """Serves one segment on one interface until asked to shut down.

    Args:
        interface: the network interface to answer on (the emulator's veth end).
        segment: the emulated slaves.
        control_path: where to create the Unix control socket.
    """

    def __init__(self, interface: str, segment: Segment, control_path: str) -> None:
        self.segment = segment
        self._running = True
        self._raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ETHERCAT))
        self._raw.bind((interface, ETH_P_ETHERCAT))
        self._raw.setblocking(False)
        self._control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(control_path):
            os.unlink(control_path)
        self._control.bind(control_path)
        self._control.listen(4)
        self._control_path = control_path
        self._clients: dict[socket.socket, bytearray] = {}
        self._handlers: dict[str, Callable[[dict[str, Any], float], dict[str, Any]]] = {
            "status": self._status,
            "drop_frames": self._drop_frames,
            "wrong_wkc": self._wrong_wkc,
            "silence": self._silence,
            "power_cycle": self._power_cycle,
            "drive_fault": self._drive_fault,
            "clear_fault_cause": self._clear_fault_cause,
            "al_error": self._al_error,
            "shutdown": self._shutdown,
        }

    def serve_forever(self) -> None:
        """Answer frames and requests until a ``shutdown`` request."""
        buffer = bytearray(_MAX_FRAME)
        next_application_s = time.monotonic()
        try:
            while self._running:
                readable, _, _ = select.select(
                    [self._raw, self._control, *self._clients], [], [], _APPLICATION_PERIOD_S
                )
                now = time.monotonic()
                if self._raw in readable and self._answer_frames(buffer, now):
                    next_application_s = now  # new outputs: run the drives right away
                for sock in readable:
                    if sock is self._control:
                        client, _ = self._control.accept()
                        self._clients[client] = bytearray()
                    elif sock is not self._raw:
                        self._serve_client(sock, now)
                if now >= next_application_s:
                    self.segment.run_applications(now)
                    next_application_s = now + _APPLICATION_PERIOD_S
        finally:
            self.close()

    def close(self) -> None:
        """Release the sockets."""
        for client in self._clients:
            client.close()
        self._raw.close()
        self._control.close()
        if os.path.exists(self._control_path):
            os.unlink(self._control_path)

    def _answer_frames(self, buffer: bytearray, now: float) -> bool:
        """Process every waiting frame; True if process data went through."""
        process_data_before = self.segment.counters.process_data_frames
        while True:
            try:
                n, address = self._raw.recvfrom_into(buffer)
            except BlockingIOError:
                break
            if address[2] == _PACKET_OUTGOING:
                continue
            frame = buffer[:n]
            if self.segment.process(frame, now):
                self._raw.send(frame)
        return self.segment.counters.process_data_frames != process_data_before

    def _serve_client(self, client: socket.socket, now: float) -> None:
        data = client.recv(65536)
        if not data:
            client.close()
            del self._clients[client]
            return
        pending = self._clients[client]
        pending += data
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            client.sendall(json.dumps(self.handle(line, now)).encode() + b"\n")

    def handle(self, line: bytes, now: float) -> dict[str, Any]:
        """Answer one request line."""
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or request.get("cmd") not in self._handlers:
                raise EmulatorError(
                    f"unknown request {line[:80]!r}; known: {sorted(self._handlers)}"
                )
            reply = self._handlers[request["cmd"]](request, now)
        except (EmulatorError, ValueError, KeyError, TypeError) as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, **reply}

    # -- requests ----------------------------------------------------------------------

    def _status(self, _request: dict[str, Any], now: float) -> dict[str, Any]:
        slaves = []
        for position, slave in enumerate(self.segment.slaves, start=1):
            drive = slave.app.drive
            slaves.append(
                {
                    "position": position,
                    "online": slave.is_online(now),
                    "station_address": slave.station_address,
                    "al_state": slave.al_state,
                    "al_error": slave.al_error,
                    "al_status_code": slave.al_status_code,
                    "powered": slave.powered,
                    "drive_state": drive.machine.state.value if slave.powered else "powered off",
                    "statusword": drive.statusword,
                    "error_code": drive.error_code,
                    "error": describe_error_code(drive.error_code),
                    "position_counts": drive.position_actual,
                    "velocity_counts_s": drive.velocity_actual if slave.powered else 0,
                    "target_counts": drive.target_position,
                    "mode_display": drive.mode_display,
                }
            )
        return {"counters": vars(self.segment.counters).copy(), "slaves": slaves}

    def _drop_frames(self, request: dict[str, Any], _now: float) -> dict[str, Any]:
        count = int(request["count"])
        if count < 0:
            raise EmulatorError(f"count must be >= 0, got {count}")
        self.segment.faults.drop_frames = count
        return {}

    def _wrong_wkc(self, request: dict[str, Any], _now: float) -> dict[str, Any]:
        self.segment.faults.wkc_offset = int(request["offset"])
        self.segment.faults.wkc_frames = int(request["frames"])
        return {}

    def _silence(self, request: dict[str, Any], now: float) -> dict[str, Any]:
        duration = request.get("duration_s")
        self.segment.slave(int(request["slave"])).silence(
            now, None if duration is None else float(duration)
        )
        return {}

    def _power_cycle(self, request: dict[str, Any], now: float) -> dict[str, Any]:
        off_s = float(request["off_s"])
        if off_s < 0:
            raise EmulatorError(f"off_s must be >= 0, got {off_s}")
        self.segment.slave(int(request["slave"])).power_cycle(now, off_s)
        return {}

    def _drive_fault(self, request: dict[str, Any], _now: float) -> dict[str, Any]:
        slave = self.segment.slave(int(request["slave"]))
        slave.app.drive.inject_fault(
            int(request["error_code"]), bool(request.get("persistent", False))
        )
        return {}

    def _clear_fault_cause(self, request: dict[str, Any], _now: float) -> dict[str, Any]:
        self.segment.slave(int(request["slave"])).app.drive.clear_fault_cause()
        return {}

    def _al_error(self, request: dict[str, Any], _now: float) -> dict[str, Any]:
        self.segment.slave(int(request["slave"])).fail(int(request["al_status_code"]))
        return {}

    def _shutdown(self, _request: dict[str, Any], _now: float) -> dict[str, Any]:
        self._running = False
        return {}
