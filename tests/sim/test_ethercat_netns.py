"""The private wire of the EtherCAT tests: a namespace with a veth pair, and the reason
given when it cannot be had."""

from __future__ import annotations

import os
import subprocess

import pytest

from jazari.sim.ethercat_slave import netns
from jazari.sim.ethercat_slave.netns import VethWire, unavailable_reason


def test_without_root_the_reason_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    reason = unavailable_reason()
    assert reason is not None
    assert "needs root" in reason


def test_without_iproute2_the_reason_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(netns.shutil, "which", lambda _name: None)
    assert unavailable_reason() == "needs the 'ip' command (Debian package iproute2)"


@pytest.mark.root
def test_the_veth_pair_lives_only_inside_its_namespace() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    wire = VethWire.create()
    try:
        inside = subprocess.run(
            ["ip", "-n", wire.namespace, "-o", "link"], capture_output=True, text=True, check=True
        ).stdout
        assert f"{wire.master_interface}@{wire.slave_interface}" in inside
        assert "state UP" in inside
        host = subprocess.run(
            ["ip", "-o", "link"], capture_output=True, text=True, check=True
        ).stdout
        assert f" {wire.slave_interface}@" not in host
        other = VethWire.create()
        assert other.namespace != wire.namespace
        other.destroy()
    finally:
        wire.destroy()
    assert not wire.exists()
