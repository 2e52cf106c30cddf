"""``gazebo_driver_node``: the arm in Gazebo as a lifecycle drive node.

Parameters: ``config/gazebo_driver.yaml``. Setpoints go out on ``gz/<joint>/cmd_pos``
(``std_msgs/msg/Float64``, one topic per joint, bridged to Gazebo's joint position
controllers) and joint states come in on ``gz/joint_states``; between them run the same
safety supervisor and trajectory follower as on real drives, so ``follow_joint_trajectory``,
``joint_states``, ``diagnostics`` and ``drives/estop``/``drives/rearm`` behave the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jazari.clock import WallClock
from jazari.ports import DriveBus, FloatArray
from jazari.ros.convert.base import numbers
from jazari.ros.drive_node import DriveNode
from jazari.ros.message_types import RclpyMessageTypes
from jazari.ros.runtime import run_nodes
from jazari.ros.topic_devices import TopicBus


def open_topic_bus(node: DriveNode, params: Mapping[str, Any]) -> DriveBus:
    """A bus on the node's command publishers and joint state subscription."""
    types = RclpyMessageTypes()
    float64 = types.get("std_msgs/msg/Float64")
    joints = [str(j) for j in params["joints"]]
    publishers = [node.create_publisher(float64, f"gz/{j}/cmd_pos", 10) for j in joints]

    def publish(q: FloatArray) -> None:
        for pub, value in zip(publishers, q, strict=True):
            pub.publish(float64(data=float(value)))

    bus = TopicBus(joints, publish, WallClock(), float(params["stale_after_s"]))

    def on_state(msg: Any) -> None:
        names = [str(n) for n in msg.name]
        bus.update(
            names,
            numbers(msg.position, "joint_state.position"),
            numbers(msg.velocity, "joint_state.velocity"),
            numbers(msg.effort, "joint_state.effort"),
        )

    subscription = node.create_subscription(
        types.get("sensor_msgs/msg/JointState"), "gz/joint_states", on_state, 10
    )
    node.release_with_bus(*publishers, subscription)
    return bus


def _hardware_ids(params: Mapping[str, Any]) -> dict[str, str]:
    return {str(j): f"gazebo joint {j}" for j in params.get("joints", ())}


def make_node() -> DriveNode:
    """The node on Gazebo's joint topics."""
    return DriveNode("gazebo_driver_node", open_topic_bus, _hardware_ids)


def main(args: list[str] | None = None) -> None:
    """Run the Gazebo driver until shutdown."""
    run_nodes(lambda: [make_node()], args)


if __name__ == "__main__":
    main()
