"""Conversions of the cell's own messages (jazari_interfaces, registered from their .msg
text), RViz markers and the standard actions' results, against the real definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jazari.cell.kpi import OEE
from jazari.control.follower import FollowResult
from jazari.control.goal import ResultCode
from jazari.geometry.transforms import make_transform, rpy_to_matrix
from jazari.perception.detection import Detection
from jazari.ports import DriveState
from jazari.quality.verdict import CheckResult, Verdict
from jazari.record.typestore import RosbagsMessageTypes
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert.actions import (
    GripperOutcome,
    follow_feedback_msg,
    follow_result_msg,
    gripper_result_msg,
)
from jazari.ros.convert.cell_state import CellMode, CellStatus, cell_state_msg
from jazari.ros.convert.detections import PartDetection
from jazari.ros.convert.inspection import (
    inspection_array_msg,
    part_detection,
    part_size_m,
    verdict_from_msg,
)
from jazari.ros.convert.markers import PartMarker, part_markers_msg, path_msg
from jazari.ros.convert.plans import (
    GripperStep,
    PickPlaceCode,
    PlannedMotion,
    motions_from_msgs,
    pick_place_goal_msg,
    pick_place_request,
    pick_place_result_msg,
    plan_move_goal_msg,
    plan_move_request,
    plan_move_result_msg,
    plan_segment_msgs,
)
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip

JOINTS = ("a", "b")


def _verdict(passed: bool) -> Verdict:
    return Verdict(
        "red_box",
        (
            CheckResult("dimension.length", True, 0.061, 0.06, 0.003, 0.0, "m"),
            CheckResult("color.cie76", True, 4.0, 0.0, 10.0, 0.0, "ΔE"),
            CheckResult(
                "surface_mark",
                passed,
                2e-5 if not passed else 0.0,
                0.0,
                1.5e-5,
                5e-6 if not passed else 0.0,
                "m²",
            ),
        ),
    )


def _trajectory(q0: float, q1: float) -> JointTrajectory:
    t = np.array([0.0, 0.5, 1.0])
    q = np.stack([np.full(2, q0), np.full(2, (q0 + q1) / 2), np.full(2, q1)])
    return JointTrajectory(JOINTS, t, q, np.zeros_like(q), np.zeros_like(q))


def test_verdicts_round_trip_with_message_units(types: RosbagsMessageTypes) -> None:
    results = [("7", _verdict(True)), ("8", _verdict(False))]
    msg = cdr_round_trip(types.store, inspection_array_msg(types, results, 3.5, "base_link"))
    assert [c.unit for c in msg.results[0].checks] == ["m", "", "m^2"]
    got = [verdict_from_msg(r) for r in msg.results]
    assert [pid for pid, _ in got] == ["7", "8"]
    assert [v.passed for _, v in got] == [True, False]
    assert got[1][1].failed[0].name == "surface_mark" and got[1][1].failed[0].unit == "m²"
    assert got[1][1].failed[0].excess == pytest.approx(5e-6)


def test_a_verdict_whose_flag_contradicts_its_checks_is_refused(types: RosbagsMessageTypes) -> None:
    msg = inspection_array_msg(types, [("1", _verdict(False))], 0.0, "base_link").results[0]
    msg.passed = True
    with pytest.raises(ConversionError, match="passed is True but its checks say False"):
        verdict_from_msg(msg)
    msg.checks = []
    with pytest.raises(ConversionError, match="no checks"):
        verdict_from_msg(msg)


def test_a_cylinders_box_is_its_diameter_twice() -> None:
    none = np.zeros((0, 0), bool)
    det = Detection("cylinder", np.eye(4), (0.04, 0.045), (0.1, 0.5, 0.2), 0.9, none, none, 1.0)
    np.testing.assert_allclose(part_size_m(det), [0.04, 0.04, 0.045])
    pd = part_detection("3", det, _verdict(True))
    assert (pd.class_id, pd.detection_id, pd.score) == ("red_box", "3", 0.9)


def test_plan_segments_round_trip_with_gripper_steps(types: RosbagsMessageTypes) -> None:
    motions = [
        PlannedMotion("approach", _trajectory(0.0, 0.2), GripperStep.CLOSE),
        PlannedMotion("place", _trajectory(0.2, 0.5), GripperStep.OPEN, 0.07),
    ]
    result = pick_place_result_msg(types, PickPlaceCode.SUCCESS, "", motions)
    got = motions_from_msgs(cdr_round_trip(types.store, result).segments)
    assert [(m.name, m.gripper, m.gripper_width_m) for m in got] == [
        ("approach", GripperStep.CLOSE, 0.0),
        ("place", GripperStep.OPEN, 0.07),
    ]
    np.testing.assert_allclose(got[1].trajectory.positions, motions[1].trajectory.positions)


def test_a_failed_result_has_no_segments_and_bad_segments_are_named(
    types: RosbagsMessageTypes,
) -> None:
    motions = [PlannedMotion("approach", _trajectory(0.0, 0.2))]
    failed = pick_place_result_msg(types, PickPlaceCode.NO_PATH, "no path", motions)
    assert failed.segments == [] and failed.code == -4
    segments = plan_segment_msgs(types, motions)
    segments[0].gripper_action = 9
    with pytest.raises(ConversionError, match=r"segments\[0\]\.gripper_action 9"):
        motions_from_msgs(segments)
    with pytest.raises(ConversionError, match="empty"):
        motions_from_msgs([])


def test_opening_to_nothing_is_refused() -> None:
    with pytest.raises(ConversionError, match="opening must be > 0"):
        PlannedMotion("place", _trajectory(0.0, 1.0), GripperStep.OPEN, 0.0)


def test_pick_place_goal_round_trips(types: RosbagsMessageTypes) -> None:
    T = make_transform(rpy_to_matrix(0, 0, 0.3), [0.5, 0.1, 0.02])
    part = PartDetection("4", "red_box", 0.9, T, np.array([0.06, 0.04, 0.035]))
    other = PartDetection("5", "blue_box", 0.8, np.eye(4), np.array([0.05, 0.05, 0.03]))
    start = DriveState(1.0, JOINTS, np.array([0.1, 0.2]), np.zeros(2), np.zeros(2))
    goal = cdr_round_trip(
        types.store,
        pick_place_goal_msg(types, part, [other], "bin_accepted", start, 1.0, "base_link"),
    )
    request = pick_place_request(goal)
    assert (request.bin_frame, request.frame_id) == ("bin_accepted", "base_link")
    assert request.part.class_id == "red_box" and request.obstacles[0].detection_id == "5"
    np.testing.assert_allclose(request.part.T_frame_part, T, atol=1e-12)
    goal.obstacles[0].header.frame_id = "camera"
    with pytest.raises(ConversionError, match=r"obstacles\[0\] is in frame 'camera'"):
        pick_place_request(goal)


def test_part_markers_clear_then_draw_boxes_cylinders_and_labels(
    types: RosbagsMessageTypes,
) -> None:
    parts = [
        PartMarker(PartDetection("1", "red_box", 1.0, np.eye(4), np.array([0.06, 0.04, 0.03])),
                   "box", True),
        PartMarker(PartDetection("2", "green_cylinder", 1.0, np.eye(4),
                                 np.array([0.04, 0.04, 0.045])), "cylinder", False),
    ]  # fmt: skip
    msg = cdr_round_trip(types.store, part_markers_msg(types, parts, 2.0, "base_link"))
    kinds = [(m.type, m.action) for m in msg.markers]
    assert kinds == [(1, 3), (1, 0), (9, 0), (3, 0), (9, 0)]
    assert msg.markers[3].color.r > msg.markers[3].color.g  # the rejected part is red
    assert msg.markers[4].text == "green_cylinder #2 REJECT"
    assert msg.markers[2].pose.position.z == pytest.approx(0.015 + 0.02)
    with pytest.raises(ConversionError, match="shape must be box or cylinder"):
        PartMarker(parts[0].detection, "sphere", True)


def test_path_goes_through_every_pose(types: RosbagsMessageTypes) -> None:
    poses = [make_transform(np.eye(3), [0.1 * k, 0.0, 0.3]) for k in range(4)]
    msg = cdr_round_trip(types.store, path_msg(types, poses, 1.0, "base_link"))
    assert [p.pose.position.x for p in msg.poses] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    bad = [*poses[:1], np.full((4, 4), np.nan)]
    with pytest.raises(ConversionError, match=r"T_frame_tcp\[1\]"):
        path_msg(types, bad, 1.0, "base_link")


def test_cell_state_carries_counts_and_oee(types: RosbagsMessageTypes) -> None:
    oee = OEE(0.9, 0.8, 0.5, 100.0, 10.0, 4, 2)
    status = CellStatus(CellMode.RUNNING, "execute", "", 2, 2, 1, oee)
    msg = cdr_round_trip(types.store, cell_state_msg(types, status, 12.0))
    assert (msg.state, msg.stage, msg.parts_accepted, msg.parts_failed) == (1, "execute", 2, 1)
    assert msg.oee == pytest.approx(0.36) and msg.downtime.sec == 10
    idle = cell_state_msg(types, CellStatus(CellMode.IDLE), 0.0)
    assert idle.oee == 0.0 and idle.planned_time.sec == 0
    with pytest.raises(ConversionError, match="accepted must be >= 0"):
        CellStatus(CellMode.IDLE, accepted=-1)
    with pytest.raises(ConversionError, match="OEE quality must be in"):
        cell_state_msg(types, CellStatus(CellMode.DONE, oee=OEE(1, 1, math.nan, 1, 0, 1, 1)), 0)


def test_follow_results_and_feedback(types: RosbagsMessageTypes) -> None:
    result = follow_result_msg(
        types, FollowResult(ResultCode.PATH_TOLERANCE_VIOLATED, "far", "aborted")
    )
    assert cdr_round_trip(types.store, result).error_code == -4
    state = DriveState(1.0, JOINTS, np.array([0.1, 0.2]), np.array([np.nan, 0.0]), np.zeros(2))
    fb = cdr_round_trip(
        types.store,
        follow_feedback_msg(types, JOINTS, 0.5, np.array([0.15, 0.2]), np.zeros(2), state, 2.0),
    )
    np.testing.assert_allclose(fb.error.positions, [0.05, 0.0])
    assert list(fb.actual.velocities) == [0.0, 0.0]  # unknown velocity reads 0, not NaN
    with pytest.raises(ConversionError, match="q_desired must have 2 values"):
        follow_feedback_msg(types, JOINTS, 0.0, np.zeros(3), np.zeros(2), state, 0.0)


def test_gripper_result_and_feedback_share_their_fields(types: RosbagsMessageTypes) -> None:
    outcome = GripperOutcome(0.041, 0.0, True, False)
    result = cdr_round_trip(types.store, gripper_result_msg(types, outcome))
    feedback = cdr_round_trip(types.store, gripper_result_msg(types, outcome, feedback=True))
    for msg in (result, feedback):
        assert (msg.position, msg.stalled, msg.reached_goal) == (0.041, True, False)


def test_plan_move_goal_and_result_round_trip(types: RosbagsMessageTypes) -> None:
    start = DriveState(1.0, JOINTS, np.array([0.1, 0.2]), np.zeros(2), np.zeros(2))
    obstacle = PartDetection("5", "blue_box", 0.8, np.eye(4), np.array([0.05, 0.05, 0.03]))
    goal = cdr_round_trip(
        types.store, plan_move_goal_msg(types, start, None, [obstacle], 1.0, "base_link")
    )
    request = plan_move_request(goal)
    assert request.start == {"a": 0.1, "b": 0.2} and request.goal == {}
    assert request.frame_id == "base_link" and request.obstacles[0].detection_id == "5"
    result = cdr_round_trip(
        types.store, plan_move_result_msg(types, PickPlaceCode.SUCCESS, "", _trajectory(0, 1))
    )
    assert list(result.trajectory.joint_names) == list(JOINTS)
    failed = plan_move_result_msg(types, PickPlaceCode.NO_PATH, "blocked")
    assert failed.code == -4 and failed.trajectory.points == []
