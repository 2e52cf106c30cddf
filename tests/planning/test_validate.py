"""Plan validation refuses plans that break limits, collide, jump, or start elsewhere."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from planning_scenes import HOME_Q, box_on_table

from jazari.planning.errors import PlanValidationError
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.plan import PickPlacePlan, Segment
from jazari.planning.robot_geometry import ATTACHED
from jazari.planning.scene import Scene, place_pose_in_bin
from jazari.planning.validate import check_plan, validate
from jazari.robot.trajectory import JointTrajectory


@pytest.fixture(scope="module")
def scene(cell_scene: Scene) -> Scene:
    return cell_scene.with_parts(box_on_table(0.5, 0.1, (0.05, 0.04, 0.04), name="p"))


@pytest.fixture(scope="module")
def plan(planner: PickPlacePlanner, scene: Scene) -> PickPlacePlan:
    part = scene.parts[0]
    return planner.plan(part, place_pose_in_bin(scene, "bin_accepted", part), scene, HOME_Q)


def _replace_segment(plan: PickPlacePlan, label: str, **changes: object) -> PickPlacePlan:
    segments = tuple(
        dataclasses.replace(s, **changes) if s.label == label else s for s in plan.segments
    )
    return dataclasses.replace(plan, segments=segments)


def _with_trajectory(plan: PickPlacePlan, label: str, **arrays: np.ndarray) -> PickPlacePlan:
    seg = plan.segment(label)  # type: ignore[arg-type]
    tr = dataclasses.replace(seg.trajectory, **arrays)
    return _replace_segment(plan, label, trajectory=tr)


def _kinds(plan: PickPlacePlan, scene: Scene, q: np.ndarray, planner: PickPlacePlanner) -> set[str]:
    return {v.kind for v in check_plan(plan, scene, q, planner)}


def test_a_planned_motion_validates(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    validate(plan, scene, home_q, planner)


def test_a_plan_that_starts_elsewhere_is_refused(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    moved = home_q + 0.01
    assert _kinds(plan, scene, moved, planner) == {"start"}
    with pytest.raises(PlanValidationError, match="from the current state"):
        validate(plan, scene, moved, planner)


def test_too_fast_or_too_jerky_trajectories_are_refused(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    tr = plan.segment("transfer").trajectory
    fast = _with_trajectory(plan, "transfer", velocities=tr.velocities * 2.0)
    assert "velocity" in _kinds(fast, scene, home_q, planner)
    acc = tr.accelerations.copy()
    acc[len(acc) // 2] += 2.0  # a 2 rad/s² blip between two 8 ms samples: 250 rad/s³
    assert {"jerk"} <= _kinds(
        _with_trajectory(plan, "transfer", accelerations=acc), scene, home_q, planner
    )
    strong = _with_trajectory(plan, "transfer", accelerations=tr.accelerations * 3.0)
    assert "acceleration" in _kinds(strong, scene, home_q, planner)


def test_jumps_and_positions_beyond_the_limits_are_refused(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    tr = plan.segment("lift").trajectory
    jumped = tr.positions.copy()
    jumped[5:, 0] += 0.3
    kinds = _kinds(_with_trajectory(plan, "lift", positions=jumped), scene, home_q, planner)
    assert "continuity" in kinds
    beyond = tr.positions.copy()
    beyond[:, 2] = 3.2
    assert "position" in _kinds(
        _with_trajectory(plan, "lift", positions=beyond), scene, home_q, planner
    )


def test_a_new_obstacle_on_the_path_is_found(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    q_mid = plan.segment("transfer").trajectory.positions
    tcp = planner.model.chain.fk(q_mid[len(q_mid) // 2])[:3, 3]
    blocker = box_on_table(tcp[0], tcp[1], (0.1, 0.1, tcp[2] + 0.05), name="blocker")
    problems = check_plan(plan, scene.with_parts(blocker), home_q, planner)
    assert any(
        v.kind == "collision" and v.segment == "transfer" and "blocker" in v.message
        for v in problems
    )


def test_contacts_may_only_be_ignored_where_the_part_leaves_its_support(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    sneaky = _replace_segment(plan, "transfer", allowed_contacts=((ATTACHED, "bin_accepted"),))
    problems = check_plan(sneaky, scene, home_q, planner)
    assert [v.segment for v in problems if "ignores contacts" in v.message] == ["transfer"]


def test_a_plan_with_missing_or_shuffled_segments_is_refused(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    shuffled = dataclasses.replace(plan, segments=plan.segments[::-1])
    assert _kinds(shuffled, scene, home_q, planner) == {"structure"}
    seg: Segment = plan.segments[0]
    renamed = JointTrajectory(
        tuple(f"x{i}" for i in range(6)), seg.trajectory.time_s, seg.trajectory.positions,
        seg.trajectory.velocities, seg.trajectory.accelerations,
    )  # fmt: skip
    assert _kinds(
        _replace_segment(plan, "approach", trajectory=renamed), scene, home_q, planner
    ) == {"structure"}


def test_segments_that_do_not_join_are_refused(
    plan: PickPlacePlan, scene: Scene, home_q: np.ndarray, planner: PickPlacePlanner
) -> None:
    tr = plan.segment("place").trajectory
    shifted = _with_trajectory(plan, "place", positions=tr.positions + 0.001)
    problems = check_plan(shifted, scene, home_q, planner)
    assert any(v.kind == "continuity" and "where transfer ended" in v.message for v in problems)
