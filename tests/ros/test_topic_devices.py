"""Drives and grippers behind topics (Gazebo's controllers, third-party drivers)."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from jazari.clock import WallClock
from jazari.ports import PortValueError
from jazari.ros.topic_devices import TopicBus, TopicDeviceError, TopicGripper, TopicGripperConfig


class ManualClock:
    """A clock the test moves; sleeping moves it too."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, duration_s: float) -> None:
        self.t += max(duration_s, 0.0)


def test_setpoints_are_sent_only_while_enabled_and_must_be_finite() -> None:
    sent: list[np.ndarray] = []
    bus = TopicBus(("a", "b"), sent.append, ManualClock(), 0.1)
    bus.write_setpoints(np.array([0.1, 0.2]))
    assert sent == []
    bus.enable()
    bus.write_setpoints(np.array([0.1, 0.2]))
    assert len(sent) == 1
    with pytest.raises(PortValueError, match="2 finite values"):
        bus.write_setpoints(np.array([0.1, math.nan]))
    bus.close()
    with pytest.raises(TopicDeviceError, match="closed"):
        bus.write_setpoints(np.array([0.1, 0.2]))


def test_readings_go_stale_after_the_limit_and_foreign_joints_are_ignored() -> None:
    clock = ManualClock()
    bus = TopicBus(("a", "b"), lambda q: None, clock, 0.1)
    state = bus.read_state()
    assert all(t.stale for t in state.telemetry) and np.all(np.isnan(state.position_rad))
    bus.update(["x", "b", "a"], np.array([9.0, 0.2, 0.1]), np.array([0.0, 1.0, 2.0]), np.zeros(3))
    state = bus.read_state()
    np.testing.assert_allclose(state.position_rad, [0.1, 0.2])
    np.testing.assert_allclose(state.velocity_rad_s, [2.0, 1.0])
    assert not any(t.stale for t in state.telemetry)
    clock.t = 0.2
    assert all(t.stale for t in bus.read_state().telemetry)


def test_a_bus_needs_unique_joints_and_a_positive_staleness_limit() -> None:
    with pytest.raises(TopicDeviceError, match="unique"):
        TopicBus(("a", "a"), lambda q: None, ManualClock(), 0.1)
    with pytest.raises(TopicDeviceError, match="stale_after_s"):
        TopicBus(("a",), lambda q: None, ManualClock(), 0.0)


CONFIG = TopicGripperConfig(
    open_width_m=0.085, stall_speed_m_s=0.002, settle_s=0.05, timeout_s=1.0,
    min_object_width_m=0.004, poll_s=0.005,
)  # fmt: skip


class FingerSim:
    """A finger joint moving at 0.2 m/s toward its command, stopped by an object of
    ``object_width_m`` (0: none), publishing its state every 5 ms."""

    def __init__(self, gripper_ref: list[TopicGripper], object_width_m: float) -> None:
        self.target = 0.0425
        self.position = 0.0425
        self.limit = object_width_m / 2.0
        self._gripper = gripper_ref
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def command(self, q: float) -> None:
        self.target = q

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            step = float(np.clip(self.target - self.position, -0.001, 0.001))
            self.position = max(self.position + step, self.limit)
            if self._gripper:
                self._gripper[0].update(self.position)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.parametrize(("object_m", "grasped"), [(0.04, True), (0.0, False)])
def test_close_waits_for_the_fingers_and_tells_a_grasp(object_m: float, grasped: bool) -> None:
    ref: list[TopicGripper] = []
    finger = FingerSim(ref, object_m)
    gripper = TopicGripper(finger.command, CONFIG, WallClock())
    ref.append(gripper)
    try:
        gripper.close()
        assert gripper.width_m() == pytest.approx(object_m, abs=2e-3)
        assert gripper.grasped() is grasped
        gripper.open()
        assert gripper.width_m() == pytest.approx(0.085, abs=2e-3)
        assert not gripper.grasped()
        gripper.open(0.06)
        assert gripper.width_m() == pytest.approx(0.06, abs=2e-3)
        with pytest.raises(TopicDeviceError, match="gripper opening"):
            gripper.open(-1.0)
    finally:
        finger.stop()


def test_a_silent_gripper_times_out_instead_of_waiting_forever() -> None:
    clock = ManualClock()
    gripper = TopicGripper(lambda q: None, CONFIG, clock)
    gripper.close()
    assert clock.t == pytest.approx(CONFIG.timeout_s, abs=CONFIG.poll_s)
    assert math.isnan(gripper.width_m()) and not gripper.grasped()


def test_gripper_config_refuses_bad_values() -> None:
    with pytest.raises(TopicDeviceError, match="timeout_s must be > 0"):
        TopicGripperConfig(0.085, 0.002, 0.05, 0.0, 0.004)
