"""Drive backends are picked from a registry by name."""

from __future__ import annotations

import pytest

from jazari.control.backends import DRIVE_BUSES, open_drive_bus
from jazari.errors import ConfigError
from jazari.ports import DriveBus


def test_serial_and_ethercat_backends_are_registered() -> None:
    assert set(DRIVE_BUSES) == {"serial", "ethercat"}


def test_unknown_backend_is_named_in_the_error() -> None:
    with pytest.raises(
        ConfigError, match="unknown drive backend 'canopen'; known: \\['ethercat', 'serial'\\]"
    ):
        open_drive_bus("canopen", {})


def test_serial_backend_opens_a_drive_bus_on_the_emulator() -> None:
    from jazari.config import load_params
    from jazari.sim.dynamixel_emulator import EmulatorConfig, EmulatorThread

    params = dict(load_params("serial_driver"))
    with EmulatorThread(EmulatorConfig.for_driver(params)) as emulator:
        params["port"] = emulator.port
        bus = open_drive_bus("serial", params)
        try:
            assert isinstance(bus, DriveBus)
            assert bus.read_state().position_rad.shape == (6,)
        finally:
            bus.close()
