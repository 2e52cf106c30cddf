"""Grasp candidates: from above or the side, never from below, fitting the stroke, with
the finger tips above the table and the pads on the part."""

from __future__ import annotations

import math

import numpy as np
import pytest
from planning_scenes import box_on_table, cylinder_on_table, pose

from jazari.planning.grasps import GripperGeometry, generate_grasps, part_symmetries
from jazari.planning.options import GraspOptions
from jazari.planning.part import Part
from jazari.robot.model import RobotModel


@pytest.fixture(scope="module")
def gripper(cell_model: RobotModel) -> GripperGeometry:
    return GripperGeometry.from_model(cell_model)


def test_gripper_geometry_comes_from_the_urdf(gripper: GripperGeometry) -> None:
    assert gripper.stroke_m == pytest.approx(0.085)
    assert gripper.pad_z_m == pytest.approx((-0.025, 0.025))  # 50 mm fingers around the TCP
    assert gripper.palm_z_m == pytest.approx(-0.025)  # the body ends where the fingers start


def _base_tcp(part: Part, grasps: list) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([part.T_base_part @ g.T_part_tcp for g in grasps])


def test_box_grasps_come_from_above_or_the_side_and_keep_the_tips_off_the_table(
    gripper: GripperGeometry,
) -> None:
    part = box_on_table(0.5, 0.0, (0.06, 0.04, 0.045), yaw=0.3)
    opts = GraspOptions()
    grasps = generate_grasps(part, gripper, opts, 0.0035)
    T = _base_tcp(part, grasps)
    approach_z = T[:, 2, 2]
    assert np.all(approach_z <= 0.5)  # nothing from below
    above = np.array([g.from_above for g in grasps])
    # 2 finger axes × 2 orientations from above, at each depth
    assert above.sum() == 4 * opts.depth_samples and (~above).sum() > 0
    tips = T[above, 2, 3] + approach_z[above] * gripper.pad_z_m[1]
    assert np.all(tips >= opts.support_clearance_m - 1e-12)
    for g, Tg in zip(grasps, T, strict=True):
        # the part's extent between the fingers is the grasp width
        across = np.abs(part.T_base_part[:3, :3].T @ Tg[:3, 0]) @ (2 * part.half_extents_m)
        assert g.width_m == pytest.approx(across)
        assert g.width_m < g.open_width_m <= gripper.stroke_m


def test_grasp_depths_run_from_the_deepest_to_the_least_pad_contact(
    gripper: GripperGeometry,
) -> None:
    part = box_on_table(0.5, 0.0, (0.06, 0.04, 0.045))
    opts = GraspOptions(depth_samples=4, min_contact_m=0.01)
    top = [g for g in generate_grasps(part, gripper, opts, 0.0035) if g.from_above]
    assert len(top) == 4 * 4  # 4 closings × 4 depths
    pad_lo, pad_hi = gripper.pad_z_m
    top_face_z = 0.045
    for g in top:
        T = part.T_base_part @ g.T_part_tcp
        tips_z = T[2, 3] - pad_hi  # the TCP z axis points down
        contact = top_face_z - max(tips_z, 0.0)
        assert contact >= opts.min_contact_m - 1e-9
        assert tips_z >= opts.support_clearance_m - 1e-9
        # shallow_m is the height above the deepest grasp of the same closing
        assert tips_z - opts.support_clearance_m == pytest.approx(g.shallow_m, abs=1e-9)
    shallow = sorted({round(g.shallow_m, 9) for g in top})
    assert shallow[0] == 0.0 and len(shallow) == 4
    # the shallowest pads hold exactly min_contact of the part
    assert top_face_z - (opts.support_clearance_m + shallow[-1]) == pytest.approx(0.01)
    assert pad_lo < 0 < pad_hi


def test_a_part_wider_than_the_stroke_has_no_grasp_that_way(gripper: GripperGeometry) -> None:
    part = box_on_table(0.5, 0.0, (0.2, 0.03, 0.04))
    grasps = generate_grasps(part, gripper, GraspOptions(), 0.0035)
    for g in grasps:
        assert g.width_m <= gripper.stroke_m - 2 * 0.0035
    squat = box_on_table(0.5, 0.0, (0.2, 0.2, 0.2))
    assert generate_grasps(squat, gripper, GraspOptions(), 0.0035) == []


def test_a_thin_part_gives_no_top_grasp_without_pad_contact(gripper: GripperGeometry) -> None:
    flat = box_on_table(0.5, 0.0, (0.05, 0.04, 0.008))
    grasps = generate_grasps(flat, gripper, GraspOptions(min_contact_m=0.01), 0.0035)
    assert not any(g.from_above for g in grasps)


def test_cylinder_grasps_sample_around_the_axis_and_the_side(gripper: GripperGeometry) -> None:
    upright = cylinder_on_table(0.5, 0.0, 0.025, 0.09)
    opts = GraspOptions(cylinder_axial_samples=6, cylinder_radial_samples=4)
    grasps = generate_grasps(upright, gripper, opts, 0.0035)
    top = [g for g in grasps if g.from_above]
    # finger directions around the axis, approaching the top face, at each depth
    assert len(top) == 6 * opts.depth_samples
    assert all(g.width_m == pytest.approx(0.05) for g in top)
    side = [g for g in grasps if not g.from_above]
    # 4 directions × 2 finger orientations across the diameter, at each depth
    assert len(side) == 4 * 2 * opts.depth_samples
    # a cylinder lying on the table can be taken from above across its diameter
    lying = Part("cylinder", (0.025, 0.09), pose(0.5, 0.0, 0.025) @ _rot_x(math.pi / 2))
    lying_top = [g for g in generate_grasps(lying, gripper, opts, 0.0035) if g.from_above]
    assert any(g.width_m == pytest.approx(0.05) for g in lying_top)


def _rot_x(angle: float) -> np.ndarray:
    T = np.eye(4)
    T[1:3, 1:3] = [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    return T


def test_symmetries_leave_the_part_in_place() -> None:
    box = box_on_table(0.5, 0.0, (0.06, 0.04, 0.045))
    corners = np.array([[x, y, z, 1.0] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)])
    corners[:, :3] *= box.half_extents_m
    for S in part_symmetries(box, 8):
        moved = (S @ corners.T).T
        assert {tuple(np.round(c, 9)) for c in moved} == {tuple(np.round(c, 9)) for c in corners}
    cyl = cylinder_on_table(0.5, 0.0, 0.02, 0.05)
    assert len(part_symmetries(cyl, 8)) == 16
