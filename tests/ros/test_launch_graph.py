"""Launch test of the simulated cell on ROS 2: ``cell.launch.py sim:=true`` starts, the
perception node publishes detections, and the cell completes a pick.

It needs ROS 2 (launch_testing and rclpy, as in docker/Dockerfile's image, where
``colcon test`` runs it); without them the module is skipped. The same graph runs here
on the rclpy double in ``test_nodes_cell_graph.py``.
"""

from __future__ import annotations

import os
import time
import unittest
from typing import Any

import pytest

pytest.importorskip(
    "launch_testing",
    reason="launch tests need ROS 2 (launch_testing, rclpy); run them with colcon test in "
    "docker/Dockerfile's image",
)
import launch_testing
import launch_testing.actions
import launch_testing.asserts
import rclpy
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from rclpy.node import Node
from rclpy.parameter import Parameter

from jazari.ros.message_types import RclpyMessageTypes

NAMESPACE = "launch_test"
DETECTIONS_TIMEOUT_S = 120.0
PICK_TIMEOUT_S = 300.0


@pytest.mark.launch_test
def generate_test_description() -> LaunchDescription:
    """The simulated cell without RViz, in its own namespace."""
    cell = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            os.path.join(get_package_share_directory("jazari"), "launch", "cell.launch.py")
        ),
        launch_arguments={"sim": "true", "rviz": "false", "namespace": NAMESPACE}.items(),
    )
    return LaunchDescription([cell, launch_testing.actions.ReadyToTest()])


class TestSimulatedCell(unittest.TestCase):
    """Watches the cell from a probe node in its namespace."""

    node: Node
    types: RclpyMessageTypes

    @classmethod
    def setUpClass(cls) -> None:
        rclpy.init()
        cls.node = Node(
            "launch_test_probe",
            namespace=NAMESPACE,
            parameter_overrides=[Parameter("use_sim_time", value=True)],
        )
        cls.types = RclpyMessageTypes()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.node.destroy_node()
        rclpy.try_shutdown()

    def _spin_until(self, done: Any, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            rclpy.spin_once(self.node, timeout_sec=0.1)

    def test_detections_then_a_completed_pick(self) -> None:
        detections: list[Any] = []
        states: list[Any] = []
        self.node.create_subscription(
            self.types.get("vision_msgs/msg/Detection3DArray"), "detections", detections.append, 10
        )
        self.node.create_subscription(
            self.types.get("jazari_interfaces/msg/CellState"), "cell_state", states.append, 10
        )
        self._spin_until(
            lambda: any(d.detections for d in detections), DETECTIONS_TIMEOUT_S, "detections"
        )
        start = self.node.create_client(self.types.get("std_srvs/srv/Trigger"), "cell/start")
        assert start.wait_for_service(timeout_sec=30.0), "cell/start is not served"
        future = start.call_async(self.types.get("std_srvs/srv/Trigger_Request")())
        self._spin_until(future.done, 30.0, "cell/start")
        assert future.result().success, future.result().message
        self._spin_until(
            lambda: bool(states) and states[-1].parts_accepted + states[-1].parts_rejected > 0,
            PICK_TIMEOUT_S,
            "a completed pick",
        )
        assert states[-1].state not in (3, 4), states[-1].message  # not FAULT or ESTOP


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):
    """Every process ended cleanly when launch shut the cell down."""

    def test_exit_codes(self, proc_info: Any) -> None:
        # SIGINT from launch: rclpy nodes end with 0; ros2 tools may report -2 or -15.
        launch_testing.asserts.assertExitCodes(proc_info, allowable_exit_codes=[0, -2, -15])
