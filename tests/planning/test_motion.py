"""Edge validation: the checked configurations bound the motion between them, so a
collision between checks cannot be missed."""

from __future__ import annotations

import numpy as np
import pytest
from planning_scenes import box_on_table

from jazari.planning.errors import PlanningInputError
from jazari.planning.motion import MotionValidator, densify
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.scene import Scene


def test_densify_keeps_waypoints_and_steps_below_the_resolution(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray, rng: np.random.Generator
) -> None:
    robot = planner.checker(cell_scene.world, 0.05).robot
    waypoints = home_q + np.cumsum(rng.uniform(-0.5, 0.5, size=(4, 6)), axis=0)
    configs = densify(robot, waypoints, 0.005)
    for w in waypoints:
        assert np.min(np.max(np.abs(configs - w), axis=1)) < 1e-12
    steps = np.diff(configs, axis=0)
    bounds = np.einsum("ei,ei->e", robot.edge_levers(configs[:-1], configs[1:]), np.abs(steps))
    assert np.all(bounds <= 0.005 + 1e-12)
    # and no tool point moves further than that between consecutive checks
    tcp = robot.tcp_poses(configs)[:, :3, 3]
    assert np.max(np.linalg.norm(np.diff(tcp, axis=0), axis=1)) <= 0.005 + 1e-12


def test_a_thin_obstacle_between_checks_of_a_coarse_edge_is_still_caught(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    # a 2 mm plate the tool sweeps through while swinging the shoulder
    plate = box_on_table(0.45, 0.0, (0.3, 0.002, 0.6))
    scene = cell_scene.with_parts(plate)
    qa, qb = home_q.copy(), home_q.copy()
    qa[0], qb[0] = home_q[0] - 0.6, home_q[0] + 0.6
    validator = planner.validator(planner.checker(scene.world, 0.05))
    assert validator.valid(np.stack([qa, qb])).all()
    assert not validator.edge_valid(qa, qb)
    prefix, full = validator.valid_prefix(qa, qb)
    assert not full and validator.valid(prefix).all()
    assert prefix[-1, 0] < home_q[0]


def test_validator_refuses_a_padding_below_half_the_resolution(
    planner: PickPlacePlanner, cell_scene: Scene
) -> None:
    checker = planner.checker(cell_scene.world, 0.05, padding_m=0.001)
    with pytest.raises(PlanningInputError, match="padding"):
        MotionValidator(checker, 0.005)
    with pytest.raises(PlanningInputError, match="resolution"):
        MotionValidator(checker, 0.0)


def test_configurations_outside_the_limits_are_invalid(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    validator = planner.validator(planner.checker(cell_scene.world, 0.05))
    q = home_q.copy()
    q[2] = 3.5  # elbow beyond ±π
    assert not validator.valid(q)[0]
