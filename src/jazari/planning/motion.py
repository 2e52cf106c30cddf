"""Validation of joint-space motions at a resolution that bounds the motion between checks.

A straight joint-space edge from qa to qb is checked at n + 1 evenly spaced
configurations, with n chosen so that between two consecutive ones no point of any
collision primitive moves by more than ``resolution_m``: a joint step Δq moves a point
by at most Σ_i L_i·|Δq_i|, L_i bounding the point's distance from joint i's axis along
the edge (:meth:`RobotGeometry.edge_levers`). Every configuration on the edge is then
within resolution/2 of a checked one; with robot primitives padded by resolution/2 (the
checker's ``padding_m``), a collision-free check of the samples means the continuous
edge is collision-free.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray
from jazari.planning.collision import CollisionChecker
from jazari.planning.errors import PlanningInputError
from jazari.planning.robot_geometry import RobotGeometry

# Edges longer than this (in the configuration-free displacement bound) are cut into
# pieces before their lever bounds are computed: the bounds tighten on shorter pieces.
LEVER_PIECE_M = 0.1
# Blocked edges are usually refused early: edge checks look at every EDGE_STRIDE-th
# configuration first, prefix checks go out from the start in chunks that double from
# PREFIX_CHUNK configurations.
EDGE_STRIDE = 8
PREFIX_CHUNK = 32


def densify(robot: RobotGeometry, waypoints: FloatArray, resolution_m: float) -> FloatArray:
    """The configurations to check along a polyline of joint waypoints (K, 6).

    Each edge is cut into pieces of at most ``LEVER_PIECE_M`` static displacement bound,
    and each piece into n steps, n = ⌈Σ_i L_i·|Δq_i| / resolution⌉ with the piece's lever
    bounds L (:meth:`RobotGeometry.edge_levers`). Every waypoint is included once.
    """
    w = np.asarray(waypoints, dtype=float)
    if len(w) < 2:
        return w.copy()
    qa, qb = w[:-1], w[1:]
    pieces = np.maximum(1, np.ceil(np.abs(qb - qa) @ robot.lever_m / LEVER_PIECE_M).astype(int))
    edge = np.repeat(np.arange(len(qa)), pieces)
    k = np.arange(len(edge)) - (np.cumsum(pieces) - pieces)[edge]
    d = qb - qa
    pa = qa[edge] + (k / pieces[edge])[:, None] * d[edge]
    pb = qa[edge] + ((k + 1) / pieces[edge])[:, None] * d[edge]
    bound = np.einsum("ei,ei->e", robot.edge_levers(pa, pb), np.abs(pb - pa))
    steps = np.maximum(1, np.ceil(bound / resolution_m).astype(int))
    piece = np.repeat(np.arange(len(pa)), steps)
    frac = (np.arange(len(piece)) - (np.cumsum(steps) - steps)[piece] + 1) / steps[piece]
    return np.concatenate([w[:1], pa[piece] + frac[:, None] * (pb - pa)[piece]])


class MotionValidator:
    """Checks configurations, edges and polylines against one collision checker.

    Args:
        checker: the collision checker; its padding must be at least resolution/2.
        resolution_m: largest displacement of any collision point between two checked
            configurations [m].
    """

    def __init__(self, checker: CollisionChecker, resolution_m: float) -> None:
        if not resolution_m > 0:
            raise PlanningInputError(f"resolution_m must be > 0, got {resolution_m}")
        if checker.padding_m < resolution_m / 2.0 - 1e-12:
            raise PlanningInputError(
                f"checker padding {checker.padding_m} m is below half the resolution "
                f"{resolution_m} m; motion between checks would be unchecked"
            )
        self.checker = checker
        self.resolution_m = float(resolution_m)
        self.robot = checker.robot
        self.lever_m = checker.robot.lever_m
        self.lower = checker.robot.lower
        self.upper = checker.robot.upper

    def valid(self, q: ArrayLike) -> np.ndarray:
        """(N,) True where configurations are within the limits and collision-free."""
        qa = np.asarray(q, dtype=float).reshape(-1, len(self.lever_m))
        inside = np.all((qa >= self.lower) & (qa <= self.upper), axis=1)
        out: np.ndarray = inside & ~self.checker.in_collision(qa)
        return out

    def edge_valid(self, qa: FloatArray, qb: FloatArray) -> bool:
        """True when the straight edge qa → qb is collision-free (qa itself included).

        The far end is checked first, then every EDGE_STRIDE-th configuration, then the
        others, so that a blocked edge is usually refused after a fraction of the work.
        """
        if not self.valid(qb)[0]:
            return False
        samples = densify(self.robot, np.stack([qa, qb]), self.resolution_m)[:-1]
        coarse = np.zeros(len(samples), dtype=bool)
        coarse[::EDGE_STRIDE] = True
        return bool(np.all(self.valid(samples[coarse])) and np.all(self.valid(samples[~coarse])))

    def path_valid(self, waypoints: FloatArray) -> bool:
        """True when every edge of the polyline is collision-free."""
        return bool(np.all(self.valid(densify(self.robot, waypoints, self.resolution_m))))

    def valid_prefix(self, qa: FloatArray, qb: FloatArray) -> tuple[FloatArray, bool]:
        """The checked configurations of qa → qb up to the last valid one before the first
        invalid one, and whether the whole edge is valid. qa is assumed valid."""
        samples = densify(self.robot, np.stack([qa, qb]), self.resolution_m)
        # check in growing chunks from qa, stopping at the first invalid configuration
        start, size = 1, PREFIX_CHUNK
        while start < len(samples):
            ok = self.valid(samples[start : start + size])
            if not np.all(ok):
                return samples[: start + int(np.argmin(ok))], False
            start, size = start + size, 2 * size
        return samples, True
