"""Running a plan on the simulated cell: the fingers are as wide as the planner checked
them while they are near the table and in the bin (real time over the emulated drives)."""

from __future__ import annotations

import pytest

from jazari.cell.execute import Outcome
from jazari.cell.runner import RunOptions, sim_cell
from jazari.ports import DriveState

pytestmark = pytest.mark.slow


def test_fingers_approach_and_leave_a_part_opened_as_planned_not_fully() -> None:
    with sim_cell(RunOptions(parts=1, seed=2)) as cell:
        sequence = cell.sequence
        seen = sequence.vision.look(cell.camera.capture())
        assert len(seen) == 1
        plan = sequence.planner.plan(seen[0], [], sequence.joint_positions())
        widths: list[float] = []

        def on_cycle(_state: DriveState) -> None:
            widths.append(cell.twin.gripper_width_m())

        sequence.executor.on_cycle = on_cycle
        result = sequence.executor.execute(plan)
    assert result.outcome is Outcome.PLACED
    opening = plan.grasp.open_width_m
    assert opening < 0.08  # narrower than the 85 mm stroke, so the test can tell
    assert widths[0] == pytest.approx(opening, abs=1e-3)  # first cycle of the approach
    assert widths[-1] == pytest.approx(opening, abs=1e-3)  # last cycle of the retreat
