"""Pick-and-place plans: boxes and cylinders in open space, next to bin walls and next to
other parts; every plan passes a finer re-check and an exact-geometry check; failures
raise the error that says why; a seed gives one plan."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from planning_scenes import box_on_table, cylinder_on_table

from jazari.planning.errors import (
    GraspInCollisionError,
    NoPathError,
    PlanningInputError,
    StartStateError,
    UnreachableError,
)
from jazari.planning.fcl_check import FclChecker
from jazari.planning.part import Part
from jazari.planning.pick_place import PickPlacePlanner, plan_pick_place
from jazari.planning.plan import SEGMENT_ORDER, PickPlacePlan
from jazari.planning.robot_geometry import ATTACHED
from jazari.planning.scene import Scene, place_pose_in_bin
from jazari.planning.validate import check_plan, segment_checker, segment_world


def _plan(
    planner: PickPlacePlanner, scene: Scene, part: Part, place: np.ndarray, q0: np.ndarray
) -> PickPlacePlan:
    return planner.plan(part, place, scene.with_parts(part), q0, np.random.default_rng(1))


def _assert_sound(
    planner: PickPlacePlanner, plan: PickPlacePlan, scene: Scene, q0: np.ndarray
) -> None:
    """Structure, the part where it should be, and a clean finer re-check."""
    assert tuple(s.label for s in plan.segments) == SEGMENT_ORDER
    np.testing.assert_array_equal(plan.segments[0].trajectory.positions[0], q0)
    fk = planner.model.chain.fk
    grasp_q = plan.segment("grasp").trajectory.positions[0]
    place_q = plan.segment("release").trajectory.positions[0]
    np.testing.assert_allclose(fk(grasp_q) @ plan.T_tcp_part, plan.part.T_base_part, atol=1e-6)
    placed = fk(place_q) @ plan.T_tcp_part
    assert plan.part.moved_to(placed).lowest_point_z_m() == pytest.approx(
        plan.part.moved_to(plan.place_pose).lowest_point_z_m(), abs=1e-6
    )
    assert plan.segment("lift").allowed_contacts == ((ATTACHED, "table"),)
    assert check_plan(plan, scene, q0, planner) == []


def _assert_exact_free(planner: PickPlacePlanner, plan: PickPlacePlan, scene: Scene) -> None:
    for seg in plan.segments:
        checker = segment_checker(planner, plan, scene, seg, 0.0)
        exact = FclChecker(planner.model, checker, segment_world(plan, scene, seg))
        assert not exact.in_collision(seg.trajectory.positions[::3]).any(), seg.label


@pytest.mark.parametrize(
    ("part", "bin_name"),
    [(box_on_table(0.5, 0.1, (0.05, 0.04, 0.04), 0.4, "box"), "bin_accepted"),
     (cylinder_on_table(0.6, -0.15, 0.025, 0.07, "cylinder"), "bin_rejected")],
)  # fmt: skip
def test_parts_in_open_space_are_placed_in_a_bin(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray, part: Part, bin_name: str
) -> None:
    place = place_pose_in_bin(cell_scene, bin_name, part)
    scene = cell_scene.with_parts(part)
    plan = plan_pick_place(part, place, scene, home_q, planner=planner)
    _assert_sound(planner, plan, scene, home_q)
    _assert_exact_free(planner, plan, scene)
    assert plan.grasp.from_above
    assert plan.duration_s > 1.0 and plan.path_length_rad() > 0.5


def test_a_part_next_to_a_bin_wall_and_a_placement_near_the_inner_wall(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    # on the table 3.5 cm from the accepted bin's outer wall (x = 0.27 m): room for the
    # 6 cm thin side of the gripper body only
    part = box_on_table(0.315, 0.45, (0.02, 0.06, 0.05), name="by_the_bin")
    # released 3.5 cm from the rejected bin's inner wall, fingers closing along the wall
    place = place_pose_in_bin(cell_scene, "bin_rejected", part, (0.065, 0.0))
    scene = cell_scene.with_parts(part)
    plan = plan_pick_place(part, place, scene, home_q, planner=planner)
    _assert_sound(planner, plan, scene, home_q)
    fingers = (planner.model.chain.fk(plan.segment("release").trajectory.positions[0]))[:3, 0]
    assert abs(fingers[0]) < 0.5  # the finger axis runs along the wall (y), not across


def test_a_part_between_close_neighbours_is_taken_the_only_way_that_fits(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    part = box_on_table(0.55, 0.0, (0.04, 0.04, 0.05), name="middle")
    # tall neighbours 25 mm away in ±x: fingers must close along y
    neighbours = [
        box_on_table(0.55 + dx, 0.0, (0.04, 0.08, 0.09), name=f"n{dx}") for dx in (-0.065, 0.065)
    ]
    scene = cell_scene.with_parts(part, *neighbours)
    place = place_pose_in_bin(cell_scene, "bin_accepted", part)
    plan = plan_pick_place(part, place, scene, home_q, planner=planner)
    _assert_sound(planner, plan, scene, home_q)
    _assert_exact_free(planner, plan, scene)
    grasp_q = plan.segment("grasp").trajectory.positions[0]
    fingers = planner.model.chain.fk(grasp_q)[:3, 0]
    assert abs(fingers[1]) > 0.9  # closing along y, away from the neighbours


def test_a_box_touching_a_taller_part_is_held_shallow_enough_for_the_body_to_clear_it(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    part = box_on_table(0.5, 0.0, (0.07, 0.032, 0.04), name="box")
    # a 7 cm cylinder touching the middle of a long face: the deepest grasp puts the
    # gripper body 5.5 cm above the table, inside the cylinder's top
    tall = cylinder_on_table(0.5, 0.0162 + 0.0162, 0.016, 0.07, name="tall")
    scene = cell_scene.with_parts(part, tall)
    place = place_pose_in_bin(cell_scene, "bin_accepted", part)
    plan = plan_pick_place(part, place, scene, home_q, planner=planner)
    assert check_plan(plan, scene, home_q, planner) == []
    _assert_exact_free(planner, plan, scene)
    assert plan.grasp.from_above and plan.grasp.shallow_m > 0.0
    deepest_only = dataclasses.replace(
        planner.options, grasp=dataclasses.replace(planner.options.grasp, depth_samples=1)
    )
    with pytest.raises(GraspInCollisionError, match="tall"):
        PickPlacePlanner(planner.model, deepest_only).plan(part, place, scene, home_q)


def test_an_unreachable_part_raises_unreachable(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    far = box_on_table(1.0, -0.65, (0.04, 0.04, 0.04))
    with pytest.raises(UnreachableError, match="no grasp has an IK solution"):
        plan_pick_place(
            far,
            place_pose_in_bin(cell_scene, "bin_accepted", far),
            cell_scene,
            home_q,
            planner=planner,
        )


def test_a_part_too_big_for_the_gripper_raises_unreachable(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    big = box_on_table(0.5, 0.0, (0.1, 0.1, 0.1))
    with pytest.raises(UnreachableError, match="stroke"):
        plan_pick_place(big, np.eye(4), cell_scene, home_q, planner=planner)


def test_a_fully_blocked_part_raises_grasp_in_collision(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    part = box_on_table(0.5, 0.0, (0.04, 0.04, 0.04), name="boxed_in")
    # walls 1 cm thick, 5 mm from each side, taller than the part
    walls = [
        box_on_table(0.5, 0.0305, (0.1, 0.01, 0.08), name="north"),
        box_on_table(0.5, -0.0305, (0.1, 0.01, 0.08), name="south"),
        box_on_table(0.5305, 0.0, (0.01, 0.05, 0.08), name="east"),
        box_on_table(0.4695, 0.0, (0.01, 0.05, 0.08), name="west"),
    ]
    scene = cell_scene.with_parts(part, *walls)
    with pytest.raises(GraspInCollisionError, match="collides"):
        plan_pick_place(
            part,
            place_pose_in_bin(cell_scene, "bin_accepted", part),
            scene,
            home_q,
            planner=planner,
        )


def test_the_same_seed_gives_the_same_plan(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    part = box_on_table(0.5, 0.25, (0.04, 0.03, 0.04), name="behind_the_wall")
    wall = box_on_table(0.33, 0.38, (0.3, 0.02, 0.45), 0.6, name="wall")
    scene = cell_scene.with_parts(part, wall)
    place = place_pose_in_bin(cell_scene, "bin_accepted", part)
    plans = [
        planner.plan(part, place, scene, home_q, np.random.default_rng(seed)) for seed in (5, 5)
    ]
    for a, b in zip(plans[0].segments, plans[1].segments, strict=True):
        np.testing.assert_array_equal(a.waypoints, b.waypoints)
        np.testing.assert_array_equal(a.trajectory.positions, b.trajectory.positions)
    assert check_plan(plans[0], scene, home_q, planner) == []


def test_start_states_outside_the_limits_or_in_collision_are_refused(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    part = box_on_table(0.5, 0.1, (0.04, 0.04, 0.04))
    place = place_pose_in_bin(cell_scene, "bin_accepted", part)
    outside = home_q.copy()
    outside[2] = 3.3
    with pytest.raises(StartStateError, match="outside the joint limits"):
        planner.plan(part, place, cell_scene, outside)
    low = home_q.copy()
    low[1], low[2] = -0.9, 2.3  # the tool in the table
    with pytest.raises(StartStateError, match="start configuration collides"):
        planner.plan(part, place, cell_scene, low)
    with pytest.raises(PlanningInputError, match="q_start"):
        planner.plan(part, place, cell_scene, home_q[:5])
    with pytest.raises(PlanningInputError, match="place_pose"):
        planner.plan(part, np.zeros((4, 4)), cell_scene, home_q)


def test_an_exhausted_time_budget_raises_no_path(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    ticks = iter(np.arange(0.0, 1e6, 0.6))  # every clock reading is 0.6 s later
    hurried = PickPlacePlanner(planner.model, planner.options, clock=lambda: float(next(ticks)))
    part = box_on_table(0.5, 0.1, (0.04, 0.04, 0.04))
    with pytest.raises(NoPathError, match="time budget"):
        hurried.plan(part, place_pose_in_bin(cell_scene, "bin_accepted", part), cell_scene, home_q)


def test_stats_report_where_the_time_went(
    planner: PickPlacePlanner, cell_scene: Scene, home_q: np.ndarray
) -> None:
    part = box_on_table(0.5, 0.1, (0.04, 0.04, 0.04))
    plan = _plan(
        planner, cell_scene, part, place_pose_in_bin(cell_scene, "bin_accepted", part), home_q
    )
    for key in (
        "grasp_selection_s",
        "lines_s",
        "approach_path_s",
        "transfer_s",
        "timing_s",
        "total_s",
    ):
        assert plan.stats[key] >= 0.0
    assert plan.stats["candidates_tried"] >= 1
    assert dataclasses.replace(plan, stats={}).stats == {}


def test_plan_move_returns_a_timed_collision_free_motion_between_two_configurations() -> None:
    from jazari.planning.errors import StartStateError
    from jazari.planning.pick_place import default_planner
    from jazari.planning.scene import Scene

    planner = default_planner()
    scene = Scene.from_model(planner.model)
    home = np.array([-1.5708, -1.9, 1.9, -1.5708, -1.5708, 0.0])
    over_table = np.array([0.0, -1.2, 1.6, -1.97, -1.5708, 0.0])
    move = planner.plan_move(home, over_table, scene, np.random.default_rng(1))
    np.testing.assert_allclose(move.positions[0], home, atol=1e-9)
    np.testing.assert_allclose(move.positions[-1], over_table, atol=1e-9)
    assert np.all(np.abs(move.velocities) <= planner.limits.velocity + 1e-9)
    assert (
        planner.validator(planner.checker(scene.world, planner.gripper.stroke_m))
        .valid(move.positions)
        .all()
    )
    into_table = np.array([2.872, -1.165, 2.157, -2.563, -1.571, -1.841])  # tcp 1 cm into the table
    with pytest.raises(StartStateError, match="in collision"):
        planner.plan_move(into_table, home, scene)
