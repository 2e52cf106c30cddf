"""The cell end to end in the twin, over the emulated serial drives (real time: slow)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import cv2
import mujoco
import numpy as np
import pytest

from jazari.cell.events import CellEvent, EventKind
from jazari.cell.runner import RunOptions, run_cell, sim_cell
from jazari.cell.sequence import Hooks, State
from jazari.cell.vision import CellVision
from jazari.control.safety import SupervisorState
from jazari.demo import run_demo
from jazari.errors import ConfigError
from jazari.perception.detector import PartDetector
from jazari.perception.params import load_detector_params
from jazari.ports import DriveState
from jazari.record.reader import read_messages, read_topics
from jazari.sim.mjcf import part_body
from jazari.sim.parts import PartInstance, load_catalogue
from jazari.sim.twin import CellTwin

pytestmark = pytest.mark.slow

EXPECTED_TOPICS = {
    "/camera/color/image_raw": "sensor_msgs/msg/Image",
    "/camera/depth/image_raw": "sensor_msgs/msg/Image",
    "/camera/color/camera_info": "sensor_msgs/msg/CameraInfo",
    "/joint_states": "sensor_msgs/msg/JointState",
    "/tf": "tf2_msgs/msg/TFMessage",
    "/tf_static": "tf2_msgs/msg/TFMessage",
    "/detections": "vision_msgs/msg/Detection3DArray",
    "/planned_trajectory": "trajectory_msgs/msg/JointTrajectory",
    "/cell_state": "jazari_interfaces/msg/CellState",
}


def test_short_demo_sorts_three_parts_and_records_a_readable_bag(tmp_path: Path) -> None:
    # Seed 0 spawns three parts, one of them defective.
    report = run_demo(RunOptions(parts=3, seed=0), tmp_path, progress=False)
    assert report == json.loads((tmp_path / "report.json").read_text())
    assert report["parts"] == 3
    assert report["sorted_correctly"] == 3
    assert (report["accepted"], report["rejected"]) == (2, 1)
    assert report["failures"] == []
    assert sorted(p["part"] for p in report["picks"]) == [0, 1, 2]
    assert all(p["software_ms"] > 0 and p["cycle_s"] > 0 for p in report["picks"])
    oee = report["oee"]
    assert oee["oee"] == pytest.approx(oee["availability"] * oee["performance"] * oee["quality"])
    assert oee["availability"] == 1.0
    assert oee["quality"] == pytest.approx(2 / 3)
    topics = read_topics(tmp_path / "cell.mcap")
    for topic, msgtype in EXPECTED_TOPICS.items():
        assert topics[topic].msgtype == msgtype
        assert topics[topic].count > 0, topic
    first = next(iter(read_messages(tmp_path / "cell.mcap", ["/detections"])))
    assert len(first.message.detections) == 3
    picture = cv2.imread(str(tmp_path / "summary.png"))
    assert picture is not None
    assert picture.shape[1] == 640


def test_drive_fault_stops_the_cell_and_nothing_moves_afterwards() -> None:
    with sim_cell(RunOptions(parts=2, seed=1, depth_noise=False)) as cell:
        cycles: list[int] = [0]

        def inject(_state: DriveState) -> None:
            cycles[0] += 1
            if cycles[0] == 200:  # mid-way through the first approach
                cell.emulator.inject_fault("shoulder_lift_joint")  # servo 2: overload

        cell.attach(Hooks(on_drive_state=inject))
        assert cell.sequence.run() is State.STOPPED
        failure = cell.sequence.failures[-1]
        assert failure.stage.startswith("execute:")
        assert "shoulder_lift_joint" in failure.reason
        assert "fault" in failure.reason
        assert cell.supervisor.state is SupervisorState.STOPPED
        time.sleep(0.5)  # the faulted joint, torque off, coasts to rest
        q_stopped = cell.twin.joint_state()[0]
        time.sleep(1.0)
        assert np.max(np.abs(cell.twin.joint_state()[0] - q_stopped)) < 2e-3
        assert cell.supervisor.state is SupervisorState.STOPPED
        assert not cell.sequence.picks


def test_unreachable_part_is_skipped_and_reported() -> None:
    catalogue = load_catalogue()
    parts = [
        PartInstance.nominal(catalogue.spec("red_box"), 0, 0.5, 0.0),
        # At the far corner of the camera's view: every grasp needs the forearm in the table.
        PartInstance.nominal(catalogue.spec("green_cylinder"), 1, 0.88, 0.40),
    ]
    twin = CellTwin(parts)
    with sim_cell(RunOptions(parts=2, depth_noise=False), twin) as cell:
        wide = replace(
            load_detector_params(), work_area_x_m=(0.3, 0.95), work_area_y_m=(-0.45, 0.45)
        )
        cell.sequence.vision = CellVision(PartDetector(wide))
        state = cell.sequence.run()
        truth = cell.truth()
    assert state is State.DONE
    assert [p.part for p in cell.sequence.picks] == [0]
    (failure,) = cell.sequence.failures
    assert failure.stage == "plan"
    assert "collides" in failure.reason
    bins = {p.part_id: p.bin for p in truth.parts}
    assert bins == {0: "bin_accepted", 1: None}


def test_unknown_drive_backend_is_refused_before_anything_starts() -> None:
    with pytest.raises(ConfigError, match="cannot move the simulated cell"):
        run_cell(RunOptions(parts=1, drives="canopen"))


def test_a_part_that_moved_before_the_grasp_is_missed_then_found_again_and_placed() -> None:
    catalogue = load_catalogue()
    twin = CellTwin([PartInstance.nominal(catalogue.spec("blue_box"), 0, 0.5, -0.1)])
    with sim_cell(RunOptions(parts=1, depth_noise=False), twin) as cell:
        moved: list[bool] = []

        def push_away(event: CellEvent) -> None:
            # Someone moves the part after the cell saw it: the grasp closes on nothing.
            if event.kind is EventKind.PICK_START and not moved:
                moved.append(True)
                with twin.lock:
                    joint = mujoco.mj_name2id(twin.model, mujoco.mjtObj.mjOBJ_JOINT, part_body(0))
                    address = twin.model.jnt_qposadr[joint]
                    twin.data.qpos[address : address + 2] = (0.6, 0.15)
                    mujoco.mj_forward(twin.model, twin.data)

        cell.attach(Hooks(on_event=push_away))
        state = cell.sequence.run()
        truth = cell.truth()
    assert state is State.DONE
    kinds = [(e.kind, e.stage) for e in cell.sequence.events.events if e.kind is EventKind.FAILURE]
    assert kinds == [(EventKind.FAILURE, "execute:grasp")]
    assert len(cell.sequence.picks) == 1
    assert truth.parts[0].bin == "bin_accepted"
