"""The twin as a plant: joint setpoints in, measured joint states out, on its own clock."""

from __future__ import annotations

import math
from dataclasses import replace

import mujoco
import numpy as np
import pytest

from jazari.ports import Clock, Gripper
from jazari.sim.errors import SimCommandError, SpawnError
from jazari.sim.params import load_sim_params
from jazari.sim.parts import PartInstance, load_catalogue
from jazari.sim.plant import JointPlant
from jazari.sim.twin import CellTwin


@pytest.fixture
def twin() -> CellTwin:
    return CellTwin.with_random_parts(3, seed=11)


def test_twin_implements_the_plant_clock_and_gripper_ports(twin: CellTwin) -> None:
    assert isinstance(twin, JointPlant)
    assert isinstance(twin, Clock)
    assert isinstance(twin.gripper, Gripper)
    assert twin.joint_names == (
        "shoulder_pan_joint", "shoulder_lift_joint", "elbow_joint",
        "wrist_1_joint", "wrist_2_joint", "wrist_3_joint",
    )  # fmt: skip


def test_arm_starts_at_home_and_holds_it_against_gravity(twin: CellTwin) -> None:
    home = np.array(load_sim_params().arm.home_q_rad)
    q, _, _ = twin.joint_state()
    np.testing.assert_allclose(q, home)
    twin.sleep(1.0)
    q, qd, effort = twin.joint_state()
    np.testing.assert_allclose(q, home, atol=1e-4)
    np.testing.assert_allclose(qd, 0.0, atol=1e-4)
    # At rest the drives carry the links' weight: efforts equal the gravity torques.
    d = twin.data
    dofs = [twin.model.jnt_dofadr[mujoco.mj_name2id(twin.model, mujoco.mjtObj.mjOBJ_JOINT, n)]
            for n in twin.joint_names]  # fmt: skip
    np.testing.assert_allclose(effort, d.qfrc_bias[dofs], atol=0.05)
    assert abs(effort[1]) > 5.0  # the shoulder lifts the arm


def test_clock_advances_by_whole_steps_and_carries_the_remainder(twin: CellTwin) -> None:
    step = twin.model.opt.timestep
    assert twin.now() == 0.0
    twin.advance(step * 0.6)
    assert twin.now() == 0.0
    twin.advance(step * 0.6)
    assert twin.now() == pytest.approx(step)
    twin.sleep(0.5)
    assert twin.now() == pytest.approx(0.5 + step, abs=step)
    twin.sleep(-1.0)
    assert twin.now() == pytest.approx(0.5 + step, abs=step)


def test_a_step_of_the_setpoint_is_reached_and_held(twin: CellTwin) -> None:
    q0, _, _ = twin.joint_state()
    goal = q0 + np.array([0.2, -0.1, 0.15, 0.1, -0.2, 0.3])
    twin.set_joint_targets(goal)
    twin.advance(1.5)
    q, qd, _ = twin.joint_state()
    np.testing.assert_allclose(q, goal, atol=1e-3)
    np.testing.assert_allclose(qd, 0.0, atol=1e-2)


def test_moving_setpoints_are_tracked_closely_with_velocity_feedforward(twin: CellTwin) -> None:
    q0, _, _ = twin.joint_state()
    period = 0.002
    worst = 0.0
    for k in range(1, 1001):
        t = k * period
        q_des = q0 + 0.4 * (1.0 - math.cos(math.pi * t)) * np.ones(6)  # starts at rest
        twin.set_joint_targets(q_des)
        twin.advance(period)
        q, _, _ = twin.joint_state()
        worst = max(worst, float(np.max(np.abs(q - q_des))))
    # 1.26 rad/s peak: one control period of lag is 2.5 mrad; kv/kp alone would give 60.
    assert worst < 5e-3


def test_without_feedforward_the_same_motion_lags(twin: CellTwin) -> None:
    params = load_sim_params()
    slow = CellTwin(
        twin.parts, params=replace(params, arm=replace(params.arm, velocity_feedforward=False))
    )
    q0, _, _ = slow.joint_state()
    worst = 0.0
    for k in range(1, 501):
        q_des = q0 + 0.4 * (1.0 - math.cos(math.pi * k * 0.002)) * np.ones(6)
        slow.set_joint_targets(q_des)
        slow.advance(0.002)
        worst = max(worst, float(np.max(np.abs(slow.joint_state()[0] - q_des))))
    assert worst > 2e-2


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (np.zeros(5), r"shape \(6,\)"),
        (["a", "b", "c", "d", "e", "f"], "must be numbers"),
        (np.array([0.0, 0.0, math.nan, 0.0, 0.0, 0.0]), "elbow_joint = nan"),
        (np.array([0.0, 0.0, 4.0, 0.0, 0.0, 0.0]), "elbow_joint = 4.0"),
        (np.array([0.0, 0.0, 0.0, 0.0, 0.0, math.inf]), "wrist_3_joint = inf"),
    ],
)
def test_bad_setpoints_raise_naming_the_value_and_nothing_moves(
    twin: CellTwin, targets: object, message: str
) -> None:
    ctrl_before = twin.data.ctrl.copy()
    with pytest.raises(SimCommandError, match=message):
        twin.set_joint_targets(targets)
    np.testing.assert_array_equal(twin.data.ctrl, ctrl_before)
    q0, _, _ = twin.joint_state()
    twin.advance(0.2)
    np.testing.assert_allclose(twin.joint_state()[0], q0, atol=1e-5)


@pytest.mark.parametrize("dt", [-0.1, math.nan, math.inf])
def test_bad_durations_raise(twin: CellTwin, dt: float) -> None:
    with pytest.raises(SimCommandError, match="dt_s"):
        twin.advance(dt)


def test_same_seed_and_commands_give_the_same_trajectory_of_states() -> None:
    def run() -> np.ndarray:
        twin = CellTwin.with_random_parts(4, seed=5)
        q0, _, _ = twin.joint_state()
        states = []
        for k in range(300):
            twin.set_joint_targets(q0 + 0.3 * math.sin(0.02 * k))
            twin.advance(0.004)
            states.append(twin.data.qpos.copy())
        twin.gripper.close()
        states.append(twin.data.qpos.copy())
        return np.array(states)

    a, b = run(), run()
    np.testing.assert_array_equal(a, b)


def test_parts_rest_on_the_table_without_drifting() -> None:
    twin = CellTwin.with_random_parts(6, seed=2)
    before = twin.ground_truth()
    twin.sleep(1.0)
    after = twin.ground_truth()
    for a, b in zip(before.parts, after.parts, strict=True):
        np.testing.assert_allclose(b.T_world_part[:3, 3], a.T_world_part[:3, 3], atol=5e-4)
        np.testing.assert_allclose(b.T_world_part[:3, :3], a.T_world_part[:3, :3], atol=1e-3)


def test_part_off_the_table_is_rejected_naming_it() -> None:
    spec = load_catalogue().spec("red_box")
    with pytest.raises(SpawnError, match=r"part 7 \(red_box\)"):
        CellTwin([PartInstance.nominal(spec, 7, 2.0, 0.0)])


def test_repeated_part_ids_are_rejected() -> None:
    spec = load_catalogue().spec("red_box")
    parts = [PartInstance.nominal(spec, 1, 0.5, 0.0), PartInstance.nominal(spec, 1, 0.6, 0.1)]
    with pytest.raises(SpawnError, match="unique"):
        CellTwin(parts)


def test_reset_restores_the_initial_scene(twin: CellTwin) -> None:
    first = twin.data.qpos.copy()
    twin.set_joint_targets(twin.joint_state()[0] + 0.1)
    twin.sleep(0.3)
    twin.reset()
    assert twin.now() == 0.0
    np.testing.assert_array_equal(twin.data.qpos, first)
