"""A line of emulated slaves that a frame passes through, with injectable faults.

Each datagram visits the slaves in order: auto-increment commands act on the slave that
sees position 0 and every slave increments the position word; configured-address
commands act on the slave whose station address matches; broadcasts act on all;
logical commands act through each slave's FMMUs. Every acting slave adds to the working
counter (read +1, write +1, read-write +1/+2/+3, LRW read +1 and write +2).

A slave that is switched off or silenced is bypassed: it neither acts nor counts as a
position, as if the line closed around it; the slaves behind it keep running.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from jazari.sim.ethercat_slave.errors import EmulatorError, FrameError
from jazari.sim.ethercat_slave.esc import EscSlave
from jazari.sim.ethercat_slave.frame import (
    Command,
    Datagram,
    datagrams,
    read_wkc,
    write_adp,
    write_wkc,
)

_log = logging.getLogger(__name__)
_AUTO_INCREMENT = frozenset({Command.APRD, Command.APWR, Command.APRW, Command.ARMW})
_CONFIGURED = frozenset({Command.FPRD, Command.FPWR, Command.FPRW, Command.FRMW})
_BROADCAST = frozenset({Command.BRD, Command.BWR, Command.BRW})
_LOGICAL = frozenset({Command.LRD, Command.LWR, Command.LRW})


@dataclass
class SegmentCounters:
    """What the segment saw (for tests and the status request)."""

    frames: int = 0
    answered: int = 0
    dropped: int = 0
    malformed: int = 0
    process_data_frames: int = 0


@dataclass
class FaultPlan:
    """Frame-level faults still to apply."""

    drop_frames: int = 0
    wkc_offset: int = 0
    wkc_frames: int = 0


class Segment:
    """The slaves of one EtherCAT line, in wire order."""

    def __init__(self, slaves: list[EscSlave]) -> None:
        if not slaves:
            raise EmulatorError("a segment needs at least one slave")
        self.slaves = slaves
        self.counters = SegmentCounters()
        self.faults = FaultPlan()

    def slave(self, position: int) -> EscSlave:
        """The slave at a 1-based position.

        Raises:
            EmulatorError: naming the bad position.
        """
        if not 1 <= position <= len(self.slaves):
            raise EmulatorError(f"slave position must be 1..{len(self.slaves)}, got {position}")
        return self.slaves[position - 1]

    def process(self, frame: bytearray, now_s: float) -> bool:
        """Run a received frame through the slaves in place; True if it goes back.

        A frame that is not EtherCAT or is malformed is dropped, as is any frame while a
        dropped-frames fault is pending.
        """
        self.counters.frames += 1
        if self.faults.drop_frames > 0:
            self.faults.drop_frames -= 1
            self.counters.dropped += 1
            return False
        online = [s for s in self.slaves if s.is_online(now_s)]
        for slave in online:
            slave.now_s = now_s
        try:
            parsed = list(datagrams(frame))
        except FrameError as exc:
            self.counters.malformed += 1
            _log.debug("dropping frame: %s", exc)
            return False
        logical = False
        for datagram in parsed:
            logical |= self._execute(frame, datagram, online)
        if logical:
            self.counters.process_data_frames += 1
            if self.faults.wkc_frames > 0:
                self.faults.wkc_frames -= 1
                last = parsed[-1]
                write_wkc(frame, last, read_wkc(frame, last) + self.faults.wkc_offset)
        if len(frame) > 6:
            frame[6] |= 0x02  # an ESC marks the source address on the way back
        self.counters.answered += 1
        return True

    def _execute(self, frame: bytearray, datagram: Datagram, online: list[EscSlave]) -> bool:
        command = datagram.command
        wkc = read_wkc(frame, datagram)
        if command in _LOGICAL:
            address = datagram.logical_address
            for slave in online:
                wkc += slave.logical(command, address, datagram.data)
            write_wkc(frame, datagram, wkc)
            return True
        adp = datagram.adp
        for slave in online:
            if command in _AUTO_INCREMENT:
                wkc += slave.physical(command, datagram.ado, datagram.data, adp == 0)
                adp = (adp + 1) & 0xFFFF
            elif command in _CONFIGURED:
                wkc += slave.physical(
                    command, datagram.ado, datagram.data, slave.station_address == adp
                )
            elif command in _BROADCAST:
                wkc += slave.physical(command, datagram.ado, datagram.data, True)
                adp = (adp + 1) & 0xFFFF
        if command in _AUTO_INCREMENT or command in _BROADCAST:
            write_adp(frame, datagram, adp)
        write_wkc(frame, datagram, wkc)
        return False

    def run_applications(self, now_s: float) -> None:
        """Let every powered slave's application run (drives move, watchdogs tick)."""
        for slave in self.slaves:
            slave.is_online(now_s)  # a slave whose off-time ended restarts here
            if slave.powered:
                slave.run_application(now_s)
