"""Drive-bus backends by name, chosen by configuration (``drives: serial|ethercat``).

Each backend is a factory taking its node's parameters (``config/<name>_driver.yaml``)
and the cell's clock; adding a backend is one entry here, not an ``if`` elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jazari.control.ethercat.bus import open_ethercat_bus
from jazari.control.serial_bus import open_serial_bus
from jazari.errors import ConfigError
from jazari.ports import Clock, DriveBus

BusFactory = Callable[..., DriveBus]

DRIVE_BUSES: dict[str, BusFactory] = {
    "serial": open_serial_bus,
    "ethercat": open_ethercat_bus,
}


def open_drive_bus(kind: str, params: Mapping[str, Any], *, clock: Clock | None = None) -> DriveBus:
    """Open the ``kind`` backend with ``params``.

    Raises:
        ConfigError: naming the unknown backend and the known ones.
    """
    try:
        factory = DRIVE_BUSES[kind]
    except KeyError:
        raise ConfigError(f"unknown drive backend {kind!r}; known: {sorted(DRIVE_BUSES)}") from None
    return factory(params, clock=clock)


def driver_params_name(kind: str) -> str:
    """The parameter file of a backend's driver node (``serial`` → ``serial_driver``)."""
    return f"{kind}_driver"
