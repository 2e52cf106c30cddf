"""The planner node's pick_place action on the rclpy double."""

from __future__ import annotations

from typing import Any

import numpy as np
from node_harness import Ros, wait_for, wait_future

from jazari.geometry.transforms import make_transform, rpy_to_matrix
from jazari.ports import DriveState
from jazari.robot.model import load_cell_model
from jazari.ros.convert.detections import PartDetection
from jazari.ros.convert.plans import GripperStep, motions_from_msgs, pick_place_goal_msg

HOME = np.array([-1.5707963, -1.9, 1.9, -1.5707963, -1.5707963, 0.0])
SUCCEEDED, ABORTED = 4, 6


def _goal(types: Any, joints: tuple[str, ...] | None = None) -> Any:
    T = make_transform(rpy_to_matrix(0.0, 0.0, 0.3), [0.55, 0.1, 0.0175])
    part = PartDetection("0", "red_box", 0.95, T, np.array([0.06, 0.04, 0.035]))
    names = joints or load_cell_model().joint_names
    start = DriveState(0.0, names, HOME, np.zeros(6), np.zeros(6))
    return pick_place_goal_msg(types, part, [], "bin_accepted", start, 0.0, "base_link")


def _send(client: Any, goal: Any) -> Any:
    handle = wait_future(client.send_goal_async(goal), 5.0, "goal response")
    assert handle.accepted
    return wait_future(handle.get_result_async(), 30.0, "plan")


def test_pick_place_returns_a_plan_and_publishes_its_tool_path(ros: Ros) -> None:
    from rclpy.action import ActionClient

    from jazari.ros.message_types import RclpyMessageTypes
    from jazari.ros.nodes.planner_node import PlannerNode

    ros.node_for("planner_node", PlannerNode)
    types = RclpyMessageTypes()
    client_node = ros.plain_node("client")
    paths = ros.listen(client_node, "nav_msgs/msg/Path", "planned_path")
    client = ActionClient(client_node, types.get("jazari_interfaces/action/PickPlace"),
                          "pick_place")  # fmt: skip
    response = _send(client, _goal(types))
    assert response.status == SUCCEEDED, response.result.message
    motions = motions_from_msgs(response.result.segments)
    assert [m.gripper for m in motions].count(GripperStep.CLOSE) == 1
    np.testing.assert_allclose(motions[0].trajectory.positions[0], HOME, atol=1e-9)
    wait_for(lambda: bool(paths), 5.0, "the planned path")
    assert paths[-1].header.frame_id == "base_link" and len(paths[-1].poses) > 10


def test_a_start_state_without_the_arm_joints_is_an_invalid_goal(ros: Ros) -> None:
    from rclpy.action import ActionClient

    from jazari.ros.message_types import RclpyMessageTypes
    from jazari.ros.nodes.planner_node import PlannerNode

    ros.node_for("planner_node", PlannerNode)
    types = RclpyMessageTypes()
    client = ActionClient(ros.plain_node("client"), types.get("jazari_interfaces/action/PickPlace"),
                          "pick_place")  # fmt: skip
    response = _send(client, _goal(types, ("a", "b", "c", "d", "e", "f")))
    assert response.status == ABORTED and response.result.code == -1
    assert "lacks joints" in response.result.message and not response.result.segments


def test_plan_move_brings_the_arm_back_to_the_observe_pose(ros: Ros) -> None:
    from rclpy.action import ActionClient

    from jazari.ros.convert.plans import plan_move_goal_msg
    from jazari.ros.convert.trajectories import joint_trajectory_from_msg
    from jazari.ros.message_types import RclpyMessageTypes
    from jazari.ros.nodes.planner_node import PlannerNode

    ros.node_for("planner_node", PlannerNode)
    types = RclpyMessageTypes()
    client = ActionClient(ros.plain_node("client"), types.get("jazari_interfaces/action/PlanMove"),
                          "plan_move")  # fmt: skip
    q = HOME + np.array([0.3, 0.2, -0.2, 0.1, 0.0, 0.0])
    start = DriveState(0.0, load_cell_model().joint_names, q, np.zeros(6), np.zeros(6))
    response = _send(client, plan_move_goal_msg(types, start, None, [], 0.0, "base_link"))
    assert response.status == SUCCEEDED, response.result.message
    motion = joint_trajectory_from_msg(response.result.trajectory)
    np.testing.assert_allclose(motion.positions[0], q, atol=1e-9)
    np.testing.assert_allclose(motion.positions[-1], HOME, atol=1e-6)
