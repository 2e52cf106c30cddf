"""Pick-and-place planning: grasp choice, straight Cartesian moves, collision-free
transfers and timing, in one call.

:func:`plan_pick_place` (or :meth:`PickPlacePlanner.plan`) does, within a time budget:

1. grasp candidates of the part (:mod:`jazari.planning.grasps`), all IK solutions of
   each, one batched collision check of them with the fingers open, ranked by joint
   distance from the start, clearance of the gripper from its surroundings (the part
   itself aside) and a preference for grasps from above;
2. for candidates in that order, the cheap checks first: the straight approach and lift
   lines, a placement (over the part's symmetries and the IK solutions, nearest the
   lift's end first) with its straight descent and the retreat after release;
3. then the free motion to the pre-grasp pose and the transfer to the pre-place pose
   (RRT-Connect with shortcutting), and jerk-limited timing of every segment.

Failures say why: :class:`UnreachableError` (no IK, or no straight line on one IK
branch), :class:`GraspInCollisionError` (reachable, but every option collides),
:class:`NoPathError` (no free path within the budget), :class:`StartStateError`.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray, invert
from jazari.planning.cartesian import BatchIK, follow_line, interpolate_poses
from jazari.planning.collision import CollisionChecker, always_touching_pairs, self_pairs_for
from jazari.planning.errors import (
    GraspInCollisionError,
    LineError,
    NoPathError,
    PlanningError,
    PlanningInputError,
    StartStateError,
    UnreachableError,
)
from jazari.planning.grasps import Grasp, GripperGeometry, generate_grasps, part_symmetries
from jazari.planning.motion import MotionValidator
from jazari.planning.options import PlannerOptions
from jazari.planning.part import Part, check_pose
from jazari.planning.plan import PickPlacePlan, Segment
from jazari.planning.robot_geometry import (
    ATTACHED,
    FINGER_JOINT,
    Attachment,
    RobotGeometry,
    compile_robot,
)
from jazari.planning.rrt import rrt_connect
from jazari.planning.scene import Scene
from jazari.planning.timing import SplinePiece, StraightPiece, TimingLimits, time_parameterize
from jazari.planning.world import WorldGeometry, objects_touching
from jazari.robot.ik_analytic import AnalyticIK
from jazari.robot.model import RobotModel, load_cell_model
from jazari.robot.trajectory import JointTrajectory

log = logging.getLogger(__name__)

TARGET = "target_part"
# placements (symmetry × IK solution) tried per grasp, nearest the lift's end first
_PLACEMENTS_TRIED = 6


def _lifted(T: FloatArray, dz_m: float) -> FloatArray:
    out = T.copy()
    out[2, 3] += dz_m
    return out


def _along_tool(T: FloatArray, dz_m: float) -> FloatArray:
    out = T.copy()
    out[:3, 3] += T[:3, 2] * dz_m
    return out


@dataclass
class _Failures:
    """Why candidates failed, to raise the right error at the end."""

    reasons: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, message: str) -> None:
        self.reasons.append((kind, message))

    def error(self, part: Part) -> PlanningError:
        """The error to raise: a path failure (or running out of time) first, then
        collisions, else unreachability."""
        kinds = {k for k, _ in self.reasons}
        summary = "; ".join(sorted({f"{k}: {m}" for k, m in self.reasons})[:6])
        name = part.name or part.shape
        if "path" in kinds or "time" in kinds:
            return NoPathError(f"no path for part {name!r} within the time budget ({summary})")
        if "collision" in kinds:
            return GraspInCollisionError(
                f"every reachable grasp of part {name!r} collides ({summary})"
            )
        return UnreachableError(f"part {name!r} cannot be picked and placed ({summary})")


@dataclass(frozen=True)
class _Pick:
    """A grasp with its IK solution and the approach and lift lines, all checked."""

    grasp: Grasp
    approach: FloatArray  # pre-grasp -> grasp
    lift: FloatArray  # grasp -> lifted
    attachment: Attachment
    support: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Place:
    descent: FloatArray  # pre-place -> place
    retreat: FloatArray  # place -> retreated


class PickPlacePlanner:
    """Plans pick-and-place motions for one robot model.

    Args:
        model: the robot (default: the cell).
        options: planner options (default: ``config/planner.yaml``).
        ik: inverse kinematics (default: the analytic solver of the model).
        limits: timing limits (default: URDF velocities, ``config/joint_limits.yaml``).
        clock: monotonic time source [s] for the time budget.
    """

    def __init__(
        self,
        model: RobotModel | None = None,
        options: PlannerOptions | None = None,
        ik: BatchIK | None = None,
        limits: TimingLimits | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.model = load_cell_model() if model is None else model
        self.options = PlannerOptions.load() if options is None else options
        self.ik: BatchIK = AnalyticIK.from_model(self.model) if ik is None else ik
        o = self.options
        self.limits = limits or TimingLimits.from_config(
            self.model, scale=o.limit_scale, cartesian_speed_mps=o.cartesian_speed_mps,
            cartesian_accel_mps2=o.cartesian_accel_mps2,
        )  # fmt: skip
        self.gripper = GripperGeometry.from_model(self.model)
        self.clock = clock
        self.padding_m = o.collision_resolution_m / 2.0
        self._touching = always_touching_pairs(self.model, o.sphere_tolerance_m)
        finger = self.model.urdf.joints[FINGER_JOINT]
        self.width_rate_mps = 2.0 * finger.velocity  # both fingers move
        self._robot = functools.lru_cache(maxsize=64)(self._compile)
        self._self_pairs: dict[tuple[object, ...], np.ndarray] = {}

    # -- collision contexts ---------------------------------------------------------------

    def _compile(self, width_m: float, attachment: Attachment | None) -> RobotGeometry:
        if attachment is not None:
            return self._robot(width_m, None).attach(attachment)
        return compile_robot(self.model, width_m, self.options.sphere_tolerance_m)

    def checker(
        self,
        world: WorldGeometry,
        width_m: float,
        attachment: Attachment | None = None,
        allowed: Sequence[tuple[str, str]] = (),
        padding_m: float | None = None,
    ) -> CollisionChecker:
        """A collision checker for the arm with the fingers at ``width_m`` (carrying
        ``attachment``) against ``world``; padding defaults to half the resolution."""
        robot = self._robot(round(width_m, 9), attachment)
        pad = self.padding_m if padding_m is None else padding_m
        key = robot.structure_key
        if key not in self._self_pairs:
            self._self_pairs[key] = self_pairs_for(robot, self._touching)
        return CollisionChecker(robot, world, pad, self._self_pairs[key], allowed)

    def plan_move(
        self,
        q_start: ArrayLike,
        q_goal: ArrayLike,
        scene: Scene,
        rng: np.random.Generator | None = None,
    ) -> JointTrajectory:
        """A collision-free, timed joint motion with the fingers open and nothing
        carried, from ``q_start`` to ``q_goal`` [rad] (for example back to the cell's
        observe pose after a failed pick).

        Raises:
            StartStateError: the start is in collision.
            NoPathError: the goal is in collision, or no path within the time budget.
        """
        q0 = np.asarray(q_start, dtype=float)
        q1 = np.asarray(q_goal, dtype=float)
        validator = self.validator(self.checker(scene.world, self.gripper.stroke_m))
        ends = validator.valid(np.stack([q0, q1]))
        if not ends[0]:
            raise StartStateError(f"the start {np.round(q0, 4).tolist()} is in collision")
        if not ends[1]:
            raise NoPathError(f"the goal {np.round(q1, 4).tolist()} is in collision")
        generator = rng if rng is not None else np.random.default_rng(self.options.seed)
        deadline = self.clock() + self.options.time_budget_s
        path = rrt_connect(validator, q0, q1, generator, deadline, self.options.rrt, self.clock)
        pieces = [StraightPiece(a, b) for a, b in itertools.pairwise(path)]
        return time_parameterize(
            pieces, self.limits, self.model.joint_names, self.options.sample_period_s
        )

    def validator(self, checker: CollisionChecker) -> MotionValidator:
        """A motion validator at the planner's resolution."""
        return MotionValidator(checker, self.options.collision_resolution_m)

    # -- planning -------------------------------------------------------------------------

    def plan(
        self,
        part: Part,
        place_pose: ArrayLike,
        scene: Scene,
        q_start: ArrayLike,
        rng: np.random.Generator | None = None,
    ) -> PickPlacePlan:
        """Plan picking ``part`` and releasing it at ``place_pose`` (the part's pose in the
        base frame at release), starting from ``q_start`` [rad].

        ``scene`` holds the fixtures and the other parts (a part in it equal to ``part``
        is ignored). ``rng`` defaults to a Generator seeded with ``options.seed``.

        Raises:
            PlanningInputError: malformed inputs.
            StartStateError, UnreachableError, GraspInCollisionError, NoPathError: see
                the module docstring.
        """
        t0 = self.clock()
        query = _Query(self, part, place_pose, scene, q_start, rng, t0)
        return query.run()


class _Query:
    """State of one planning call."""

    def __init__(
        self,
        planner: PickPlacePlanner,
        part: Part,
        place_pose: ArrayLike,
        scene: Scene,
        q_start: ArrayLike,
        rng: np.random.Generator | None,
        t0: float,
    ) -> None:
        self.p = planner
        self.o = planner.options
        if not isinstance(part, Part):
            raise PlanningInputError(f"part must be a Part, got {type(part).__name__}")
        self.part = part
        self.place_pose = check_pose(place_pose, "place_pose")
        chain = planner.model.chain
        q = np.asarray(q_start, dtype=float)
        if q.shape != (chain.dof,) or not np.all(np.isfinite(q)):
            raise PlanningInputError(f"q_start must be {chain.dof} finite values, got {q_start!r}")
        if not chain.within_limits(q):
            raise StartStateError(f"q_start {np.round(q, 4).tolist()} is outside the joint limits")
        self.q_start = q
        self.rng = np.random.default_rng(self.o.seed) if rng is None else rng
        self.t0 = t0
        self.deadline = t0 + self.o.time_budget_s
        base = scene.without_part(part)
        self.world_base = base.world
        self.world_pick = base.world_with([(TARGET, part)])
        self.world_place = base.world_with([(TARGET, part.moved_to(self.place_pose))])
        self._checkers: dict[tuple[object, ...], CollisionChecker] = {}
        self.failures = _Failures()
        self.stats: dict[str, float] = {}

    def checker(
        self,
        world: WorldGeometry,
        width_m: float,
        attachment: Attachment | None = None,
        allowed: Sequence[tuple[str, str]] = (),
        padding_m: float | None = None,
    ) -> CollisionChecker:
        """The planner's checker for this query's worlds, built once per combination."""
        key = (id(world), round(width_m, 9), id(attachment), tuple(allowed), padding_m)
        if key not in self._checkers:
            self._checkers[key] = self.p.checker(world, width_m, attachment, allowed, padding_m)
        return self._checkers[key]

    def _lap(self, name: str, since: float) -> float:
        now = self.p.clock()
        self.stats[name] = self.stats.get(name, 0.0) + (now - since)
        return now

    def run(self) -> PickPlacePlan:
        t = self.p.clock()
        ranked = self._ranked_grasps()
        t = self._lap("grasp_selection_s", t)
        for tried, (grasp, q_grasp) in enumerate(ranked[: self.o.grasp.max_candidates], 1):
            if self.p.clock() > self.deadline:
                self.failures.add("time", "time budget spent before all grasps were tried")
                break
            plan = self._try(grasp, q_grasp)
            if plan is not None:
                plan.stats["candidates_tried"] = tried
                plan.stats["total_s"] = self.p.clock() - self.t0
                log.debug("planned part %r: %s", self.part.name, plan.stats)
                return plan
        log.debug("no plan for part %r: %s", self.part.name, self.failures.reasons)
        raise self.failures.error(self.part)

    def _ranked_grasps(self) -> list[tuple[Grasp, FloatArray]]:
        p, o = self.p, self.o.grasp
        grasps = generate_grasps(self.part, p.gripper, o, p.padding_m + 1e-3)
        if not grasps:
            raise UnreachableError(
                f"no grasp of the {self.part.shape} {self.part.dims_m} m fits the "
                f"{p.gripper.stroke_m} m stroke"
            )
        narrowest = min(g.open_width_m for g in grasps)
        start_check = self.checker(self.world_pick, narrowest)
        if start_check.in_collision(self.q_start)[0]:
            raise StartStateError(
                f"the start configuration collides: {start_check.colliding_pairs(self.q_start)}"
            )
        T = np.array([self.part.T_base_part @ g.T_part_tcp for g in grasps])
        q_all, valid = p.ik.solve_batch(T, self.q_start)
        gi, bi = np.nonzero(valid)
        if not len(gi):
            raise UnreachableError(
                f"part at {np.round(self.part.T_base_part[:3, 3], 3).tolist()} m: no grasp "
                "has an IK solution within the joint limits"
            )
        q = q_all[gi, bi]
        width = np.array([grasps[i].open_width_m for i in gi])
        cost = o.weight_joint_distance * np.linalg.norm(q - self.q_start, axis=1)
        cost += np.array([0.0 if grasps[i].from_above else o.side_grasp_penalty for i in gi])
        cost += o.weight_shallow * np.array([grasps[i].shallow_m for i in gi])
        order = np.argsort(cost, kind="stable")
        # check the cheapest candidates first; the rest only if none of those is free
        free = np.zeros(len(q), dtype=bool)
        head = max(2 * o.max_candidates, 1)
        for chunk in (order[:head], order[head:]):
            for w in np.unique(width[chunk]):
                sel = chunk[width[chunk] == w]
                free[sel] = ~self.checker(self.world_pick, float(w)).in_collision(q[sel])
            if np.any(free):
                break
        if not np.any(free):
            cheapest = int(order[0])
            example = self.checker(self.world_pick, float(width[cheapest])).colliding_pairs(
                q[cheapest]
            )
            raise GraspInCollisionError(
                f"every one of {len(q)} grasp configurations of part "
                f"{self.part.name or self.part.shape!r} collides (e.g. {example})"
            )
        # clearance (costly) only refines the order of the best free candidates
        ranked = [int(i) for i in order if free[i]]
        best = np.array(ranked[: o.max_candidates])
        for w in np.unique(width[best]):
            sel = best[width[best] == w]
            gap = self.checker(self.world_pick, float(w)).clearance(
                q[sel], o.clearance_cap_m, frames=[p.model.chain.dof], ignore=[TARGET]
            )
            cost[sel] -= o.weight_clearance * gap
        ranked[: len(best)] = best[np.argsort(cost[best], kind="stable")].tolist()
        return [(grasps[gi[i]], q[i]) for i in ranked]

    def _line(self, T_from: FloatArray, T_to: FloatArray, q_from: FloatArray) -> FloatArray:
        poses = interpolate_poses(T_from, T_to, self.o.cartesian_step_m, self.o.cartesian_step_rad)
        return follow_line(self.p.ik, poses, q_from, self.o.max_joint_step_rad)

    def _pick(self, grasp: Grasp, q_grasp: FloatArray) -> _Pick | None:
        p, o = self.p, self.o
        T_grasp = self.part.T_base_part @ grasp.T_part_tcp
        try:
            approach = self._line(
                T_grasp, _along_tool(T_grasp, -o.grasp.approach_distance_m), q_grasp
            )[::-1]
            lift = self._line(T_grasp, _lifted(T_grasp, o.grasp.lift_height_m), q_grasp)
        except LineError as exc:
            self.failures.add("line", f"{grasp.name}: {exc}")
            return None
        open_check = self.checker(self.world_pick, grasp.open_width_m)
        if not p.validator(open_check).path_valid(approach):
            self.failures.add("collision", f"{grasp.name}: approach line collides")
            return None
        attachment = Attachment(self.part, invert(T_grasp) @ self.part.T_base_part)
        support = support_contacts(self.part, self.world_base, p)
        lift_check = self.checker(self.world_base, grasp.width_m, attachment, support)
        if not p.validator(lift_check).path_valid(lift):
            self.failures.add("collision", f"{grasp.name}: lift line collides")
            return None
        return _Pick(grasp, approach, lift, attachment, support)

    def _place(self, pick: _Pick) -> _Place | None:
        p, o = self.p, self.o
        carry = self.checker(self.world_base, pick.grasp.width_m, pick.attachment)
        q_lifted = pick.lift[-1]
        T_tcp_part = pick.attachment.T_tcp_part
        T_part_tcp = invert(T_tcp_part)
        rows: list[tuple[FloatArray, FloatArray]] = []
        for S in part_symmetries(self.part, o.grasp.cylinder_axial_samples):
            T = self.place_pose @ S @ T_part_tcp
            rows.extend((T, q) for q in p.ik.solve(T, q_lifted))
        if not rows:
            self.failures.add("place_ik", f"{pick.grasp.name}: no IK solution at the place pose")
            return None
        q_all = np.array([q for _, q in rows])
        dist = np.linalg.norm(q_all - q_lifted, axis=1)
        free = ~carry.in_collision(q_all)
        release = self.checker(self.world_place, pick.grasp.open_width_m)
        for i in [i for i in np.argsort(dist, kind="stable") if free[i]][:_PLACEMENTS_TRIED]:
            T, q_place = rows[i]
            try:
                descent = self._line(T, _lifted(T, o.place_approach_m), q_place)[::-1]
                retreat = self._line(T, _lifted(T, o.retreat_distance_m), q_place)
            except LineError as exc:
                self.failures.add("line", f"{pick.grasp.name}: place: {exc}")
                continue
            if not p.validator(carry).path_valid(descent):
                self.failures.add("collision", f"{pick.grasp.name}: place descent collides")
                continue
            if not p.validator(release).path_valid(retreat):
                self.failures.add("collision", f"{pick.grasp.name}: release or retreat collides")
                continue
            return _Place(descent, retreat)
        if not np.any(free):
            self.failures.add("collision", f"{pick.grasp.name}: every placement collides")
        return None

    def _free_path(
        self, checker: CollisionChecker, qa: FloatArray, qb: FloatArray, what: str
    ) -> FloatArray | None:
        validator = self.p.validator(checker)
        ends = validator.valid(np.stack([qa, qb]))
        if not np.all(ends):
            where = "start" if not ends[0] else "goal"
            self.failures.add("collision", f"{what}: the {where} is in collision")
            return None
        try:
            return rrt_connect(validator, qa, qb, self.rng, self.deadline, self.o.rrt, self.p.clock)
        except NoPathError as exc:
            self.failures.add("path", f"{what}: {exc}")
            return None

    def _try(self, grasp: Grasp, q_grasp: FloatArray) -> PickPlacePlan | None:
        p = self.p
        t = p.clock()
        pick = self._pick(grasp, q_grasp)
        place = self._place(pick) if pick is not None else None
        t = self._lap("lines_s", t)
        if pick is None or place is None:
            return None
        reach = self._free_path(
            self.checker(self.world_pick, grasp.open_width_m),
            self.q_start,
            pick.approach[0],
            "approach",
        )
        t = self._lap("approach_path_s", t)
        if reach is None:
            return None
        carry = self.checker(self.world_base, grasp.width_m, pick.attachment)
        transfer = self._free_path(carry, pick.lift[-1], place.descent[0], "transfer")
        t = self._lap("transfer_s", t)
        if transfer is None:
            return None
        plan = self._assemble(pick, place, reach, transfer)
        self._lap("timing_s", t)
        plan.stats.update(self.stats)
        return plan

    def _gripper_action(self, q: FloatArray, from_w: float, to_w: float) -> JointTrajectory:
        duration = abs(to_w - from_w) / self.p.width_rate_mps + self.o.gripper_settle_s
        names = self.p.model.joint_names
        pos = np.stack([q, q])
        zero = np.zeros_like(pos)
        return JointTrajectory(names, np.array([0.0, max(duration, 1e-3)]), pos, zero, zero.copy())

    def _assemble(
        self, pick: _Pick, place: _Place, reach: FloatArray, transfer: FloatArray
    ) -> PickPlacePlan:
        o, g = self.o, pick.grasp
        names = self.p.model.joint_names
        dt = o.sample_period_s

        def timed(pieces: Sequence[StraightPiece | SplinePiece]) -> JointTrajectory:
            return time_parameterize(pieces, self.p.limits, names, dt)

        def straight(path: FloatArray) -> list[StraightPiece | SplinePiece]:
            return [StraightPiece(a, b) for a, b in itertools.pairwise(path)]

        pick_pose, place_pose = self.part.T_base_part, self.place_pose
        approach = [*straight(reach), SplinePiece(pick.approach, o.grasp.approach_distance_m)]
        approach_waypoints = np.concatenate([reach, pick.approach[1:]])
        segments = (
            Segment("approach", timed(approach), g.open_width_m, False, pick_pose, (),
                    approach_waypoints),
            Segment("grasp", self._gripper_action(pick.approach[-1], g.open_width_m, g.width_m),
                    g.width_m, False, pick_pose, (), pick.approach[-1:]),
            Segment("lift", timed([SplinePiece(pick.lift, o.grasp.lift_height_m)]),
                    g.width_m, True, None, pick.support, pick.lift),
            Segment("transfer", timed(straight(transfer)), g.width_m, True, None, (), transfer),
            Segment("place", timed([SplinePiece(place.descent, o.place_approach_m)]),
                    g.width_m, True, None, (), place.descent),
            Segment("release", self._gripper_action(place.descent[-1], g.width_m, g.open_width_m),
                    g.open_width_m, False, place_pose, (), place.descent[-1:]),
            Segment("retreat", timed([SplinePiece(place.retreat, o.retreat_distance_m)]),
                    g.open_width_m, False, place_pose, (), place.retreat),
        )  # fmt: skip
        return PickPlacePlan(self.part, place_pose, g, pick.attachment.T_tcp_part, segments, {})


def support_contacts(
    part: Part, world: WorldGeometry, planner: PickPlacePlanner
) -> tuple[tuple[str, str], ...]:
    """The contacts a lift may ignore: the carried part with the objects it touches (within
    the padding plus the contact tolerance) where it lies."""
    tol = planner.padding_m + planner.options.grasp.contact_tolerance_m
    return tuple((ATTACHED, name) for name in objects_touching(part, world, tol))


@functools.lru_cache(maxsize=4)
def default_planner(model: RobotModel | None = None) -> PickPlacePlanner:
    """A planner for ``model`` (default: the cell) with the packaged options (cached)."""
    return PickPlacePlanner(model)


def plan_pick_place(
    part: Part,
    place_pose: ArrayLike,
    scene: Scene,
    q_start: ArrayLike,
    rng: np.random.Generator | None = None,
    planner: PickPlacePlanner | None = None,
) -> PickPlacePlan:
    """Plan picking ``part`` and releasing it at ``place_pose`` from ``q_start``.

    See :meth:`PickPlacePlanner.plan`; ``planner`` defaults to :func:`default_planner`
    for the scene's model.

    Raises:
        PlanningError: a subclass saying why no plan was found.
    """
    return (planner or default_planner(scene.model)).plan(part, place_pose, scene, q_start, rng)


__all__ = ["PickPlacePlanner", "PlanningError", "default_planner", "plan_pick_place"]
