"""The EtherCAT master over SOEM (``pysoem``): open the adapter, discover and check the
slaves, map the PDOs over CoE, walk the EtherCAT state machine, exchange process data,
diagnose slaves and bring back a slave that went away.

This class does what is asked and raises when it cannot; deciding *when* (the cycle, the
trip, the re-arm) is :mod:`jazari.control.ethercat.bus`'s job. Several pysoem calls block
while holding the GIL (``config_map``, ``read_state``, ``write_state``, ``reconfig``), so
they are only used during start-up, after a trip, or on an operator's re-arm.
"""

from __future__ import annotations

import logging
import struct
import time
from dataclasses import dataclass
from typing import Any

import pysoem

from jazari.control.cia402 import DEFAULT_MODE
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.errors import EthercatError, SlaveMismatchError, StateTransitionError
from jazari.control.ethercat.namespace import entered
from jazari.control.ethercat.pdo import CSP_RXPDO, CSP_TXPDO, PdoLayout

_log = logging.getLogger(__name__)

AL_NONE, AL_INIT, AL_PREOP, AL_SAFEOP, AL_OP = 0, 1, 2, 4, 8
AL_ACK = 0x10
_STATE_NAMES = {0: "NONE", 1: "INIT", 2: "PRE-OP", 3: "BOOT", 4: "SAFE-OP", 8: "OP"}
_REG_SM0 = 0x0800
_MAILBOX_SMS_BYTES = 16  # SM0 and SM1 registers
_RECOVER_TIMEOUT_US = 5000
_ASSIGN_OBJECTS = ((0x1C12, CSP_RXPDO), (0x1C13, CSP_TXPDO))


def state_name(al_state: int) -> str:
    """``OP``, ``SAFE-OP+ERROR`` ... for an AL status value."""
    name = _STATE_NAMES.get(al_state & 0x0F, f"0x{al_state & 0x0F:X}")
    return name + ("+ERROR" if al_state & AL_ACK else "")


@dataclass(frozen=True)
class SlaveStatus:
    """A slave's EtherCAT state as last read.

    Attributes:
        position: 1-based position.
        al_state: AL status (state in the low nibble, 0x10 error flag); 0 when the slave
            did not answer.
        al_status_code: AL status code (0x0000 when healthy).
        description: the code in words.
    """

    position: int
    al_state: int
    al_status_code: int
    description: str

    @property
    def present(self) -> bool:
        """False when the slave did not answer."""
        return self.al_state & 0x0F != AL_NONE

    def __str__(self) -> str:
        if not self.present:
            return f"slave {self.position}: not answering"
        code = (
            f", AL status 0x{self.al_status_code:04X} ({self.description})"
            if self.al_status_code
            else ""
        )
        return f"slave {self.position}: {state_name(self.al_state)}{code}"


class SoemMaster:
    """One EtherCAT segment driven through pysoem.

    Args:
        config: interface, namespace, expected slaves, timeouts.
    """

    def __init__(self, config: EthercatBusConfig) -> None:
        self._config = config
        self._master: Any = pysoem.Master()
        self._open = False
        self._mailbox_sms: dict[int, bytes] = {}
        self._receive_timeout_us = max(1, round(config.receive_timeout_s * 1e6))
        self.expected_wkc = 0

    @property
    def slaves(self) -> list[Any]:
        """pysoem's slave objects, in position order."""
        return list(self._master.slaves or [])

    # -- bring-up ------------------------------------------------------------------------

    def open(self) -> None:
        """Open the raw socket on the interface (inside the configured namespace).

        Raises:
            EthercatError: when the interface cannot be opened (name, permissions).
        """
        cfg = self._config
        where = f"{cfg.interface!r}" + (
            f" in namespace {cfg.network_namespace!r}" if cfg.network_namespace else ""
        )
        with entered(cfg.network_namespace):
            try:
                self._master.open(cfg.interface)
            except ConnectionError as exc:
                raise EthercatError(
                    f"cannot open EtherCAT interface {where}: {exc} (needs CAP_NET_RAW)"
                ) from None
        self._open = True

    def discover(self) -> None:
        """Find the slaves and check count, vendor ids and product codes against the
        configuration; leaves them in PRE-OP.

        Raises:
            SlaveMismatchError: naming what differs.
        """
        expected = self._config.slaves
        found = self._master.config_init()
        if found <= 0:
            raise SlaveMismatchError(
                f"no slave answered on {self._config.interface!r} (expected {len(expected)}; "
                f"config_init returned {found})"
            )
        slaves = self.slaves
        if len(slaves) != len(expected):
            names = ", ".join(f"{i}: {s.name}" for i, s in enumerate(slaves, start=1))
            raise SlaveMismatchError(
                f"found {len(slaves)} slaves, expected {len(expected)} ({names})"
            )
        for want, slave in zip(expected, slaves, strict=True):
            if (slave.man, slave.id) != (want.vendor_id, want.product_code):
                raise SlaveMismatchError(
                    f"slave {want.position} ({slave.name!r}) is vendor 0x{slave.man:08X} product "
                    f"0x{slave.id:08X}; {want.joint_name} expects vendor 0x{want.vendor_id:08X} "
                    f"product 0x{want.product_code:08X}"
                )
        for position, slave in enumerate(slaves, start=1):
            # Kept to put the mailbox back after the slave lost power (see recover()).
            self._mailbox_sms[position] = bytes(slave._fprd(_REG_SM0, _MAILBOX_SMS_BYTES))

    def configure(self) -> None:
        """Map the CSP PDOs over CoE in every slave's PRE-OP -> SAFE-OP hook, build the
        process image, and check every slave reached SAFE-OP.

        Raises:
            EthercatError: when an SDO is refused or a slave's process data has the wrong
                size; StateTransitionError when SAFE-OP is not reached.
        """
        for slave in self.slaves:
            slave.setup_func = self._map_pdos
        try:
            self._master.config_map()
        except pysoem.ConfigMapError as exc:
            problems = "; ".join(str(vars(e)) for e in exc.error_list)
            raise EthercatError(f"PDO mapping failed: {problems}") from None
        except (pysoem.SdoError, pysoem.WkcError, pysoem.MailboxError) as exc:
            raise EthercatError(f"PDO mapping failed: {type(exc).__name__} {vars(exc)}") from None
        for position, slave in enumerate(self.slaves, start=1):
            sizes = (len(slave.output), len(slave.input))
            if sizes != (CSP_RXPDO.size_bytes, CSP_TXPDO.size_bytes):
                raise EthercatError(
                    f"slave {position} maps {sizes[0]} output and {sizes[1]} input bytes, the CSP "
                    f"layout needs {CSP_RXPDO.size_bytes} and {CSP_TXPDO.size_bytes}"
                )
        self.expected_wkc = int(self._master.expected_wkc)
        self.wait_for_state(AL_SAFEOP)

    @staticmethod
    def _map_pdos(slave: Any) -> None:
        """PO2SO hook: write the CSP mapping and assignment, and the mode, over CoE."""
        for assign_index, layout in _ASSIGN_OBJECTS:
            _write_mapping(slave, assign_index, layout)
        slave.sdo_write(0x6060, 0, struct.pack("<b", int(DEFAULT_MODE)))

    def request_state(self, al_state: int, positions: list[int] | None = None) -> None:
        """Ask all slaves (or some) for an AL state, acknowledging any error."""
        if positions is None:
            self._master.state = al_state | AL_ACK
            self._master.write_state()
            return
        for position in positions:
            slave = self.slaves[position - 1]
            slave.state = al_state | AL_ACK
            slave.write_state()

    def wait_for_state(self, al_state: int, positions: list[int] | None = None) -> None:
        """Poll until the slaves report ``al_state`` without error.

        Raises:
            StateTransitionError: listing every slave that did not get there, and why.
        """
        wanted = positions or list(range(1, len(self.slaves) + 1))
        deadline = time.monotonic() + self._config.state_timeout_s
        while True:
            statuses = {s.position: s for s in self.read_states()}
            behind = [statuses[p] for p in wanted if statuses[p].al_state != al_state]
            if not behind:
                return
            if time.monotonic() > deadline:
                raise StateTransitionError(
                    f"not in {state_name(al_state)} after {self._config.state_timeout_s} s: "
                    + "; ".join(str(s) for s in behind)
                )
            time.sleep(0.002)

    # -- cycle -----------------------------------------------------------------------------

    def exchange(self, outputs: list[bytes]) -> tuple[int, list[bytes]]:
        """Send the outputs, wait for the frame to come back; returns the working counter
        (-1: no frame back) and every slave's inputs."""
        slaves = self._master.slaves
        for slave, data in zip(slaves, outputs, strict=True):
            slave.output = data
        self._master.send_processdata(release_gil=True)
        wkc = int(self._master.receive_processdata(self._receive_timeout_us, release_gil=True))
        return wkc, [slave.input for slave in slaves]

    # -- diagnosis and recovery ---------------------------------------------------------

    def read_states(self) -> list[SlaveStatus]:
        """Every slave's AL state and status code, read now."""
        self._master.read_state()
        return [
            SlaveStatus(
                position,
                int(slave.state),
                int(slave.al_status),
                pysoem.al_status_code_to_string(slave.al_status) if slave.al_status else "",
            )
            for position, slave in enumerate(self.slaves, start=1)
        ]

    def recover(self, position: int) -> bool:
        """If the slave at ``position`` answers again (with the same identity), give it
        back its station address and mailbox and hold it in PRE-OP. False if it is still
        away."""
        slave = self.slaves[position - 1]
        if slave.recover(_RECOVER_TIMEOUT_US) <= 0:
            return False
        status = self.read_states()[position - 1]
        if status.al_state & 0x0F == AL_INIT:
            # A slave that lost power forgot its mailbox: program SM0/SM1 as at start-up.
            slave._fpwr(_REG_SM0, self._mailbox_sms[position])
        self.request_state(AL_PREOP, [position])
        try:
            self.wait_for_state(AL_PREOP, [position])
        except StateTransitionError as exc:
            _log.warning("slave %d answers again but does not enter PRE-OP: %s", position, exc)
            return False
        return True

    def reconfigure(self, position: int) -> None:
        """Configure a slave again from PRE-OP (PDO mapping over CoE, sync managers,
        FMMUs) and bring it to SAFE-OP.

        Raises:
            StateTransitionError: when it does not reach SAFE-OP.
        """
        slave = self.slaves[position - 1]
        state = slave.reconfig(_RECOVER_TIMEOUT_US)
        if state != AL_SAFEOP:
            raise StateTransitionError(
                f"slave {position} is in {state_name(state)} after re-configuration, not SAFE-OP"
            )

    def close(self) -> None:
        """Put every slave back to INIT (best effort) and close the socket."""
        if not self._open:
            return
        if self.slaves:
            try:
                self.request_state(AL_INIT)
            except pysoem.WkcError:
                _log.debug("some slave did not take INIT while closing")
        self._master.close()
        self._open = False


def _write_mapping(slave: Any, assign_index: int, layout: PdoLayout) -> None:
    """Write one PDO's mapping object and assign it to its sync manager (CiA 301 order:
    clear the count, write the entries, set the count)."""
    slave.sdo_write(assign_index, 0, b"\x00")
    slave.sdo_write(layout.mapping_index, 0, b"\x00")
    for sub, entry in enumerate(layout.entries, start=1):
        slave.sdo_write(layout.mapping_index, sub, struct.pack("<I", entry.mapping_value))
    slave.sdo_write(layout.mapping_index, 0, bytes([len(layout.entries)]))
    slave.sdo_write(assign_index, 1, struct.pack("<H", layout.mapping_index))
    slave.sdo_write(assign_index, 0, b"\x01")
