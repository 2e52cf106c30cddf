"""Test rig: six emulated servos behind a pty, with the serial bus, the safety supervisor
and the follower on top, as the cell would wire them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from jazari.clock import WallClock
from jazari.config import load_params
from jazari.control.follower import FollowerConfig, TrajectoryFollower
from jazari.control.safety import JointLimits, SafetyConfig, SafetySupervisor
from jazari.control.serial_bus import DynamixelBus, SerialBusConfig
from jazari.ports import DriveState, FloatArray
from jazari.robot.model import load_cell_model
from jazari.robot.trajectory import JointTrajectory
from jazari.sim.dynamixel_emulator import EmulatorConfig, EmulatorThread
from jazari.sim.dynamixel_servo import ServoSnapshot, ServoSpec

JOINTS = load_cell_model().chain.joint_names
START_Q = (0.0, -0.5, 0.8, -0.3, 0.2, 0.1)


class RecordingBus:
    """Forwards to a real bus and records every setpoint written (a spy, not a double)."""

    def __init__(self, bus: DynamixelBus) -> None:
        self.inner = bus
        self.writes: list[FloatArray] = []

    @property
    def joint_names(self) -> tuple[str, ...]:
        return self.inner.joint_names

    def enable(self) -> None:
        self.inner.enable()

    def disable(self) -> None:
        self.inner.disable()

    def write_setpoints(self, q_rad: FloatArray) -> None:
        self.inner.write_setpoints(q_rad)
        self.writes.append(np.array(q_rad, dtype=float))

    def read_state(self) -> DriveState:
        return self.inner.read_state()

    def reset_faults(self) -> None:
        self.inner.reset_faults()

    def close(self) -> None:
        self.inner.close()


@dataclass
class Rig:
    """Everything a control test needs."""

    emulator: EmulatorThread
    bus: DynamixelBus
    recorder: RecordingBus
    supervisor: SafetySupervisor
    follower: TrajectoryFollower
    params: dict[str, Any] = field(default_factory=dict)

    def snapshot_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(goal positions, present positions) of every servo [counts]."""
        snaps: Sequence[ServoSnapshot] = self.emulator.snapshot()
        return (
            np.array([s.goal_position for s in snaps]),
            np.array([s.present_position for s in snaps]),
        )


def driver_params(port: str) -> dict[str, Any]:
    """``serial_driver.yaml`` pointed at ``port``."""
    params = dict(load_params("serial_driver"))
    params["port"] = port
    # The rig's servos move their own motor models as direct drives (no external gear).
    params["counts_per_rev"] = [4096] * len(params["joints"])
    params["torque_constant_nm_per_a"] = [10.6 / 4.4] * len(params["joints"])
    # The emulator shares two loaded cores with everything else: a wide margin keeps a
    # scheduling hiccup from looking like a silent servo.
    params["timeout_margin_s"] = 0.02
    return params


def trajectory_from(
    q0: ArrayLike, dq: ArrayLike, duration_s: float, n: int = 11
) -> JointTrajectory:
    """A smooth move from ``q0`` by ``dq`` [rad] in ``duration_s``, resting at both ends."""
    t = np.linspace(0.0, duration_s, n)
    s = 0.5 - 0.5 * np.cos(np.pi * t / duration_s)
    ds = 0.5 * np.pi / duration_s * np.sin(np.pi * t / duration_s)
    q = np.asarray(q0) + s[:, None] * np.asarray(dq)
    v = ds[:, None] * np.asarray(dq)
    return JointTrajectory(tuple(JOINTS), t, q, v, np.zeros_like(q))


@contextmanager
def serial_rig(
    start_q: Sequence[float] = START_Q, *, overload_time_s: float = 0.3, **safety: Any
) -> Iterator[Rig]:
    """Emulator (thread), bus, supervisor and follower; torque off, supervisor disarmed."""
    specs = tuple(ServoSpec(k + 1, q, return_delay_time=0) for k, q in enumerate(start_q))
    config = EmulatorConfig(specs, overload_time_s=overload_time_s, boot_time_s=0.02)
    with EmulatorThread(config) as emulator:
        params = driver_params(emulator.port)
        params["safety"] = {**params["safety"], **safety}
        clock = WallClock()
        bus = DynamixelBus.open(SerialBusConfig.from_params(params), clock=clock)
        recorder = RecordingBus(bus)
        limits = JointLimits.from_chain(load_cell_model().chain, bus.joint_names)
        supervisor = SafetySupervisor(recorder, limits, SafetyConfig.from_params(params), clock)
        follower = TrajectoryFollower(supervisor, clock, FollowerConfig.from_params(params))
        try:
            yield Rig(emulator, bus, recorder, supervisor, follower, params)
        finally:
            bus.close()
