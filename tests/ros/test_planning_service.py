"""The planner node's core and the cell node's plan adapter: a PickPlace request planned
with the cell planner, the codes of the ways it can fail, and the plan rebuilt on the
cell's side from the motions that travel."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.cell.planner import CellPlanner
from jazari.geometry.transforms import make_transform, rpy_to_matrix
from jazari.planning.part import Part
from jazari.planning.pick_place import default_planner
from jazari.planning.plan import SEGMENT_ORDER
from jazari.planning.scene import Scene
from jazari.quality.catalogue import load_part_types
from jazari.robot.model import RobotModel
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.cell_adapters import CellAdapterError, plan_from_motions, seen_parts
from jazari.ros.convert.detections import PartDetection
from jazari.ros.convert.plans import (
    GripperStep,
    MoveRequest,
    PickPlaceCode,
    PickPlaceRequest,
    PlannedMotion,
    planned_motions,
)
from jazari.ros.planning_service import PickPlaceService, PlanOutcome, requested_verdict

HOME = np.array([-1.5707963, -1.9, 1.9, -1.5707963, -1.5707963, 0.0])
SHAPES = {t.name: t.shape for t in load_part_types()}


def _box(pid: str, x: float, y: float, yaw: float = 0.3) -> PartDetection:
    T = make_transform(rpy_to_matrix(0.0, 0.0, yaw), [x, y, 0.0175])
    return PartDetection(pid, "red_box", 0.95, T, np.array([0.06, 0.04, 0.035]))


def _service(cell_model: RobotModel) -> PickPlaceService:
    planner = CellPlanner(default_planner(cell_model), Scene.from_model(cell_model),
                          np.random.default_rng(0), HOME)  # fmt: skip
    return PickPlaceService(planner, SHAPES)


def _request(part: PartDetection, bin_frame: str = "bin_rejected", frame: str = "base_link",
             obstacles: tuple[PartDetection, ...] = ()) -> PickPlaceRequest:  # fmt: skip
    return PickPlaceRequest(part, obstacles, bin_frame, frame)


@pytest.fixture(scope="module")
def planned(cell_model: RobotModel) -> tuple[PickPlaceService, PlanOutcome, PartDetection]:
    service = _service(cell_model)
    part = _box("0", 0.55, 0.1)
    return (
        service,
        service.plan(_request(part, obstacles=(_box("1", 0.62, -0.15, 0.0),)), HOME),
        part,
    )


def test_a_request_is_planned_and_its_part_counts_as_placed(
    planned: tuple[PickPlaceService, PlanOutcome, PartDetection],
) -> None:
    service, outcome, _ = planned
    assert outcome.code is PickPlaceCode.SUCCESS, outcome.message
    assert outcome.plan is not None
    assert [s.label for s in outcome.plan.segments] == list(SEGMENT_ORDER)
    assert len(service.planner.in_bins["rejected"]) == 1


@pytest.mark.parametrize(
    ("request_kwargs", "code", "match"),
    [
        ({"frame": "camera"}, PickPlaceCode.INVALID_GOAL, "must be in 'base_link'"),
        ({"bin_frame": "table"}, PickPlaceCode.INVALID_GOAL, "'table' is not a bin"),
        ({"part": PartDetection("0", "teapot", 1.0, np.eye(4), np.ones(3) * 0.05)},
         PickPlaceCode.INVALID_GOAL, "class 'teapot'"),
        ({"part": PartDetection("x", "red_box", 1.0, np.eye(4), np.ones(3) * 0.05)},
         PickPlaceCode.INVALID_GOAL, "not an integer"),
    ],
)  # fmt: skip
def test_malformed_requests_are_invalid_goals(
    cell_model: RobotModel, request_kwargs: dict[str, object], code: PickPlaceCode, match: str
) -> None:
    kwargs: dict[str, object] = {"part": _box("0", 0.55, 0.1), **request_kwargs}
    outcome = _service(cell_model).plan(_request(**kwargs), HOME)  # type: ignore[arg-type]
    assert outcome.code is code and match in outcome.message and outcome.plan is None


def test_an_unreachable_part_has_no_grasp(cell_model: RobotModel) -> None:
    outcome = _service(cell_model).plan(_request(_box("0", 2.0, 0.0)), HOME)
    assert outcome.code is PickPlaceCode.NO_GRASP, outcome.message


def test_a_part_too_long_for_every_bin_slot_has_no_place(cell_model: RobotModel) -> None:
    T = make_transform(np.eye(3), [0.55, 0.1, 0.015])
    rod = PartDetection("0", "red_box", 0.95, T, np.array([0.25, 0.03, 0.03]))
    outcome = _service(cell_model).plan(_request(rod), HOME)
    assert outcome.code is PickPlaceCode.NO_PLACE
    assert "fits no slot of bin 'bin_rejected'" in outcome.message


def test_the_requested_bin_makes_the_verdict() -> None:
    assert requested_verdict("red_box", "bin_accepted").passed
    assert not requested_verdict("red_box", "bin_rejected").passed
    with pytest.raises(CellAdapterError, match="not a bin"):
        requested_verdict("red_box", "bin_other")


def test_the_cell_rebuilds_the_plan_from_the_motions_that_travel(
    planned: tuple[PickPlaceService, PlanOutcome, PartDetection], cell_model: RobotModel
) -> None:
    _, outcome, _ = planned
    original = outcome.plan
    assert original is not None
    motions = planned_motions(original)
    assert [(m.name, m.gripper) for m in motions] == [
        ("approach", GripperStep.CLOSE), ("lift", GripperStep.NONE),
        ("transfer", GripperStep.NONE), ("place", GripperStep.OPEN), ("retreat", GripperStep.NONE),
    ]  # fmt: skip
    rebuilt = plan_from_motions(motions, original.part, cell_model)
    assert [s.label for s in rebuilt.segments] == [s.label for s in original.segments]
    np.testing.assert_allclose(rebuilt.T_tcp_part, original.T_tcp_part, atol=1e-9)
    np.testing.assert_allclose(rebuilt.place_pose, original.place_pose, atol=1e-9)
    assert rebuilt.grasp.width_m == pytest.approx(original.grasp.width_m, abs=1e-9)
    assert rebuilt.grasp.open_width_m == pytest.approx(original.grasp.open_width_m)
    carrying = [s.label for s in rebuilt.segments if s.carrying]
    assert carrying == [s.label for s in original.segments if s.carrying]


def test_a_plan_without_a_grasp_is_refused(cell_model: RobotModel) -> None:
    q = np.stack([HOME, HOME])
    still = JointTrajectory(cell_model.joint_names, np.array([0.0, 1.0]), q, 0 * q, 0 * q)
    part = Part("box", (0.06, 0.04, 0.035), make_transform(np.eye(3), [0.5, 0.0, 0.0175]))
    with pytest.raises(CellAdapterError, match="one closing motion before one opening"):
        plan_from_motions([PlannedMotion("approach", still)], part, cell_model)


def test_seen_parts_need_a_verdict_and_a_known_class() -> None:
    verdict = requested_verdict("red_box", "bin_accepted")
    parts = seen_parts([_box("2", 0.5, 0.0), _box("1", 0.6, 0.0)], {"1": verdict, "2": verdict},
                       SHAPES)  # fmt: skip
    assert [p.id for p in parts] == [2, 1] and parts[0].target_bin == "accepted"
    assert parts[0].part.shape == "box" and parts[0].part.dims_m == (0.06, 0.04, 0.035)
    with pytest.raises(CellAdapterError, match="detected but not inspected"):
        seen_parts([_box("3", 0.5, 0.0)], {}, SHAPES)


def test_a_move_goes_home_or_to_a_named_goal_and_names_missing_joints(
    cell_model: RobotModel,
) -> None:
    service = _service(cell_model)
    names = cell_model.joint_names
    start = dict(zip(names, (HOME + 0.2).tolist(), strict=True))
    home = service.plan_move(MoveRequest(start, {}, (), ""), names)
    assert home.code is PickPlaceCode.SUCCESS and home.trajectory is not None
    np.testing.assert_allclose(home.trajectory.positions[-1], HOME, atol=1e-9)
    goal = dict(zip(names, (HOME - 0.1).tolist(), strict=True))
    there = service.plan_move(MoveRequest(start, goal, (_box("1", 0.6, 0.0),), "base_link"), names)
    assert there.trajectory is not None
    np.testing.assert_allclose(there.trajectory.positions[-1], HOME - 0.1, atol=1e-9)
    bad = service.plan_move(MoveRequest({"shoulder_pan_joint": 0.0}, {}, (), ""), names)
    assert bad.code is PickPlaceCode.INVALID_GOAL and "start_state lacks joints" in bad.message
