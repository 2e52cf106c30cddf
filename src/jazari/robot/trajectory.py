"""Time-parameterised joint trajectories, shared by planning (which makes them) and
control (which follows them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.robot.errors import KinematicsError


@dataclass(frozen=True, eq=False)
class JointTrajectory:
    """Samples of a joint trajectory.

    Attributes:
        joint_names: the n joints, in column order.
        time_s: (K,) strictly increasing time from the trajectory's start [s].
        positions: (K, n) [rad or m].
        velocities: (K, n) [rad/s or m/s].
        accelerations: (K, n) [rad/s² or m/s²].

    Raises:
        KinematicsError: on mismatched shapes, non-finite values or times that do not
            strictly increase (the message names the first bad index).
    """

    joint_names: tuple[str, ...]
    time_s: FloatArray
    positions: FloatArray
    velocities: FloatArray
    accelerations: FloatArray

    def __post_init__(self) -> None:
        k, n = len(self.time_s), len(self.joint_names)
        if len(set(self.joint_names)) != n:
            raise KinematicsError(f"joint names must be unique, got {self.joint_names}")
        if k < 1:
            raise KinematicsError("a trajectory needs at least one sample")
        for name in ("positions", "velocities", "accelerations"):
            arr = getattr(self, name)
            if np.shape(arr) != (k, n):
                raise KinematicsError(f"{name} must have shape ({k}, {n}), got {np.shape(arr)}")
            if not np.all(np.isfinite(arr)):
                raise KinematicsError(f"{name} must be finite")
        if not np.all(np.isfinite(self.time_s)):
            raise KinematicsError("time_s must be finite")
        steps = np.diff(self.time_s)
        if np.any(steps <= 0):
            i = int(np.argmax(steps <= 0)) + 1
            raise KinematicsError(
                f"time_s must strictly increase; sample {i} is at {self.time_s[i]} s"
            )

    @property
    def duration_s(self) -> float:
        """Time of the last sample [s]."""
        return float(self.time_s[-1])

    def sample(self, t_s: float) -> tuple[FloatArray, FloatArray]:
        """Positions and velocities at time ``t_s`` by cubic Hermite interpolation.

        Before the start and after the end the trajectory holds its end points (zero
        velocity after the end).
        """
        t = self.time_s
        if t_s <= t[0]:
            return self.positions[0].copy(), self.velocities[0].copy()
        if t_s >= t[-1]:
            return self.positions[-1].copy(), np.zeros_like(self.velocities[-1])
        i = int(np.searchsorted(t, t_s, side="right")) - 1
        h = t[i + 1] - t[i]
        s = (t_s - t[i]) / h
        p0, p1 = self.positions[i], self.positions[i + 1]
        v0, v1 = self.velocities[i] * h, self.velocities[i + 1] * h
        s2, s3 = s * s, s * s * s
        pos = (
            (2 * s3 - 3 * s2 + 1) * p0
            + (s3 - 2 * s2 + s) * v0
            + (-2 * s3 + 3 * s2) * p1
            + (s3 - s2) * v1
        )
        vel = (
            (6 * s2 - 6 * s) * p0
            + (3 * s2 - 4 * s + 1) * v0
            + (-6 * s2 + 6 * s) * p1
            + (3 * s2 - 2 * s) * v1
        ) / h
        return pos, vel
