"""A scripted pick and place of each part type: the twin grasps by friction, holds, and
drops into a bin.

IK to the ground-truth pose, close, lift 10 cm, hold 2 s, move over a bin, open.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jazari.geometry.transforms import FloatArray, make_transform
from jazari.robot.ik_analytic import AnalyticIK
from jazari.sim.parts import PartInstance, load_catalogue
from jazari.sim.twin import CellTwin

CONTROL_PERIOD_S = 0.004
FINGER_HALF_LENGTH_M = 0.025  # the tcp is mid-finger (urdf/gripper.xacro)


def _smooth(s: float) -> float:
    """Quintic time scaling: 0 → 1 with zero velocity and acceleration at both ends."""
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


def _tool_down(x: float, y: float, z: float, yaw: float) -> FloatArray:
    """TCP pose with the approach axis (z) down and the fingers closing along (cos, sin)."""
    c, s = math.cos(yaw), math.sin(yaw)
    return make_transform(np.array([[c, s, 0.0], [s, -c, 0.0], [0.0, 0.0, -1.0]]), (x, y, z))


class Script:
    """Sends setpoints every control period, as a follower would."""

    def __init__(self, twin: CellTwin) -> None:
        self.twin = twin
        self.ik = AnalyticIK.from_model(twin.robot)

    def q(self) -> FloatArray:
        return self.twin.joint_state()[0]

    def move_joints(self, q_goal: FloatArray, duration_s: float) -> None:
        q0 = self.q()
        n = round(duration_s / CONTROL_PERIOD_S)
        for k in range(1, n + 1):
            self.twin.set_joint_targets(q0 + (q_goal - q0) * _smooth(k / n))
            self.twin.advance(CONTROL_PERIOD_S)

    def move_straight(self, T_goal: FloatArray, duration_s: float) -> None:
        """TCP along a straight line, orientation fixed, IK at every setpoint."""
        q = self.q()
        p0 = self.twin.robot.chain.fk(q)[:3, 3]
        n = round(duration_s / CONTROL_PERIOD_S)
        for k in range(1, n + 1):
            T = T_goal.copy()
            T[:3, 3] = p0 + (T_goal[:3, 3] - p0) * _smooth(k / n)
            q = self.ik.solve_nearest(T, q)
            self.twin.set_joint_targets(q)
            self.twin.advance(CONTROL_PERIOD_S)


def _grasp_pose(part: PartInstance, T_world_part: FloatArray) -> FloatArray:
    yaw = math.atan2(T_world_part[1, 0], T_world_part[0, 0])
    d = part.dimensions_m
    if part.spec.shape == "box" and d[1] <= d[0]:
        yaw += math.pi / 2  # close across the narrower side
    # Finger tips 5 mm over the table at least; the gripper body 5 mm over the part.
    z = max(FINGER_HALF_LENGTH_M + 0.005, part.height_m + 0.005 - FINGER_HALF_LENGTH_M)
    return _tool_down(T_world_part[0, 3], T_world_part[1, 3], z, yaw)


@pytest.mark.parametrize(
    ("type_name", "bin_link"),
    [
        ("red_box", "bin_accepted"),
        ("yellow_box", "bin_rejected"),
        ("blue_box", "bin_accepted"),
        ("green_cylinder", "bin_rejected"),
        ("orange_cylinder", "bin_accepted"),
        ("purple_cylinder", "bin_rejected"),
    ],
)
def test_scripted_pick_puts_the_part_in_the_bin(type_name: str, bin_link: str) -> None:
    spec = load_catalogue().spec(type_name)
    twin = CellTwin([PartInstance.nominal(spec, 0, 0.58, -0.06, 0.5)])
    script = Script(twin)
    truth = twin.ground_truth().part(0)
    assert truth.bin is None and not truth.grasped
    T_grasp = _grasp_pose(truth.part, truth.T_world_part)
    T_above = T_grasp.copy()
    T_above[2, 3] += 0.10

    script.move_joints(script.ik.solve_nearest(T_above, script.q()), 2.0)
    script.move_straight(T_grasp, 1.0)
    twin.gripper.close()
    assert twin.gripper.grasped()
    assert twin.ground_truth().part(0).grasped
    assert twin.grasped_body() == "part_0"
    width = twin.gripper.width_m()
    assert width == pytest.approx(spec.grasp_width_m, abs=0.002)

    z_rest = twin.ground_truth().part(0).T_world_part[2, 3]
    script.move_straight(T_above, 1.0)
    twin.sleep(2.0)  # hold
    held = twin.ground_truth().part(0)
    assert held.grasped and twin.gripper.grasped()
    assert held.T_world_part[2, 3] - z_rest == pytest.approx(0.10, abs=0.003)  # no slip

    lo, hi = twin.bins[bin_link]
    centre = (lo + hi) / 2.0
    T_drop = _tool_down(centre[0], centre[1], hi[2] + spec.height_m + 0.05, 0.0)
    script.move_joints(script.ik.solve_nearest(T_drop, script.q()), 2.5)
    assert twin.ground_truth().part(0).grasped  # carried all the way
    twin.gripper.open()
    twin.sleep(1.0)
    final = twin.ground_truth().part(0)
    assert not final.grasped and not twin.gripper.grasped()
    assert final.bin == bin_link
    assert final.T_world_part[2, 3] < lo[2] + spec.height_m  # lying on the bin's floor
