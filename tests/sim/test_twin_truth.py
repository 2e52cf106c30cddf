"""Ground truth of a scene: ids, poses, specs, defects, grasp and bin."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.sim.errors import SimError
from jazari.sim.parts import load_catalogue, spawn_parts, touching_pairs
from jazari.sim.twin import CellTwin


def test_ground_truth_lists_every_part_as_spawned() -> None:
    parts = spawn_parts(load_catalogue(), 6, np.random.default_rng(9), defect_probability=0.5,
                        touch_probability=1.0)  # fmt: skip
    twin = CellTwin(parts)
    truth = twin.ground_truth()
    assert truth.stamp_s == 0.0
    np.testing.assert_allclose(truth.T_world_base, np.eye(4))
    assert [p.part_id for p in truth.parts] == [p.part_id for p in parts]
    for p, t in zip(parts, truth.parts, strict=True):
        assert t.part == p
        assert t.is_defective == p.is_defective
        np.testing.assert_allclose(t.T_world_part, p.T_world_part(), atol=1e-12)
        np.testing.assert_allclose(truth.T_base_part(p.part_id), p.T_world_part(), atol=1e-12)
        assert not t.grasped and t.bin is None
    pairs = {(a, b) for t in truth.parts for a, b in ((t.part_id, o) for o in t.touching) if a < b}
    assert pairs == touching_pairs(parts)
    assert pairs  # this seed lays some parts against each other


def test_ground_truth_follows_the_physics() -> None:
    twin = CellTwin.with_random_parts(2, seed=4)
    b = twin.model.body("part_0").id
    twin.data.qvel[twin.model.body_dofadr[b] + 2] = 1.5  # toss part 0 up
    twin.sleep(0.1)
    T = twin.ground_truth().part(0).T_world_part
    assert T[2, 3] > twin.parts[0].height_m / 2 + 0.05


def test_unknown_part_id_raises_naming_it() -> None:
    twin = CellTwin.with_random_parts(2, seed=4)
    with pytest.raises(SimError, match="no part with id 9"):
        twin.ground_truth().part(9)


def test_a_part_dropped_in_a_bin_is_reported_in_it() -> None:
    twin = CellTwin.with_random_parts(1, seed=1)
    lo, hi = twin.bins["bin_rejected"]
    b = twin.model.body("part_0").id
    adr = twin.model.jnt_qposadr[twin.model.body_jntadr[b]]
    twin.data.qpos[adr : adr + 3] = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[2] + 0.05]
    twin.sleep(1.0)
    truth = twin.ground_truth().part(0)
    assert truth.bin == "bin_rejected"
