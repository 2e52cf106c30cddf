"""RRT-Connect with shortcutting: finds ways around obstacles, stays valid, is
reproducible for a seed, and gives up at its deadline."""

from __future__ import annotations

import numpy as np
import pytest
from planning_scenes import box_on_table

from jazari.planning.errors import NoPathError
from jazari.planning.motion import MotionValidator
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.rrt import RRTOptions, rrt_connect, sampling_bounds, shortcut
from jazari.planning.scene import Scene


@pytest.fixture(scope="module")
def walled(planner: PickPlacePlanner, cell_scene: Scene) -> MotionValidator:
    """A tall wall on the table between the two sides of the workspace."""
    wall = box_on_table(0.45, 0.0, (0.25, 0.02, 0.55), name="wall")
    return planner.validator(planner.checker(cell_scene.with_parts(wall).world, 0.05))


@pytest.fixture
def ends(home_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    qa, qb = home_q.copy(), home_q.copy()
    qa[0], qb[0] = home_q[0] - 0.5, home_q[0] + 0.5
    qa[1] = qb[1] = -1.2
    return qa, qb


def test_finds_a_valid_path_around_a_wall(
    walled: MotionValidator, ends: tuple[np.ndarray, np.ndarray], rng: np.random.Generator
) -> None:
    qa, qb = ends
    assert not walled.edge_valid(qa, qb)
    path = rrt_connect(walled, qa, qb, rng, deadline_s=1e18)
    np.testing.assert_array_equal(path[0], qa)
    np.testing.assert_array_equal(path[-1], qb)
    assert len(path) >= 3
    fine = MotionValidator(walled.checker, walled.resolution_m)
    assert fine.path_valid(path)


def test_same_seed_same_path(walled: MotionValidator, ends: tuple[np.ndarray, np.ndarray]) -> None:
    qa, qb = ends
    a = rrt_connect(walled, qa, qb, np.random.default_rng(7), 1e18)
    b = rrt_connect(walled, qa, qb, np.random.default_rng(7), 1e18)
    np.testing.assert_array_equal(a, b)


def test_a_free_edge_is_taken_directly(
    planner: PickPlacePlanner, cell_scene: Scene, ends: tuple[np.ndarray, np.ndarray]
) -> None:
    validator = planner.validator(planner.checker(cell_scene.world, 0.05))
    path = rrt_connect(validator, *ends, np.random.default_rng(0), 1e18)
    assert len(path) == 2


def test_gives_up_at_the_deadline(
    walled: MotionValidator, ends: tuple[np.ndarray, np.ndarray]
) -> None:
    with pytest.raises(NoPathError, match="no path"):
        rrt_connect(walled, *ends, np.random.default_rng(0), deadline_s=0.0, clock=lambda: 1.0)
    with pytest.raises(NoPathError):
        rrt_connect(walled, *ends, np.random.default_rng(0), 1e18, RRTOptions(max_samples=0))


def test_shortcutting_keeps_the_path_valid_and_never_longer(
    walled: MotionValidator, ends: tuple[np.ndarray, np.ndarray], rng: np.random.Generator
) -> None:
    qa, qb = ends
    raw = rrt_connect(walled, qa, qb, rng, 1e18, RRTOptions(shortcut_iterations=0))
    detour = np.concatenate([raw[:1], raw[:1] + 0.01, raw[1:]])  # a needless extra waypoint
    lever = walled.lever_m
    short = shortcut(walled, detour, np.random.default_rng(1), 50, 1e18, lambda: 0.0)
    length = lambda p: float(np.sum(np.abs(np.diff(p, axis=0)) @ lever))  # noqa: E731
    assert length(short) <= length(detour) + 1e-9
    assert walled.path_valid(short)


def test_sampling_bounds_span_start_and_goal_within_the_limits(home_q: np.ndarray) -> None:
    lower, upper = np.full(6, -4.0), np.full(6, 4.0)
    lo, hi = sampling_bounds(home_q, home_q + 0.5, lower, upper, 1.0)
    assert np.all(lo <= home_q) and np.all(hi >= home_q + 0.5)
    assert np.all(lo >= lower) and np.all(hi <= upper)
    assert lo[1] == pytest.approx(home_q[1] - 1.0) and hi[0] == 4.0  # cut to the limit
