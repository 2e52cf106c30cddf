"""The gripper node on a finger behind topics, and the canonical main every executable
runs, on the rclpy double."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from node_harness import Ros, wait_for, wait_future

OBJECT_WIDTH_M = 0.04


class FingerDriver:
    """A gripper driver on topics: takes finger positions on ``gripper/command``, moves
    the finger at 0.2 m/s until an object 40 mm wide stops it, publishes its state."""

    def __init__(self, ros: Ros) -> None:
        from rclpy.callback_groups import ReentrantCallbackGroup

        from jazari.ros.message_types import RclpyMessageTypes

        self.types = RclpyMessageTypes()
        self.node = ros.plain_node("finger_driver")
        self.target = self.position = 0.0425
        self.node.create_subscription(self.types.get("std_msgs/msg/Float64"), "gripper/command",
                                      self._on_command, 10)  # fmt: skip
        self.pub = self.node.create_publisher(
            self.types.get("sensor_msgs/msg/JointState"), "gripper/joint_states", 10
        )
        self.node.create_timer(0.005, self._step, ReentrantCallbackGroup())

    def _on_command(self, msg: Any) -> None:
        self.target = float(msg.data)

    def _step(self) -> None:
        step = float(np.clip(self.target - self.position, -0.001, 0.001))
        self.position = max(self.position + step, OBJECT_WIDTH_M / 2.0)
        msg = self.types.get("sensor_msgs/msg/JointState")()
        msg.name = ["gripper_finger_joint"]
        msg.position = self.types.sequence(np.array([self.position]))
        self.pub.publish(msg)


def _command(client: Any, types: Any, position_m: float) -> Any:
    goal = types.get("control_msgs/action/GripperCommand_Goal")(
        command=types.get("control_msgs/msg/GripperCommand")(position=position_m, max_effort=0.0)
    )
    handle = wait_future(client.send_goal_async(goal), 5.0, "gripper goal")
    return wait_future(handle.get_result_async(), 5.0, "gripper result")


def test_gripper_action_closes_on_the_part_and_opens(ros: Ros) -> None:
    from rclpy.action import ActionClient

    from jazari.ros.nodes.gripper_node import GripperNode

    ros.node_for("gripper_node", GripperNode)
    FingerDriver(ros)
    client_node = ros.plain_node("client")
    joints = ros.listen(client_node, "sensor_msgs/msg/JointState", "joint_states")
    from jazari.ros.message_types import RclpyMessageTypes

    types_ = RclpyMessageTypes()
    client = ActionClient(client_node, types_.get("control_msgs/action/GripperCommand"),
                          "gripper_cmd")  # fmt: skip
    wait_for(lambda: len(joints) > 2, 5.0, "the finger joint state")
    closed = _command(client, types_, 0.0)
    assert closed.status == 4
    assert closed.result.stalled and not closed.result.reached_goal
    assert closed.result.position == pytest.approx(OBJECT_WIDTH_M, abs=2e-3)
    opened = _command(client, types_, 0.085)
    assert opened.result.reached_goal and not opened.result.stalled
    # a narrower opening that is not a grip moves the fingers there and no further
    narrower = _command(client, types_, 0.06)
    assert narrower.result.reached_goal and not narrower.result.stalled
    assert narrower.result.position == pytest.approx(0.06, abs=2e-3)
    assert list(joints[-1].name) == ["gripper_finger_joint"]
    bad = _command(client, types_, -1.0)
    assert bad.status == 6


def test_main_exits_with_2_on_a_startup_error_and_destroys_what_it_made(ros: Ros) -> None:
    import rclpy

    from jazari.ros.nodes import planner_node

    rclpy.try_shutdown()
    with pytest.raises(SystemExit) as exit_info:
        planner_node.main(["--ros-args"])  # no parameter files: the node cannot start
    assert exit_info.value.code == 2
    assert not rclpy.ok()


def test_main_exits_with_1_when_the_context_is_shut_down_from_outside(ros: Ros) -> None:
    import rclpy

    from jazari.ros.nodes import gripper_node

    rclpy.try_shutdown()
    code: list[object] = []

    def run() -> None:
        try:
            gripper_node.main(["--ros-args"])
        except SystemExit as exc:
            code.append(exc.code)

    thread = threading.Thread(target=run)
    thread.start()
    wait_for(rclpy.ok, 5.0, "rclpy.init in main")
    wait_for(lambda: "/gripper_cmd" in ros.middleware.actions, 5.0, "the gripper node")
    rclpy.shutdown()
    thread.join(5.0)
    assert code == [1]
    assert "/gripper_cmd" not in ros.middleware.actions  # destroyed in finally
