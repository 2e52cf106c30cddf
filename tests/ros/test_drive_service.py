"""The drive node's core without ROS: emulated Dynamixel servos on a pty (real protocol),
the serial bus, the supervisor and the follower, cycled by the service's control thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from jazari.config import load_params
from jazari.control.backends import open_drive_bus
from jazari.control.goal import ResultCode
from jazari.control.safety import SupervisorState
from jazari.robot.model import load_cell_model
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.drive_service import DriveService, DriveServiceError
from jazari.sim.dynamixel_emulator import EmulatorConfig, EmulatorThread
from jazari.sim.dynamixel_servo import ServoSpec

START = np.array([0.0, -0.5, 0.8, -0.3, 0.2, 0.1])


def _params(port: str) -> dict[str, Any]:
    """``serial_driver.yaml`` for servos that move their own motor models as direct drives
    (no gear), in the test's interpreter (hence a wide reply margin)."""
    params = dict(load_params("serial_driver"))
    params.update(port=port, counts_per_rev=[4096] * 6, timeout_margin_s=0.02)
    params["torque_constant_nm_per_a"] = [10.6 / 4.4] * 6
    return params


@pytest.fixture
def service() -> Iterator[DriveService]:
    params = _params("")
    specs = tuple(ServoSpec(k + 1, float(q), return_delay_time=0) for k, q in enumerate(START))
    with EmulatorThread(EmulatorConfig(specs, boot_time_s=0.02)) as emulator:
        params["port"] = emulator.port
        svc = DriveService(open_drive_bus("serial", params), params)
        try:
            yield svc
        finally:
            svc.close()


def _move(q0: np.ndarray, dq: float, duration_s: float) -> JointTrajectory:
    t = np.linspace(0.0, duration_s, 11)
    s = 0.5 - 0.5 * np.cos(np.pi * t / duration_s)
    v = 0.5 * np.pi / duration_s * np.sin(np.pi * t / duration_s)
    q = q0 + s[:, None] * dq
    names = load_cell_model().joint_names
    return JointTrajectory(names, t, q, v[:, None] * np.full(6, dq), np.zeros_like(q))


def _wait_state(svc: DriveService) -> np.ndarray:
    for _ in range(200):
        state = svc.latest_state()
        if state is not None:
            return np.asarray(state.position_rad)
        time.sleep(0.01)
    raise AssertionError("no drive state")


def test_idle_cycles_read_the_drives_before_any_goal(service: DriveService) -> None:
    np.testing.assert_allclose(_wait_state(service), START, atol=2e-3)
    assert service.status().state is SupervisorState.DISARMED


def test_a_goal_is_refused_until_armed_then_followed(service: DriveService) -> None:
    q0 = _wait_state(service)
    refused = service.follow(_move(q0, 0.1, 0.5))
    assert refused.status == "rejected" and "arm it first" in refused.error_string
    service.rearm()
    cycles: list[int] = []
    result = service.follow(_move(q0, 0.1, 0.5), on_cycle=lambda k, _s: cycles.append(k))
    assert result.successful, result.error_string
    assert len(cycles) > 50
    np.testing.assert_allclose(_wait_state(service), q0 + 0.1, atol=0.02)


def test_estop_aborts_the_goal_and_only_rearm_resumes(service: DriveService) -> None:
    q0 = _wait_state(service)
    service.rearm()
    stopper = threading.Timer(0.2, service.estop, args=("test",))
    stopper.start()
    result = service.follow(_move(q0, 0.3, 2.0))
    stopper.join()
    assert result.status in ("aborted", "canceled")
    assert service.status().state is SupervisorState.STOPPED
    assert "e-stop" in str(service.status().stop_reason)
    after = service.follow(_move(_wait_state(service), 0.05, 0.3))
    assert after.status == "rejected"
    service.rearm()
    assert service.status().state is SupervisorState.ARMED


def test_a_goal_for_other_joints_is_refused_with_invalid_joints(service: DriveService) -> None:
    service.rearm()
    trajectory = _move(_wait_state(service), 0.1, 0.5)
    other = JointTrajectory(("j1", "j2", "j3", "j4", "j5", "j6"), trajectory.time_s,
                            trajectory.positions, trajectory.velocities,
                            trajectory.accelerations)  # fmt: skip
    result = service.follow(other)
    assert result.code is ResultCode.INVALID_JOINTS and result.status == "rejected"


def test_a_closed_service_refuses_requests(service: DriveService) -> None:
    service.close()
    with pytest.raises(DriveServiceError, match="closed"):
        service.rearm()


class _BrokenBus:
    """A bus whose device vanished: reading raises OSError (not a JazariError)."""

    joint_names = load_cell_model().joint_names

    def read_state(self) -> None:
        raise OSError(5, "Input/output error")

    def enable(self) -> None: ...

    def disable(self) -> None: ...

    def write_setpoints(self, q_rad: np.ndarray) -> None: ...

    def close(self) -> None: ...


def test_a_bus_that_breaks_unexpectedly_fails_requests_at_once() -> None:
    svc = DriveService(_BrokenBus(), _params(""))  # type: ignore[arg-type]
    for _ in range(100):
        if svc.failure is not None:
            break
        time.sleep(0.01)
    assert isinstance(svc.failure, OSError)
    started = time.monotonic()
    with pytest.raises(DriveServiceError, match="control thread stopped"):
        svc.rearm(timeout_s=5.0)
    assert time.monotonic() - started < 1.0
