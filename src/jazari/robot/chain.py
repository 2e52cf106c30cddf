"""Serial kinematic chains: forward kinematics and the geometric Jacobian, batched.

Every function takes joint values of shape (n,) or (N, n) and answers for all N
configurations at once with numpy (no Python loop per configuration).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from jazari.geometry.transforms import FloatArray, axis_angle_matrix
from jazari.robot.errors import KinematicsError, RobotModelError
from jazari.robot.urdf import UrdfModel

_ACTUATED = ("revolute", "continuous", "prismatic")


def joint_motion(axis: FloatArray, value: FloatArray, *, revolute: bool) -> FloatArray:
    """(N, 4, 4) motion of one joint for values (N,): a rotation [rad] about ``axis`` for a
    revolute joint, a translation [m] along it for a prismatic one."""
    T = np.zeros((value.shape[0], 4, 4))
    if revolute:
        T[:, :3, :3] = axis_angle_matrix(axis, value)
    else:
        T[:, 0, 0] = T[:, 1, 1] = T[:, 2, 2] = 1.0
        T[:, :3, 3] = axis * value[:, None]
    T[:, 3, 3] = 1.0
    return T


@dataclass(frozen=True, eq=False)
class KinematicChain:
    """The actuated joints from a base link to a tip link.

    Attributes:
        base, tip: link names.
        joint_names: actuated joints, base to tip.
        origins: (n, 4, 4) pose of each joint frame in the frame after the previous
            joint's motion (fixed joints in between are folded in).
        axes: (n, 3) unit axes in the joint frames.
        revolute: (n,) True for revolute/continuous, False for prismatic joints.
        T_last_tip: pose of the tip in the frame after the last joint's motion.
        lower, upper: (n,) position limits [rad or m]; velocity, effort: (n,) limits.
    """

    base: str
    tip: str
    joint_names: tuple[str, ...]
    origins: FloatArray
    axes: FloatArray
    revolute: np.ndarray
    T_last_tip: FloatArray
    lower: FloatArray
    upper: FloatArray
    velocity: FloatArray
    effort: FloatArray

    @property
    def dof(self) -> int:
        """Number of actuated joints."""
        return len(self.joint_names)

    @classmethod
    def from_urdf(cls, model: UrdfModel, base: str, tip: str) -> KinematicChain:
        """Extract the chain from ``base`` to ``tip``.

        Raises:
            RobotModelError: when a link is unknown, ``tip`` does not descend from
                ``base``, or a joint on the way is of a type a chain cannot hold.
        """
        for link in (base, tip):
            if link not in model.links:
                raise RobotModelError(f"link {link!r} is not in the URDF {model.name!r}")
        path = []
        link = tip
        while link != base:
            joint = model.parent_joint(link)
            if joint is None:
                raise RobotModelError(f"link {tip!r} does not descend from {base!r}")
            path.append(joint)
            link = joint.parent
        path.reverse()
        names, origins, axes, revolute = [], [], [], []
        lower, upper, velocity, effort = [], [], [], []
        pending = np.eye(4)
        for joint in path:
            if joint.type == "fixed":
                pending = pending @ joint.origin
                continue
            if joint.type not in _ACTUATED:
                raise RobotModelError(
                    f"joint {joint.name!r} of type {joint.type!r} cannot be part of a serial chain"
                )
            if joint.mimic is not None:
                raise RobotModelError(
                    f"joint {joint.name!r} mimics another joint; a chain needs independent joints"
                )
            names.append(joint.name)
            origins.append(pending @ joint.origin)
            axes.append(joint.axis)
            revolute.append(joint.type != "prismatic")
            lower.append(joint.lower)
            upper.append(joint.upper)
            velocity.append(joint.velocity)
            effort.append(joint.effort)
            pending = np.eye(4)
        if not names:
            raise RobotModelError(f"no actuated joint between {base!r} and {tip!r}")
        return cls(
            base, tip, tuple(names), np.array(origins), np.array(axes),
            np.array(revolute, dtype=bool), pending, np.array(lower), np.array(upper),
            np.array(velocity), np.array(effort),
        )  # fmt: skip

    def check_q(self, q: ArrayLike) -> FloatArray:
        """Return ``q`` as float64 (N, n), raising KinematicsError on bad shape or values."""
        arr = np.asarray(q, dtype=float)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.dof:
            raise KinematicsError(
                f"joint values must have shape ({self.dof},) or (N, {self.dof}), got {np.shape(q)}"
            )
        if not np.all(np.isfinite(arr)):
            bad = arr[~np.all(np.isfinite(arr), axis=1)][0]
            raise KinematicsError(f"joint values must be finite, got {bad.tolist()}")
        return arr

    def joint_frames(self, q: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Joint frames (before each joint's motion) and the tip pose in the base frame.

        Returns:
            ``(frames, T_base_tip)`` with shapes (N, n, 4, 4) and (N, 4, 4).
        """
        qa = self.check_q(q)
        n_cfg = qa.shape[0]
        T = np.broadcast_to(np.eye(4), (n_cfg, 4, 4))
        frames = np.empty((n_cfg, self.dof, 4, 4))
        for i in range(self.dof):
            T = T @ self.origins[i]
            frames[:, i] = T
            T = T @ joint_motion(self.axes[i], qa[:, i], revolute=bool(self.revolute[i]))
        return frames, T @ self.T_last_tip

    def fk(self, q: ArrayLike) -> FloatArray:
        """Pose of the tip in the base frame: (4, 4) for q of shape (n,), else (N, 4, 4)."""
        _, T = self.joint_frames(q)
        return T[0] if np.ndim(q) == 1 else T

    def jacobian(self, q: ArrayLike) -> FloatArray:
        """Geometric Jacobian of the tip origin in the base frame.

        Rows 0–2 map joint rates to linear velocity [m/s], rows 3–5 to angular velocity
        [rad/s]. Shape (6, n) for q of shape (n,), else (N, 6, n).
        """
        frames, T = self.joint_frames(q)
        z = np.einsum("nkij,kj->nki", frames[:, :, :3, :3], self.axes)  # (N, n, 3)
        p = frames[:, :, :3, 3]
        J = np.zeros((frames.shape[0], 6, self.dof))
        rev = self.revolute
        lin = np.cross(z, T[:, None, :3, 3] - p)
        J[:, :3, :] = np.where(rev[None, :, None], lin, z).transpose(0, 2, 1)
        J[:, 3:, :] = np.where(rev[None, :, None], z, 0.0).transpose(0, 2, 1)
        return J[0] if np.ndim(q) == 1 else J

    def pose_and_jacobian(self, q: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Tip pose (4, 4) and geometric Jacobian (6, n) for one configuration (n,).

        The same quantities as :meth:`fk` and :meth:`jacobian`, computed together with
        few numpy calls: the hot path of iterative IK.
        """
        qa = np.asarray(q, dtype=float)
        K, K2, P = self._generators
        motions = (
            np.eye(4)
            + np.sin(qa)[:, None, None] * K
            + (1.0 - np.cos(qa))[:, None, None] * K2
            + qa[:, None, None] * P
        )
        steps = self.origins @ motions
        T = np.eye(4)
        frames = np.empty((self.dof, 4, 4))
        for i in range(self.dof):
            frames[i] = T @ self.origins[i]
            T = T @ steps[i]
        T = T @ self.T_last_tip
        z = np.einsum("kij,kj->ki", frames[:, :3, :3], self.axes)
        J = np.empty((6, self.dof))
        J[:3] = np.where(self.revolute[:, None], np.cross(z, T[:3, 3] - frames[:, :3, 3]), z).T
        J[3:] = np.where(self.revolute[:, None], z, 0.0).T
        return T, J

    @functools.cached_property
    def _generators(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per joint, 4×4 K, K² (rotation about the axis) and P (translation along it),
        so that a joint's motion is I + sin q·K + (1 − cos q)·K² + q·P."""
        n = self.dof
        K = np.zeros((n, 4, 4))
        P = np.zeros((n, 4, 4))
        for i, (x, y, z) in enumerate(self.axes):
            if self.revolute[i]:
                K[i, :3, :3] = [[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]]
            else:
                P[i, :3, 3] = (x, y, z)
        return K, K @ K, P

    def within_limits(self, q: ArrayLike, tol: float = 1e-9) -> NDArray[np.bool_] | bool:
        """Boolean (N,) (a bool for q of shape (n,)): every joint inside [lower, upper] ± tol."""
        qa = self.check_q(q)
        ok: NDArray[np.bool_] = np.all((qa >= self.lower - tol) & (qa <= self.upper + tol), axis=1)
        return bool(ok[0]) if np.ndim(q) == 1 else ok

    def mid_range(self) -> FloatArray:
        """Middle of each joint's range (0 for unbounded joints)."""
        mid = (self.lower + self.upper) / 2.0
        return np.where(np.isfinite(mid), mid, 0.0)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` configurations uniform within the limits (unbounded joints in [-π, π])."""
        lo = np.where(np.isfinite(self.lower), self.lower, -math.pi)
        hi = np.where(np.isfinite(self.upper), self.upper, math.pi)
        return rng.uniform(lo, hi, size=(n, self.dof))
