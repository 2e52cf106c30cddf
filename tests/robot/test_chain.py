"""Forward kinematics and Jacobians against independent implementations."""

from __future__ import annotations

import numpy as np
import pytest

from jazari.robot.chain import KinematicChain
from jazari.robot.errors import KinematicsError, RobotModelError
from jazari.robot.model import RobotModel

N_CONFIGS = 1000


def test_fk_matches_yourdfpy_to_a_nanometre(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    yourdfpy = pytest.importorskip("yourdfpy")
    import io

    peer = yourdfpy.URDF.load(
        io.StringIO(cell_model.urdf_text), load_meshes=False, build_collision_scene_graph=False
    )
    Q = cell_model.chain.sample(rng, N_CONFIGS)
    ours = cell_model.chain.fk(Q)
    names = list(peer.actuated_joint_names)
    index = [names.index(j) for j in cell_model.joint_names]
    for q, T in zip(Q, ours, strict=True):
        cfg = np.zeros(len(names))
        cfg[index] = q
        peer.update_cfg(cfg)
        np.testing.assert_allclose(T, peer.get_transform("tcp", "base_link"), atol=1e-9)


def test_fk_matches_pinocchio_to_a_nanometre(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    pin = pytest.importorskip("pinocchio")
    model = pin.buildModelFromXML(cell_model.urdf_text)
    data = model.createData()
    frame = model.getFrameId("tcp")
    base = model.getFrameId("base_link")
    Q = cell_model.chain.sample(rng, N_CONFIGS)
    ours = cell_model.chain.fk(Q)
    order = [model.joints[model.getJointId(j)].idx_q for j in cell_model.joint_names]
    for q, T in zip(Q, ours, strict=True):
        qp = pin.neutral(model)
        qp[order] = q
        pin.framesForwardKinematics(model, data, qp)
        T_peer = data.oMf[base].actInv(data.oMf[frame]).homogeneous
        np.testing.assert_allclose(T, T_peer, atol=1e-9)


def test_jacobian_matches_finite_differences(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    chain = cell_model.chain
    for q in chain.sample(rng, 20):
        J = chain.jacobian(q)
        h = 1e-7
        for i in range(chain.dof):
            dq = np.zeros(chain.dof)
            dq[i] = h
            Tp, Tm = chain.fk(q + dq), chain.fk(q - dq)
            np.testing.assert_allclose(J[:3, i], (Tp[:3, 3] - Tm[:3, 3]) / (2 * h), atol=1e-6)
            dR = (Tp[:3, :3] - Tm[:3, :3]) / (2 * h) @ chain.fk(q)[:3, :3].T
            np.testing.assert_allclose(J[3:, i], [dR[2, 1], dR[0, 2], dR[1, 0]], atol=1e-6)


def test_batched_fk_and_jacobian_equal_single_calls(
    cell_model: RobotModel, rng: np.random.Generator
) -> None:
    chain = cell_model.chain
    Q = chain.sample(rng, 16)
    T_batch, J_batch = chain.fk(Q), chain.jacobian(Q)
    for i, q in enumerate(Q):
        T, J = chain.pose_and_jacobian(q)
        np.testing.assert_allclose(T_batch[i], chain.fk(q), atol=1e-12)
        np.testing.assert_allclose(T_batch[i], T, atol=1e-12)
        np.testing.assert_allclose(J_batch[i], J, atol=1e-12)


def test_zero_configuration_matches_the_ur5e_dh_table(cell_model: RobotModel) -> None:
    chain = KinematicChain.from_urdf(cell_model.urdf, "base_link", "tool0")
    # Stretched arm: x = a2 + a3, y = -(d4 + d6), z = d1 - d5.
    np.testing.assert_allclose(chain.fk(np.zeros(6))[:3, 3], [-0.8172, -0.2329, 0.0628], atol=1e-12)


@pytest.mark.parametrize(
    "q", [np.zeros(5), np.zeros((2, 7)), np.full(6, np.nan), np.array([0, 0, np.inf, 0, 0, 0])]
)
def test_fk_rejects_malformed_joint_values(cell_model: RobotModel, q: np.ndarray) -> None:
    with pytest.raises(KinematicsError):
        cell_model.chain.fk(q)


def test_chain_between_unrelated_links_is_rejected(cell_model: RobotModel) -> None:
    with pytest.raises(RobotModelError, match="does not descend"):
        KinematicChain.from_urdf(cell_model.urdf, "tcp", "base_link")
    with pytest.raises(RobotModelError, match="not in the URDF"):
        KinematicChain.from_urdf(cell_model.urdf, "base_link", "nowhere")


def test_within_limits_flags_each_configuration(cell_model: RobotModel) -> None:
    chain = cell_model.chain
    Q = np.zeros((3, 6))
    Q[1, 2] = 3.2  # elbow beyond π
    Q[2, 0] = -6.3  # base beyond -2π
    assert chain.within_limits(Q).tolist() == [True, False, False]
