"""The serial driver node on the rclpy double, on emulated Dynamixel servos behind a pty:
its lifecycle, FollowJointTrajectory, joint states, diagnostics, e-stop and re-arm."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from node_harness import Ros, wait_for, wait_future

from jazari.robot.model import load_cell_model
from jazari.robot.trajectory import JointTrajectory
from jazari.ros.convert.trajectories import follow_joint_trajectory_goal
from jazari.sim.dynamixel_emulator import EmulatorConfig, EmulatorThread
from jazari.sim.dynamixel_servo import ServoSpec

START = np.array([0.0, -0.5, 0.8, -0.3, 0.2, 0.1])
SUCCEEDED, ABORTED = 4, 6


@pytest.fixture
def emulator() -> Iterator[EmulatorThread]:
    specs = tuple(ServoSpec(k + 1, float(q), return_delay_time=0) for k, q in enumerate(START))
    with EmulatorThread(EmulatorConfig(specs, boot_time_s=0.02)) as em:
        yield em


def _driver(ros: Ros, port: str, **overrides: Any) -> Any:
    """The serial driver node (its module's ``make_node``) on ``port``, with ``-p``
    overrides: servos as direct drives (the emulator's motor models) and a wide reply
    margin (the emulator shares this interpreter)."""
    from jazari.ros.nodes.serial_driver_node import make_node

    params = {"port": port, "counts_per_rev": [4096] * 6, "timeout_margin_s": 0.02,
              "torque_constant_nm_per_a": [10.6 / 4.4] * 6, "connect_timeout_s": 0.5,
              **overrides}  # fmt: skip
    extra = []
    for name, value in params.items():
        extra += ["-p", f"{name}:={json.dumps(value)}"]
    ros.init("serial_driver", extra=extra)
    node = make_node()
    ros.nodes.append(node)
    return node


def _goal(q0: np.ndarray, dq: float, duration_s: float) -> JointTrajectory:
    t = np.linspace(0.0, duration_s, 11)
    s = 0.5 - 0.5 * np.cos(np.pi * t / duration_s)
    v = 0.5 * np.pi / duration_s * np.sin(np.pi * t / duration_s)
    q = q0 + s[:, None] * dq
    return JointTrajectory(load_cell_model().joint_names, t, q, v[:, None] * np.full(6, dq), 0 * q)


def _call(client: Any, what: str) -> Any:
    from jazari.ros.message_types import RclpyMessageTypes

    request = RclpyMessageTypes().get("std_srvs/srv/Trigger_Request")()
    return wait_future(client.call_async(request), 5.0, what)


def test_lifecycle_follow_estop_rearm_and_release(emulator: EmulatorThread, ros: Ros) -> None:
    from rclpy.action import ActionClient
    from rclpy.lifecycle import TransitionCallbackReturn as Ret

    from jazari.ros.message_types import RclpyMessageTypes

    types = RclpyMessageTypes()
    driver = _driver(ros, emulator.port)
    client_node = ros.plain_node("client")
    states = ros.listen(client_node, "sensor_msgs/msg/JointState", "joint_states")
    diagnostics = ros.listen(client_node, "diagnostic_msgs/msg/DiagnosticArray", "diagnostics")
    action = ActionClient(client_node, types.get("control_msgs/action/FollowJointTrajectory"),
                          "follow_joint_trajectory")  # fmt: skip
    trigger = types.get("std_srvs/srv/Trigger")
    estop = client_node.create_client(trigger, "drives/estop")
    rearm = client_node.create_client(trigger, "drives/rearm")

    assert not _call(estop, "estop before configure").success
    assert driver.trigger_configure() is Ret.SUCCESS
    assert driver.trigger_activate() is Ret.SUCCESS
    wait_for(lambda: len(states) > 5 and len(diagnostics) > 0, 5.0, "joint states, diagnostics")
    np.testing.assert_allclose(list(states[-1].position), START, atol=2e-3)
    supervisor = next(s for s in diagnostics[-1].status if s.name.endswith("safety supervisor"))
    assert supervisor.message == "disarmed"
    assert (
        len(diagnostics[-1].status) == 7
        and diagnostics[-1].status[0].hardware_id == "dynamixel id 1"
    )

    assert _call(rearm, "rearm").success
    goal = follow_joint_trajectory_goal(types, _goal(START, 0.1, 0.5))
    feedback: list[Any] = []
    handle = wait_future(
        action.send_goal_async(goal, feedback_callback=feedback.append), 5.0, "goal"
    )
    assert handle.accepted
    result = wait_future(handle.get_result_async(), 10.0, "result")
    assert result.status == SUCCEEDED and result.result.error_code == 0
    assert feedback and list(feedback[0].feedback.joint_names) == list(
        load_cell_model().joint_names
    )

    long_goal = follow_joint_trajectory_goal(types, _goal(START + 0.1, 0.3, 3.0))
    handle = wait_future(action.send_goal_async(long_goal), 5.0, "long goal")
    wait_for(lambda: len(feedback) > 3, 5.0, "motion")
    assert _call(estop, "estop").success
    stopped = wait_future(handle.get_result_async(), 10.0, "stopped result")
    assert stopped.status == ABORTED and "e-stop" in stopped.result.error_string
    refused = wait_future(
        wait_future(action.send_goal_async(goal), 5.0, "goal after estop").get_result_async(),
        5.0, "result after estop",
    )  # fmt: skip
    assert refused.status == ABORTED and "arm it first" in refused.result.error_string
    assert _call(rearm, "rearm after estop").success

    assert driver.trigger_deactivate() is Ret.SUCCESS
    rejected = wait_future(action.send_goal_async(goal), 5.0, "goal while inactive")
    assert not rejected.accepted
    assert driver.trigger_cleanup() is Ret.SUCCESS
    assert not _call(rearm, "rearm after cleanup").success


def test_a_malformed_goal_aborts_with_invalid_goal_and_names_the_field(
    emulator: EmulatorThread, ros: Ros
) -> None:
    from rclpy.action import ActionClient

    from jazari.ros.message_types import RclpyMessageTypes

    types = RclpyMessageTypes()
    driver = _driver(ros, emulator.port, arm_on_activate=True)
    driver.trigger_configure()
    driver.trigger_activate()
    action_type = types.get("control_msgs/action/FollowJointTrajectory")
    client = ActionClient(ros.plain_node("c"), action_type, "follow_joint_trajectory")
    goal = follow_joint_trajectory_goal(types, _goal(START, 0.1, 0.5))
    goal.trajectory.points[3].positions[2] = float("nan")
    handle = wait_future(client.send_goal_async(goal), 5.0, "goal")
    result = wait_future(handle.get_result_async(), 5.0, "result")
    assert result.status == ABORTED and result.result.error_code == -1
    assert "points[3].positions[2]" in result.result.error_string


def test_configure_fails_when_the_port_never_appears(ros: Ros, tmp_path: Any) -> None:
    from rclpy.lifecycle import TransitionCallbackReturn as Ret

    driver = _driver(ros, str(tmp_path / "no-such-tty"), connect_timeout_s=0.2)
    assert driver.trigger_configure() is Ret.FAILURE
    assert driver.transition_errors == []


class GazeboJoints:
    """Gazebo's side of the bridge: position controllers that reach their command at
    once, and the joint state publisher (every 5 ms)."""

    def __init__(self, ros: Ros) -> None:
        from rclpy.callback_groups import ReentrantCallbackGroup

        from jazari.ros.message_types import RclpyMessageTypes

        self.types = RclpyMessageTypes()
        self.node = ros.plain_node("gazebo")
        self.names = load_cell_model().joint_names
        self.q = START.copy()
        for k, joint in enumerate(self.names):
            self.node.create_subscription(
                self.types.get("std_msgs/msg/Float64"), f"gz/{joint}/cmd_pos",
                lambda msg, k=k: self._command(k, msg), 10,
            )  # fmt: skip
        self.pub = self.node.create_publisher(
            self.types.get("sensor_msgs/msg/JointState"), "gz/joint_states", 10
        )
        self.node.create_timer(0.005, self._publish, ReentrantCallbackGroup())

    def _command(self, k: int, msg: Any) -> None:
        self.q[k] = float(msg.data)

    def _publish(self) -> None:
        msg = self.types.get("sensor_msgs/msg/JointState")()
        msg.name = list(self.names)
        msg.position = self.types.sequence(self.q.copy())
        self.pub.publish(msg)


def test_gazebo_driver_follows_trajectories_on_gazebos_topics(ros: Ros) -> None:
    from rclpy.action import ActionClient

    from jazari.ros.message_types import RclpyMessageTypes
    from jazari.ros.nodes.gazebo_driver_node import make_node

    driver = ros.node_for("gazebo_driver_node", make_node, params={"arm_on_activate": True})
    assert driver.trigger_configure().name == "SUCCESS"
    gazebo = GazeboJoints(ros)  # Gazebo comes up after the driver: activation waits for it
    assert driver.trigger_activate().name == "SUCCESS"
    types = RclpyMessageTypes()
    action_type = types.get("control_msgs/action/FollowJointTrajectory")
    client = ActionClient(ros.plain_node("c"), action_type, "follow_joint_trajectory")
    goal = follow_joint_trajectory_goal(types, _goal(START, 0.1, 0.5))
    handle = wait_future(client.send_goal_async(goal), 5.0, "goal")
    result = wait_future(handle.get_result_async(), 10.0, "result")
    assert result.status == SUCCEEDED, result.result.error_string
    # The goal succeeds within its tolerance; the held final setpoint then arrives.
    wait_for(lambda: np.allclose(gazebo.q, START + 0.1, atol=1e-6), 2.0, "the final setpoint")
    assert driver.trigger_deactivate().name == "SUCCESS"
    assert driver.trigger_cleanup().name == "SUCCESS"
    subscriptions = ros.middleware.subscriptions.get("/gz/joint_states", [])
    assert not [s for s in subscriptions if s.alive and s.node is driver]
    assert not driver._publishers  # the command publishers went with the bus
