"""The URDF reader: the cell's description, and clear errors for broken files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jazari.robot.description import cell_urdf_text, expand_xacro
from jazari.robot.errors import RobotModelError
from jazari.robot.model import RobotModel
from jazari.robot.urdf import parse_urdf

ARM_JOINTS = (
    "shoulder_pan_joint",
    "shoulder_lift_joint",
    "elbow_joint",
    "wrist_1_joint",
    "wrist_2_joint",
    "wrist_3_joint",
)


FIXED_WITH_SHORT_ORIGIN = (
    '<joint name="j" type="fixed"><parent link="a"/><child link="b"/><origin xyz="0 0"/></joint>'
)
NEGATIVE_BOX = (
    '<robot name="r"><link name="a"><collision><geometry><box size="1 -1 1"/></geometry>'
    "</collision></link></robot>"
)


def _robot(body: str) -> str:
    return f'<robot name="r"><link name="a"/><link name="b"/>{body}</robot>'


def _revolute(
    limit: str = '<limit lower="-1" upper="1" effort="1" velocity="1"/>', parent: str = "a"
) -> str:
    return (
        f'<joint name="j" type="revolute"><parent link="{parent}"/><child link="b"/>'
        f'<axis xyz="0 0 1"/>{limit}</joint>'
    )


def test_cell_has_the_arm_gripper_camera_and_furniture(cell_model: RobotModel) -> None:
    links = cell_model.urdf.links
    expected = {
        "world", "table", "bin_accepted", "bin_rejected", "camera_link",
        "camera_color_optical_frame", "tool0", "tcp", "gripper_left_finger", "gripper_right_finger",
    }  # fmt: skip
    assert expected <= set(links)
    assert cell_model.joint_names == ARM_JOINTS


def test_cell_arm_limits_are_those_of_a_ur5e(cell_model: RobotModel) -> None:
    chain = cell_model.chain
    np.testing.assert_allclose(chain.upper, [2 * math.pi] * 2 + [math.pi] + [2 * math.pi] * 3)
    np.testing.assert_allclose(chain.lower, -chain.upper)
    np.testing.assert_allclose(chain.velocity, math.pi)
    np.testing.assert_allclose(chain.effort, [150, 150, 150, 28, 28, 28])


def test_cell_arm_masses_follow_the_manufacturer(cell_model: RobotModel) -> None:
    masses = {
        "base_link": 4.0, "shoulder_link": 3.761, "upper_arm_link": 8.058, "forearm_link": 2.846,
        "wrist_1_link": 1.37, "wrist_2_link": 1.3, "wrist_3_link": 0.365,
    }  # fmt: skip
    for link, mass in masses.items():
        inertial = cell_model.urdf.links[link].inertial
        assert inertial is not None
        assert inertial.mass == pytest.approx(mass)
        assert np.all(np.linalg.eigvalsh(inertial.inertia) > 0)


def test_cell_collision_geometry_is_primitives_only(cell_model: RobotModel) -> None:
    kinds = {s.kind for link in cell_model.urdf.links.values() for s in link.collisions}
    assert kinds <= {"box", "cylinder", "sphere"}
    for link in (
        "shoulder_link",
        "upper_arm_link",
        "forearm_link",
        "wrist_1_link",
        "wrist_2_link",
        "wrist_3_link",
    ):
        assert cell_model.urdf.links[link].collisions, link


def test_gripper_opens_85_mm_with_a_mimicking_finger(cell_model: RobotModel) -> None:
    joints = cell_model.urdf.joints
    travel = joints["gripper_finger_joint"].upper
    assert 2 * travel == pytest.approx(0.085)
    assert joints["gripper_right_finger_joint"].mimic == ("gripper_finger_joint", 1.0, 0.0)
    poses = cell_model.link_poses(np.zeros(6), {"gripper_finger_joint": travel},
                                  ["gripper_left_finger", "gripper_right_finger"])  # fmt: skip
    gap = np.linalg.norm(poses["gripper_left_finger"][:3, 3] - poses["gripper_right_finger"][:3, 3])
    assert gap == pytest.approx(0.085)


def test_camera_optical_frame_looks_down_at_the_table(cell_model: RobotModel) -> None:
    model = RobotModel.from_urdf_text(cell_urdf_text(), base="world", tip="tcp")
    poses = model.link_poses(np.zeros(6), links=["camera_color_optical_frame"])
    T = poses["camera_color_optical_frame"]
    np.testing.assert_allclose(T[:3, 2], [0, 0, -1], atol=1e-12)  # optical z points down
    assert T[2, 3] > 0.5


def test_xacro_expansion_fails_clearly_on_a_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RobotModelError, match="not found"):
        expand_xacro(tmp_path / "nope.xacro")


def test_xacro_expansion_reports_xacro_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.xacro"
    bad.write_text(
        '<robot xmlns:xacro="http://www.ros.org/wiki/xacro"><xacro:undefined_macro/></robot>'
    )
    with pytest.raises(RobotModelError, match=r"bad\.xacro"):
        expand_xacro(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<robot", "not well-formed"),
        ("<model/>", "root element must be <robot>"),
        ('<robot name="r"/>', "no <link>"),
        (_robot(_revolute(limit="")), "needs <limit>"),
        (
            _robot(_revolute('<limit lower="abc" upper="1" effort="1" velocity="1"/>')),
            "lower 'abc' is not a number",
        ),
        (
            _robot(_revolute('<limit lower="2" upper="1" effort="1" velocity="1"/>')),
            "lower 2.0 is above upper 1.0",
        ),
        (_robot(_revolute(parent="ghost")), "unknown link 'ghost'"),
        (
            _robot('<joint name="j" type="hinge"><parent link="a"/><child link="b"/></joint>'),
            "type 'hinge'",
        ),
        (_robot(""), "exactly one root link"),
        (_robot(FIXED_WITH_SHORT_ORIGIN), "origin xyz must be 3"),
        ('<robot name="r"><link name="a"/><link name="a"/></robot>', "defined twice"),
        (NEGATIVE_BOX, "must be > 0"),
    ],
)
def test_broken_urdf_raises_an_error_naming_the_fault(text: str, message: str) -> None:
    with pytest.raises(RobotModelError, match=message):
        parse_urdf(text)


def test_link_with_two_parents_is_rejected() -> None:
    text = (
        '<robot name="r"><link name="a"/><link name="b"/><link name="c"/>'
        '<joint name="j1" type="fixed"><parent link="a"/><child link="c"/></joint>'
        '<joint name="j2" type="fixed"><parent link="b"/><child link="c"/></joint></robot>'
    )
    with pytest.raises(RobotModelError, match="two parent joints"):
        parse_urdf(text)
