"""The compiled robot geometry: its kinematics match the model's, its primitives cover the
URDF shapes, and its displacement bounds hold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import PlanningInputError
from jazari.planning.part import Part
from jazari.planning.primitives import cylinder_box_pair, sphere_chain
from jazari.planning.robot_geometry import (
    ATTACHED,
    FINGER_JOINT,
    Attachment,
    RobotGeometry,
    arm_frame_of_links,
    compile_robot,
)
from jazari.robot.model import RobotModel, load_cell_model

_MODEL = load_cell_model()
_ROBOT = compile_robot(_MODEL, 0.05, 0.004)


def _points(robot: RobotGeometry, q: FloatArray) -> FloatArray:
    """Sphere centres and box-pair corners of every moving primitive, (N, M, 3)."""
    FR, Ft = robot.frames(q)
    signs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
    corners = (
        robot.boxes.t[:, :, None]
        + np.einsum(
            "pbij,pbcj->pbci", robot.boxes.R, signs[None, None] * robot.boxes.half[:, :, None]
        )
    ).reshape(len(robot.boxes), -1, 3)
    pts = []
    for f in range(1, 7):
        centres = robot.spheres.centre[robot.sphere_frame == f]
        pts.append(np.einsum("nij,sj->nsi", FR[:, f], centres) + Ft[:, f, None])
        box = np.einsum("nij,scj->nsci", FR[:, f], corners[robot.box_frame == f])
        pts.append(box.reshape(len(q), -1, 3) + Ft[:, f, None])
    return np.concatenate(pts, axis=1)


@pytest.mark.parametrize("n", [1, 50])  # the few-configuration and the batched paths
def test_frames_match_the_model_link_poses(
    cell_model: RobotModel, rng: np.random.Generator, n: int
) -> None:
    q = cell_model.chain.sample(rng, n)
    width = 0.07
    robot = compile_robot(cell_model, width, 0.004)
    FR, Ft = robot.frames(q)
    poses = cell_model.link_poses(q, {FINGER_JOINT: width / 2})
    for link, (f, T) in arm_frame_of_links(cell_model, {FINGER_JOINT: width / 2}).items():
        expected = poses[link] @ np.linalg.inv(T)
        np.testing.assert_allclose(FR[:, f], expected[:, :3, :3], atol=1e-12)
        np.testing.assert_allclose(Ft[:, f], expected[:, :3, 3], atol=1e-12)
    np.testing.assert_allclose(robot.tcp_poses(q), cell_model.chain.fk(q), atol=1e-12)


def test_bodies_are_the_links_with_collision_shapes_and_adjacency_follows_the_joints() -> None:
    assert _ROBOT.bodies[:3] == ("base_link", "shoulder_link", "upper_arm_link")
    assert "tool0" not in _ROBOT.bodies
    index = {n: i for i, n in enumerate(_ROBOT.bodies)}
    assert (index["wrist_2_link"], index["wrist_3_link"]) in _ROBOT.adjacent
    assert (index["wrist_3_link"], index["gripper_base_link"]) not in _ROBOT.adjacent  # same frame
    assert len(_ROBOT.adjacent) == 6


@settings(max_examples=60, deadline=None)
@given(st.floats(0.005, 0.08), st.floats(0.01, 0.5), st.floats(0.001, 0.01))
def test_sphere_chain_covers_its_cylinder_within_the_tolerance(
    r: float, length: float, tol: float
) -> None:
    chain = sphere_chain(np.eye(4), r, length, tol, 0)
    assert np.all(chain.radius <= r + tol + 1e-12)
    rng = np.random.default_rng(0)
    rho = r * np.sqrt(rng.uniform(0, 1, 500))
    phi = rng.uniform(0, 2 * np.pi, 500)
    pts = np.stack(
        [rho * np.cos(phi), rho * np.sin(phi), rng.uniform(-length / 2, length / 2, 500)], 1
    )
    d = np.linalg.norm(pts[:, None] - chain.centre[None], axis=2) - chain.radius[None]
    assert np.all(d.min(axis=1) <= 1e-12)


def test_octagon_box_pair_holds_its_cylinder() -> None:
    pair = cylinder_box_pair(np.eye(4), 0.05, 0.1, 0)
    rng = np.random.default_rng(1)
    phi = rng.uniform(0, 2 * np.pi, 300)
    pts = np.stack([0.05 * np.cos(phi), 0.05 * np.sin(phi), rng.uniform(-0.1, 0.1, 300)], 1)
    for R, t, h in zip(pair.R[0], pair.t[0], pair.half[0], strict=True):
        assert np.all(np.abs((pts - t) @ R) <= h + 1e-12)


@pytest.mark.parametrize("edge_bound", [False, True])
def test_joint_steps_move_no_point_further_than_the_lever_bound(
    edge_bound: bool, rng: np.random.Generator
) -> None:
    qa = _MODEL.chain.sample(rng, 200)
    qb = qa + rng.uniform(-0.4, 0.4, qa.shape)
    if edge_bound:
        levers = _ROBOT.edge_levers(qa, qb)
        bound = np.einsum("ei,ei->e", levers, np.abs(qb - qa))
    else:
        bound = _ROBOT.displacement_bound_m(qb - qa)
    pa = _points(_ROBOT, qa)
    for s in np.linspace(0.1, 1.0, 10):
        moved = np.linalg.norm(_points(_ROBOT, qa + s * (qb - qa)) - pa, axis=2).max(axis=1)
        assert np.all(moved <= s * bound + 1e-9)


def test_attach_adds_a_frame6_body_and_grows_the_levers() -> None:
    part = Part("box", (0.05, 0.3, 0.05), np.eye(4))
    T_tcp_part = np.eye(4)
    T_tcp_part[2, 3] = 0.03
    carried = _ROBOT.attach(Attachment(part, T_tcp_part))
    assert carried.bodies[-1] == ATTACHED and carried.body_frame[-1] == 6
    assert np.all(carried.lever_m >= _ROBOT.lever_m)
    assert carried.lever_m[0] > _ROBOT.lever_m[0]  # a long part reaches further
    with pytest.raises(PlanningInputError, match="already carries"):
        carried.attach(Attachment(part, T_tcp_part))


def test_compile_rejects_a_width_beyond_the_stroke() -> None:
    with pytest.raises(PlanningInputError, match="stroke"):
        compile_robot(_MODEL, 0.2, 0.004)
