"""The twin's gripper: opening, closing, and real grasp detection from contacts."""

from __future__ import annotations

import pytest

from jazari.clock import WallClock
from jazari.sim.errors import SimCommandError
from jazari.sim.twin import CellTwin, TwinGripper


@pytest.fixture
def twin() -> CellTwin:
    return CellTwin()


def test_gripper_starts_fully_open(twin: CellTwin) -> None:
    assert twin.gripper.width_m() == pytest.approx(0.085, abs=1e-6)
    assert not twin.gripper.grasped()


def test_gripper_closed_on_nothing_reports_no_grasp(twin: CellTwin) -> None:
    t0 = twin.now()
    twin.gripper.close()
    assert twin.now() > t0  # waiting let simulated time pass
    assert twin.gripper.width_m() < 0.002
    assert not twin.gripper.grasped()
    assert twin.grasped_body() is None


def test_gripper_reopens_to_full_stroke(twin: CellTwin) -> None:
    twin.gripper.close()
    twin.gripper.open()
    assert twin.gripper.width_m() == pytest.approx(0.085, abs=1e-3)
    assert not twin.gripper.grasped()


def test_gripper_opens_to_a_commanded_width_and_refuses_a_bad_one(twin: CellTwin) -> None:
    twin.gripper.open(0.05)
    assert twin.gripper.width_m() == pytest.approx(0.05, abs=1e-3)
    twin.gripper.open(0.2)  # beyond the stroke: fully open
    assert twin.gripper.width_m() == pytest.approx(0.085, abs=1e-3)
    for bad in (-0.01, float("nan")):
        with pytest.raises(SimCommandError, match="gripper opening"):
            twin.gripper.open(bad)
    assert twin.gripper.width_m() == pytest.approx(0.085, abs=1e-3)


def test_close_waits_until_the_fingers_stop(twin: CellTwin) -> None:
    twin.gripper.close()
    assert abs(twin.gripper_speed_m_s()) < twin.params.gripper.stall_speed_m_s


def test_gripper_waits_on_the_clock_it_is_given(twin: CellTwin) -> None:
    # A wall clock does not step the physics: the fingers stay still, so the command
    # returns after the settle time with nothing moved and no simulated time passed.
    gripper = TwinGripper(twin, clock=WallClock())
    gripper.close()
    assert twin.now() == 0.0
    assert gripper.width_m() == pytest.approx(0.085, abs=1e-6)
    assert not gripper.grasped()
