"""The EtherCAT master on a real wire: pysoem (SOEM) against six emulated CiA 402 slaves
answering on the other end of a veth pair in a private network namespace.

Needs root (network namespaces, raw sockets); skipped with the reason otherwise. Every
test gets a fresh namespace and emulator and removes them, also on failure.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from jazari.clock import WallClock
from jazari.config import load_params
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.cycle import BusMode, FaultKind
from jazari.control.ethercat.errors import BusTrippedError, EthercatError, SlaveMismatchError
from jazari.control.follower import FollowerConfig, TrajectoryFollower
from jazari.control.safety import (
    FaultResetBus,
    JointLimits,
    QuickStopBus,
    SafetyConfig,
    SafetySupervisor,
)
from jazari.ports import DriveBus
from jazari.robot.trajectory import JointTrajectory
from jazari.sim.ethercat_slave.netns import VethWire, unavailable_reason
from jazari.sim.ethercat_slave.spec import SlaveSpec

pytestmark = pytest.mark.root

N = 6
AL_PREOP, AL_OP = 2, 8
SPECS = [SlaveSpec(position_counts=100_000 * (k - 2)) for k in range(N)]


def _skip_reason() -> str | None:
    reason = unavailable_reason()
    if reason is not None:
        return reason
    try:
        import pysoem  # noqa: F401
    except ImportError:
        return "pysoem is not installed"
    return None


@pytest.fixture
def wire() -> Iterator[VethWire]:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(f"EtherCAT wire tests: {reason}")
    wire = VethWire.create()
    try:
        yield wire
    finally:
        wire.destroy()
        assert not wire.exists()


@pytest.fixture
def emulator(wire: VethWire) -> Iterator[Any]:
    from jazari.sim.ethercat_slave.client import EmulatorProcess

    with EmulatorProcess(wire, SPECS, realtime_priority=20) as process:
        yield process


@pytest.fixture
def config(wire: VethWire) -> EthercatBusConfig:
    return dataclasses.replace(
        EthercatBusConfig.load(), interface=wire.master_interface, network_namespace=wire.namespace
    )


@pytest.fixture
def bus(emulator: Any, config: EthercatBusConfig) -> Iterator[Any]:
    from jazari.control.ethercat.bus import EthercatDriveBus

    with EthercatDriveBus.start(config) as started:
        yield started


def wait_for(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def limits(joint_names: tuple[str, ...]) -> JointLimits:
    n = len(joint_names)
    return JointLimits(joint_names, np.full(n, -6.28), np.full(n, 6.28), np.full(n, 3.14))


def counts_to_rad(config: EthercatBusConfig, status: dict[str, Any]) -> np.ndarray:
    return np.array(
        [
            s.scaling.to_rad(x["position_counts"])
            for s, x in zip(config.slaves, status["slaves"], strict=True)
        ]
    )


def test_pysoem_brings_six_emulated_slaves_to_op(
    bus: Any, emulator: Any, config: EthercatBusConfig
) -> None:
    assert isinstance(bus, DriveBus)
    assert isinstance(bus, QuickStopBus)
    assert isinstance(bus, FaultResetBus)
    assert bus.mode is BusMode.ARMED
    assert [s.al_state for s in bus.slave_states()] == [AL_OP] * N
    status = emulator.status()
    assert [s["station_address"] for s in status["slaves"]] == [0x1001 + k for k in range(N)]
    assert [s["mode_display"] for s in status["slaves"]] == [8] * N  # CSP, set over CoE
    state = bus.read_state()
    assert [t.status for t in state.telemetry] == ["switch on disabled"] * N
    np.testing.assert_allclose(state.position_rad, counts_to_rad(config, status), atol=1e-6)
    bus.enable()
    assert [t.status for t in bus.read_state().telemetry] == ["operation enabled"] * N
    assert [s["drive_state"] for s in emulator.status()["slaves"]] == ["operation enabled"] * N


def test_bring_up_refuses_a_slave_with_another_product_code(
    emulator: Any, config: EthercatBusConfig
) -> None:
    from jazari.control.ethercat.bus import EthercatDriveBus

    slaves = list(config.slaves)
    slaves[3] = dataclasses.replace(slaves[3], product_code=0x999)
    with pytest.raises(
        SlaveMismatchError, match=r"slave 4 .* expects vendor 0x00004A5A product 0x00000999"
    ):
        EthercatDriveBus.start(dataclasses.replace(config, slaves=tuple(slaves)))


def test_bring_up_refuses_a_wrong_slave_count(emulator: Any, config: EthercatBusConfig) -> None:
    from jazari.control.ethercat.bus import EthercatDriveBus

    with pytest.raises(SlaveMismatchError, match="found 6 slaves, expected 5"):
        EthercatDriveBus.start(dataclasses.replace(config, slaves=config.slaves[:5]))


def test_bring_up_reports_an_empty_segment(wire: VethWire, config: EthercatBusConfig) -> None:
    from jazari.control.ethercat.bus import EthercatDriveBus

    with pytest.raises(SlaveMismatchError, match="no slave answered"):
        EthercatDriveBus.start(config)
    with pytest.raises(EthercatError, match="cannot open EtherCAT interface 'nope0'"):
        EthercatDriveBus.start(dataclasses.replace(config, interface="nope0"))


def test_the_follower_moves_six_drives_along_a_trajectory(
    bus: Any, emulator: Any, config: EthercatBusConfig
) -> None:
    clock = WallClock()
    params = load_params("ethercat_driver")
    supervisor = SafetySupervisor(
        bus, limits(bus.joint_names), SafetyConfig.from_params(params), clock
    )
    supervisor.arm()
    q0 = bus.read_state().position_rad.copy()
    t = np.linspace(0.0, 1.5, 31)
    shape = 0.5 * (1 - np.cos(np.pi * t / 1.5))
    amplitude = np.array([0.10, -0.08, 0.06, -0.05, 0.04, 0.12])
    positions = q0 + shape[:, None] * amplitude
    velocities = np.gradient(positions, t, axis=0)
    velocities[[0, -1]] = 0.0
    trajectory = JointTrajectory(
        bus.joint_names, t, positions, velocities, np.zeros_like(positions)
    )
    result = TrajectoryFollower(supervisor, clock, FollowerConfig.from_params(params)).follow(
        trajectory
    )
    assert result.successful, result.error_string
    np.testing.assert_allclose(bus.read_state().position_rad, q0 + amplitude, atol=0.02)
    time.sleep(0.05)
    np.testing.assert_allclose(counts_to_rad(config, emulator.status()), q0 + amplitude, atol=0.002)
    assert bus.stats.summary()["wkc_errors"] <= 2  # a rare late frame is tolerated, not a trip
    assert bus.mode is BusMode.ARMED


class SineWriter:
    """Streams a slow sine to the bus from another thread, like a follower would."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self.q0 = bus.read_state().position_rad.copy()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            t = time.monotonic() - start
            self.bus.write_setpoints(self.q0 + 0.1 * np.sin(np.pi * t))
            time.sleep(0.004)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


FAULTS: dict[str, tuple[Callable[[Any], None], FaultKind, int | None, str]] = {
    "drive fault": (lambda e: e.drive_fault(3, 0x2310), FaultKind.DRIVE_FAULT, 3, "0x2310"),
    "slave stops answering": (lambda e: e.silence(5), FaultKind.SLAVE_LOST, 5, "does not answer"),
    "slave leaves OP": (lambda e: e.al_error(2, 0x001A), FaultKind.SLAVE_LEFT_OP, 2, "0x001A"),
    "wrong working counter": (
        lambda e: e.wrong_wkc(1, 100_000),
        FaultKind.WORKING_COUNTER,
        None,
        "19 instead of 18",
    ),
    "dropped frames": (
        lambda e: e.drop_frames(300),
        FaultKind.WORKING_COUNTER,
        None,
        "no frame came back",
    ),
    "power cycle": (lambda e: e.power_cycle(4, 1.0), FaultKind.SLAVE_LOST, 4, "does not answer"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_injected_fault_stops_the_cell_within_three_cycles(
    bus: Any, emulator: Any, fault: str
) -> None:
    inject, kind, position, text = FAULTS[fault]
    bus.enable()
    writer = SineWriter(bus)
    time.sleep(0.3)
    inject(emulator)
    try:
        wait_for(lambda: bus.fault_report is not None and bus.stop_sent_cycle is not None)
        wait_for(lambda: bus.fault_report.kind is kind, timeout_s=1.0)  # after the diagnosis
    finally:
        writer.stop()
    report = bus.fault_report
    assert bus.stop_sent_cycle - report.first_bad_cycle <= 3, report
    assert report.slave_position == position, report
    assert text in str(report)
    assert bus.mode is BusMode.TRIPPED
    # Every drive that still answers stops and stays stopped: nothing resumes by itself.
    time.sleep(0.3)
    before = emulator.status()["slaves"]
    bus.write_setpoints(writer.q0 + 0.05)  # ignored while tripped
    time.sleep(0.3)
    after = emulator.status()["slaves"]
    assert all(s["drive_state"] != "operation enabled" for s in after), after
    assert all(s["velocity_counts_s"] == 0 for s in after)
    assert [s["position_counts"] for s in after] == [s["position_counts"] for s in before]
    assert bus.mode is BusMode.TRIPPED
    assert all(t.status == "fault" for t in bus.read_state().telemetry)
    with pytest.raises(BusTrippedError, match="stopped at cycle"):
        bus.enable()


def test_bursts_shorter_than_the_threshold_do_not_stop_the_cell(bus: Any, emulator: Any) -> None:
    bus.enable()
    emulator.drop_frames(2)
    time.sleep(0.05)
    emulator.wrong_wkc(-3, 2)
    time.sleep(0.05)
    assert bus.mode is BusMode.ARMED
    assert bus.stats.wkc_errors >= 4
    assert [t.status for t in bus.read_state().telemetry] == ["operation enabled"] * N


def test_a_power_cycled_slave_is_held_in_preop_until_rearmed(
    bus: Any, emulator: Any, config: EthercatBusConfig
) -> None:
    bus.enable()
    emulator.power_cycle(4, 0.1)
    wait_for(lambda: bus.held_in_preop == {4})
    time.sleep(0.3)
    slaves = emulator.status()["slaves"]
    assert [s["al_state"] for s in slaves] == [AL_OP, AL_OP, AL_OP, AL_PREOP, AL_OP, AL_OP]
    assert slaves[3]["station_address"] == 0x1004
    assert slaves[3]["drive_state"] == "switch on disabled"
    assert bus.mode is BusMode.TRIPPED
    with pytest.raises(BusTrippedError):
        bus.enable()
    bus.rearm()
    assert bus.held_in_preop == frozenset()
    assert [s.al_state for s in bus.slave_states()] == [AL_OP] * N
    bus.enable()
    q0 = bus.read_state().position_rad.copy()
    for k in range(1, 101):
        bus.write_setpoints(q0 + np.array([0, 0, 0, 0.0005 * k, 0, 0]))
        time.sleep(0.002)
    wait_for(lambda: abs(counts_to_rad(config, emulator.status())[3] - (q0[3] + 0.05)) < 0.002)
    assert bus.mode is BusMode.ARMED


def test_rearm_is_refused_while_a_slave_is_still_away(bus: Any, emulator: Any) -> None:
    bus.enable()
    emulator.silence(6)
    wait_for(lambda: bus.lost_slaves == {6})
    with pytest.raises(EthercatError, match=r"slave 6 \(wrist_3_joint\) does not answer"):
        bus.rearm()
    assert bus.mode is BusMode.TRIPPED


def test_a_drive_fault_aborts_the_goal_in_progress(bus: Any, emulator: Any) -> None:
    clock = WallClock()
    params = load_params("ethercat_driver")
    supervisor = SafetySupervisor(
        bus, limits(bus.joint_names), SafetyConfig.from_params(params), clock
    )
    supervisor.arm()
    q0 = bus.read_state().position_rad.copy()
    t = np.linspace(0.0, 3.0, 31)
    positions = q0 + 0.1 * np.sin(np.pi * t / 3.0)[:, None] * np.ones(N)
    velocities = np.gradient(positions, t, axis=0)
    trajectory = JointTrajectory(
        bus.joint_names, t, positions, velocities, np.zeros_like(positions)
    )
    timer = threading.Timer(0.5, lambda: emulator.drive_fault(3, 0x2310))
    timer.start()
    try:
        result = TrajectoryFollower(supervisor, clock, FollowerConfig.from_params(params)).follow(
            trajectory
        )
    finally:
        timer.cancel()
    assert result.status == "aborted"
    assert "fault" in result.error_string
    assert result.cycles < 3.0 * 500 * 0.5
    report = bus.fault_report
    assert (report.kind, report.slave_position) == (FaultKind.DRIVE_FAULT, 3)
    assert "0x2310 (continuous over-current)" in str(report)


def test_the_emulator_refuses_bad_requests_with_the_reason(emulator: Any) -> None:
    from jazari.sim.ethercat_slave.errors import EmulatorError

    with pytest.raises(EmulatorError, match="unknown request"):
        emulator.request("explode")
    with pytest.raises(EmulatorError, match=r"slave position must be 1\.\.6, got 9"):
        emulator.drive_fault(9, 0x2310)
    with pytest.raises(EmulatorError, match="non-zero"):
        emulator.drive_fault(1, 0)
    assert emulator.status()["counters"]["malformed"] == 0
