"""The MuJoCo model generated from the cell's URDF."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import replace

import mujoco
import numpy as np
import pytest

from jazari.config import load_params
from jazari.geometry.transforms import make_transform
from jazari.ports import CameraIntrinsics
from jazari.robot.description import cell_urdf_text
from jazari.robot.model import RobotModel, load_cell_model
from jazari.robot.urdf import parse_urdf
from jazari.sim.camera_config import CameraConfig, load_camera_config
from jazari.sim.errors import SimConfigError
from jazari.sim.mjcf import (
    CAMERA_NAME,
    CellJoints,
    build_mjcf,
    part_body,
    static_link_bounds,
    static_link_pose,
)
from jazari.sim.params import SimParams, load_sim_params
from jazari.sim.parts import load_catalogue, spawn_parts


@pytest.fixture(scope="module")
def robot() -> RobotModel:
    return load_cell_model()


@pytest.fixture(scope="module")
def joints(robot: RobotModel) -> CellJoints:
    return CellJoints.find(robot.urdf, robot.chain.joint_names, robot.chain.base)


@pytest.fixture(scope="module")
def model(robot: RobotModel, joints: CellJoints) -> mujoco.MjModel:
    parts = spawn_parts(load_catalogue(), 4, np.random.default_rng(0), defect_probability=1.0)
    xml = build_mjcf(robot.urdf, joints, load_sim_params(), load_camera_config(), parts)
    return mujoco.MjModel.from_xml_string(xml)


def _name(m: mujoco.MjModel, obj: mujoco.mjtObj, i: int) -> str:
    return str(mujoco.mj_id2name(m, obj, i))


def test_joints_are_classified_from_the_urdf(joints: CellJoints, robot: RobotModel) -> None:
    assert joints.arm == robot.chain.joint_names
    assert joints.gripper == "gripper_finger_joint"
    assert joints.mimics == (("gripper_right_finger_joint", "gripper_finger_joint", 1.0, 0.0),)
    assert set(joints.fingers) == {"gripper_left_finger", "gripper_right_finger"}


def test_every_urdf_link_becomes_a_body_of_the_same_name(
    model: mujoco.MjModel, robot: RobotModel
) -> None:
    bodies = {_name(model, mujoco.mjtObj.mjOBJ_BODY, i) for i in range(1, model.nbody)}
    links = set(robot.urdf.links) - {robot.urdf.root}
    assert links <= bodies
    assert {"tcp", "camera_color_optical_frame", "bin_accepted", "bin_rejected"} <= bodies


def test_body_poses_match_urdf_kinematics(model: mujoco.MjModel, robot: RobotModel) -> None:
    rng = np.random.default_rng(7)
    d = mujoco.MjData(model)
    arm_qpos = [model.jnt_qposadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, n)]
                for n in robot.chain.joint_names]  # fmt: skip
    grip = model.jnt_qposadr[
        mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, "gripper_finger_joint")
    ]
    mimic = model.jnt_qposadr[
        mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, "gripper_right_finger_joint")
    ]
    for q in robot.chain.sample(rng, 5):
        g = float(rng.uniform(0.0, 0.0425))
        d.qpos[arm_qpos] = q
        d.qpos[grip] = d.qpos[mimic] = g
        mujoco.mj_kinematics(model, d)
        expected = robot.link_poses(q, {"gripper_finger_joint": g})
        for link, T in expected.items():
            b = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, link)
            T_mj = make_transform(d.xmat[b].reshape(3, 3), d.xpos[b])
            np.testing.assert_allclose(T_mj, T, atol=1e-9, err_msg=link)


def test_fixed_links_sit_where_the_urdf_puts_them(model: mujoco.MjModel, robot: RobotModel) -> None:
    d = mujoco.MjData(model)
    mujoco.mj_kinematics(model, d)
    for link in ("table", "bin_accepted", "bin_rejected", "camera_color_optical_frame"):
        b = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, link)
        T_mj = make_transform(d.xmat[b].reshape(3, 3), d.xpos[b])
        np.testing.assert_allclose(T_mj, static_link_pose(robot.urdf, link), atol=1e-12)


def test_camera_field_of_view_reproduces_the_configured_focal_length(model: mujoco.MjModel) -> None:
    k = load_camera_config().intrinsics
    cam = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, CAMERA_NAME)
    fy = k.height / 2.0 / math.tan(math.radians(model.cam_fovy[cam]) / 2.0)
    assert fy == pytest.approx(k.fy, rel=1e-9)
    assert model.vis.global_.offwidth == k.width and model.vis.global_.offheight == k.height


def test_simulator_settings_come_from_sim_yaml(model: mujoco.MjModel) -> None:
    p = load_sim_params()
    assert model.opt.integrator == mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    assert model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC
    assert model.opt.timestep == p.physics.timestep_s
    names = [_name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i) for i in range(model.nu)]
    for i, joint in enumerate(load_cell_model().chain.joint_names):
        a = names.index(f"{joint}_pos")
        assert model.actuator_gainprm[a, 0] == pytest.approx(p.arm.kp_nm_rad[i])
        assert model.actuator_biasprm[a, 1] == pytest.approx(-p.arm.kp_nm_rad[i])
        v = names.index(f"{joint}_vel")
        assert model.actuator_gainprm[v, 0] == pytest.approx(p.arm.kv_nms_rad[i])
    g = names.index("gripper")
    assert model.actuator_forcerange[g].tolist() == [
        -p.gripper.force_limit_n,
        p.gripper.force_limit_n,
    ]


def test_mimic_finger_is_an_equality_constraint(model: mujoco.MjModel) -> None:
    assert model.neq == 1
    assert model.eq_type[0] == mujoco.mjtEq.mjEQ_JOINT
    np.testing.assert_allclose(model.eq_data[0, :5], [0.0, 1.0, 0.0, 0.0, 0.0])


def test_joint_limits_and_efforts_come_from_the_urdf(
    model: mujoco.MjModel, robot: RobotModel
) -> None:
    for joint in robot.chain.joint_names:
        j = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, joint)
        uj = robot.urdf.joints[joint]
        np.testing.assert_allclose(model.jnt_range[j], [uj.lower, uj.upper])
        np.testing.assert_allclose(model.jnt_actfrcrange[j], [-uj.effort, uj.effort])


def test_parts_have_their_size_colour_mass_and_mark(model: mujoco.MjModel) -> None:
    parts = spawn_parts(load_catalogue(), 4, np.random.default_rng(0), defect_probability=1.0)
    for p in parts:
        g = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, part_body(p.part_id))
        b = model.geom_bodyid[g]
        assert model.body_mass[b] == pytest.approx(p.spec.mass_kg)
        np.testing.assert_allclose(model.geom_rgba[g, :3], p.color_rgb, atol=1e-9)
        half = np.array(p.dimensions_m) / 2.0
        if p.spec.shape == "box":
            np.testing.assert_allclose(model.geom_size[g], half, atol=1e-9)
        else:
            np.testing.assert_allclose(model.geom_size[g, :2], half, atol=1e-9)
        mark = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"{part_body(p.part_id)}_mark")
        assert (mark >= 0) == (p.mark is not None)
        if mark >= 0:
            assert model.geom_contype[mark] == 0 and model.geom_conaffinity[mark] == 0


def test_mesh_geometry_is_rejected_naming_the_link(joints: CellJoints) -> None:
    text = re.sub(
        r'(<link name="base_link">.*?<collision>.*?)<cylinder [^>]*/>',
        r'\1<mesh filename="base.stl"/>', cell_urdf_text(), count=1, flags=re.S,
    )  # fmt: skip
    urdf = parse_urdf(text)
    with pytest.raises(SimConfigError, match=r"'base_link'.*'mesh'"):
        build_mjcf(urdf, joints, load_sim_params(), load_camera_config())


def test_camera_with_unequal_focal_lengths_is_rejected(
    robot: RobotModel, joints: CellJoints
) -> None:
    cam = load_camera_config()
    bad = replace(cam, intrinsics=CameraIntrinsics(640, 480, 615.0, 600.0, 319.5, 239.5))
    with pytest.raises(SimConfigError, match=r"fx 615\.0 != fy 600\.0"):
        build_mjcf(robot.urdf, joints, load_sim_params(), bad)


def test_camera_with_off_centre_principal_point_is_rejected() -> None:
    params = dict(load_params("camera"), cx=300.0)
    with pytest.raises(SimConfigError, match=r"cx must be 319\.5, got 300\.0"):
        CameraConfig.from_params(params).fovy_deg()


def test_sim_params_name_the_bad_value() -> None:
    params = copy.deepcopy(load_params("sim"))
    params["physics"]["timestep_s"] = -0.001
    with pytest.raises(SimConfigError, match=r"physics\.timestep_s.*-0.001"):
        SimParams.from_params(params)
    params = copy.deepcopy(load_params("sim"))
    params["arm"]["kp_nm_rad"] = [1.0, 2.0]
    with pytest.raises(SimConfigError, match=r"arm\.kp_nm_rad"):
        SimParams.from_params(params)
    params = copy.deepcopy(load_params("sim"))
    params["physics"]["integrator"] = "verlet"
    with pytest.raises(SimConfigError, match="'verlet'"):
        SimParams.from_params(params)


def test_static_link_bounds_of_the_table_give_its_top_at_z0(robot: RobotModel) -> None:
    lo, hi = static_link_bounds(robot.urdf, "table")
    assert hi[2] == pytest.approx(0.0)
    assert lo[0] < 0.35 and hi[0] > 0.75 and lo[1] < -0.25 and hi[1] > 0.25


def test_static_link_pose_rejects_moving_links(robot: RobotModel) -> None:
    with pytest.raises(SimConfigError, match="'tcp' moves"):
        static_link_pose(robot.urdf, "tcp")
