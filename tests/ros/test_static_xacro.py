"""The xacro robot_state_publisher and Gazebo are fed with: it expands, with and without
Gazebo's tags, to a URDF the strict reader and yourdfpy load, and the Gazebo part
matches the cell (every joint controlled, the camera as configured)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yourdfpy

from jazari.config import load_params
from jazari.robot.description import expand_xacro
from jazari.robot.model import RobotModel
from jazari.robot.urdf import parse_urdf

ROOT = Path(__file__).resolve().parents[2]
XACRO = ROOT / "urdf" / "cell.urdf.xacro"


@pytest.fixture(scope="module", params=["false", "true"])
def urdf(request: pytest.FixtureRequest) -> tuple[str, str]:
    return str(request.param), expand_xacro(XACRO, {"gazebo": str(request.param)})


def test_xacro_expands_to_a_urdf_both_loaders_accept(urdf: tuple[str, str], tmp_path: Path) -> None:
    _, text = urdf
    model = RobotModel.from_urdf_text(text)
    assert len(model.joint_names) == 6
    path = tmp_path / "cell.urdf"
    path.write_text(text)
    loaded = yourdfpy.URDF.load(str(path), load_meshes=False, build_scene_graph=True)
    assert "camera_color_optical_frame" in loaded.link_map


def test_gazebo_tags_only_with_gazebo_true(urdf: tuple[str, str]) -> None:
    gazebo, text = urdf
    has = ET.fromstring(text).find("gazebo") is not None
    assert has == (gazebo == "true")


def test_gazebo_controls_every_moving_joint_and_publishes_joint_states() -> None:
    root = ET.fromstring(expand_xacro(XACRO, {"gazebo": "true"}))
    controlled = {
        p.findtext("joint_name")
        for p in root.iter("plugin")
        if p.get("filename") == "gz-sim-joint-position-controller-system"
    }
    moving = {j.get("name") for j in root.iter("joint") if j.get("type") != "fixed"}
    assert controlled == moving
    assert any(
        p.get("filename") == "gz-sim-joint-state-publisher-system" for p in root.iter("plugin")
    )


def test_gazebo_camera_has_the_configured_intrinsics_and_frame() -> None:
    root = ET.fromstring(expand_xacro(XACRO, {"gazebo": "true"}))
    sensor = next(root.iter("sensor"))
    cam = load_params("camera")
    assert sensor.get("type") == "rgbd_camera"
    assert int(sensor.findtext("camera/image/width") or 0) == cam["width"]
    assert int(sensor.findtext("camera/image/height") or 0) == cam["height"]
    hfov = float(sensor.findtext("camera/horizontal_fov") or 0.0)
    assert math.isclose(cam["width"] / 2.0 / math.tan(hfov / 2.0), cam["fx"], rel_tol=1e-9)
    assert sensor.findtext("camera/optical_frame_id") == cam["frame_id"]


def test_the_strict_reader_ignores_gazebo_elements_without_changing_the_cell() -> None:
    plain = parse_urdf(expand_xacro(XACRO, {"gazebo": "false"}))
    with_gz = parse_urdf(expand_xacro(XACRO, {"gazebo": "true"}))
    assert set(plain.links) == set(with_gz.links)
    assert set(plain.joints) == set(with_gz.joints)
