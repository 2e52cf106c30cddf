"""Time parameterisation: jerk-limited motion along joint paths, rest to rest.

A *piece* of path is a curve q(s), s ∈ [0, 1]: a straight joint-space segment, or a
cubic spline through the configurations of a Cartesian line. Each piece is timed with a
seven-phase double-S profile s(t) (Biagiotti & Melchiorri, *Trajectory Planning for
Automatic Machines and Robots*, §3.4) whose path limits keep every joint within its
velocity, acceleration and jerk limits everywhere on the piece:

    q̇ = q′ ṡ,   q̈ = q′ s̈ + q″ ṡ²,   q⃛ = q′ s⃛ + 3 q″ ṡ s̈ + q‴ ṡ³

with |q′|, |q″|, |q‴| replaced by their maxima over the piece. Pieces start and end at
rest, so the timed motion follows the validated geometric path exactly (no corner
blending leaves the checked polyline).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike

from jazari.config import load_params
from jazari.errors import ConfigError
from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import PlanningInputError
from jazari.robot.model import RobotModel
from jazari.robot.trajectory import JointTrajectory


@dataclass(frozen=True)
class DoubleS:
    """A rest-to-rest double-S profile of a scalar from 0 to ``h``.

    Attributes:
        h: displacement (> 0). Tj: duration of each jerk phase [s]. Ta: duration of
        the acceleration (and of the deceleration) phase [s]. Tv: duration at constant
        velocity [s]. jerk: the jerk magnitude used.
    """

    h: float
    Tj: float
    Ta: float
    Tv: float
    jerk: float

    @classmethod
    def plan(cls, h: float, v_max: float, a_max: float, j_max: float) -> DoubleS:
        """The time-optimal profile for displacement ``h`` within the three limits."""
        if not (h > 0 and v_max > 0 and a_max > 0 and j_max > 0):
            raise PlanningInputError(
                f"double-S needs positive h, v, a, j; got {h}, {v_max}, {a_max}, {j_max}"
            )
        if v_max * j_max >= a_max * a_max:
            Tj, Ta = a_max / j_max, a_max / j_max + v_max / a_max
        else:
            Tj = math.sqrt(v_max / j_max)
            Ta = 2.0 * Tj
        Tv = h / v_max - Ta
        if Tv < 0.0:  # the velocity limit is not reached
            Tv = 0.0
            if h >= 2.0 * a_max**3 / j_max**2:
                Tj = a_max / j_max
                Ta = Tj / 2.0 + math.sqrt((Tj / 2.0) ** 2 + h / a_max)
            else:
                Tj = (h / (2.0 * j_max)) ** (1.0 / 3.0)
                Ta = 2.0 * Tj
        return cls(h, Tj, Ta, Tv, j_max)

    @property
    def duration_s(self) -> float:
        """Total duration [s]."""
        return 2.0 * self.Ta + self.Tv

    @property
    def peak_velocity(self) -> float:
        """Velocity of the constant phase (the largest velocity)."""
        return self.jerk * self.Tj * (self.Ta - self.Tj)

    def _accelerating(self, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Position, velocity, acceleration in the acceleration phase, t in [0, Ta]."""
        j, Tj, Ta = self.jerk, self.Tj, self.Ta
        a_lim, v_lim = j * Tj, self.peak_velocity
        rise, flat = t < Tj, t < Ta - Tj
        r = Ta - t
        s = np.where(
            rise, j * t**3 / 6.0,
            np.where(flat, a_lim / 6.0 * (3 * t**2 - 3 * Tj * t + Tj**2),
                     v_lim * Ta / 2.0 - v_lim * r + j * r**3 / 6.0),
        )  # fmt: skip
        v = np.where(
            rise, j * t**2 / 2.0, np.where(flat, a_lim * (t - Tj / 2.0), v_lim - j * r**2 / 2.0)
        )
        a = np.where(rise, j * t, np.where(flat, a_lim, j * r))
        return s, v, a

    def evaluate(self, t: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """s, ṡ, s̈ at times ``t`` [s] (clamped to [0, duration])."""
        T = self.duration_s
        tt = np.clip(np.asarray(t, dtype=float), 0.0, T)
        v_lim = self.peak_velocity
        acc = tt <= self.Ta
        dec = tt >= self.Ta + self.Tv
        s1, v1, a1 = self._accelerating(np.minimum(tt, self.Ta))
        s3, v3, a3 = self._accelerating(np.minimum(T - tt, self.Ta))
        cruise_s = v_lim * self.Ta / 2.0 + v_lim * (tt - self.Ta)
        s = np.where(acc, s1, np.where(dec, self.h - s3, cruise_s))
        v = np.where(acc, v1, np.where(dec, v3, v_lim))
        a = np.where(acc, a1, np.where(dec, -a3, 0.0))
        return s, v, a


class PathPiece(Protocol):
    """A joint path q(s), s ∈ [0, 1], timed from rest to rest."""

    @property
    def cartesian_length_m(self) -> float:
        """Length of the TCP line it follows [m] (0 for joint-space pieces)."""
        ...

    def derivative_bounds(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per joint, the maxima of |q′|, |q″| and |q‴| over s ∈ [0, 1]."""
        ...

    def evaluate(self, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """q, q′, q″ at path parameters ``s`` (M,) → three (M, n) arrays."""
        ...


@dataclass(frozen=True, eq=False)
class StraightPiece:
    """A straight joint-space segment from ``qa`` to ``qb`` [rad]."""

    qa: FloatArray
    qb: FloatArray
    cartesian_length_m: float = 0.0

    def derivative_bounds(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        d = np.abs(self.qb - self.qa)
        return d, np.zeros_like(d), np.zeros_like(d)

    def evaluate(self, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        d = self.qb - self.qa
        m = len(s)
        return self.qa + s[:, None] * d, np.tile(d, (m, 1)), np.zeros((m, len(d)))


@functools.lru_cache(maxsize=64)
def _natural_spline_solver(k: int) -> FloatArray:
    """Inverse of the (k−2)×(k−2) tridiagonal (1, 4, 1) matrix of a natural cubic spline
    through k evenly spaced knots."""
    n = k - 2
    A = 4.0 * np.eye(n) + np.eye(n, k=1) + np.eye(n, k=-1)
    inverse: FloatArray = np.linalg.inv(A).astype(float)
    return inverse


@dataclass(frozen=True, eq=False)
class SplinePiece:
    """A natural cubic spline (C², so the jerk stays finite) through configurations (K, n)
    spaced evenly in s ∈ [0, 1] along a Cartesian line of ``cartesian_length_m``."""

    configs: FloatArray
    cartesian_length_m: float

    def __post_init__(self) -> None:
        if len(self.configs) < 2:
            raise PlanningInputError("a spline piece needs at least two configurations")

    @functools.cached_property
    def coefficients(self) -> FloatArray:
        """(4, K−1, n): on knot interval k, q = c0 u³ + c1 u² + c2 u + c3, u = s − s_k."""
        y = self.configs
        k = len(y)
        h = 1.0 / (k - 1)
        M = np.zeros_like(y)  # second derivatives at the knots, zero at both ends
        if k > 2:
            M[1:-1] = _natural_spline_solver(k) @ (6.0 / h**2 * (y[2:] - 2.0 * y[1:-1] + y[:-2]))
        return np.stack([
            (M[1:] - M[:-1]) / (6.0 * h),
            M[:-1] / 2.0,
            (y[1:] - y[:-1]) / h - h * (2.0 * M[:-1] + M[1:]) / 6.0,
            y[:-1],
        ])  # fmt: skip

    def derivative_bounds(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        c = self.coefficients
        h = 1.0 / c.shape[1]
        d1_ends = np.abs(np.concatenate([c[2], 3 * c[0] * h**2 + 2 * c[1] * h + c[2]]))
        with np.errstate(divide="ignore", invalid="ignore"):
            u_star = np.where(c[0] != 0.0, -c[1] / (3.0 * c[0]), -1.0)
        inside = (u_star > 0.0) & (u_star < h)
        d1_vertex = np.where(inside, np.abs(3 * c[0] * u_star**2 + 2 * c[1] * u_star + c[2]), 0.0)
        d1 = np.maximum(d1_ends.max(axis=0), d1_vertex.max(axis=0))
        d2 = np.abs(np.concatenate([2 * c[1], 6 * c[0] * h + 2 * c[1]])).max(axis=0)
        d3 = np.abs(6.0 * c[0]).max(axis=0)
        return d1, d2, d3

    def evaluate(self, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        c = self.coefficients
        n_int = c.shape[1]
        h = 1.0 / n_int
        k = np.clip((np.asarray(s) / h).astype(int), 0, n_int - 1)
        u = (np.asarray(s) - k * h)[:, None]
        c0, c1, c2, c3 = c[0][k], c[1][k], c[2][k], c[3][k]
        q = ((c0 * u + c1) * u + c2) * u + c3
        return q, (3.0 * c0 * u + 2.0 * c1) * u + c2, 6.0 * c0 * u + 2.0 * c1


@dataclass(frozen=True)
class TimingLimits:
    """Per-joint limits [rad/s, rad/s², rad/s³] and Cartesian caps for line pieces.

    Attributes:
        velocity, acceleration, jerk: (n,) joint limits (already scaled).
        cartesian_speed_mps, cartesian_accel_mps2: caps on the TCP along straight lines.
    """

    velocity: FloatArray
    acceleration: FloatArray
    jerk: FloatArray
    cartesian_speed_mps: float = math.inf
    cartesian_accel_mps2: float = math.inf

    def __post_init__(self) -> None:
        for name in ("velocity", "acceleration", "jerk"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.ndim != 1 or not np.all(arr > 0) or not np.all(np.isfinite(arr)):
                raise PlanningInputError(f"{name} limits must be finite and > 0, got {arr}")
        for name in ("cartesian_speed_mps", "cartesian_accel_mps2"):
            if not getattr(self, name) > 0:
                raise PlanningInputError(f"{name} must be > 0, got {getattr(self, name)}")

    @classmethod
    def from_config(
        cls,
        model: RobotModel,
        params: Mapping[str, Any] | None = None,
        scale: float = 1.0,
        cartesian_speed_mps: float = math.inf,
        cartesian_accel_mps2: float = math.inf,
    ) -> TimingLimits:
        """URDF velocity limits and ``config/joint_limits.yaml`` acceleration and jerk
        limits of the arm's joints, all scaled by ``scale`` (0 < scale ≤ 1).

        Raises:
            ConfigError: when the file misses a joint or lists malformed values.
        """
        if not 0 < scale <= 1:
            raise PlanningInputError(f"limit scale must be in (0, 1], got {scale}")
        p = load_params("joint_limits") if params is None else params
        names = list(p.get("joints", []))
        out = {}
        for key in ("max_acceleration", "max_jerk"):
            values = p.get(key)
            if not isinstance(values, list) or len(values) != len(names):
                raise ConfigError(f"joint_limits: {key} must list one value per joint of {names}")
            out[key] = dict(zip(names, values, strict=True))
        missing = [j for j in model.joint_names if j not in names]
        if missing:
            raise ConfigError(f"joint_limits: no limits for joints {missing}")
        acc = np.array([float(out["max_acceleration"][j]) for j in model.joint_names])
        jerk = np.array([float(out["max_jerk"][j]) for j in model.joint_names])
        return cls(
            model.chain.velocity * scale, acc * scale, jerk * scale, cartesian_speed_mps,
            cartesian_accel_mps2,
        )  # fmt: skip


def piece_profile(piece: PathPiece, limits: TimingLimits) -> DoubleS | None:
    """The fastest double-S on ``piece`` within ``limits`` (None for a zero-length piece).

    For curved pieces the velocity, acceleration and jerk budgets are shared between the
    terms of q̈ and q⃛; a few splits are tried and the quickest kept.
    """
    d1, d2, d3 = piece.derivative_bounds()
    moving = d1 > 1e-12
    if not np.any(moving):
        return None
    vmax, amax, jmax = limits.velocity, limits.acceleration, limits.jerk
    v0 = float(np.min(vmax[moving] / d1[moving]))
    length = piece.cartesian_length_m
    if length > 0:
        v0 = min(v0, limits.cartesian_speed_mps / length)
    best: DoubleS | None = None
    straight = not (np.any(d2) or np.any(d3))  # nothing to share: full speed is best
    for lam in (1.0,) if straight else (1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.1, 0.05):
        v = lam * v0
        a_room = amax - d2 * v * v
        if np.any(a_room <= 0):
            continue
        a = float(np.min(a_room[moving] / d1[moving]))
        if length > 0:
            a = min(a, limits.cartesian_accel_mps2 / length)
        # what the curvature terms leave of the jerk budget goes to q′ s⃛.
        j = float(np.min((jmax[moving] - 3 * d2[moving] * v * a - d3[moving] * v**3) / d1[moving]))
        if j <= 0:
            continue
        profile = DoubleS.plan(1.0, v, a, j)
        if best is None or profile.duration_s < best.duration_s:
            best = profile
    if best is None:
        raise PlanningInputError("no time scaling keeps this path within the joint limits")
    return best


def time_parameterize(
    pieces: Sequence[PathPiece],
    limits: TimingLimits,
    joint_names: tuple[str, ...],
    sample_period_s: float,
) -> JointTrajectory:
    """One trajectory through ``pieces`` in order, each timed rest to rest, sampled every
    ``sample_period_s`` (and at each piece's end).

    Raises:
        PlanningInputError: when the pieces are empty or do not join up.
    """
    if not pieces:
        raise PlanningInputError("nothing to time: no path pieces")
    if not sample_period_s > 0:
        raise PlanningInputError(f"sample_period_s must be > 0, got {sample_period_s}")
    times: list[FloatArray] = []
    pos: list[FloatArray] = []
    vel: list[FloatArray] = []
    acc: list[FloatArray] = []
    t0 = 0.0
    start, _, _ = pieces[0].evaluate(np.zeros(1))
    times.append(np.zeros(1))
    pos.append(start)
    vel.append(np.zeros_like(start))
    acc.append(np.zeros_like(start))
    for piece in pieces:
        q_begin = piece.evaluate(np.zeros(1))[0][0]
        if np.max(np.abs(q_begin - pos[-1][-1])) > 1e-9:
            raise PlanningInputError("path pieces do not join up")
        profile = piece_profile(piece, limits)
        if profile is None:
            continue
        T = profile.duration_s
        t = np.append(np.arange(1, math.ceil(T / sample_period_s)) * sample_period_s, T)
        s, sd, sdd = profile.evaluate(t)
        q, d1, d2 = piece.evaluate(s)
        times.append(t0 + t)
        pos.append(q)
        vel.append(d1 * sd[:, None])
        acc.append(d1 * sdd[:, None] + d2 * (sd * sd)[:, None])
        t0 += T
    return JointTrajectory(
        joint_names, np.concatenate(times), np.concatenate(pos), np.concatenate(vel),
        np.concatenate(acc),
    )  # fmt: skip
