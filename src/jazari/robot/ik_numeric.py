"""Numeric inverse kinematics for any serial chain: damped least squares with
Levenberg–Marquardt damping, joint limits, and seeded random restarts.

Used where the analytic solver does not apply (another arm, a tip off the flange axis)
and as a cross-check of it. Deterministic for a given ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray, pose_error
from jazari.robot.chain import KinematicChain
from jazari.robot.errors import IKError, KinematicsError


@dataclass(frozen=True)
class NumericIKOptions:
    """Options of :class:`NumericIK`.

    Attributes:
        tol_position_m: largest accepted position error of the tip [m].
        tol_rotation_rad: largest accepted orientation error of the tip [rad].
        max_iterations: iterations per attempt.
        max_attempts: the seed, then random restarts within the limits.
        initial_damping: starting λ of the damped normal equations [m² or rad²].
    """

    tol_position_m: float = 1e-5
    tol_rotation_rad: float = 1e-5
    max_iterations: int = 60
    max_attempts: int = 25
    initial_damping: float = 1e-3

    def __post_init__(self) -> None:
        for name in ("tol_position_m", "tol_rotation_rad", "initial_damping"):
            value = getattr(self, name)
            if not value > 0:
                raise KinematicsError(f"{name} must be > 0, got {value}")
        for name in ("max_iterations", "max_attempts"):
            value = getattr(self, name)
            if value < 1:
                raise KinematicsError(f"{name} must be >= 1, got {value}")


@dataclass(frozen=True, eq=False)
class NumericIK:
    """Iterative IK for the tip of ``chain``; poses are ``T_base_tip`` [m], joints [rad]."""

    chain: KinematicChain
    options: NumericIKOptions = NumericIKOptions()

    def _attempt(self, T_target: FloatArray, q0: FloatArray) -> tuple[FloatArray, float, float]:
        """One damped least-squares descent from q0; returns (q, position error, rotation error)."""
        opts = self.options
        lo, hi = self.chain.lower, self.chain.upper
        q = np.clip(q0, lo, hi)
        T, J = self.chain.pose_and_jacobian(q)
        dp, dw = pose_error(T, T_target)
        e = np.concatenate([dp, dw])
        cost = float(e @ e)
        lam = opts.initial_damping
        for _ in range(opts.max_iterations):
            if (
                np.linalg.norm(dp) <= opts.tol_position_m
                and np.linalg.norm(dw) <= opts.tol_rotation_rad
            ):
                break
            dq = J.T @ np.linalg.solve(J @ J.T + lam * np.eye(6), e)
            q_new = np.clip(q + dq, lo, hi)
            T_new, J_new = self.chain.pose_and_jacobian(q_new)
            dp_new, dw_new = pose_error(T_new, T_target)
            e_new = np.concatenate([dp_new, dw_new])
            cost_new = float(e_new @ e_new)
            if cost_new < cost:
                q, J, dp, dw, e, cost = q_new, J_new, dp_new, dw_new, e_new, cost_new
                lam = max(lam / 3.0, 1e-12)
            else:
                lam *= 5.0
                if lam > 1e3:
                    break  # stuck in a local minimum or at a limit: restart
        return q, float(np.linalg.norm(dp)), float(np.linalg.norm(dw))

    def solve(
        self, T_base_tip: ArrayLike, q_seed: ArrayLike, rng: np.random.Generator | None = None
    ) -> FloatArray:
        """A joint configuration within the limits that reaches ``T_base_tip``.

        Args:
            T_base_tip: (4, 4) target pose of the tip in the base frame.
            q_seed: (n,) starting configuration [rad].
            rng: source of restart configurations (default: seeded with 0, so results
                are reproducible).

        Raises:
            IKError: when no attempt reaches the tolerances; the message gives the best
                errors found.
        """
        T = np.asarray(T_base_tip, dtype=float)
        if T.shape != (4, 4) or not np.all(np.isfinite(T)):
            raise KinematicsError(f"target pose must be a finite 4x4 matrix, got {T!r}")
        q0 = self.chain.check_q(q_seed)[0]
        gen = rng if rng is not None else np.random.default_rng(0)
        best = (np.inf, np.inf)
        for attempt in range(self.options.max_attempts):
            start = q0 if attempt == 0 else self.chain.sample(gen, 1)[0]
            q, ep, er = self._attempt(T, start)
            if ep <= self.options.tol_position_m and er <= self.options.tol_rotation_rad:
                return q
            if ep + er < sum(best):
                best = (ep, er)
        raise IKError(
            f"numeric IK did not converge in {self.options.max_attempts} attempts; best errors "
            f"{best[0]:.3g} m, {best[1]:.3g} rad for target position "
            f"{np.round(T[:3, 3], 4).tolist()} m"
        )
