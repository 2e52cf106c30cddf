"""Serial servo bus: Jazari's Dynamixel bus vs dynamixel_sdk on the same emulated servos.

Six emulated XM540-W270 servos answer over a pseudo-terminal from a child process, with
the wire time of a 4 Mbaud bus simulated (a pty itself ignores baud). Measured in one
run against the same emulator:

- ``cycle_cpu_us``: CPU time of the calling thread for one sync read of every servo's
  state (current, velocity, position, temperature: 11 bytes through indirect addresses)
  plus one sync write of every goal position, cycles back to back. Jazari is measured
  through its ``DriveBus`` (so unit conversion into a ``DriveState`` is included); the
  SDK through ``GroupSyncRead`` / ``GroupSyncWrite`` and ``getData`` of the same fields.
  The two run in alternating blocks.
- ``cycle_cpu_us_paced``: the same with one cycle per period of ``--pace-hz``, as in a
  control loop that sleeps between cycles (on a shared virtual machine the caches are
  cold after each sleep, so this costs more CPU than back to back).
- ``stream_500hz`` / ``stream_1khz``: the trajectory follower streaming through the
  safety supervisor; achieved rate and |period − nominal period| per cycle. As a real
  controller would, the streaming thread runs under SCHED_FIFO (priority 50) and the
  emulator, standing in for the servos' own hardware, at 60, where permitted
  (``params.realtime`` says whether it was); ``--no-realtime`` measures without.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from jazari.bench.report import BenchResult, ratio, summarize
from jazari.clock import WallClock
from jazari.config import load_params
from jazari.control.follower import FollowerConfig, TrajectoryFollower
from jazari.control.rate import reduce_timer_slack, set_realtime_priority
from jazari.control.safety import JointLimits, SafetyConfig, SafetySupervisor
from jazari.control.serial_bus import STATE_ITEMS, DynamixelBus, SerialBusConfig
from jazari.robot.model import load_cell_model
from jazari.robot.trajectory import JointTrajectory
from jazari.sim.dynamixel_emulator import EmulatorConfig, EmulatorProcess
from jazari.sim.dynamixel_servo import ServoSpec

SERVOS = 6
#: SCHED_FIFO priorities of the streaming thread and of the emulator (the hardware).
STREAM_PRIORITY = 50
EMULATOR_PRIORITY = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench serial``."""
    parser.add_argument("--cycles", type=int, default=3000, help="cycles per implementation")
    parser.add_argument(
        "--stream-seconds", type=float, default=5.0, help="length of each stream [s]"
    )
    parser.add_argument(
        "--pace-hz", type=float, default=500.0, help="pacing of the paced CPU test [Hz]"
    )
    parser.add_argument("--baud", type=int, default=4_000_000, help="simulated bus bit rate")
    parser.add_argument("--quick", action="store_true", help="a few hundred cycles, 0.5 s streams")
    parser.add_argument(
        "--no-realtime", action="store_true", help="stream at normal scheduling priority"
    )


def _paced(n: int, pace_hz: float | None, cycle: Callable[[], None]) -> list[float]:
    """CPU time [µs] of ``n`` calls of ``cycle``, one per period of ``pace_hz`` (None:
    back to back)."""
    clock = WallClock()
    period = 0.0 if pace_hz is None else 1.0 / pace_hz
    out = []
    next_t = clock.now()
    for _ in range(n):
        if period:
            clock.sleep(next_t - clock.now())
            next_t += period
        c0 = time.thread_time()
        cycle()
        out.append((time.thread_time() - c0) * 1e6)
    return out


def _jazari_block(params: dict[str, Any], n: int, pace_hz: float | None) -> list[float]:
    bus = DynamixelBus.open(SerialBusConfig.from_params(params))
    try:
        q = bus.read_state().position_rad.copy()

        def cycle() -> None:
            bus.read_state()
            bus.write_setpoints(q)

        return _paced(n, pace_hz, cycle)
    finally:
        bus.close()


def _sdk_block(config: SerialBusConfig, n: int, pace_hz: float | None) -> list[float]:
    import dynamixel_sdk as sdk  # the peer; imported here so the module loads without it

    port = sdk.PortHandler(config.port)
    if not port.openPort() or not port.setBaudRate(config.baud):
        raise RuntimeError(f"dynamixel_sdk cannot open {config.port}")
    try:
        handler = sdk.PacketHandler(2.0)
        model = config.model
        first = model["indirect_data_1"].address
        length = sum(model[name].size for name in STATE_ITEMS)
        goal = model["goal_position"]
        reader = sdk.GroupSyncRead(port, handler, first, length)
        writer = sdk.GroupSyncWrite(port, handler, goal.address, goal.size)
        ids = [j.servo_id for j in config.joints]
        for sid in ids:
            reader.addParam(sid)
        reader.txRxPacket()
        offsets, at = [], first
        for name in STATE_ITEMS:
            offsets.append((at, model[name].size))
            at += model[name].size
        goals = {sid: reader.getData(sid, offsets[2][0], 4) for sid in ids}

        def cycle() -> None:
            if reader.txRxPacket() != sdk.COMM_SUCCESS:
                raise RuntimeError("dynamixel_sdk sync read failed")
            for sid in ids:
                for address, size in offsets:
                    reader.getData(sid, address, size)
            writer.clearParam()
            for sid in ids:
                writer.addParam(sid, list(int(goals[sid]).to_bytes(4, "little")))
            writer.txPacket()

        return _paced(n, pace_hz, cycle)
    finally:
        port.closePort()


def _stream(
    params: dict[str, Any], rate_hz: float, seconds: float, realtime: bool
) -> dict[str, Any]:
    clock = WallClock()
    bus = DynamixelBus.open(SerialBusConfig.from_params(params), clock=clock)
    boosted = realtime and set_realtime_priority(STREAM_PRIORITY)
    try:
        limits = JointLimits.from_chain(load_cell_model().chain, bus.joint_names)
        supervisor = SafetySupervisor(bus, limits, SafetyConfig.from_params(params), clock)
        supervisor.arm()
        q0 = bus.read_state().position_rad
        t = np.linspace(0.0, seconds, max(3, int(seconds * 20) + 1))
        # One sine period, peak speed at most 0.5 rad/s (well inside the servo's reach).
        amplitude = min(0.3, 0.5 * seconds / (2 * np.pi))
        wave = amplitude * np.sin(2 * np.pi * t / seconds)[:, None]
        positions = q0 + wave * np.ones(len(q0))
        velocities = np.gradient(positions, t, axis=0)
        velocities[[0, -1]] = 0.0
        trajectory = JointTrajectory(
            bus.joint_names, t, positions, velocities, np.zeros_like(positions)
        )
        follower_config = FollowerConfig(rate_hz=rate_hz, goal_time_tolerance_s=1.0)
        result = TrajectoryFollower(supervisor, clock, follower_config).follow(trajectory)
        ticks = np.array(result.tick_times_s)
        periods = np.diff(ticks)
        rate = (len(ticks) - 1) / (ticks[-1] - ticks[0]) if len(ticks) > 1 else math.nan
        error_us = np.abs(periods - 1.0 / rate_hz) * 1e6
        return {
            "rate_hz": rate,
            "period_error_us": summarize(error_us, ("p50", "p99", "max")),
            "result": result.code.name,
            "cycles": result.cycles,
            "error": result.error_string,
        }
    finally:
        if boosted:
            set_realtime_priority(None)
        bus.close()


def run(args: argparse.Namespace) -> BenchResult:
    """Run the benchmark; the result in the shape of ARCHITECTURE.md."""
    cycles = 300 if args.quick else args.cycles
    seconds = 0.5 if args.quick else args.stream_seconds
    # Is real-time scheduling allowed here? Try it, and go back to normal at once.
    realtime = not args.no_realtime and set_realtime_priority(1) and set_realtime_priority(None)
    reduce_timer_slack()
    servos = tuple(ServoSpec(k + 1, 0.0, return_delay_time=0) for k in range(SERVOS))
    params = dict(load_params("serial_driver"))
    emulator_priority = EMULATOR_PRIORITY if realtime else None
    config_emu = EmulatorConfig(servos, baud=args.baud)
    # Real servos compute on their own chips: give the emulator a core of its own and
    # keep the master off it, so neither one's CPU time includes the other's.
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    emulator_cpu = cpus[-1] if len(cpus) >= 2 else None
    emulator = EmulatorProcess(config_emu, realtime_priority=emulator_priority, cpu=emulator_cpu)
    if emulator_cpu is not None:
        os.sched_setaffinity(0, set(cpus) - {emulator_cpu})
    try:
        # The emulated servos run their own motor models as direct drives (no gear).
        params.update(
            port=emulator.port, baud=args.baud, return_delay_us=0,
            counts_per_rev=[4096] * SERVOS, torque_constant_nm_per_a=[10.6 / 4.4] * SERVOS,
        )  # fmt: skip
        config = SerialBusConfig.from_params(params)
        cpu: dict[tuple[str, float | None], list[float]] = {}
        blocks = 10  # alternate often, so both see the same machine load
        for _ in range(blocks):
            for pace in (None, args.pace_hz):
                n = cycles // blocks
                cpu.setdefault(("jazari", pace), []).extend(_jazari_block(params, n, pace))
                cpu.setdefault(("sdk", pace), []).extend(_sdk_block(config, n, pace))
        stream_500 = _stream(params, 500.0, seconds, realtime)
        stream_1k = _stream(params, 1000.0, seconds, realtime)
    finally:
        emulator.close()
        if cpus:
            os.sched_setaffinity(0, set(cpus))
    stats = {key: summarize(values, ("median", "p99")) for key, values in cpu.items()}
    jazari_cpu, sdk_cpu = stats["jazari", None], stats["sdk", None]
    paced_jazari, paced_sdk = stats["jazari", args.pace_hz], stats["sdk", args.pace_hz]
    return {
        "bench": "serial",
        "params": {
            "servos": SERVOS,
            "baud": args.baud,
            "cycles": cycles,
            "pace_hz": args.pace_hz,
            "stream_seconds": seconds,
            "state_bytes_per_servo": sum(config.model[name].size for name in STATE_ITEMS),
            "emulator": "process",
            "realtime": realtime,
            "emulator_cpu": emulator_cpu,
        },
        "results": {
            "jazari": {
                "cycle_cpu_us": jazari_cpu,
                "cycle_cpu_us_paced": paced_jazari,
                "stream_500hz": stream_500,
                "stream_1khz": stream_1k,
            },
            "dynamixel_sdk": {"cycle_cpu_us": sdk_cpu, "cycle_cpu_us_paced": paced_sdk},
        },
        "ratios": {
            "dynamixel_sdk_vs_jazari": ratio(sdk_cpu["median"], jazari_cpu["median"]),
            "dynamixel_sdk_vs_jazari_paced": ratio(paced_sdk["median"], paced_jazari["median"]),
        },
    }
