"""``gripper_node``: a parallel gripper behind ``control_msgs/action/GripperCommand``.

Serves ``gripper_cmd`` and publishes the finger joint on ``joint_states`` (for
robot_state_publisher). It wraps any :class:`jazari.ports.Gripper`: in the simulator's
process the twin's gripper (``sim_node`` starts it there); run alone, a gripper behind
topics (Gazebo's finger position controller, or any driver taking a position command):
commands go out on ``gripper/command`` (``std_msgs/msg/Float64``, finger joint position
[m]) and its state comes in on ``gripper/joint_states``; remap both in the launch file.

A goal's ``command.position`` is the opening [m]: below :data:`GRIP_BELOW_M` the
fingers close until they stall on the part or meet (a grip); otherwise they move to that
opening (fully open when it is beyond the stroke).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from rclpy.action import ActionServer
from rclpy.action.server import ServerGoalHandle
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node

from jazari.clock import WallClock
from jazari.errors import JazariError
from jazari.ports import DriveState, FloatArray, Gripper
from jazari.ros.convert.actions import GripperOutcome, gripper_result_msg
from jazari.ros.convert.joints import joint_state_msg
from jazari.ros.message_types import RclpyMessageTypes
from jazari.ros.node_schemas import schema
from jazari.ros.param_schema import nest
from jazari.ros.parameters import declare_from_schema
from jazari.ros.runtime import run_nodes
from jazari.ros.topic_devices import TopicGripper, TopicGripperConfig

#: How close [m] the opening must come to the commanded one to count as reached.
REACHED_TOLERANCE_M = 0.001
#: Commanded openings below this [m] grip: close until the fingers stall or meet.
GRIP_BELOW_M = 0.001


class GripperNode(Node):  # type: ignore[misc]  # rclpy is untyped without ROS
    """The gripper action and the finger joint state of one gripper.

    Args:
        gripper: the gripper; None makes a topic gripper from the parameters.
    """

    def __init__(self, gripper: Gripper | None = None, **kwargs: Any) -> None:
        super().__init__(
            "gripper_node", automatically_declare_parameters_from_overrides=True, **kwargs
        )
        self._params: Mapping[str, Any] = nest(declare_from_schema(self, schema("gripper_node")))
        self._types = RclpyMessageTypes()
        group = ReentrantCallbackGroup()
        self.gripper: Gripper = gripper if gripper is not None else self._topic_gripper()
        self._joint_pub = self.create_publisher(
            self._types.get("sensor_msgs/msg/JointState"), "joint_states", 10
        )
        self.create_timer(1.0 / self._params["state_rate_hz"], self._publish_joint, group)
        self._action = ActionServer(
            self,
            self._types.get("control_msgs/action/GripperCommand"),
            "gripper_cmd",
            self._execute,
            callback_group=group,
        )

    def _topic_gripper(self) -> TopicGripper:
        p = self._params
        config = TopicGripperConfig(
            p["open_width_m"], p["stall_speed_m_s"], p["settle_s"], p["timeout_s"],
            p["min_object_width_m"],
        )  # fmt: skip
        command = self.create_publisher(
            self._types.get("std_msgs/msg/Float64"), "gripper/command", 10
        )
        float64 = self._types.get("std_msgs/msg/Float64")
        gripper = TopicGripper(
            lambda q: command.publish(float64(data=float(q))), config, WallClock()
        )
        joint = str(p["joint"])

        def on_state(msg: Any) -> None:
            names = list(msg.name)
            if joint in names:
                k = names.index(joint)
                v = float(msg.velocity[k]) if len(msg.velocity) > k else math.nan
                gripper.update(float(msg.position[k]), v)

        self.create_subscription(
            self._types.get("sensor_msgs/msg/JointState"), "gripper/joint_states", on_state, 10
        )
        return gripper

    def _publish_joint(self) -> None:
        width = self.gripper.width_m()
        if not math.isfinite(width):
            return
        stamp = float(self.get_clock().now().nanoseconds) * 1e-9
        state = DriveState(stamp, (str(self._params["joint"]),), _one(width / 2.0), _one(0.0),
                           _one(0.0))  # fmt: skip
        self._joint_pub.publish(joint_state_msg(self._types, state))

    def _execute(self, goal_handle: ServerGoalHandle) -> Any:
        target = float(goal_handle.request.command.position)
        if not math.isfinite(target) or target < 0:
            goal_handle.abort()
            return gripper_result_msg(self._types, self._outcome(math.nan, closing=False))
        closing = target < GRIP_BELOW_M
        try:
            if closing:
                self.gripper.close()
            else:
                self.gripper.open(target)
        except JazariError as exc:
            self.get_logger().error(f"gripper command failed: {exc}")
            goal_handle.abort()
            return gripper_result_msg(self._types, self._outcome(target, closing))
        outcome = self._outcome(target, closing)
        if outcome.reached_goal or outcome.stalled:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return gripper_result_msg(self._types, outcome)

    def _outcome(self, target_m: float, closing: bool) -> GripperOutcome:
        """Where the fingers are; effort is not measured by these grippers (0)."""
        width = self.gripper.width_m()
        stalled = closing and self.gripper.grasped()
        if closing:
            reached = width <= target_m + REACHED_TOLERANCE_M
        else:
            reached = width >= target_m - REACHED_TOLERANCE_M
        return GripperOutcome(width, 0.0, stalled, bool(reached))

    def destroy_node(self) -> None:
        """Destroy the action server with the node (rclpy leaves waitables to their owner)."""
        self._action.destroy()
        super().destroy_node()


def _one(value: float) -> FloatArray:
    return np.array([value], dtype=float)


def main(args: list[str] | None = None) -> None:
    """Run the gripper node on a gripper behind topics."""
    run_nodes(lambda: [GripperNode()], args)


if __name__ == "__main__":
    main()
