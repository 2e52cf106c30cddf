"""An emulated EtherCAT slave controller (ESC): register space, AL state machine, SII
EEPROM interface, sync managers (mailbox and buffered), FMMUs and the process-data
watchdog, in front of a :class:`DriveApplication`.

Only what a master such as SOEM uses is modelled; register behaviour follows the ESC
datasheets' conventions. Simplifications: FMMUs map whole bytes (start/stop bits are
ignored); buffered sync managers are single-buffered (the slave updates its inputs between
frames, never during one); no distributed clocks (feature register 0x0008 says so).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from jazari.sim.ethercat_slave.application import (
    AL_BOOT,
    AL_CODE_INVALID_INPUT_CONFIG,
    AL_CODE_INVALID_OUTPUT_CONFIG,
    AL_INIT,
    AL_OP,
    AL_PREOP,
    AL_SAFEOP,
    DriveApplication,
)
from jazari.sim.ethercat_slave.frame import Command
from jazari.sim.ethercat_slave.sii import SM_TYPE_INPUTS, SM_TYPE_OUTPUTS, read_words

MEMORY_SIZE = 0x2000
N_SYNC_MANAGERS = 4
N_FMMUS = 3
REG_TYPE = 0x0000
REG_STATION_ADDRESS = 0x0010
REG_DL_STATUS = 0x0110
REG_AL_CONTROL = 0x0120
REG_AL_STATUS = 0x0130
REG_AL_STATUS_CODE = 0x0134
REG_PDI_CONTROL = 0x0140
REG_WATCHDOG_DIVIDER = 0x0400
REG_WATCHDOG_PDI = 0x0410
REG_WATCHDOG_PROCESS_DATA = 0x0420
REG_EEPROM_CONTROL = 0x0502
REG_EEPROM_ADDRESS = 0x0504
REG_EEPROM_DATA = 0x0508
REG_FMMU0 = 0x0600
REG_SM0 = 0x0800
AL_ERROR_FLAG = 0x10
AL_CODE_INVALID_STATE_CHANGE = 0x0011
AL_CODE_UNKNOWN_STATE = 0x0012
AL_CODE_BOOTSTRAP_UNSUPPORTED = 0x0013
AL_CODE_INVALID_MAILBOX_CONFIG = 0x0016
AL_CODE_SM_WATCHDOG = 0x001B
EEPROM_STATUS_READ64 = 0x0040
_SM_MAILBOX_FULL = 0x08
_VALID_STATES = (AL_INIT, AL_PREOP, AL_BOOT, AL_SAFEOP, AL_OP)
# Registers the master cannot write: device info, DL status, AL status and code.
_READ_ONLY = (
    (0x0000, 0x0010),
    (REG_DL_STATUS, REG_DL_STATUS + 2),
    (REG_AL_STATUS, REG_AL_STATUS + 6),
)


@dataclass(frozen=True)
class SyncManager:
    """One sync manager's configuration as the master wrote it (derived flags are
    computed once, as they are consulted on every datagram)."""

    start: int
    length: int
    control: int
    activate: int
    enabled: bool
    is_mailbox: bool
    master_writes: bool  # direction: the master writes (outputs, write mailbox)
    end: int

    @classmethod
    def from_registers(cls, start: int, length: int, control: int, activate: int) -> SyncManager:
        """From the register values (start, length, control byte, activate byte)."""
        return cls(
            start,
            length,
            control,
            activate,
            enabled=bool(activate & 0x01) and length > 0,
            is_mailbox=control & 0x03 == 0x02,
            master_writes=(control >> 2) & 0x03 == 0x01,
            end=start + length,
        )


@dataclass(frozen=True)
class Fmmu:
    """One active FMMU: a window of the logical address space onto physical memory.

    Attributes:
        buffer_sm: the process-data sync manager whose buffer holds the whole physical
            window, if any (the fast path of logical datagrams).
    """

    logical_start: int
    logical_end: int
    physical_start: int
    fmmu_type: int  # 1 read (inputs), 2 write (outputs)
    buffer_sm: int | None


def _overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


class EscSlave:
    """One slave: ESC registers plus application.

    Args:
        application: the drive behind the ESC.
        eeprom: the SII image.
        last_on_segment: True for the last slave (its port 1 is closed, see DL status).
        now_s: clock at power-on [s].
    """

    def __init__(
        self, application: DriveApplication, eeprom: bytes, last_on_segment: bool, now_s: float
    ) -> None:
        self.app = application
        self._eeprom = bytearray(eeprom)
        self._last = last_on_segment
        self._link_down_until_s: float | None = None
        self._power_off_until_s: float | None = None
        self.power_on(now_s)

    # -- power -----------------------------------------------------------------------

    def power_on(self, now_s: float) -> None:
        """Registers, mailbox and application as after switching the slave on."""
        self.mem = bytearray(MEMORY_SIZE)
        mem = self.mem
        mem[REG_TYPE] = 0x4A  # arbitrary ESC type of the emulator
        # revision, build, FMMUs, sync managers, RAM [KiB], port descriptor (ports 0-1 MII)
        struct.pack_into(
            "<BHBBBB", mem, 0x0001, 1, 1, N_FMMUS, N_SYNC_MANAGERS, MEMORY_SIZE // 1024, 0x0F
        )
        struct.pack_into("<H", mem, 0x0008, 0x0000)  # features: no distributed clocks
        dl_status = 0x0001 | 0x0010 | 0x0200 | (0x0400 if self._last else 0x0020 | 0x0800)
        struct.pack_into("<H", mem, REG_DL_STATUS, dl_status)
        struct.pack_into("<H", mem, REG_AL_CONTROL, AL_INIT)
        struct.pack_into("<HxxH", mem, REG_AL_STATUS, AL_INIT, 0)
        mem[REG_PDI_CONTROL] = 0x05
        struct.pack_into("<H", mem, REG_WATCHDOG_DIVIDER, 2498)  # 100 µs per watchdog tick
        struct.pack_into("<H", mem, REG_WATCHDOG_PDI, 1000)
        struct.pack_into("<H", mem, REG_WATCHDOG_PROCESS_DATA, 1000)  # 100 ms
        struct.pack_into("<H", mem, REG_EEPROM_CONTROL, EEPROM_STATUS_READ64)
        self.station_address = 0
        self.al_state = AL_INIT
        self._sm_cache: list[SyncManager] | None = None
        self._fmmu_cache: list[Fmmu] | None = None
        self._sm_full = [False] * N_SYNC_MANAGERS
        self._last_reply: bytes | None = None
        self._pending_reply: bytes | None = None
        self._outputs_complete = False
        self._last_outputs_s = now_s
        self.now_s = now_s
        self.app.power_on(now_s)
        self._refresh_sm_status()

    def power_cycle(self, now_s: float, off_s: float) -> None:
        """Switch the slave off for ``off_s`` seconds; it comes back as from power-on."""
        self._power_off_until_s = now_s + off_s
        self.app.drive.power_off(now_s)

    def silence(self, now_s: float, duration_s: float | None) -> None:
        """Stop answering (link lost) for ``duration_s`` seconds, or for good with None.
        The slave stays powered: its application and watchdog keep running."""
        self._link_down_until_s = float("inf") if duration_s is None else now_s + duration_s

    @property
    def powered(self) -> bool:
        """False while switched off."""
        return self._power_off_until_s is None

    def is_online(self, now_s: float) -> bool:
        """Whether the slave takes part in frames now (a slave switched back on restarts)."""
        if self._power_off_until_s is not None:
            if now_s < self._power_off_until_s:
                return False
            self._power_off_until_s = None
            self.power_on(now_s)
        if self._link_down_until_s is not None:
            if now_s < self._link_down_until_s:
                return False
            self._link_down_until_s = None
        return True

    # -- state ------------------------------------------------------------------------

    @property
    def al_status_code(self) -> int:
        return int(struct.unpack_from("<H", self.mem, REG_AL_STATUS_CODE)[0])

    @property
    def al_error(self) -> bool:
        return bool(self.mem[REG_AL_STATUS] & AL_ERROR_FLAG)

    def _set_al(self, state: int, error_code: int | None = None) -> None:
        if state != self.al_state:
            self.al_state = state
            self.app.enter_state(state)
            if state == AL_OP:
                self._last_outputs_s = self.now_s
            if state == AL_INIT:
                self._sm_full = [False] * N_SYNC_MANAGERS
                self._pending_reply = None
                self.app.mailbox.reset()
        error = error_code is not None or self.al_error
        self.mem[REG_AL_STATUS] = state | (AL_ERROR_FLAG if error else 0)
        if error_code is not None:
            struct.pack_into("<H", self.mem, REG_AL_STATUS_CODE, error_code)
        self._refresh_sm_status()

    def fail(self, al_status_code: int) -> None:
        """The application signals an error: OP drops to SAFE-OP, the error flag is set."""
        self._set_al(min(self.al_state, AL_SAFEOP), al_status_code)

    def _al_control(self, value: int) -> None:
        requested, acknowledge = value & 0x0F, bool(value & AL_ERROR_FLAG)
        if self.al_error and not acknowledge and requested > self.al_state:
            return  # an indicated error must be acknowledged before going up again
        if acknowledge:
            self.mem[REG_AL_STATUS] = self.al_state
            struct.pack_into("<H", self.mem, REG_AL_STATUS_CODE, 0)
        code = self._transition_error(requested)
        if code:
            self._set_al(self.al_state, code)
        else:
            self._set_al(requested)

    def _transition_error(self, requested: int) -> int:
        """0 if the AL state change is allowed now, else the AL status code."""
        current = self.al_state
        if requested not in _VALID_STATES:
            return AL_CODE_UNKNOWN_STATE
        if requested == AL_BOOT:
            return AL_CODE_BOOTSTRAP_UNSUPPORTED
        if requested <= current:
            return 0  # staying, or going down, is always allowed
        checks: dict[tuple[int, int], Callable[[], int]] = {
            (AL_INIT, AL_PREOP): self._mailbox_error,
            (AL_PREOP, AL_SAFEOP): self._process_data_error,
            (AL_SAFEOP, AL_OP): lambda: 0,
        }
        check = checks.get((current, requested))
        return AL_CODE_INVALID_STATE_CHANGE if check is None else check()

    def _mailbox_error(self) -> int:
        sms = self.sync_managers()
        ident = self.app.spec.identity
        for sm, spec, writes in (
            (sms[0], ident.write_mailbox, True),
            (sms[1], ident.read_mailbox, False),
        ):
            layout_ok = (sm.start, sm.length) == (spec.start, spec.length)
            if not (sm.enabled and sm.is_mailbox and layout_ok and sm.master_writes == writes):
                return AL_CODE_INVALID_MAILBOX_CONFIG
        return 0

    def _process_data_error(self) -> int:
        ident = self.app.spec.identity
        for spec, size, code in (
            (SM_TYPE_OUTPUTS, self.app.output_size, AL_CODE_INVALID_OUTPUT_CONFIG),
            (SM_TYPE_INPUTS, self.app.input_size, AL_CODE_INVALID_INPUT_CONFIG),
        ):
            n = next(i for i, s in enumerate(ident.sync_managers) if s.sm_type == spec)
            sm = self.sync_managers()[n]
            wanted_dir = spec == SM_TYPE_OUTPUTS
            if size and not (
                sm.enabled
                and not sm.is_mailbox
                and sm.master_writes == wanted_dir
                and sm.start == ident.sync_managers[n].start
                and sm.length == size
            ):
                return code
        return 0

    # -- configuration caches ---------------------------------------------------------

    def sync_managers(self) -> list[SyncManager]:
        """The sync managers as configured now."""
        if self._sm_cache is None:
            self._sm_cache = [
                SyncManager.from_registers(*struct.unpack_from("<HHBxB", self.mem, REG_SM0 + 8 * n))
                for n in range(N_SYNC_MANAGERS)
            ]
        return self._sm_cache

    def fmmus(self) -> list[Fmmu]:
        """The active FMMUs as configured now."""
        if self._fmmu_cache is None:
            out = []
            for n in range(N_FMMUS):
                log, length, _b0, _b1, phys, _pb, ftype, act = struct.unpack_from(
                    "<IHBBHBBB", self.mem, REG_FMMU0 + 16 * n
                )
                if act & 1 and length > 0:
                    buffer_sm = next(
                        (
                            i
                            for i, sm in enumerate(self.sync_managers())
                            if sm.enabled
                            and not sm.is_mailbox
                            and sm.start <= phys
                            and phys + length <= sm.end
                        ),
                        None,
                    )
                    out.append(Fmmu(log, log + length, phys, ftype, buffer_sm))
            self._fmmu_cache = out
        return self._fmmu_cache

    def _sm_active(self, n: int) -> bool:
        sm = self.sync_managers()[n]
        if not sm.enabled:
            return False
        if sm.is_mailbox:
            return True
        # The application deactivates the process-data buffers (PDI control bit 0): the
        # outputs outside OP, the inputs below SAFE-OP.
        return self.al_state == AL_OP or (self.al_state == AL_SAFEOP and not sm.master_writes)

    def _refresh_sm_status(self) -> None:
        for n in range(N_SYNC_MANAGERS):
            base = REG_SM0 + 8 * n
            self.mem[base + 5] = _SM_MAILBOX_FULL if self._sm_full[n] else 0
            repeat_ack = self.mem[base + 7] & 0x02
            self.mem[base + 7] = repeat_ack | (0 if self._sm_active(n) else 0x01)

    # -- register access --------------------------------------------------------------

    def read(self, address: int, length: int) -> bytes | None:
        """A physical read; None when the ESC refuses it (no working-counter increment)."""
        end = address + length
        if end > MEMORY_SIZE:
            return None
        touched = self._touched_sms(address, end)
        for n in touched:
            sm = self.sync_managers()[n]
            if not self._sm_active(n) or (
                sm.is_mailbox and (sm.master_writes or not self._sm_full[n])
            ):
                return None
        data = bytes(self.mem[address:end])
        for n in touched:
            sm = self.sync_managers()[n]
            if sm.is_mailbox and address < sm.end <= end:
                self._mailbox_read_done(n)
        return data

    def write(self, address: int, data: bytes) -> bool:
        """A physical write; False when the ESC refuses it."""
        end = address + len(data)
        if end > MEMORY_SIZE:
            return False
        touched = self._touched_sms(address, end)
        for n in touched:
            sm = self.sync_managers()[n]
            if (
                not self._sm_active(n)
                or not sm.master_writes
                or (sm.is_mailbox and self._sm_full[n])
            ):
                return False
        saved = [
            (lo, bytes(self.mem[lo:hi])) for lo, hi in _READ_ONLY if _overlap(address, end, lo, hi)
        ]
        old_sm_area = bytes(self.mem[REG_SM0 : REG_SM0 + 8 * N_SYNC_MANAGERS])
        self.mem[address:end] = data
        for lo, value in saved:
            self.mem[lo : lo + len(value)] = value
        self._after_write(address, end, old_sm_area, touched)
        return True

    def _touched_sms(self, address: int, end: int) -> list[int]:
        return [
            n
            for n, sm in enumerate(self.sync_managers())
            if sm.enabled and _overlap(address, end, sm.start, sm.end)
        ]

    def _after_write(self, address: int, end: int, old_sm_area: bytes, touched: list[int]) -> None:
        if _overlap(address, end, REG_STATION_ADDRESS, REG_STATION_ADDRESS + 2):
            self.station_address = int(struct.unpack_from("<H", self.mem, REG_STATION_ADDRESS)[0])
        if _overlap(address, end, REG_FMMU0, REG_FMMU0 + 16 * N_FMMUS):
            self._fmmu_cache = None
        if _overlap(address, end, REG_SM0, REG_SM0 + 8 * N_SYNC_MANAGERS):
            self._sync_managers_written(old_sm_area)
        if _overlap(address, end, REG_EEPROM_CONTROL, REG_EEPROM_CONTROL + 2):
            self._eeprom_command()
        if _overlap(address, end, REG_AL_CONTROL, REG_AL_CONTROL + 2):
            self._al_control(int(struct.unpack_from("<H", self.mem, REG_AL_CONTROL)[0]))
        for n in touched:
            sm = self.sync_managers()[n]
            if address < sm.end <= end:
                self._buffer_written(n)

    def _sync_managers_written(self, old: bytes) -> None:
        self._sm_cache = None
        self._fmmu_cache = None
        for n in range(N_SYNC_MANAGERS):
            base = REG_SM0 + 8 * n
            # Status and PDI control belong to the ESC: restore them.
            self.mem[base + 5] = old[8 * n + 5]
            self.mem[base + 7] = old[8 * n + 7]
            if not self.sync_managers()[n].enabled:
                self._sm_full[n] = False
            repeat_requested = self.mem[base + 6] & 0x02
            if repeat_requested != old[8 * n + 6] & 0x02 and n == 1:
                # The master lost a mailbox reply: put it back and acknowledge.
                if self._last_reply is not None:
                    self._post_reply(self._last_reply)
                self.mem[base + 7] = (self.mem[base + 7] & ~0x02 & 0xFF) | repeat_requested
        self._refresh_sm_status()

    def _buffer_written(self, n: int) -> None:
        sm = self.sync_managers()[n]
        if not sm.is_mailbox:
            self._outputs_written()
            return
        request = bytes(self.mem[sm.start : sm.end])
        reply = self.app.mailbox.handle(request)
        if reply is not None:
            self._last_reply = reply
            self._post_reply(reply)

    def _post_reply(self, reply: bytes) -> None:
        sm = self.sync_managers()[1]
        if self._sm_full[1]:
            self._pending_reply = reply
            return
        self.mem[sm.start : sm.end] = reply[: sm.length].ljust(sm.length, b"\x00")
        self._sm_full[1] = True
        self._refresh_sm_status()

    def _mailbox_read_done(self, n: int) -> None:
        self._sm_full[n] = False
        self._refresh_sm_status()
        if self._pending_reply is not None:
            reply, self._pending_reply = self._pending_reply, None
            self._post_reply(reply)

    def _eeprom_command(self) -> None:
        control, word_address = struct.unpack_from("<HI", self.mem, REG_EEPROM_CONTROL)
        command = control & 0x0700
        if command == 0x0100:
            self.mem[REG_EEPROM_DATA : REG_EEPROM_DATA + 8] = read_words(
                self._eeprom, word_address, 4
            )
        elif command == 0x0200 and control & 0x0001:
            at = 2 * word_address
            if at + 2 <= len(self._eeprom):
                self._eeprom[at : at + 2] = self.mem[REG_EEPROM_DATA : REG_EEPROM_DATA + 2]
        struct.pack_into("<H", self.mem, REG_EEPROM_CONTROL, EEPROM_STATUS_READ64)

    # -- datagram execution -----------------------------------------------------------

    def physical(self, command: int, address: int, data: memoryview, addressed: bool) -> int:
        """Execute a physical-address datagram on this slave; returns the WKC increment.

        ``addressed`` says whether this slave is the one the datagram names (always True
        for broadcasts); ARMW/FRMW make the addressed slave read and the others write.
        """
        if command in (Command.ARMW, Command.FRMW):
            return (
                self._read_into(address, data, combine=False)
                if addressed
                else self._write_from(address, data)
            )
        if not addressed:
            return 0
        if command in (Command.APRD, Command.FPRD, Command.BRD):
            return self._read_into(address, data, combine=command == Command.BRD)
        if command in (Command.APWR, Command.FPWR, Command.BWR):
            return self._write_from(address, data)
        if command in (Command.APRW, Command.FPRW, Command.BRW):
            old = self.read(address, len(data))
            wrote = self.write(address, bytes(data))
            if old is not None:
                self._merge(data, old, combine=command == Command.BRW)
            return (1 if old is not None else 0) + (2 if wrote else 0)
        return 0

    def _write_from(self, address: int, data: memoryview) -> int:
        return 1 if self.write(address, bytes(data)) else 0

    def _read_into(self, address: int, data: memoryview, combine: bool) -> int:
        value = self.read(address, len(data))
        if value is None:
            return 0
        self._merge(data, value, combine)
        return 1

    @staticmethod
    def _merge(data: memoryview, value: bytes, combine: bool) -> None:
        if combine:
            data[:] = bytes(a | b for a, b in zip(data, value, strict=True))
        else:
            data[:] = value

    def logical(self, command: int, address: int, data: memoryview) -> int:
        """Execute LRD/LWR/LRW through the FMMUs; returns the WKC increment."""
        end = address + len(data)
        read = wrote = False
        writes = command != Command.LRD
        reads = command != Command.LWR
        for fmmu in self.fmmus():
            if not (address < fmmu.logical_end and fmmu.logical_start < end):
                continue
            lo = max(address, fmmu.logical_start)
            hi = min(end, fmmu.logical_end)
            phys = fmmu.physical_start + lo - fmmu.logical_start
            window = slice(lo - address, hi - address)
            if fmmu.fmmu_type == 2 and writes:
                wrote |= self._logical_write(fmmu, phys, data[window])
            elif fmmu.fmmu_type == 1 and reads:
                value = self._logical_read(fmmu, phys, hi - lo)
                if value is not None:
                    data[window] = value
                    read = True
        if command == Command.LRW:
            return (1 if read else 0) + (2 if wrote else 0)
        return 1 if read or wrote else 0

    def _logical_write(self, fmmu: Fmmu, phys: int, data: memoryview) -> bool:
        n = fmmu.buffer_sm
        if n is None:
            return self.write(phys, bytes(data))
        sm = self.sync_managers()[n]
        if not (sm.master_writes and self._sm_active(n)):
            return False
        self.mem[phys : phys + len(data)] = data
        if phys + len(data) >= sm.end:
            self._outputs_written()
        return True

    def _outputs_written(self) -> None:
        """The outputs buffer is complete: the application takes it after the frame, and
        the process-data watchdog restarts."""
        self._outputs_complete = True
        self._last_outputs_s = self.now_s

    def _logical_read(self, fmmu: Fmmu, phys: int, length: int) -> bytes | None:
        n = fmmu.buffer_sm
        if n is None:
            return self.read(phys, length)
        if self.sync_managers()[n].master_writes or not self._sm_active(n):
            return None
        return bytes(self.mem[phys : phys + length])

    # -- application cycle ------------------------------------------------------------

    def run_application(self, now_s: float) -> None:
        """Between frames: hand new outputs to the drive, move it, publish its inputs,
        and check the process-data watchdog."""
        self.now_s = now_s
        if self._outputs_complete:
            self._outputs_complete = False
            sm = self._outputs_sm()
            if sm is not None:
                self.app.receive_outputs(bytes(self.mem[sm.start : sm.end]), now_s)
        self.app.drive.advance(now_s)
        inputs = self._inputs_sm()
        if inputs is not None and self.al_state in (AL_SAFEOP, AL_OP):
            data = self.app.inputs()
            self.mem[inputs.start : inputs.start + len(data)] = data
        self._check_watchdog(now_s)

    def _outputs_sm(self) -> SyncManager | None:
        return next(
            (s for s in self.sync_managers() if s.enabled and not s.is_mailbox and s.master_writes),
            None,
        )

    def _inputs_sm(self) -> SyncManager | None:
        return next(
            (
                s
                for s in self.sync_managers()
                if s.enabled and not s.is_mailbox and not s.master_writes
            ),
            None,
        )

    def _check_watchdog(self, now_s: float) -> None:
        sm = self._outputs_sm()
        if self.al_state != AL_OP or sm is None or not sm.control & 0x40:
            return
        (divider,) = struct.unpack_from("<H", self.mem, REG_WATCHDOG_DIVIDER)
        (ticks,) = struct.unpack_from("<H", self.mem, REG_WATCHDOG_PROCESS_DATA)
        timeout_s = ticks * (divider + 2) * 40e-9
        if ticks and now_s - self._last_outputs_s > timeout_s:
            self.fail(AL_CODE_SM_WATCHDOG)
