"""EtherCAT bus: six emulated CiA 402 drives at 1 kHz over a veth pair, Jazari's cycle
thread against the plain pysoem loop of pysoem's examples.

The emulated slaves run in their own process inside a private network namespace (needs
root); the real SOEM master in pysoem configures them and exchanges process data with
them over the wire. Measured in one run against the same emulator:

- ``jazari``: :class:`~jazari.control.ethercat.bus.EthercatDriveBus` with its cycle thread,
  while the trajectory follower streams a sine sweep through the safety supervisor at
  500 Hz in the main thread. ``period_error_us`` is |start-to-start interval − 1 ms| of
  the process-data exchanges, ``cycle_cpu_us`` the cycle thread's CPU time per cycle
  (exchange, checks, PDO packing), ``wkc_errors`` the cycles with a wrong working counter.
- ``pysoem_loop``: the same exchange (``send_processdata``/``receive_processdata``) in a
  thread sleeping one period between cycles, as pysoem's examples do, for the same time
  and under the same load: the follower and supervisor streaming the same sweep in the
  main thread (to an in-memory bus, as the plain loop has no DriveBus).

Ratios are peer cost over Jazari cost (above 1: Jazari is steadier).
"""

from __future__ import annotations

import argparse
import dataclasses
import threading
import time
from typing import Any

import numpy as np

from jazari.bench.report import BenchResult, ratio
from jazari.clock import WallClock
from jazari.config import load_params
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.pdo import CspOutputs
from jazari.control.ethercat.timing import CycleStats
from jazari.control.follower import FollowerConfig, TrajectoryFollower
from jazari.control.safety import JointLimits, SafetyConfig, SafetySupervisor
from jazari.ports import DriveBus, DriveState, DriveTelemetry
from jazari.robot.chain import KinematicChain
from jazari.robot.model import load_cell_model
from jazari.robot.trajectory import JointTrajectory
from jazari.sim.ethercat_slave.client import EmulatorProcess
from jazari.sim.ethercat_slave.netns import VethWire, unavailable_reason
from jazari.sim.ethercat_slave.spec import SlaveSpec

DRIVES = 6
EMULATOR_PRIORITY = 30  # the emulated slaves stand for hardware that answers in µs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench ethercat``."""
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run [s]")
    parser.add_argument("--quick", action="store_true", help="1 s runs (for smoke tests)")
    parser.add_argument(
        "--rt-priority",
        type=int,
        default=0,
        help="SCHED_FIFO priority of the cycle thread (0: off)",
    )


def _sweep(joint_names: tuple[str, ...], q0: np.ndarray, seconds: float) -> JointTrajectory:
    t = np.linspace(0.0, seconds, max(3, int(seconds * 20) + 1))
    wave = 0.1 * np.sin(np.pi * t)[:, None] * np.ones(len(q0))  # 2 s period, <= 0.32 rad/s
    positions = q0 + wave
    velocities = np.gradient(positions, t, axis=0)
    velocities[[0, -1]] = 0.0
    return JointTrajectory(joint_names, t, positions, velocities, np.zeros_like(positions))


class _MemoryBus:
    """A DriveBus whose axes are exactly where they were told to be: the load of the
    follower and supervisor for the peer's run, which has no DriveBus of its own."""

    def __init__(self, joint_names: tuple[str, ...]) -> None:
        self.joint_names = joint_names
        self._q = np.zeros(len(joint_names))
        self._clock = WallClock()

    def enable(self) -> None:
        """Nothing to power."""

    def disable(self) -> None:
        """Nothing to power."""

    def write_setpoints(self, q_rad: np.ndarray) -> None:
        self._q = np.array(q_rad, dtype=float)

    def read_state(self) -> DriveState:
        zero = np.zeros(len(self._q))
        telemetry = tuple(DriveTelemetry(float(q), 0.0, 0.0, 25.0, "enabled") for q in self._q)
        return DriveState(
            self._clock.now(), self.joint_names, self._q.copy(), zero, zero, telemetry
        )

    def close(self) -> None:
        """Nothing to release."""


def _follow(bus: DriveBus, chain: KinematicChain, params: dict[str, Any], seconds: float) -> str:
    """Stream a sine sweep through the supervisor at the follower's rate; the result code."""
    clock = WallClock()
    limits = JointLimits.from_chain(chain, bus.joint_names)
    supervisor = SafetySupervisor(bus, limits, SafetyConfig.from_params(params), clock)
    supervisor.arm()
    q0 = bus.read_state().position_rad.copy()
    follower = TrajectoryFollower(supervisor, clock, FollowerConfig.from_params(params))
    result = follower.follow(_sweep(bus.joint_names, q0, seconds))
    supervisor.disarm()
    return result.code.name


def _jazari(
    config: EthercatBusConfig, chain: KinematicChain, params: dict[str, Any], seconds: float
) -> dict[str, Any]:
    from jazari.control.ethercat.bus import EthercatDriveBus  # imports pysoem

    with EthercatDriveBus.start(config) as bus:
        bus.stats.reset()
        result = _follow(bus, chain, params, seconds)
        summary = bus.stats.summary()
    return {
        "period_error_us": summary["period_error_us"],
        "cycle_cpu_us": summary["cycle_cpu_us"],
        "cycle_busy_us": summary["cycle_busy_us"],
        "wkc_errors": summary["wkc_errors"],
        "cycles": summary["cycles"],
        "follow_result": result,
    }


def _pysoem_loop(
    config: EthercatBusConfig, chain: KinematicChain, params: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """The loop of pysoem's examples (exchange, then sleep one period) in a thread, while
    the same follower load runs in the main thread."""
    from jazari.control.ethercat.master import AL_OP, SoemMaster  # imports pysoem

    master = SoemMaster(config)
    master.open()
    try:
        master.discover()
        master.configure()
        outputs = [CspOutputs(0, 0, 8).pack()] * len(config.slaves)
        stats = CycleStats(config.cycle_time_s)
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                start, cpu = time.perf_counter(), time.thread_time()
                wkc, _ = master.exchange(outputs)
                stats.record(
                    start, time.perf_counter(), time.thread_time() - cpu, wkc == master.expected_wkc
                )
                time.sleep(config.cycle_time_s)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        master.request_state(AL_OP)
        time.sleep(0.2)
        stats.reset()
        _follow(_MemoryBus(config.joint_names), chain, params, seconds)
        stop.set()
        thread.join()
        return stats.summary()
    finally:
        master.close()


def run(args: argparse.Namespace) -> BenchResult:
    """Run the benchmark; the result in the shape of ARCHITECTURE.md."""
    seconds = 1.0 if args.quick else args.seconds
    params_out = {
        "drives": DRIVES,
        "cycle_time_s": 0.001,
        "seconds": seconds,
        "rt_priority": args.rt_priority,
    }
    reason = unavailable_reason()
    if reason is not None:
        return {
            "bench": "ethercat",
            "params": params_out,
            "results": {},
            "ratios": {},
            "unavailable": reason,
        }
    params = dict(load_params("ethercat_driver"))
    wire = VethWire.create()
    try:
        specs = [SlaveSpec(position_counts=0) for _ in range(DRIVES)]
        with EmulatorProcess(wire, specs, realtime_priority=EMULATOR_PRIORITY):
            config = dataclasses.replace(
                EthercatBusConfig.from_params(params),
                interface=wire.master_interface,
                network_namespace=wire.namespace,
                realtime_priority=args.rt_priority,
            )
            # The URDF is parsed before any cycle runs: parsing holds the interpreter in long
            # stretches that would starve a cycle thread (see the docstring of bus.py).
            chain = load_cell_model().chain
            jazari = _jazari(config, chain, params, seconds)
            peer = _pysoem_loop(config, chain, params, seconds)
    finally:
        wire.destroy()
    peer_result = {
        "period_error_us": peer["period_error_us"],
        "cycle_cpu_us": peer["cycle_cpu_us"],
        "wkc_errors": peer["wkc_errors"],
        "cycles": peer["cycles"],
    }
    return {
        "bench": "ethercat",
        "params": {**params_out, "emulator": "process, veth in a network namespace"},
        "results": {"jazari": jazari, "pysoem_loop": peer_result},
        "ratios": {
            "pysoem_loop_vs_jazari_period_error_p99": ratio(
                peer["period_error_us"]["p99"], jazari["period_error_us"]["p99"]
            ),
            "pysoem_loop_vs_jazari_mean_period": ratio(jazari["cycles"], peer["cycles"]),
        },
    }
