"""The batched checker: conservative against exact geometry, right about named contacts,
allowed pairs and self-collision, and its clearance is a lower bound."""

from __future__ import annotations

import numpy as np
import pytest
from planning_scenes import box_on_table, cylinder_on_table

from jazari.planning.collision import (
    CollisionChecker,
    always_touching_pairs,
    candidate_self_pairs,
)
from jazari.planning.errors import PlanningInputError
from jazari.planning.fcl_check import FclChecker
from jazari.planning.part import Part
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.robot_geometry import ATTACHED, Attachment
from jazari.planning.scene import Scene
from jazari.robot.model import RobotModel


@pytest.fixture(scope="module")
def cluttered(cell_scene: Scene) -> Scene:
    return cell_scene.with_parts(
        box_on_table(0.5, 0.1, (0.05, 0.04, 0.04), name="b"),
        cylinder_on_table(0.6, -0.1, 0.03, 0.08, name="c"),
        Part(
            "cylinder",
            (0.02, 0.1),
            np.array([[1, 0, 0, 0.45], [0, 0, -1, -0.15], [0, 1, 0, 0.02], [0, 0, 0, 1.0]]),
            "lying",
        ),
    )


@pytest.mark.parametrize("carrying", [False, True])
def test_never_misses_a_collision_that_exact_geometry_finds(
    planner: PickPlacePlanner, cluttered: Scene, rng: np.random.Generator, carrying: bool
) -> None:
    attachment = None
    if carrying:
        T = np.eye(4)
        T[2, 3] = 0.02
        attachment = Attachment(Part("cylinder", (0.02, 0.06), np.eye(4)), T)
    checker = planner.checker(cluttered.world, 0.04, attachment, padding_m=0.0)
    exact = FclChecker(planner.model, checker, cluttered.objects_with())
    q = planner.model.chain.sample(rng, 1500)
    ours, truth = checker.in_collision(q), exact.in_collision(q)
    assert not np.any(truth & ~ours), "a collision exact geometry finds was missed"
    assert np.mean(ours & ~truth) < 0.03  # and not much more conservative
    assert 0.2 < np.mean(truth) < 0.9  # the sample exercises both outcomes


def test_batches_and_single_configurations_agree(
    planner: PickPlacePlanner, cluttered: Scene, rng: np.random.Generator
) -> None:
    checker = planner.checker(cluttered.world, 0.05)
    q = planner.model.chain.sample(rng, 60)
    single = np.array([checker.in_collision(qi)[0] for qi in q])
    np.testing.assert_array_equal(checker.in_collision(q), single)
    np.testing.assert_array_equal(checker.in_collision(q[:3]), single[:3])
    assert 0 < single.sum() < len(q)


def test_home_is_free_and_a_gripper_in_the_table_is_named(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    checker = planner.checker(cell_scene.world, 0.05)
    assert not checker.in_collision(home_q)[0]
    low = home_q.copy()
    low[1], low[2] = -0.9, 2.3  # shoulder down, elbow bent: the tool dives into the table
    assert checker.in_collision(low)[0]
    assert any(obj == "table" for _, obj in checker.colliding_pairs(low))


def test_allowed_pairs_are_not_tested(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    low = home_q.copy()
    low[1], low[2] = -0.9, 2.3
    pairs = planner.checker(cell_scene.world, 0.05).colliding_pairs(low)
    allowed = [p for p in pairs if p[1] == "table"]
    checker = planner.checker(cell_scene.world, 0.05, allowed=allowed)
    assert not any(p in allowed for p in checker.colliding_pairs(low))


def test_self_collision_is_found_and_adjacent_links_are_skipped(
    planner: PickPlacePlanner, home_q: np.ndarray
) -> None:
    from jazari.planning.world import WorldGeometry

    checker = planner.checker(WorldGeometry.build([]), 0.05)
    folded = home_q.copy()
    folded[2] = 2.9  # elbow folded: the wrist comes back onto the upper arm and base
    pairs = checker.colliding_pairs(folded)
    assert pairs and all(a in checker.robot.bodies and b in checker.robot.bodies for a, b in pairs)
    skipped = {
        (checker.robot.bodies[a], checker.robot.bodies[b]) for a, b in checker.robot.adjacent
    }
    assert not skipped & set(pairs)


def test_candidate_self_pairs_skip_same_frame_and_adjacent_bodies(
    planner: PickPlacePlanner,
) -> None:
    robot = planner.checker(Scene.from_model(planner.model).world, 0.05).robot
    pairs = {tuple(p) for p in candidate_self_pairs(robot).tolist()}
    for a, b in pairs:
        assert robot.body_frame[a] != robot.body_frame[b]
        assert (a, b) not in robot.adjacent
    index = {n: i for i, n in enumerate(robot.bodies)}
    assert (index["upper_arm_link"], index["wrist_2_link"]) in pairs


def test_always_touching_pairs_are_reproducible_and_none_for_this_arm(
    cell_model: RobotModel,
) -> None:
    first = always_touching_pairs(cell_model, 0.004, samples=400, seed=3)
    assert first == always_touching_pairs(cell_model, 0.004, samples=400, seed=3)
    # the UR-type arm with its gripper has no pair in contact at every configuration
    assert first == frozenset()


def test_clearance_is_a_lower_bound_of_the_exact_distance(
    planner: PickPlacePlanner, cluttered: Scene, home_q: np.ndarray, rng: np.random.Generator
) -> None:
    import fcl

    checker = planner.checker(cluttered.world, 0.05, padding_m=0.0)
    exact = FclChecker(planner.model, checker, cluttered.objects_with())
    q = home_q + rng.uniform(-0.6, 0.6, size=(30, 6))
    q = q[~checker.in_collision(q)]
    clearance = checker.clearance(q, 1.0, frames=[6])
    poses = planner.model.link_poses(q, {"gripper_finger_joint": 0.025})
    for n in range(len(q)):
        best = np.inf
        for b, link, T, obj in exact._robot:
            if checker.robot.body_frame[b] != 6:
                continue
            obj.setTransform(
                fcl.Transform(
                    poses[link][n][:3, :3] @ T[:3, :3],
                    poses[link][n][:3, :3] @ T[:3, 3] + poses[link][n][:3, 3],
                )
            )
            for _, wobj in exact._world:
                best = min(
                    best, fcl.distance(obj, wobj, fcl.DistanceRequest(), fcl.DistanceResult())
                )
        assert clearance[n] <= best + 1e-6


def test_bad_configurations_are_refused(planner: PickPlacePlanner, cell_scene: Scene) -> None:
    checker = planner.checker(cell_scene.world, 0.05)
    assert checker.in_collision(np.zeros((0, 6))).shape == (0,)  # nothing to check is fine
    with pytest.raises(PlanningInputError, match="shape"):
        checker.in_collision(np.zeros(5))
    with pytest.raises(PlanningInputError, match="padding"):
        CollisionChecker(checker.robot, cell_scene.world, -1.0, checker.self_pairs)
    with pytest.raises(PlanningInputError, match="no collision body"):
        planner.checker(cell_scene.world, 0.05, allowed=[(ATTACHED, "table")])
