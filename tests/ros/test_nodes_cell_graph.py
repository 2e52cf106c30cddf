"""The simulated cell as ROS nodes, on the rclpy double: the MuJoCo twin with emulated
servos on a pty, the serial driver, perception, the planner, the twin's gripper and the
cell node, as ``cell.launch.py sim:=true`` starts them (TF from the URDF in place of
robot_state_publisher). The cell sorts the table: what the launch test checks on ROS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from node_harness import Ros, wait_for

from jazari.planning.scene import Scene

SIM_TIME = {"use_sim_time": True}


def _static_tf(ros: Ros) -> Any:
    """The camera's pose in base_link, as robot_state_publisher would latch it."""
    from jazari.ros.convert.geometry import tf_message, transform_stamped_msg
    from jazari.ros.message_types import RclpyMessageTypes

    types = RclpyMessageTypes()
    node = ros.plain_node("static_tf")
    pub = node.create_publisher(types.get("tf2_msgs/msg/TFMessage"), "/tf_static", 1)
    T = Scene.from_model().fixture_pose("camera_color_optical_frame")
    msg = tf_message(types, [transform_stamped_msg(types, T, "base_link",
                                                   "camera_color_optical_frame", 0.0)])  # fmt: skip
    return lambda: pub.publish(msg)


@pytest.mark.slow
def test_the_simulated_cell_sorts_its_table(ros: Ros, tmp_path: Path) -> None:
    from jazari.ros.nodes import (
        cell_node,
        perception_node,
        planner_node,
        serial_driver_node,
        sim_node,
    )

    port = str(tmp_path / "ttyDXL")
    sim, _gripper = ros.node_for(
        "sim_node", sim_node.make_nodes,
        params={"port": port, "n_parts": 2, "layout_seed": 2, "camera_rate_hz": 1.0},
    )  # fmt: skip
    latch_tf = _static_tf(ros)
    # Every node shares this one interpreter here (on ROS each has its own process), so
    # the arm moves at half speed and the camera films slowly: the emulated servos keep
    # up with their setpoints on a loaded machine.
    ros.node_for("perception_node", perception_node.PerceptionNode,
                 params={"cloud_stride_px": 16, **SIM_TIME})  # fmt: skip
    ros.node_for("planner_node", planner_node.PlannerNode,
                 params={"timing.limit_scale": 0.5, **SIM_TIME})  # fmt: skip
    driver = ros.node_for(
        "serial_driver_node", serial_driver_node.make_node,
        # One interpreter for every node (and a shared, loaded machine): a gentler control
        # rate and watchdog than a driver process of its own needs.
        params={"port": port, "timeout_margin_s": 0.05, "rate_hz": 200.0,
                "safety.watchdog_cycles": 10, "arm_on_activate": True, **SIM_TIME},
    )  # fmt: skip
    assert driver.trigger_configure().name == "SUCCESS"
    assert driver.trigger_activate().name == "SUCCESS"
    cell = ros.node_for("cell_node", cell_node.CellNode, params=SIM_TIME)
    latch_tf()

    watcher = ros.plain_node("watcher")
    detections = ros.listen(watcher, "vision_msgs/msg/Detection3DArray", "detections")
    inspections = ros.listen(watcher, "jazari_interfaces/msg/InspectionResultArray", "inspections")
    markers = ros.listen(watcher, "visualization_msgs/msg/MarkerArray", "detection_markers")
    clouds = ros.listen(watcher, "sensor_msgs/msg/PointCloud2", "camera/points")
    paths = ros.listen(watcher, "nav_msgs/msg/Path", "planned_path")
    states = ros.listen(watcher, "jazari_interfaces/msg/CellState", "cell_state")

    wait_for(
        lambda: all((detections, inspections, markers, clouds)), 30.0, "the first frame's results"
    )
    assert {d.results[0].hypothesis.class_id for d in detections[-1].detections} <= {
        "red_box", "blue_box", "yellow_box", "green_cylinder", "orange_cylinder",
        "purple_cylinder",
    }  # fmt: skip
    assert len(detections[-1].detections) == 2
    assert inspections[-1].header.stamp == detections[-1].header.stamp
    assert clouds[-1].width > 500

    assert cell._start() == (True, "run started")
    wait_for(lambda: bool(states) and states[-1].state in (2, 3, 4), 120.0, "the end of the run")
    final = states[-1]
    assert final.state == 2, final.message  # DONE
    assert final.parts_accepted + final.parts_rejected == 2 and final.parts_failed == 0
    assert paths, "no planned path was published"
    truth = sim.cell.twin.ground_truth()
    for part in truth.parts:
        expected = "bin_rejected" if part.part.is_defective else "bin_accepted"
        assert part.bin == expected, (part.part.spec.name, part.part.defect, part.bin)
    assert 0.0 < final.availability <= 1.0 and final.planned_time.sec > 0
