"""Pick-and-place planning: Jazari vs OMPL RRT-Connect, ruckig and TOPP-RA, in the cell.

Seeded queries: a box or cylinder scattered on the table (x in [0.35, 0.75] m, y in
[-0.25, 0.25] m) among other parts, released in one of the two bins, from a start near
the arm's home pose. For each query Jazari plans the whole pick and place (wall time,
budget 1 s), and the plan is re-checked: limits and collisions at the validation
resolution (:func:`jazari.planning.validate.check_plan`) and, independently, exact
geometry with python-fcl at every trajectory sample.

Peers, on the same transfers (lift end to pre-place, carrying the part):

* ``ompl``: OMPL's RRT-Connect plus its path simplifier (reduceVertices, ropeShortcutPath),
  with Jazari's checker as state validity checker and Jazari's edge check as motion
  validator, so both planners validate the same way at the same resolution; Jazari's
  RRT-Connect (with its shortcutting) is re-run alone on the same query for the ratio;
* ``ruckig``: jerk-limited, phase-synchronised rest-to-rest moves along the transfer
  path's straight pieces (the same path, the same limits as Jazari's timing);
* ``toppra``: time-optimal (velocity and acceleration limits, no jerk limit) along a
  spline through the transfer waypoints;
* ``fcl``: per-configuration collision checking cost of python-fcl on the exact URDF
  primitives, against Jazari's batched checker on the same configurations.

Metrics: ``plan_ms`` is the wall time of a whole plan; ``transfer_ms`` the re-run of
Jazari's RRT-Connect + shortcutting on the transfer query (what ``ompl`` is compared
with), ``transfer_in_plan_ms`` the same step inside the plan; ``limit_violations`` and
``collisions`` count the re-check's findings, ``collisions_exact_fcl`` the trajectory
samples fcl finds in collision. ``--screens`` adds two tall boards that force real
searches for the transfers.

Numpy's BLAS is limited to one thread for the run (both sides use numpy; threaded BLAS
only adds contention for the small products involved).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jazari.bench.report import BenchResult, ratio, summarize
from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import PlanningError
from jazari.planning.fcl_check import FclChecker
from jazari.planning.motion import MotionValidator
from jazari.planning.part import Part
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.plan import PickPlacePlan
from jazari.planning.rrt import rrt_connect, sampling_bounds
from jazari.planning.scene import Scene, place_pose_in_bin
from jazari.planning.timing import StraightPiece, TimingLimits, time_parameterize
from jazari.planning.validate import check_plan, segment_checker, segment_world

# the arm above the middle of the table, tool pointing down
HOME_Q = np.array([math.pi, -math.pi / 2, math.pi / 2, -math.pi / 2, -math.pi / 2, 0.0])
TABLE_X = (0.35, 0.75)
TABLE_Y = (-0.25, 0.25)
BINS = ("bin_accepted", "bin_rejected")
QUICK_QUERIES = 6
# horizontal reach of the gripper body around the TCP (0.13 m x 0.06 m body) [m]
GRIPPER_REACH_M = 0.075
_LIMIT_KINDS = {"position", "velocity", "acceleration", "jerk", "continuity", "start"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench plan``."""
    parser.add_argument("--queries", type=int, default=200, help="pick-and-place queries")
    parser.add_argument("--seed", type=int, default=0, help="seed of the scenarios and planners")
    parser.add_argument("--neighbours", type=int, default=2, help="other parts on the table")
    parser.add_argument(
        "--screens",
        action="store_true",
        help="stand a 0.45 m screen between the table area and each bin (transfers need RRT)",
    )
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_QUERIES} queries")
    parser.add_argument(
        "--no-exact-check", action="store_true", help="skip the python-fcl re-check (slow)"
    )


# -- scenarios ---------------------------------------------------------------------------


def _random_part(rng: np.random.Generator, name: str) -> Part:
    yaw = rng.uniform(-math.pi, math.pi)
    T = np.eye(4)
    c, s = math.cos(yaw), math.sin(yaw)
    T[:2, :2] = [[c, -s], [s, c]]
    if rng.uniform() < 0.6:
        dims: tuple[float, ...] = (
            rng.uniform(0.025, 0.07), rng.uniform(0.025, 0.07), rng.uniform(0.025, 0.07),
        )  # fmt: skip
        T[2, 3] = dims[2] / 2
        return Part("box", dims, T, name)
    r, h = rng.uniform(0.015, 0.035), rng.uniform(0.03, 0.1)
    T[2, 3] = h / 2
    return Part("cylinder", (r, h), T, name)


def _footprint_radius(part: Part) -> float:
    e = part.half_extents_m
    return float(math.hypot(e[0], e[1]))


def _scatter(rng: np.random.Generator, parts: list[Part]) -> list[Part]:
    """Place the parts at random table positions, footprints at least 1 cm apart."""
    placed: list[Part] = []
    for part in parts:
        for _ in range(200):
            xy = rng.uniform([TABLE_X[0], TABLE_Y[0]], [TABLE_X[1], TABLE_Y[1]])
            r = _footprint_radius(part)
            if all(
                np.hypot(*(xy - p.T_base_part[:2, 3])) > r + _footprint_radius(p) + 0.01
                for p in placed
            ):
                T = part.T_base_part.copy()
                T[:2, 3] = xy
                placed.append(part.moved_to(T))
                break
    return placed


@dataclass(frozen=True)
class Query:
    """One benchmark query."""

    scene: Scene
    part: Part
    place_pose: FloatArray
    q_start: FloatArray


def screens() -> list[Part]:
    """Two tall thin boards on the table, each between the part area and a bin, so that a
    straight joint move from the table to a bin is blocked."""
    size = (0.34, 0.02, 0.45)
    return [
        Part("box", size, _table_pose(0.33, side * 0.36, size[2] / 2), f"screen{side:+d}")
        for side in (1, -1)
    ]


def _table_pose(x: float, y: float, z: float) -> FloatArray:
    T = np.eye(4)
    T[:3, 3] = [x, y, z]
    return T


def make_query(
    base: Scene, rng: np.random.Generator, neighbours: int, fixtures: list[Part] | None = None
) -> Query:
    """A seeded scenario: target and neighbours on the table, a bin placement, a start;
    ``fixtures`` (extra obstacles such as :func:`screens`) are added to the scene."""
    parts = _scatter(rng, [_random_part(rng, f"p{i}") for i in range(neighbours + 1)])
    target = parts[0]
    bin_name = BINS[int(rng.integers(2))]
    inside = base.bin_interior(bin_name)
    yaw = rng.uniform(-math.pi, math.pi)
    # keep the part and the gripper body (up to GRIPPER_REACH_M around the TCP) off the walls
    ext = max(_footprint_radius(target), GRIPPER_REACH_M)
    room = np.maximum(np.array([inside.half_x_m, inside.half_y_m]) - ext, 0.0)
    offset = rng.uniform(-room, room)
    place = place_pose_in_bin(base, bin_name, target, (float(offset[0]), float(offset[1])), yaw)
    q_start = HOME_Q + rng.uniform(-0.2, 0.2, size=6)
    return Query(base.with_parts(*parts, *(fixtures or [])), target, place, q_start)


# -- peers --------------------------------------------------------------------------------


@contextlib.contextmanager
def _single_thread_blas() -> Iterator[int | None]:
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - without it BLAS keeps its default threads
        yield None
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield 1


_OMPL_SEEDED = False


def _ompl_transfer(
    validator: MotionValidator, q_a: FloatArray, q_b: FloatArray, budget_s: float, seed: int
) -> tuple[bool, float, float]:
    """OMPL RRT-Connect + simplification with Jazari's validity and motion checks.

    Returns (solved, total ms, solve ms)."""
    global _OMPL_SEEDED  # noqa: PLW0603 - OMPL's RNG can be seeded once per process
    from ompl import base as ob
    from ompl import geometric as og
    from ompl import util as ou

    if not _OMPL_SEEDED:
        ou.setLogLevel(ou.LogLevel.LOG_ERROR)
        ou.RNG.setSeed(seed)
        _OMPL_SEEDED = True
    lo, hi = sampling_bounds(q_a, q_b, validator.lower, validator.upper, 2.0)
    space = ob.RealVectorStateSpace(6)
    bounds = ob.RealVectorBounds(6)
    for i in range(6):
        bounds.setLow(i, float(lo[i]))
        bounds.setHigh(i, float(hi[i]))
    space.setBounds(bounds)
    si = ob.SpaceInformation(space)

    def as_array(state: Any) -> FloatArray:
        return np.array([state[i] for i in range(6)])

    si.setStateValidityChecker(lambda s: bool(validator.valid(as_array(s))[0]))

    class _Motion(ob.MotionValidator):  # type: ignore[misc]
        def checkMotion(self, s1: Any, s2: Any, *_: Any) -> bool:
            return validator.edge_valid(as_array(s1), as_array(s2))

    motion = _Motion(si)
    si.setMotionValidator(motion)
    si.setup()
    start, goal = si.allocState(), si.allocState()
    for i in range(6):
        start[i], goal[i] = float(q_a[i]), float(q_b[i])
    pdef = ob.ProblemDefinition(si)
    pdef.setStartAndGoalStates(start, goal)
    planner = og.RRTConnect(si)
    planner.setProblemDefinition(pdef)
    planner.setup()
    t0 = time.perf_counter()
    status = planner.solve(budget_s)
    t_solve = time.perf_counter() - t0
    solved = bool(pdef.hasExactSolution())
    if solved:
        path = pdef.getSolutionPath()
        simplifier = og.PathSimplifier(si)
        simplifier.reduceVertices(path)
        simplifier.ropeShortcutPath(path)
    total = time.perf_counter() - t0
    del status, planner, pdef, motion, si, space
    return solved, total * 1e3, t_solve * 1e3


def _ruckig_timing(path: FloatArray, limits: TimingLimits, dt: float) -> tuple[float, float]:
    """Duration [s] and compute time [ms] of phase-synchronised ruckig moves along the
    straight pieces of ``path`` (sampled every ``dt`` like Jazari's)."""
    from ruckig import InputParameter, Result, Ruckig, Synchronization, Trajectory

    t0 = time.perf_counter()
    otg = Ruckig(6)
    duration = 0.0
    for qa, qb in itertools.pairwise(path):
        inp = InputParameter(6)
        inp.current_position, inp.target_position = qa.tolist(), qb.tolist()
        inp.current_velocity = inp.current_acceleration = [0.0] * 6
        inp.target_velocity = inp.target_acceleration = [0.0] * 6
        inp.max_velocity = limits.velocity.tolist()
        inp.max_acceleration = limits.acceleration.tolist()
        inp.max_jerk = limits.jerk.tolist()
        inp.synchronization = Synchronization.Phase
        traj = Trajectory(6)
        if otg.calculate(inp, traj) != Result.Working:
            return math.nan, math.nan
        for t in np.arange(0.0, traj.duration, dt):
            traj.at_time(float(t))
        duration += traj.duration
    return duration, (time.perf_counter() - t0) * 1e3


def _toppra_timing(path: FloatArray, limits: TimingLimits, dt: float) -> tuple[float, float]:
    """Duration [s] and compute time [ms] of TOPP-RA along a spline through ``path``."""
    import toppra
    import toppra.algorithm as algo
    from toppra import constraint

    t0 = time.perf_counter()
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    geo = toppra.SplineInterpolator(s / s[-1], path)
    vel = constraint.JointVelocityConstraint(np.stack([-limits.velocity, limits.velocity], axis=1))
    acc = constraint.JointAccelerationConstraint(
        np.stack([-limits.acceleration, limits.acceleration], axis=1)
    )
    traj = algo.TOPPRA([vel, acc], geo, parametrizer="ParametrizeConstAccel").compute_trajectory()
    if traj is None:
        return math.nan, math.nan
    traj(np.arange(0.0, traj.duration, dt))
    return float(traj.duration), (time.perf_counter() - t0) * 1e3


def _jazari_timing(
    path: FloatArray, limits: TimingLimits, names: tuple[str, ...], dt: float
) -> tuple[float, float]:
    t0 = time.perf_counter()
    tr = time_parameterize(
        [StraightPiece(a, b) for a, b in itertools.pairwise(path)], limits, names, dt
    )
    return tr.duration_s, (time.perf_counter() - t0) * 1e3


def _check_speed(
    planner: PickPlacePlanner, query: Query, rng: np.random.Generator
) -> dict[str, float]:
    """Per-configuration checking cost [µs]: Jazari batched and one at a time, and fcl."""
    checker = planner.checker(query.scene.world, 0.06)
    fcl = FclChecker(planner.model, checker, query.scene.objects_with())
    q = HOME_Q + rng.uniform(-1.0, 1.0, size=(500, 6))
    t0 = time.perf_counter()
    checker.in_collision(q)
    batched = (time.perf_counter() - t0) / len(q)
    t0 = time.perf_counter()
    for qi in q[:100]:
        checker.in_collision(qi)
    single = (time.perf_counter() - t0) / 100
    t0 = time.perf_counter()
    fcl.in_collision(q[:100])
    exact = (time.perf_counter() - t0) / 100
    return {"batched": batched * 1e6, "single": single * 1e6, "fcl": exact * 1e6}


# -- the run ------------------------------------------------------------------------------


def _exact_collisions(planner: PickPlacePlanner, plan: PickPlacePlan, query: Query) -> int:
    """Trajectory samples in collision with the exact (fcl) geometry."""
    count = 0
    for seg in plan.segments:
        checker = segment_checker(planner, plan, query.scene, seg, 0.0)
        fcl = FclChecker(planner.model, checker, segment_world(plan, query.scene, seg))
        count += int(np.sum(fcl.in_collision(seg.trajectory.positions)))
    return count


@dataclass
class _Tally:
    plan_ms: list[float]
    transfer_ms: list[float]
    transfer_in_plan_ms: list[float]
    path_length: list[float]
    duration: list[float]
    failures: Counter[str]
    limit_violations: int = 0
    collisions: int = 0
    exact_collisions: int = 0
    solved: int = 0


def _run_jazari(
    planner: PickPlacePlanner,
    queries: list[Query],
    seed: int,
    exact: bool,
    on_plan: Callable[[Query, PickPlacePlan], None],
) -> _Tally:
    tally = _Tally([], [], [], [], [], Counter())
    budget = planner.options.time_budget_s
    for i, query in enumerate(queries):
        rng = np.random.default_rng([seed, i])
        t0 = time.perf_counter()
        try:
            plan = planner.plan(query.part, query.place_pose, query.scene, query.q_start, rng)
        except PlanningError as exc:
            tally.plan_ms.append((time.perf_counter() - t0) * 1e3)
            tally.failures[type(exc).__name__] += 1
            continue
        elapsed = time.perf_counter() - t0
        tally.plan_ms.append(elapsed * 1e3)
        if elapsed <= budget:
            tally.solved += 1
        else:
            tally.failures["over_budget"] += 1
        tally.transfer_in_plan_ms.append(plan.stats.get("transfer_s", math.nan) * 1e3)
        tally.path_length.append(plan.path_length_rad())
        tally.duration.append(plan.duration_s)
        problems = check_plan(plan, query.scene, query.q_start, planner)
        tally.limit_violations += sum(v.kind in _LIMIT_KINDS for v in problems)
        tally.collisions += sum(v.kind == "collision" for v in problems)
        if exact:
            tally.exact_collisions += _exact_collisions(planner, plan, query)
        on_plan(query, plan)
    return tally


@dataclass
class _Peers:
    """Per-transfer results of the transfer planners and the timing methods."""

    jazari_ms: list[float] = field(default_factory=list)
    ompl_ms: list[float] = field(default_factory=list)
    ompl_solve_ms: list[float] = field(default_factory=list)
    ompl_solved: int = 0
    timing: dict[str, tuple[list[float], list[float]]] = field(
        default_factory=lambda: {name: ([], []) for name in ("jazari", "ruckig", "toppra")}
    )  # method -> (transfer durations [s], compute times [ms])


def _run_peers(
    planner: PickPlacePlanner, transfers: list[tuple[MotionValidator, FloatArray]], seed: int
) -> _Peers:
    """Jazari's and OMPL's RRT-Connect on each transfer query, and each timing method on
    each transfer path."""
    o = planner.options
    names = planner.model.joint_names
    timers: dict[str, Callable[[FloatArray], tuple[float, float]]] = {
        "jazari": lambda p: _jazari_timing(p, planner.limits, names, o.sample_period_s),
        "ruckig": lambda p: _ruckig_timing(p, planner.limits, o.sample_period_s),
        "toppra": lambda p: _toppra_timing(p, planner.limits, o.sample_period_s),
    }
    out = _Peers()
    for k, (validator, path) in enumerate(transfers):
        rng = np.random.default_rng([seed, 1_000_000 + k])
        t0 = time.perf_counter()
        with contextlib.suppress(PlanningError):
            rrt_connect(validator, path[0], path[-1], rng, t0 + o.time_budget_s, o.rrt)
        out.jazari_ms.append((time.perf_counter() - t0) * 1e3)
        solved, total, solve = _ompl_transfer(validator, path[0], path[-1], o.time_budget_s, seed)
        out.ompl_solved += solved
        out.ompl_ms.append(total)
        out.ompl_solve_ms.append(solve)
        for name, timer in timers.items():
            duration, cost = timer(path)
            out.timing[name][0].append(duration)
            out.timing[name][1].append(cost)
    return out


def _median(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.median(finite)) if finite else math.nan


def run(args: argparse.Namespace) -> BenchResult:
    """Run the benchmark; see the module docstring."""
    n_queries = QUICK_QUERIES if args.quick else int(args.queries)
    if n_queries < 1:
        raise SystemExit("--queries must be >= 1")
    with _single_thread_blas() as blas_threads:
        return _run(args, n_queries, blas_threads)


def _run(args: argparse.Namespace, n_queries: int, blas_threads: int | None) -> BenchResult:
    planner = PickPlacePlanner()
    o = planner.options
    base = Scene.from_model(planner.model)
    rng = np.random.default_rng(args.seed)
    extra = screens() if args.screens else []
    queries = [make_query(base, rng, args.neighbours, extra) for _ in range(n_queries)]
    transfers: list[tuple[MotionValidator, FloatArray]] = []

    def collect(query: Query, plan: PickPlacePlan) -> None:
        seg = plan.segment("transfer")
        checker = segment_checker(planner, plan, query.scene, seg, planner.padding_m)
        transfers.append((planner.validator(checker), seg.waypoints))

    # warm the caches (self-collision pairs, imports) outside the timed queries
    with contextlib.suppress(PlanningError):
        planner.plan(queries[0].part, queries[0].place_pose, queries[0].scene, queries[0].q_start)
    tally = _run_jazari(planner, queries, args.seed, not args.no_exact_check, collect)
    peers = _run_peers(planner, transfers, args.seed)
    gc.collect()
    speed = _check_speed(planner, queries[0], np.random.default_rng(args.seed))

    stats = ("median", "p95", "max")
    jazari: dict[str, Any] = {
        "success_rate": tally.solved / n_queries,
        "plan_ms": summarize(tally.plan_ms, stats),
        "transfer_ms": summarize(peers.jazari_ms, stats),
        "transfer_in_plan_ms": summarize(tally.transfer_in_plan_ms, stats),
        "path_length_rad": summarize(tally.path_length, ("median", "p95")),
        "duration_s": summarize(tally.duration, ("median", "p95")),
        "limit_violations": tally.limit_violations,
        "collisions": tally.collisions,
        "failures": dict(tally.failures),
        "transfer_duration_s": summarize(peers.timing["jazari"][0], ("median", "p95")),
        "timing_ms": summarize(peers.timing["jazari"][1], ("median", "p95")),
        "check_us_per_config": {"batched": speed["batched"], "single": speed["single"]},
    }
    if not args.no_exact_check:
        jazari["collisions_exact_fcl"] = tally.exact_collisions
    results: dict[str, Any] = {
        "jazari": jazari,
        "ompl": {
            "success_rate": peers.ompl_solved / max(len(transfers), 1),
            "transfer_ms": summarize(peers.ompl_ms, stats),
            "solve_ms": summarize(peers.ompl_solve_ms, stats),
        },
    }
    for name in ("ruckig", "toppra"):
        durations, costs = peers.timing[name]
        results[name] = {
            "transfer_duration_s": summarize(durations, ("median", "p95")),
            "timing_ms": summarize(costs, ("median", "p95")),
        }
    results["fcl"] = {"check_us_per_config": speed["fcl"]}
    jz_timing = _median(peers.timing["jazari"][1])
    return {
        "bench": "plan",
        "params": {
            "queries": n_queries,
            "transfers": len(transfers),
            "seed": args.seed,
            "neighbours": args.neighbours,
            "screens": bool(args.screens),
            "time_budget_s": o.time_budget_s,
            "collision_resolution_m": o.collision_resolution_m,
            "validation_resolution_m": o.validation_resolution_m,
            "blas_threads": blas_threads if blas_threads is not None else "default",
        },
        "results": results,
        "ratios": {
            "ompl_vs_jazari": ratio(_median(peers.ompl_ms), _median(peers.jazari_ms)),
            "ruckig_vs_jazari_timing": ratio(_median(peers.timing["ruckig"][1]), jz_timing),
            "toppra_vs_jazari_timing": ratio(_median(peers.timing["toppra"][1]), jz_timing),
            "fcl_vs_jazari_check": ratio(speed["fcl"], speed["batched"]),
        },
    }


__all__ = ["Query", "add_arguments", "make_query", "run"]
