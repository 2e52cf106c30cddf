"""Collision-free joint paths: bidirectional RRT-Connect with path shortcutting.

Distances between configurations use the displacement bound of the arm (Σ lever_i·|Δq_i|,
[m]): how far a joint step can move any point of the robot. Trees are numpy arrays, so
nearest-neighbour queries are one vectorised scan; every edge is validated in one batched
collision query at the validator's resolution. Randomness comes only from the
``numpy.random.Generator`` handed in, so a seed gives the same path (unless the time
budget cuts the search short).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import NoPathError, PlanningInputError
from jazari.planning.motion import MotionValidator


@dataclass(frozen=True)
class RRTOptions:
    """Options of :func:`rrt_connect`.

    Attributes:
        range_m: longest tree edge, as a displacement bound [m].
        max_samples: random samples before giving up.
        shortcut_iterations: random shortcut attempts after the path is found.
        sample_margin_rad: sampling box: the joint ranges spanned by start and goal,
            widened by this on each side and cut to the joint limits [rad].
    """

    range_m: float = 2.0
    max_samples: int = 20000
    shortcut_iterations: int = 40
    sample_margin_rad: float = 2.0

    def __post_init__(self) -> None:
        for name in ("range_m", "sample_margin_rad"):
            if not getattr(self, name) > 0:
                raise PlanningInputError(f"rrt {name} must be > 0, got {getattr(self, name)}")
        for name in ("max_samples", "shortcut_iterations"):
            if getattr(self, name) < 0:
                raise PlanningInputError(f"rrt {name} must be >= 0, got {getattr(self, name)}")


def sampling_bounds(
    q_start: FloatArray, q_goal: FloatArray, lower: FloatArray, upper: FloatArray, margin_rad: float
) -> tuple[FloatArray, FloatArray]:
    """The box random samples are drawn from: start and goal's span ± margin, in limits."""
    lo = np.maximum(np.minimum(q_start, q_goal) - margin_rad, lower)
    hi = np.minimum(np.maximum(q_start, q_goal) + margin_rad, upper)
    return lo, hi


class _Tree:
    """Configurations (grown in a preallocated array) and each node's parent index."""

    def __init__(self, root: FloatArray, capacity: int) -> None:
        self.q = np.empty((capacity, root.shape[0]))
        self.parent = np.empty(capacity, dtype=int)
        self.q[0], self.parent[0], self.size = root, -1, 1

    def add(self, q: FloatArray, parent: int) -> int:
        if self.size == len(self.q):
            self.q = np.concatenate([self.q, np.empty_like(self.q)])
            self.parent = np.concatenate([self.parent, np.empty_like(self.parent)])
        self.q[self.size], self.parent[self.size] = q, parent
        self.size += 1
        return self.size - 1

    def nearest(self, q: FloatArray, lever: FloatArray) -> int:
        return int(np.argmin(np.abs(self.q[: self.size] - q) @ lever))

    def branch(self, node: int) -> FloatArray:
        """Configurations from the root to ``node``."""
        out = []
        while node >= 0:
            out.append(self.q[node])
            node = int(self.parent[node])
        return np.array(out[::-1])


def _steer(q_from: FloatArray, q_to: FloatArray, lever: FloatArray, range_m: float) -> FloatArray:
    d = float(np.abs(q_to - q_from) @ lever)
    return q_to if d <= range_m else q_from + (q_to - q_from) * (range_m / d)


def _grow_along(
    tree: _Tree, node: int, samples: FloatArray, lever: FloatArray, spacing_m: float, full: bool
) -> int:
    """Add nodes every ``spacing_m`` along checked samples leading from ``node`` and
    return the last one added. A full segment ends with its final sample; a blocked one
    keeps its nodes at least ``spacing_m`` back from where it was blocked, so the tree
    does not crowd the obstacle (checks near obstacles are the expensive ones)."""
    step = np.abs(np.diff(samples, axis=0)) @ lever
    along = np.concatenate([[0.0], np.cumsum(step)])
    stop = along[-1] if full else along[-1] - spacing_m
    mark = spacing_m
    for k in range(1, len(samples) - 1):
        if along[k] > stop:
            break
        if along[k] >= mark:
            node, mark = tree.add(samples[k], node), along[k] + spacing_m
    return tree.add(samples[-1], node) if full else node


def rrt_connect(
    validator: MotionValidator,
    q_start: FloatArray,
    q_goal: FloatArray,
    rng: np.random.Generator,
    deadline_s: float,
    options: RRTOptions = RRTOptions(),
    clock: Callable[[], float] = time.perf_counter,
) -> FloatArray:
    """A collision-free joint path (K, 6) from ``q_start`` to ``q_goal``, shortcut.

    Args:
        validator: checks configurations and edges.
        q_start, q_goal: valid end configurations [rad].
        rng: the only source of randomness.
        deadline_s: ``clock()`` value after which the search gives up [s].
        options: see :class:`RRTOptions`.
        clock: monotonic time source [s].

    Raises:
        NoPathError: when the trees do not meet before the deadline or ``max_samples``.
    """
    path = _connect_trees(validator, q_start, q_goal, rng, deadline_s, options, clock)
    return shortcut(validator, path, rng, options.shortcut_iterations, deadline_s, clock)


def _connect_trees(
    validator: MotionValidator,
    q_start: FloatArray,
    q_goal: FloatArray,
    rng: np.random.Generator,
    deadline_s: float,
    options: RRTOptions,
    clock: Callable[[], float],
) -> FloatArray:
    lever, rng_m = validator.lever_m, options.range_m
    samples, full = validator.valid_prefix(q_start, q_goal)
    if full:
        return np.stack([q_start, q_goal])
    lo, hi = sampling_bounds(
        q_start, q_goal, validator.lower, validator.upper, options.sample_margin_rad
    )
    trees = (_Tree(q_start, 256), _Tree(q_goal, 256))
    a, b = 0, 1
    for _ in range(options.max_samples):
        if clock() > deadline_s:
            break
        q_rand = rng.uniform(lo, hi)
        ta, tb = trees[a], trees[b]
        near = ta.nearest(q_rand, lever)
        q_new = _steer(ta.q[near], q_rand, lever, rng_m)
        if not validator.edge_valid(ta.q[near], q_new):
            a, b = b, a
            continue
        new = ta.add(q_new, near)
        near_b = tb.nearest(q_new, lever)
        samples, full = validator.valid_prefix(tb.q[near_b], q_new)
        end_b = _grow_along(tb, near_b, samples, lever, rng_m / 4.0, full)
        if full:
            half_a, half_b = ta.branch(new), tb.branch(end_b)
            path = np.concatenate([half_a, half_b[::-1][1:]])
            return path if a == 0 else path[::-1]
        a, b = b, a
    raise NoPathError(
        f"RRT-Connect found no path in {options.max_samples} samples or before the deadline "
        f"(trees of {trees[0].size} and {trees[1].size} nodes)"
    )


def shortcut(
    validator: MotionValidator,
    path: FloatArray,
    rng: np.random.Generator,
    iterations: int,
    deadline_s: float,
    clock: Callable[[], float],
) -> FloatArray:
    """Shorten a valid path by dropping waypoints, never by adding any (each waypoint
    costs a stop when the path is timed):

    1. merge collinear edges (the union of two checked collinear edges is checked);
    2. drop each waypoint whose neighbours see each other, sweeping until none can go;
    3. try up to ``iterations`` random pairs of waypoints; when they see each other,
       drop the waypoints between them. It stops early after as many failures in a row
       as the path has waypoints.

    Every new edge is validated, so the result stays valid.
    """
    path = _merge_collinear(_drop_duplicates(path))
    changed = True
    while changed and len(path) > 2 and clock() <= deadline_s:
        changed = False
        i = 1
        while i < len(path) - 1:
            if validator.edge_valid(path[i - 1], path[i + 1]):
                path = np.delete(path, i, axis=0)
                changed = True
            else:
                i += 1
    failures = 0
    for _ in range(iterations):
        if len(path) < 4 or clock() > deadline_s or failures >= len(path):
            break
        i, j = np.sort(rng.choice(len(path), size=2, replace=False))
        if j - i < 2:
            continue
        if validator.edge_valid(path[i], path[j]):
            path = np.concatenate([path[: i + 1], path[j:]])
            failures = 0
        else:
            failures += 1
    return path


def _merge_collinear(path: FloatArray, tol: float = 1e-9) -> FloatArray:
    """Drop waypoints that lie on the straight segment between their neighbours."""
    keep = [0]
    for k in range(1, len(path) - 1):
        a, b = path[keep[-1]], path[k + 1]
        d = b - a
        t = float(np.dot(path[k] - a, d) / max(float(np.dot(d, d)), 1e-300))
        if not (0.0 <= t <= 1.0 and np.max(np.abs(a + t * d - path[k])) <= tol):
            keep.append(k)
    keep.append(len(path) - 1)
    out: FloatArray = path[keep]
    return out


def _drop_duplicates(path: FloatArray, tol: float = 1e-9) -> FloatArray:
    keep = np.concatenate([[True], np.any(np.abs(np.diff(path, axis=0)) > tol, axis=1)])
    out: FloatArray = path[keep]
    return out
