"""Running a plan on the simulated cell (real time over the emulated drives): the fingers
are as wide as the planner checked them near the table and in the bin, and a part is
never carried away from a motion that failed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from jazari.cell.execute import Outcome
from jazari.cell.runner import RunOptions, SimCell, sim_cell
from jazari.planning.plan import PickPlacePlan
from jazari.ports import DriveState

pytestmark = pytest.mark.slow


@pytest.fixture
def one_part() -> Iterator[tuple[SimCell, PickPlacePlan]]:
    with sim_cell(RunOptions(parts=1, seed=2)) as cell:
        sequence = cell.sequence
        seen = sequence.vision.look(cell.camera.capture())
        assert len(seen) == 1
        yield cell, sequence.planner.plan(seen[0], [], sequence.joint_positions())


def test_fingers_approach_and_leave_a_part_opened_as_planned_not_fully(
    one_part: tuple[SimCell, PickPlacePlan],
) -> None:
    cell, plan = one_part
    widths: list[float] = []

    def on_cycle(_state: DriveState) -> None:
        widths.append(cell.twin.gripper_width_m())

    cell.sequence.executor.on_cycle = on_cycle
    result = cell.sequence.executor.execute(plan)
    assert result.outcome is Outcome.PLACED
    opening = plan.grasp.open_width_m
    assert opening < 0.08  # narrower than the 85 mm stroke, so the test can tell
    assert widths[0] == pytest.approx(opening, abs=1e-3)  # first cycle of the approach
    assert widths[-1] == pytest.approx(opening, abs=1e-3)  # last cycle of the retreat


def test_a_part_is_let_go_where_a_carrying_motion_failed(
    one_part: tuple[SimCell, PickPlacePlan],
) -> None:
    cell, plan = one_part
    # a lift starting 0.3 rad away from where the arm is: the supervisor refuses it
    lift = plan.segment("lift")
    moved = dataclasses.replace(lift.trajectory, positions=lift.trajectory.positions + 0.3)
    segments = tuple(
        dataclasses.replace(s, trajectory=moved) if s.label == "lift" else s for s in plan.segments
    )
    result = cell.sequence.executor.execute(dataclasses.replace(plan, segments=segments))
    assert (result.outcome, result.stage) == (Outcome.ABORTED, "lift")
    assert "let go where the arm stopped" in result.message
    assert cell.twin.grasped_body() is None
    assert cell.twin.gripper_width_m() == pytest.approx(plan.grasp.open_width_m, abs=1e-3)
