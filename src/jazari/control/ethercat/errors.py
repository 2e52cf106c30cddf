"""Errors of the EtherCAT drive bus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jazari.errors import ConfigError, JazariError

if TYPE_CHECKING:
    from jazari.control.ethercat.cycle import FaultReport


class EthercatError(JazariError):
    """Something went wrong on the EtherCAT bus; the message says what and where."""


class EthercatConfigError(ConfigError):
    """The EtherCAT configuration (config/ethercat_driver.yaml) has a bad value."""


class PdoError(EthercatError, ValueError):
    """A PDO layout or process-data value is malformed."""


class SlaveMismatchError(EthercatError):
    """The slaves found on the wire differ from the configured ones (count or identity)."""


class StateTransitionError(EthercatError):
    """A slave did not reach the requested EtherCAT state (INIT/PRE-OP/SAFE-OP/OP)."""


class BusTrippedError(EthercatError):
    """The bus stopped every axis after a fault; it needs an operator re-arm.

    Attributes:
        report: the :class:`~jazari.control.ethercat.cycle.FaultReport` (None while the
            bus is only starting or resetting).
    """

    def __init__(self, message: str, report: FaultReport | None = None) -> None:
        super().__init__(message)
        self.report = report
