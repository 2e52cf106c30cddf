"""The cell's planner: parts placed in a bin are remembered where they come to rest, so
later placements in the same bin plan around them and not around where they were let go."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.cell.planner import BIN_LINKS, CellPlanner
from jazari.cell.vision import SeenPart
from jazari.perception.detection import Detection
from jazari.planning.part import Part
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.scene import Scene
from jazari.quality.verdict import Verdict
from jazari.robot.model import RobotModel

HOME_Q = np.array([-np.pi / 2, -1.9, 1.9, -np.pi / 2, -np.pi / 2, 0.0])


def _box_seen(part_id: int, x: float, y: float, size: tuple[float, float, float]) -> SeenPart:
    T = np.eye(4)
    T[:3, 3] = (x, y, size[2] / 2)
    mask = np.zeros((4, 4), dtype=bool)
    detection = Detection("box", T, size, (0.8, 0.1, 0.1), 1.0, mask, mask, 1.0)
    part = Part("box", size, T, f"part{part_id}")
    return SeenPart(part_id, detection, Verdict("red_box", ()), part)


def test_parts_placed_in_a_bin_rest_on_its_floor_and_later_parts_plan_around_them(
    cell_model: RobotModel,
) -> None:
    scene = Scene.from_model(cell_model)
    planner = CellPlanner(PickPlacePlanner(cell_model), scene, np.random.default_rng(3), HOME_Q)
    size = (0.06, 0.04, 0.035)
    table = [_box_seen(i, 0.45 + 0.09 * (i % 3), -0.12 + 0.2 * (i // 3), size) for i in range(5)]
    floor_z = scene.bin_interior(BIN_LINKS["accepted"]).floor_z_m
    slot_size = len(planner.slots.offsets_m)
    for k, target in enumerate(table):
        others = table[k + 1 :]
        plan = planner.plan(target, others, HOME_Q)
        released = plan.part.moved_to(plan.place_pose)
        assert released.lowest_point_z_m() > scene.bin_interior("bin_accepted").wall_top_z_m
        planner.placed(target, plan)
        _, resting = planner.in_bins["accepted"][-1]
        np.testing.assert_allclose(resting.T_base_part[:2, :], plan.place_pose[:2, :])
        np.testing.assert_allclose(resting.T_base_part[2, :3], plan.place_pose[2, :3])
        # the first part of each slot lies on the floor; the next on top of it
        expected = floor_z if k < slot_size else floor_z + size[2]
        assert resting.lowest_point_z_m() == pytest.approx(expected, abs=1e-9)
