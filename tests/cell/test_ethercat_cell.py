"""The cell in the twin over the EtherCAT stack: the SOEM master sends real frames over a
veth pair to emulated CiA 402 drives in another process, which turn the twin's joints.

Needs root (network namespaces, raw sockets) and runs in real time; those tests skip
with the reason otherwise. The error path for a machine that cannot run them is tested
everywhere.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jazari.cell.events import EventKind
from jazari.cell.runner import RunOptions, run_cell, sim_cell
from jazari.cell.sequence import Hooks, State
from jazari.cli import main as jazari_main
from jazari.config import load_params
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.safety import SupervisorState
from jazari.demo import BIN_OF
from jazari.errors import ConfigError
from jazari.ports import DriveState
from jazari.sim.ethercat_plant import (
    EmulatedDrivesUnavailableError,
    EthercatCellDrives,
    emulated_ethercat_drives,
    require_emulated_ethercat,
    unavailable_ethercat_reason,
)
from jazari.sim.twin import CellTwin

PAN, LIFT = 0, 1


@pytest.fixture
def wire_available() -> None:
    reason = unavailable_ethercat_reason()
    if reason is not None:
        pytest.skip(f"emulated EtherCAT drives: {reason}")


@pytest.fixture
def coupled(wire_available: None) -> Iterator[tuple[CellTwin, EthercatCellDrives]]:
    twin = CellTwin()
    with emulated_ethercat_drives(twin, load_params("ethercat_driver")) as drives:
        yield twin, drives


@pytest.mark.slow
@pytest.mark.root
def test_a_csp_target_from_the_master_moves_the_twin_and_the_master_reads_it_back(
    coupled: tuple[CellTwin, EthercatCellDrives],
) -> None:
    from jazari.control.ethercat.bus import EthercatDriveBus  # imports pysoem

    twin, drives = coupled
    config = EthercatBusConfig.from_params(drives.driver_params)
    with EthercatDriveBus.start(config) as bus:
        q_twin = twin.joint_state()[0]
        assert np.abs(bus.read_state().position_rad - q_twin).max() < 1e-5
        bus.enable()
        q_start = bus.read_state().position_rad.copy()
        goal = q_start.copy()
        for k in range(1, 251):  # 0.25 rad in 0.5 s, at the follower's 500 Hz
            goal[PAN] = q_start[PAN] + 0.25 * k / 250
            bus.write_setpoints(goal)
            time.sleep(0.002)
        time.sleep(0.5)
        state = bus.read_state()
        q_twin, _, effort_twin = twin.joint_state()
        assert [t.status for t in state.telemetry] == ["operation enabled"] * 6
    assert np.abs(q_twin - goal).max() < 5e-3  # the twin followed the master's targets
    assert np.abs(state.position_rad - q_twin).max() < 1e-4  # the master reads the twin
    rated = np.array([s.scaling.rated_torque_nm for s in config.slaves])
    assert np.all(np.abs(state.effort - effort_twin) <= 0.002 * rated + 0.5)


@pytest.mark.slow
@pytest.mark.root
def test_a_short_run_over_ethercat_sorts_both_parts_into_their_bins(
    wire_available: None,
) -> None:
    statuses: set[str] = set()

    def note(state: DriveState) -> None:
        statuses.update(t.status for t in state.telemetry)

    result = run_cell(
        RunOptions(parts=2, seed=1, drives="ethercat", depth_noise=False),
        Hooks(on_drive_state=note),
    )
    assert result.state is State.DONE
    assert len(result.sequence.picks) == 2
    assert result.sequence.failures == []
    assert [p.bin for p in result.truth.parts] == [
        BIN_OF[p.is_defective] for p in result.truth.parts
    ]
    assert statuses == {"operation enabled"}


@pytest.mark.slow
@pytest.mark.root
def test_a_drive_fault_over_ethercat_stops_the_cell_and_nothing_moves_afterwards(
    wire_available: None,
) -> None:
    with sim_cell(RunOptions(parts=2, seed=1, drives="ethercat", depth_noise=False)) as cell:
        cycles = [0]

        def inject(_state: DriveState) -> None:
            cycles[0] += 1
            if cycles[0] == 200:  # mid-way through the first approach
                cell.emulator.inject_fault("shoulder_lift_joint")

        cell.attach(Hooks(on_drive_state=inject))
        assert cell.sequence.run() is State.STOPPED
        failure = cell.sequence.failures[-1]
        assert failure.stage.startswith("execute:")
        assert "shoulder_lift_joint (code 0x2310" in failure.reason
        assert [e.kind for e in cell.sequence.events.events].count(EventKind.FAULT) == 1
        assert cell.supervisor.state is SupervisorState.STOPPED
        time.sleep(0.3)  # the other drives finish their quick-stop ramps
        q_stopped = cell.twin.joint_state()[0]
        time.sleep(1.0)
        assert np.max(np.abs(cell.twin.joint_state()[0] - q_stopped)) < 2e-3
        assert not cell.sequence.picks
        assert isinstance(cell.emulator, EthercatCellDrives)
        slaves = cell.emulator.emulator.status()["slaves"]
        assert (slaves[LIFT]["drive_state"], slaves[LIFT]["error_code"]) == ("fault", 0x2310)


def test_ethercat_drives_need_root_and_say_so() -> None:
    reason = unavailable_ethercat_reason(euid=1000)
    with pytest.raises(EmulatedDrivesUnavailableError, match="needs root") as caught:
        require_emulated_ethercat(reason)
    assert isinstance(caught.value, ConfigError)
    assert "private network namespace" in str(caught.value)


def test_ethercat_drives_need_the_ip_command_and_say_so() -> None:
    reason = unavailable_ethercat_reason(euid=0, which=lambda _name: None)
    with pytest.raises(EmulatedDrivesUnavailableError, match=r"'ip' command.*iproute2"):
        require_emulated_ethercat(reason)


def test_nothing_is_missing_when_the_machine_has_everything() -> None:
    require_emulated_ethercat(None)


def test_the_demo_over_ethercat_without_root_exits_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    argv = ["demo", "--drives", "ethercat", "--parts", "1", "--out", str(tmp_path)]
    assert jazari_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("jazari demo: drives 'ethercat' cannot run")
    assert "needs root" in err
    assert "Traceback" not in err
    assert not (tmp_path / "report.json").exists()
