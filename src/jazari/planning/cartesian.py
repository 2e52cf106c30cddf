"""Straight Cartesian TCP lines in joint space: IK along the line, one branch throughout.

The line is cut into poses at most ``step_m`` apart (position interpolated linearly,
orientation along the shortest rotation). All poses are solved at once
(:meth:`AnalyticIK.solve_batch`); the line keeps the IK branch the start configuration
is on, and is refused if that branch is missing at any pose or if the joints jump by
more than ``max_joint_step_rad`` between neighbouring poses — a configuration flip
(shoulder, elbow or wrist) or a pass near a singularity.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray, axis_angle_matrix, rotation_log
from jazari.planning.errors import LineError, PlanningInputError


class BatchIK(Protocol):
    """What the planner needs from inverse kinematics (see
    :class:`jazari.robot.ik_analytic.AnalyticIK`)."""

    def solve(self, T_base_tip: ArrayLike, q_seed: ArrayLike | None = None) -> FloatArray:
        """(k, 6) solutions within the limits, nearest the seed first."""
        ...

    def solve_batch(
        self, T_base_tip: ArrayLike, q_seed: ArrayLike | None = None
    ) -> tuple[FloatArray, np.ndarray]:
        """(N, 8, 6) solutions per branch (NaN where invalid) and the (N, 8) validity."""
        ...


def interpolate_poses(
    T_start: FloatArray, T_end: FloatArray, step_m: float, step_rad: float
) -> FloatArray:
    """Poses (K, 4, 4) from ``T_start`` to ``T_end``: positions on the straight segment,
    orientations on the geodesic, no two neighbours farther apart than ``step_m`` or
    ``step_rad``."""
    if not (step_m > 0 and step_rad > 0):
        raise PlanningInputError(f"line steps must be > 0, got {step_m} m, {step_rad} rad")
    dp = T_end[:3, 3] - T_start[:3, 3]
    w = rotation_log(T_start[:3, :3].T @ T_end[:3, :3])
    angle = float(np.linalg.norm(w))
    n = max(1, math.ceil(float(np.linalg.norm(dp)) / step_m), math.ceil(angle / step_rad))
    s = np.arange(n + 1) / n
    T = np.tile(np.eye(4), (n + 1, 1, 1))
    T[:, :3, 3] = T_start[:3, 3] + s[:, None] * dp
    axis = w / angle if angle > 1e-12 else np.array([0.0, 0.0, 1.0])
    T[:, :3, :3] = T_start[:3, :3] @ axis_angle_matrix(axis, s * angle)
    return T


def follow_line(
    ik: BatchIK,
    poses: FloatArray,
    q_start: FloatArray,
    max_joint_step_rad: float,
    start_tol_rad: float = 1e-5,
) -> FloatArray:
    """Joint configurations (K, 6) tracing ``poses`` (K, 4, 4) on the IK branch of
    ``q_start`` (which must solve ``poses[0]``).

    Raises:
        LineError: when ``q_start`` is not an IK solution of the first pose, the branch
            is lost (out of reach or limits) on the way, or the joints jump between
            neighbouring poses by more than ``max_joint_step_rad``.
    """
    q, valid = ik.solve_batch(poses, q_start)
    err0 = np.where(valid[0], np.max(np.abs(q[0] - q_start), axis=1), np.inf)
    branch = int(np.argmin(err0))
    if not err0[branch] <= start_tol_rad:
        raise LineError(
            "the start configuration is not an IK solution of the line's first pose "
            f"(off by {err0[branch]:.3g} rad)"
        )
    if not np.all(valid[:, branch]):
        k = int(np.argmin(valid[:, branch]))
        raise LineError(f"the IK branch is lost at pose {k} of {len(poses)} (limits or reach)")
    path = q[:, branch]
    path[0] = q_start
    jumps = np.max(np.abs(np.diff(path, axis=0)), axis=1)
    if np.any(jumps > max_joint_step_rad):
        k = int(np.argmax(jumps > max_joint_step_rad))
        raise LineError(
            f"joints jump by {jumps[k]:.3f} rad between poses {k} and {k + 1} "
            f"(limit {max_joint_step_rad} rad): configuration flip or singularity"
        )
    out: FloatArray = path
    return out
