"""``sim_node``: the MuJoCo digital twin of the cell as ROS topics.

Publishes, with the twin's time as stamps and on ``/clock`` (run the other nodes with
``use_sim_time``):

- ``camera/color/image_raw`` (rgb8), ``camera/depth/image_raw`` (32FC1 [m], aligned to
  colour) and ``camera/color/camera_info``, at ``camera_rate_hz``;
- ``sim/joint_states``: the simulated arm's true joint state (the drive nodes publish the
  measured one on ``joint_states``).

With ``drives: serial`` the arm moves only through emulated Dynamixel servos served on a
pty linked at ``port`` (the serial driver node opens it); with ``drives: mirror`` it
follows the arm joints of ``joint_states``. The process also runs the twin's
``gripper_node`` (:mod:`jazari.ros.nodes.gripper_node`), which needs the twin in-process.

Parameters: ``config/sim.yaml``, ``camera.yaml``, ``parts.yaml``, ``serial_driver.yaml``.
"""

from __future__ import annotations

from typing import Any

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.parameter import Parameter

from jazari.errors import JazariError
from jazari.ports import DriveState, RGBDFrame
from jazari.ros.convert.base import time_msg
from jazari.ros.convert.images import camera_info_msg, color_image_msg, depth_image_msg
from jazari.ros.convert.joints import joint_positions, joint_state_msg
from jazari.ros.message_types import RclpyMessageTypes
from jazari.ros.node_schemas import schema
from jazari.ros.nodes.gripper_node import GripperNode
from jazari.ros.param_schema import nest
from jazari.ros.parameters import declare_from_schema
from jazari.ros.runtime import run_nodes
from jazari.ros.sim_service import SimCell

#: Images are large: keep the newest two.
IMAGE_QUEUE = 2


class SimNode(Node):  # type: ignore[misc]  # rclpy is untyped without ROS
    """The twin's camera, clock and true joint state."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sim_node", automatically_declare_parameters_from_overrides=True, **kwargs)
        params = nest(declare_from_schema(self, schema("sim_node")))
        self._types = types = RclpyMessageTypes()
        self._camera_frame = str(params["camera_frame"])
        image = types.get("sensor_msgs/msg/Image")
        self._color_pub = self.create_publisher(image, "camera/color/image_raw", IMAGE_QUEUE)
        self._depth_pub = self.create_publisher(image, "camera/depth/image_raw", IMAGE_QUEUE)
        self._info_pub = self.create_publisher(
            types.get("sensor_msgs/msg/CameraInfo"), "camera/color/camera_info", IMAGE_QUEUE
        )
        self._clock_pub = self.create_publisher(types.get("rosgraph_msgs/msg/Clock"), "/clock", 10)
        self._truth_pub = self.create_publisher(
            types.get("sensor_msgs/msg/JointState"), "sim/joint_states", 10
        )
        self.cell = SimCell(params, self._publish_frame, float(params["camera_rate_hz"]))
        group = MutuallyExclusiveCallbackGroup()
        self.create_timer(1.0 / float(params["state_rate_hz"]), self._publish_state, group)
        if self.cell.mode == "mirror":
            self.create_subscription(
                types.get("sensor_msgs/msg/JointState"), "joint_states", self._mirror, 10,
                callback_group=group,
            )  # fmt: skip
        self.get_logger().info(
            f"twin with {len(self.cell.twin.parts)} parts; arm moved by {self.cell.mode} drives"
        )

    def _publish_frame(self, frame: RGBDFrame) -> None:
        """Called from the twin's render thread (rclpy publishers are thread-safe)."""
        types, frame_id, stamp = self._types, self._camera_frame, frame.stamp_s
        self._color_pub.publish(color_image_msg(types, frame.color, stamp, frame_id))
        self._depth_pub.publish(depth_image_msg(types, frame.depth_m, stamp, frame_id))
        self._info_pub.publish(camera_info_msg(types, frame.intrinsics, stamp, frame_id))

    def _publish_state(self) -> None:
        now = self.cell.now()
        self._clock_pub.publish(
            self._types.get("rosgraph_msgs/msg/Clock")(clock=time_msg(self._types, now, "clock"))
        )
        q, v, effort = self.cell.arm_state()
        truth = DriveState(now, self.cell.arm_joints, q, v, effort)
        self._truth_pub.publish(joint_state_msg(self._types, truth))

    def _mirror(self, msg: Any) -> None:
        names = self.cell.arm_joints
        if not set(names) <= set(msg.name):
            return  # another publisher's joints (the gripper's)
        try:
            self.cell.mirror(names, joint_positions(msg, names))
        except JazariError as exc:
            self.get_logger().warning(f"joint state not mirrored: {exc}", throttle_duration_sec=1.0)

    def destroy_node(self) -> None:
        """Stop the twin's threads and emulator before the node goes."""
        self.cell.close()
        super().destroy_node()


def make_nodes() -> list[Node]:
    """The simulator and the gripper node on its twin's gripper. The process's parameter
    files are the simulator's (``/**`` would hand them to every node of the process), so
    the gripper node ignores the command line: its namespace is the simulator's, its
    parameters its defaults, on the simulator's clock."""
    sim = SimNode()
    gripper = GripperNode(
        gripper=sim.cell.gripper,
        namespace=sim.get_namespace(),
        use_global_arguments=False,
        parameter_overrides=[Parameter("use_sim_time", value=True)],
    )
    return [sim, gripper]


def main(args: list[str] | None = None) -> None:
    """Run the simulated cell until shutdown."""
    run_nodes(make_nodes, args)


if __name__ == "__main__":
    main()
