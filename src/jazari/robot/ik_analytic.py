"""Closed-form inverse kinematics of UR-type arms (6R, standard DH: α = 90°, 0, 0, 90°,
-90°, 0 and a1 = d2 = d3 = a4 = a5 = a6 = 0).

The geometry (frames are the DH frames; z1 ∥ z2 ∥ z3 is the shoulder-lift axis):

* the wrist point o5 = p − d6·a keeps a distance d4 from the plane spanned by z0 and
  the arm, so θ1 = ψ + asin(d4 / r) or ψ + π − asin(d4 / r) (two shoulder branches);
* the tool axis seen along z1 gives cos θ5 = (p·z1 − d4) / d6 (two wrist branches);
* the tool's n, o axes along z1 give θ6 = atan2(−o·z1 / sin θ5, n·z1 / sin θ5); at the
  wrist singularity (sin θ5 = 0) θ6 is free and is taken from the seed;
* what is left, θ2, θ3, θ4, is a planar 3R problem in frame 1 (two elbow branches).

That gives up to 8 solutions. Each is moved by multiples of 2π to the representative
inside the joint limits closest to the seed, solutions outside the limits are
dropped, and the rest are ordered by distance to the seed.

The same branch formulas serve one pose on Python floats (``solve``, for latency) and
N poses on numpy arrays (``solve_batch``, for throughput).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray, invert
from jazari.robot.chain import KinematicChain
from jazari.robot.errors import IKError, KinematicsError, RobotModelError

TWO_PI = 2.0 * math.pi
# Below this |sin θ5| the wrist is singular and θ6 is taken from the seed (or the
# reachable value nearest it); treating such a wrist as singular costs at most this
# many radians of tool orientation.
WRIST_SINGULAR = 1e-9
# Slack on cosines and on the shoulder reach test, for targets exactly at the boundary.
REACH_SLACK = 1e-9

_MATH: Any = SimpleNamespace(
    sin=math.sin, cos=math.cos, atan2=math.atan2, acos=math.acos, asin=math.asin, sqrt=math.sqrt,
    clip=lambda x, lo, hi: min(max(x, lo), hi), where=lambda c, a, b: a if c else b,
    maximum=max, abs=abs,
)  # fmt: skip
_NUMPY: Any = SimpleNamespace(
    sin=np.sin, cos=np.cos, atan2=np.arctan2, acos=np.arccos, asin=np.arcsin, sqrt=np.sqrt,
    clip=np.clip, where=np.where, maximum=np.maximum, abs=np.abs,
)  # fmt: skip


@dataclass(frozen=True)
class URParameters:
    """The non-zero DH lengths of a UR-type arm [m] (a2, a3 are negative on UR arms)."""

    d1: float
    a2: float
    a3: float
    d4: float
    d5: float
    d6: float


def _close(T: FloatArray, xyz: tuple[float, float, float], roll: float) -> bool:
    R = np.array(
        [[1, 0, 0], [0, math.cos(roll), -math.sin(roll)], [0, math.sin(roll), math.cos(roll)]]
    )
    return bool(np.allclose(T[:3, 3], xyz, atol=1e-9) and np.allclose(T[:3, :3], R, atol=1e-9))


def ur_parameters(chain: KinematicChain) -> URParameters:
    """Read the DH lengths from a chain whose joint origins follow the UR pattern.

    Raises:
        RobotModelError: naming the first joint whose origin or axis breaks the pattern
            (the analytic solver does not apply; use the numeric one).
    """
    if chain.dof != 6 or not np.all(chain.revolute):
        raise RobotModelError(f"analytic IK needs 6 revolute joints, chain has {chain.joint_names}")
    if not np.allclose(chain.axes, [0.0, 0.0, 1.0]):
        raise RobotModelError("analytic IK needs every joint axis along z of its frame")
    o = chain.origins
    d1, a2, a3 = o[1][2, 3], o[2][0, 3], o[3][0, 3]
    d4, d5 = o[4][2, 3], o[5][2, 3]
    expected = [
        (1, (0.0, 0.0, d1), math.pi / 2),
        (2, (a2, 0.0, 0.0), 0.0),
        (3, (a3, 0.0, 0.0), 0.0),
        (4, (0.0, 0.0, d4), math.pi / 2),
        (5, (0.0, 0.0, d5), -math.pi / 2),
    ]
    for i, xyz, roll in expected:
        if not _close(o[i], xyz, roll):
            raise RobotModelError(
                f"joint {chain.joint_names[i]!r}: origin is not of the UR form "
                f"(xyz {xyz}, roll {roll:.4f} rad); analytic IK does not apply"
            )
    T6 = chain.T_last_tip
    d6 = float(T6[2, 3]) if abs(T6[0, 3]) < 1e-12 and abs(T6[1, 3]) < 1e-12 else 0.0
    return URParameters(float(d1), float(a2), float(a3), float(d4), float(d5), d6)


def _shoulder(ops: Any, M: tuple[Any, ...], p: URParameters, branch: int) -> tuple[Any, Any]:
    """θ1 for shoulder branch ±1, and whether it exists."""
    _, _, ax, px, _, _, ay, py, _, _, _, _ = M
    wx, wy = px - p.d6 * ax, py - p.d6 * ay
    r = ops.sqrt(wx * wx + wy * wy)
    ok = r >= abs(p.d4) - REACH_SLACK
    phi = ops.asin(ops.clip(p.d4 / ops.maximum(r, 1e-300), -1.0, 1.0))
    psi = ops.atan2(wy, wx)
    return (psi + phi if branch > 0 else psi + math.pi - phi), ok


def _wrist(
    ops: Any, M: tuple[Any, ...], p: URParameters, t1: Any, branch: int, seed6: Any
) -> tuple[Any, ...]:
    """For wrist branch ±1: θ5, θ6, then the planar problem left for θ2..θ4 — the
    position (x1, y1) of frame 4's origin in frame 1 and the angle θ234 of its x axis —
    and whether the branch exists."""
    nx, ox, ax, px, ny, oy, ay, py, nz, oz, az, pz = M
    s1, c1 = ops.sin(t1), ops.cos(t1)
    # The tool's axes along z1: n·z1 = sin θ5 cos θ6, o·z1 = −sin θ5 sin θ6, a·z1 = cos θ5.
    # Reading |sin θ5| from the first two (not sin(acos(a·z1))) keeps it accurate near
    # the singularity, where acos turns rounding noise of 1e-16 into angles of 1e-8.
    n1, o1 = nx * s1 - ny * c1, ox * s1 - oy * c1
    s5_abs = ops.sqrt(n1 * n1 + o1 * o1)
    c5 = ax * s1 - ay * c1
    ok = ops.abs(c5) <= 1.0 + REACH_SLACK  # true for any rotation; false for NaN
    t5 = branch * ops.atan2(s5_abs, c5)
    s5 = branch * s5_abs
    t6_free = ops.atan2(-o1 * branch, n1 * branch)
    t6 = ops.where(s5_abs < WRIST_SINGULAR, _singular_t6(ops, M, p, s1, c1, seed6), t6_free)
    s6, c6 = ops.sin(t6), ops.cos(t6)
    # Origin of frame 4: o4 = p − d6·a + d5·(sin θ6·n + cos θ6·o).
    o4x = px - p.d6 * ax + p.d5 * (s6 * nx + c6 * ox)
    o4y = py - p.d6 * ay + p.d5 * (s6 * ny + c6 * oy)
    o4z = pz - p.d6 * az + p.d5 * (s6 * nz + c6 * oz)
    # x axis of frame 4: cos θ5 cos θ6·n − cos θ5 sin θ6·o − sin θ5·a.
    x4x = c5 * c6 * nx - c5 * s6 * ox - s5 * ax
    x4y = c5 * c6 * ny - c5 * s6 * oy - s5 * ay
    x4z = c5 * c6 * nz - c5 * s6 * oz - s5 * az
    t234 = ops.atan2(x4z, x4x * c1 + x4y * s1)
    return t5, t6, o4x * c1 + o4y * s1, o4z - p.d1, t234, ok


def _singular_t6(
    ops: Any, M: tuple[Any, ...], p: URParameters, s1: Any, c1: Any, seed6: Any
) -> Any:
    """θ6 at the wrist singularity (z6 ∥ z1): the seed's, or the reachable one nearest it.

    With z6 ∥ z1 the joints 2, 3, 4 and 6 are parallel and θ6 is one of a family of
    solutions. In frame 1's plane the point o4 = w + d5·u(θ6) moves on a circle, u a
    unit vector turning with θ6, and the planar 2R arm reaches it while
    r_min ≤ |o4| ≤ r_max, i.e. while w·u(θ6) = R cos(θ6 − δ) stays within [lo, hi].
    """
    nx, ox, ax, px, ny, oy, ay, py, nz, oz, az, pz = M
    wx = (px - p.d6 * ax) * c1 + (py - p.d6 * ay) * s1
    wy = pz - p.d6 * az - p.d1
    A = wx * (nx * c1 + ny * s1) + wy * nz  # w·n in the plane
    B = wx * (ox * c1 + oy * s1) + wy * oz  # w·o in the plane
    R = ops.sqrt(A * A + B * B)
    delta = ops.atan2(A, B)
    base = wx * wx + wy * wy + p.d5 * p.d5
    lo = ((abs(p.a2) - abs(p.a3)) ** 2 - base) / (2.0 * p.d5)
    hi = ((abs(p.a2) + abs(p.a3)) ** 2 - base) / (2.0 * p.d5)
    current = R * ops.cos(seed6 - delta)
    gap = ops.acos(ops.clip(ops.clip(current, lo, hi) / ops.maximum(R, 1e-300), -1.0, 1.0))
    plus, minus = delta + gap, delta - gap
    d_plus = ops.abs(ops.atan2(ops.sin(plus - seed6), ops.cos(plus - seed6)))
    d_minus = ops.abs(ops.atan2(ops.sin(minus - seed6), ops.cos(minus - seed6)))
    nearest = ops.where(d_plus <= d_minus, plus, minus)
    return ops.where((current >= lo) & (current <= hi), seed6, nearest)


def _elbow(ops: Any, p: URParameters, x1: Any, y1: Any, t234: Any, branch: int) -> tuple[Any, ...]:
    """θ2, θ3, θ4 of the planar 3R problem for elbow branch ±1, and whether they exist."""
    c3 = (x1 * x1 + y1 * y1 - p.a2 * p.a2 - p.a3 * p.a3) / (2.0 * p.a2 * p.a3)
    ok = ops.abs(c3) <= 1.0 + REACH_SLACK
    t3 = branch * ops.acos(ops.clip(c3, -1.0, 1.0))
    t2 = ops.atan2(y1, x1) - ops.atan2(p.a3 * ops.sin(t3), p.a2 + p.a3 * ops.cos(t3))
    return t2, t3, t234 - t2 - t3, ok


@dataclass(frozen=True, eq=False)
class AnalyticIK:
    """All inverse-kinematics solutions of a UR-type arm for a tip pose.

    Build with :meth:`from_chain` (or :meth:`from_model`); poses are ``T_base_tip`` of the
    chain (for the cell: ``T_base_link_tcp``), joint values in radians.
    """

    chain: KinematicChain
    params: URParameters
    T_dh_base: FloatArray  # DH frame 0 in the chain's base frame, inverted
    T_tip_flange: FloatArray  # DH frame 6 in the tip frame
    _limits: tuple[list[float], list[float]]  # lower, upper as Python floats (hot path)

    @classmethod
    def from_chain(cls, chain: KinematicChain) -> AnalyticIK:
        """Solver for ``chain``; raises RobotModelError if the chain is not UR-type."""
        params = ur_parameters(chain)
        T_flange_tip = np.eye(4)
        T_flange_tip[2, 3] = -params.d6
        T_flange_tip = T_flange_tip @ chain.T_last_tip
        return cls(
            chain, params, invert(chain.origins[0]), invert(T_flange_tip),
            (chain.lower.tolist(), chain.upper.tolist()),
        )  # fmt: skip

    @classmethod
    def from_model(cls, model: Any) -> AnalyticIK:
        """Solver for a :class:`jazari.robot.model.RobotModel`'s arm chain."""
        return cls.from_chain(model.chain)

    def _flange_pose(self, T_base_tip: FloatArray) -> FloatArray:
        # Skipped products keep the single-pose call fast when the chain's base is the
        # DH base and the tip is on the flange axis (the cell's arm).
        T = T_base_tip if self._base_is_dh else self.T_dh_base @ T_base_tip
        return T if self._tip_is_flange else T @ self.T_tip_flange

    @functools.cached_property
    def _base_is_dh(self) -> bool:
        return bool(np.array_equal(self.T_dh_base, np.eye(4)))

    @functools.cached_property
    def _tip_is_flange(self) -> bool:
        return bool(np.allclose(self.T_tip_flange, np.eye(4), rtol=0.0, atol=1e-15))

    def solve(self, T_base_tip: ArrayLike, q_seed: ArrayLike | None = None) -> FloatArray:
        """Every solution within the joint limits, closest to ``q_seed`` first.

        Args:
            T_base_tip: (4, 4) target pose of the tip in the base frame [m].
            q_seed: (6,) joint values [rad] the solutions should be near (default 0);
                also gives θ6 at the wrist singularity.

        Returns:
            (k, 6) array, k in 0..8; empty when the pose is out of reach.
        """
        T = np.asarray(T_base_tip, dtype=float)
        if T.shape != (4, 4):
            raise KinematicsError(f"target pose must be a 4x4 matrix, got shape {T.shape}")
        M = tuple(self._flange_pose(T)[:3].ravel().tolist())
        if not all(map(math.isfinite, M)):
            raise KinematicsError(f"target pose must be finite, got {T.tolist()}")
        seed = [0.0] * 6 if q_seed is None else np.asarray(q_seed, dtype=float).reshape(6).tolist()
        p = self.params
        raw: list[list[float]] = []
        # A second branch that equals the first (cos = ±1 exactly) is skipped, so the
        # solutions come out distinct.
        t1_first = math.nan
        for b1 in (1, -1):
            t1, ok1 = _shoulder(_MATH, M, p, b1)
            if not ok1 or abs(t1 - t1_first) < 1e-15:
                continue
            t1_first = t1
            for b5 in (1, -1):
                t5, t6, x1, y1, t234, ok5 = _wrist(_MATH, M, p, t1, b5, seed[5])
                if not ok5 or (b5 < 0 and abs(math.sin(t5)) < WRIST_SINGULAR):
                    continue
                for b3 in (1, -1):
                    t2, t3, t4, ok3 = _elbow(_MATH, p, x1, y1, t234, b3)
                    if ok3 and not (b3 < 0 and abs(math.sin(t3)) < 1e-15):
                        raw.append([t1, t2, t3, t4, t5, t6])
        return self._admit(raw, seed)

    def _admit(self, raw: list[list[float]], seed: list[float]) -> FloatArray:
        """Move each solution to its in-limit representative nearest the seed; sort."""
        near = [
            [s + math.remainder(t - s, TWO_PI) for t, s in zip(sol, seed, strict=True)]
            for sol in raw
        ]
        # The nearest representative lies within π of the seed, so only joints whose
        # seed is closer than π to a limit can leave the limits.
        risky = [
            j
            for j, s in enumerate(seed)
            if not self._lower[j] + math.pi <= s <= self._upper[j] - math.pi
        ]
        if risky:
            near = [q for q in (self._into_limits(q, risky) for q in near) if q is not None]
        near.sort(key=lambda q: math.dist(q, seed))
        return np.array(near, dtype=float).reshape(-1, 6)

    def _into_limits(self, q: list[float], joints: list[int]) -> list[float] | None:
        for j in joints:
            lo, hi, v = self._lower[j], self._upper[j], q[j]
            if v < lo:
                v += TWO_PI * math.ceil((lo - v) / TWO_PI)
            elif v > hi:
                v -= TWO_PI * math.ceil((v - hi) / TWO_PI)
            if not lo <= v <= hi:
                return None
            q[j] = v
        return q

    @property
    def _lower(self) -> list[float]:
        return self._limits[0]

    @property
    def _upper(self) -> list[float]:
        return self._limits[1]

    def solve_nearest(self, T_base_tip: ArrayLike, q_seed: ArrayLike | None = None) -> FloatArray:
        """The solution closest to ``q_seed``.

        Raises:
            IKError: when no solution lies within the joint limits.
        """
        sols = self.solve(T_base_tip, q_seed)
        if sols.shape[0] == 0:
            p = np.asarray(T_base_tip, dtype=float)[:3, 3]
            raise IKError(
                f"no IK solution within joint limits for tip position {np.round(p, 4).tolist()} m"
            )
        best: FloatArray = sols[0]
        return best

    def solve_batch(
        self, T_base_tip: ArrayLike, q_seed: ArrayLike | None = None
    ) -> tuple[FloatArray, np.ndarray]:
        """All 8 branches for N poses at once, vectorised.

        Args:
            T_base_tip: (N, 4, 4) target poses.
            q_seed: (6,) or (N, 6) seeds [rad] (default 0).

        Returns:
            ``(q, valid)``: (N, 8, 6) solutions moved into the limits nearest the seed
            (NaN where invalid) and the (N, 8) mask of valid ones. Branches are not
            de-duplicated or sorted.
        """
        T = np.asarray(T_base_tip, dtype=float).reshape(-1, 4, 4)
        n = T.shape[0]
        seed = np.broadcast_to(
            np.zeros(6) if q_seed is None else np.asarray(q_seed, dtype=float), (n, 6)
        )
        F = self.T_dh_base @ T @ self.T_tip_flange
        M = tuple(F[:, i, j] for i in range(3) for j in range(4))
        p = self.params
        q = np.empty((n, 8, 6))
        valid = np.empty((n, 8), dtype=bool)
        k = 0
        with np.errstate(invalid="ignore", divide="ignore"):
            for b1 in (1, -1):
                t1, ok1 = _shoulder(_NUMPY, M, p, b1)
                for b5 in (1, -1):
                    t5, t6, x1, y1, t234, ok5 = _wrist(_NUMPY, M, p, t1, b5, seed[:, 5])
                    for b3 in (1, -1):
                        t2, t3, t4, ok3 = _elbow(_NUMPY, p, x1, y1, t234, b3)
                        q[:, k] = np.stack([t1, t2, t3, t4, t5, t6], axis=-1)
                        valid[:, k] = ok1 & ok5 & ok3
                        k += 1
        q += TWO_PI * np.round((seed[:, None, :] - q) / TWO_PI)
        lo, hi = self.chain.lower, self.chain.upper
        q = np.where(q < lo, q + TWO_PI * np.ceil((lo - q) / TWO_PI), q)
        q = np.where(q > hi, q - TWO_PI * np.ceil((q - hi) / TWO_PI), q)
        valid &= np.all((q >= lo) & (q <= hi), axis=-1) & np.all(np.isfinite(q), axis=-1)
        q[~valid] = np.nan
        return q, valid
