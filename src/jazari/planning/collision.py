"""Batched collision checking of the arm against the world and itself.

A query takes N configurations at once and answers with numpy, with no Python loop over
configurations or primitive pairs:

1. forward kinematics of the seven arm frames and each body's bounding sphere;
2. broad phase: body spheres against world objects' bounding boxes, and body pairs'
   spheres against each other (first over the whole batch, then per configuration);
3. narrow phase, only for the (configuration, body, object) triples kept: the bodies'
   primitives are posed at those configurations, a cheap bound drops distant primitive
   pairs, and the rest get the exact test: sphere–box, sphere–cylinder and sphere–sphere
   distances, the separating-axis test of boxes.

Every robot primitive is grown by ``padding_m``. If consecutive checked configurations
move no point by more than 2·padding (see :mod:`jazari.planning.motion`), the continuous
motion between them is collision-free too.

Self-collision skips body pairs the arm cannot move relative to each other (same arm
frame), pairs joined by one joint, and pairs in contact at every configuration (found by
sampling the model once, :func:`always_touching_pairs`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray
from jazari.planning import kernels
from jazari.planning.errors import PlanningInputError
from jazari.planning.robot_geometry import RobotGeometry, compile_robot, finger_travel_m
from jazari.planning.world import WorldGeometry
from jazari.robot.model import RobotModel

IntArray = np.ndarray
_EMPTY = np.zeros(0, dtype=int)
# up to this many configurations, primitives are posed by gathering their frames
_FEW = 8


@dataclass(frozen=True)
class _PairTable:
    """Narrow-phase primitive pairs grouped by broad-phase pair (compressed rows)."""

    ptr: IntArray
    a: IntArray
    b: IntArray

    @classmethod
    def build(cls, n_coarse: int, coarse: IntArray, a: IntArray, b: IntArray) -> _PairTable:
        order = np.argsort(coarse, kind="stable")
        counts = np.bincount(coarse, minlength=n_coarse)
        return cls(np.concatenate([[0], np.cumsum(counts)]), a[order], b[order])

    def expand(self, cand_n: IntArray, cand_c: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Configuration and primitive indices of every narrow pair of the candidates."""
        start = self.ptr[cand_c]
        counts = self.ptr[cand_c + 1] - start
        rep = np.repeat(np.arange(len(cand_c)), counts)
        first = np.cumsum(counts) - counts
        idx = start[rep] + np.arange(len(rep)) - first[rep]
        return cand_n[rep], self.a[idx], self.b[idx]


def _table(
    lookup: IntArray, owner_a: IntArray, owner_b: IntArray, *, same_set: bool = False
) -> _PairTable:
    """All primitive pairs (i, j) whose owners map to a broad-phase pair in ``lookup``
    (an owner × owner array of pair indices, −1 for pairs not tested)."""
    n_coarse = int(lookup.max(initial=-1)) + 1
    if not (len(owner_a) and len(owner_b)):
        return _PairTable(np.zeros(n_coarse + 1, dtype=int), _EMPTY, _EMPTY)
    grid_a, grid_b = np.meshgrid(np.arange(len(owner_a)), np.arange(len(owner_b)), indexing="ij")
    ia, ib = grid_a.ravel(), grid_b.ravel()
    if same_set:  # self pairs: each unordered pair of distinct owners once
        keep = owner_a[ia] < owner_b[ib]
        ia, ib = ia[keep], ib[keep]
    c = lookup[owner_a[ia], owner_b[ib]]
    keep = c >= 0
    return _PairTable.build(n_coarse, c[keep], ia[keep], ib[keep])


_SELF_TABLES: dict[tuple[object, ...], tuple[_PairTable, ...]] = {}


def _self_tables(robot: RobotGeometry, pairs: IntArray) -> tuple[_PairTable, ...]:
    """Self-collision pair tables for the body ``pairs``; they depend only on the robot's
    structure, so robots that differ in finger opening share them."""
    key = (robot.structure_key, pairs.tobytes())
    if key not in _SELF_TABLES:
        _SELF_TABLES[key] = _build_self_tables(robot, pairs)
    return _SELF_TABLES[key]


def _build_self_tables(robot: RobotGeometry, pairs: IntArray) -> tuple[_PairTable, ...]:
    n_b = len(robot.bodies)
    slook = np.full((n_b, n_b), -1, dtype=int)
    slook[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
    slook[pairs[:, 1], pairs[:, 0]] = np.arange(len(pairs))
    s_own, b_own = robot.spheres.owner, robot.boxes.owner
    return (
        _table(slook, s_own, s_own, same_set=True),
        _table(slook, s_own, b_own),
        _table(slook, b_own, b_own, same_set=True),
    )


@dataclass(frozen=True)
class _Posed:
    """Robot primitives at N configurations, in the base frame [m]."""

    sph_c: FloatArray  # (N, S, 3)
    box_R: FloatArray  # (N, O, 2, 3, 3)  # noqa: N815 - rotation matrices are R
    box_t: FloatArray  # (N, O, 2, 3)


@dataclass(frozen=True)
class Gaps:
    """Narrow-phase results of one kind of test: configuration index, gap [m] (≤ 0:
    collision), the body, and the world object (``self_test`` False) or second body."""

    n: IntArray
    gap: FloatArray
    body: IntArray
    other: IntArray
    self_test: bool


_Kernel = Callable[[_Posed, IntArray, IntArray, IntArray, float], FloatArray]
_Bound = Callable[[_Posed, IntArray, IntArray, IntArray], FloatArray]


@dataclass(frozen=True)
class _Test:
    """One narrow-phase test between two primitive kinds: the pair table, an optional
    cheap lower bound of the unpadded gap (pairs it puts beyond the slack are skipped),
    the exact kernel, and the owners of both sides."""

    table: _PairTable
    kernel: _Kernel
    bound: _Bound | None
    owner_a: IntArray
    owner_b: IntArray
    self_test: bool


def _apply(FR: FloatArray, Ft: FloatArray, p: FloatArray) -> FloatArray:
    """Points p (M, 3) in frames (N, 3, 3), (N, 3) -> (N, M, 3), as one matrix product."""
    n = FR.shape[0]
    out: FloatArray = (FR.reshape(-1, 3) @ p.T).reshape(n, 3, -1).transpose(0, 2, 1) + Ft[:, None]
    return out


class CollisionChecker:
    """Collision queries of one robot geometry against one world.

    Args:
        robot: the arm's bodies (gripper width and carried part fixed).
        world: the world's objects.
        padding_m: growth of every robot primitive [m] (see the module docstring).
        self_pairs: (P, 2) body index pairs to test for self-collision.
        allowed: (body name, object name) pairs not to test (e.g. a carried part and
            the table it is lifted from).
    """

    def __init__(
        self,
        robot: RobotGeometry,
        world: WorldGeometry,
        padding_m: float,
        self_pairs: IntArray,
        allowed: Collection[tuple[str, str]] = (),
    ) -> None:
        if not padding_m >= 0.0:
            raise PlanningInputError(f"padding_m must be >= 0, got {padding_m}")
        self.robot = robot
        self.world = world
        self.padding_m = float(padding_m)
        self.allowed = tuple(allowed)
        self._pairs = np.sort(np.asarray(self_pairs, dtype=int).reshape(-1, 2), axis=1)
        self._box_twin = robot.boxes.twin
        self._pair_twin = world.pairs.twin
        key = (robot.structure_key, tuple(sorted(self.allowed)))
        if key not in world.table_cache:
            world.table_cache[key] = self._world_tables()
        cached: tuple[IntArray, IntArray, tuple[_PairTable, ...]] = world.table_cache[key]
        self._cb, self._cg, tables = cached
        self._world_tests, self._self_tests = self._build_tests(tables)
        self._frames_of = [
            (
                f,
                np.flatnonzero(robot.sphere_frame == f),
                np.flatnonzero(robot.box_frame == f),
                np.flatnonzero(robot.body_frame == f),
            )
            for f in range(robot.dof + 1)
        ]

    def _world_tables(self) -> tuple[IntArray, IntArray, tuple[_PairTable, ...]]:
        """Broad-phase (body, object) pairs to test and the narrow-phase tables; they
        depend on the robot's structure, the world and the allowed pairs only."""
        r, w = self.robot, self.world
        n_b, n_g = len(r.bodies), len(w.objects)
        test = np.zeros((n_b, n_g), dtype=bool)
        test[r.body_frame > 0] = True  # static bodies cannot be moved out of contact
        for body, obj in self.allowed:
            test[r.body_index(body), w.object_index(obj)] = False
        cb, cg = np.nonzero(test)
        lookup = np.full((n_b, n_g), -1, dtype=int)
        lookup[cb, cg] = np.arange(len(cb))
        s_own, b_own = r.spheres.owner, r.boxes.owner
        return (
            cb,
            cg,
            (
                _table(lookup, s_own, w.box_obj),
                _table(lookup, s_own, w.cyl_obj),
                _table(lookup, s_own, w.sph_obj),
                _table(lookup, b_own, w.pairs.owner),
                _table(lookup, b_own, w.sph_obj),
            ),
        )

    def _build_tests(self, tables: tuple[_PairTable, ...]) -> tuple[list[_Test], list[_Test]]:
        r, w = self.robot, self.world
        s_own, b_own = r.spheres.owner, r.boxes.owner
        t_box, t_cyl, t_sph, t_pairs, t_bsph = tables
        world_tests = [
            _Test(t_box, self._sphere_box, None, s_own, w.box_obj, False),
            _Test(t_cyl, self._sphere_cyl, None, s_own, w.cyl_obj, False),
            _Test(t_sph, self._sphere_wsph, None, s_own, w.sph_obj, False),
            _Test(t_pairs, self._boxes_wboxes, self._near_wboxes, b_own, w.pairs.owner, False),
            _Test(t_bsph, self._boxes_wsph, None, b_own, w.sph_obj, False),
        ]
        ss, sb, bb = _self_tables(r, self._pairs)
        self_tests = [
            _Test(ss, self._sphere_sphere, None, s_own, s_own, True),
            _Test(sb, self._sphere_boxes, self._near_sphere_boxes, s_own, b_own, True),
            _Test(bb, self._boxes_boxes, self._near_boxes_boxes, b_own, b_own, True),
        ]
        return [t for t in world_tests if len(t.table.a)], [t for t in self_tests if len(t.table.a)]

    @property
    def self_pairs(self) -> IntArray:
        """(P, 2) body index pairs tested for self-collision."""
        return self._pairs

    # -- public queries -----------------------------------------------------------------

    def in_collision(self, q: ArrayLike) -> np.ndarray:
        """(N,) True where configuration q[i] (N, 6) [rad] collides."""
        qa = self._check_q(q)
        hit = np.zeros(len(qa), dtype=bool)
        for g in self._gaps(qa, 0.0):
            hit[g.n[g.gap <= 0.0]] = True
        return hit

    def colliding_pairs(self, q: ArrayLike) -> list[tuple[str, str]]:
        """Names of the colliding (body, world object or body) pairs at one configuration."""
        found: set[tuple[str, str]] = set()
        for g in self._gaps(self._check_q(q)[:1], 0.0):
            names = self.robot.bodies if g.self_test else self.world.objects
            bad = g.gap <= 0.0
            found.update(
                (self.robot.bodies[b], names[o])
                for b, o in zip(g.body[bad], g.other[bad], strict=True)
            )
        return sorted(found)

    def clearance(
        self,
        q: ArrayLike,
        cap_m: float,
        frames: Collection[int] | None = None,
        ignore: Collection[str] = (),
    ) -> FloatArray:
        """A lower bound of the distance [m] from the (padded) robot to the world and to
        itself, capped at ``cap_m``; only bodies in arm ``frames`` if given, and not to
        the world objects named in ``ignore``."""
        qa = self._check_q(q)
        out = np.full(len(qa), float(cap_m))
        keep = None if frames is None else np.isin(self.robot.body_frame, list(frames))
        skip = np.isin(
            np.arange(len(self.world.objects)), [self.world.object_index(o) for o in ignore]
        )
        for g in self._gaps(qa, cap_m):
            drop = ~keep[g.body] if keep is not None else np.zeros(len(g.gap), dtype=bool)
            if not g.self_test:
                drop |= skip[g.other]
            np.minimum.at(out, g.n, np.where(drop, np.inf, g.gap))
        return out

    def gaps(self, q: ArrayLike) -> Iterator[Gaps]:
        """Every narrow-phase result (gap ≤ 0: collision) at configurations ``q``."""
        return self._gaps(self._check_q(q), 0.0)

    def _check_q(self, q: ArrayLike) -> FloatArray:
        qa = np.asarray(q, dtype=float)
        if qa.ndim not in (1, 2) or qa.shape[-1] != self.robot.dof:
            raise PlanningInputError(
                f"configurations must have shape ({self.robot.dof},) or (N, {self.robot.dof}), "
                f"got {qa.shape}"
            )
        return qa.reshape(-1, self.robot.dof)

    # -- evaluation -----------------------------------------------------------------------

    def _pose(self, FR: FloatArray, Ft: FloatArray, bodies: np.ndarray) -> _Posed:
        """The primitives of the ``bodies`` (a mask) at the configurations of FR, Ft; the
        other primitives' entries are left unset."""
        robot = self.robot
        n = len(FR)
        if n <= _FEW:
            return self._pose_few(FR, Ft)
        sph_c = np.empty((n, len(robot.spheres), 3))
        box_R = np.empty((n, len(robot.boxes), 2, 3, 3))
        box_t = np.empty((n, len(robot.boxes), 2, 3))
        for f, s_all, b_all, _ in self._frames_of:
            s_idx = s_all[bodies[robot.spheres.owner[s_all]]]
            b_idx = b_all[bodies[robot.boxes.owner[b_all]]]
            if len(s_idx):
                sph_c[:, s_idx] = _apply(FR[:, f], Ft[:, f], robot.spheres.centre[s_idx])
            if len(b_idx):
                m = len(b_idx)
                R = robot.boxes.R[b_idx].transpose(2, 0, 1, 3).reshape(3, -1)
                box_R[:, b_idx] = (
                    (FR[:, f].reshape(-1, 3) @ R).reshape(n, 3, m, 2, 3).transpose(0, 2, 3, 1, 4)
                )
                t = _apply(FR[:, f], Ft[:, f], robot.boxes.t[b_idx].reshape(-1, 3))
                box_t[:, b_idx] = t.reshape(n, m, 2, 3)
        return _Posed(sph_c, box_R, box_t)

    def _pose_few(self, FR: FloatArray, Ft: FloatArray) -> _Posed:
        """All primitives at a few configurations: gathering each primitive's frame costs
        less than one matrix product per frame there."""
        r = self.robot
        sf, bf = r.sphere_frame, r.box_frame
        sph_c = np.einsum("nsij,sj->nsi", FR[:, sf], r.spheres.centre) + Ft[:, sf]
        box_R = np.einsum("noij,opjk->nopik", FR[:, bf], r.boxes.R)
        box_t = np.einsum("noij,opj->nopi", FR[:, bf], r.boxes.t) + Ft[:, bf, None]
        return _Posed(sph_c, box_R, box_t)

    def _body_centres(self, FR: FloatArray, Ft: FloatArray) -> FloatArray:
        if len(FR) <= _FEW:
            bf = self.robot.body_frame
            few: FloatArray = np.einsum("nbij,bj->nbi", FR[:, bf], self.robot.body_centre)
            return few + Ft[:, bf]
        body_c = np.empty((len(FR), len(self.robot.bodies), 3))
        for f, _, _, body_idx in self._frames_of:
            if len(body_idx):
                body_c[:, body_idx] = _apply(FR[:, f], Ft[:, f], self.robot.body_centre[body_idx])
        return body_c

    def _world_broad(self, body_c: FloatArray, slack: float) -> tuple[IntArray, IntArray]:
        """(configuration, body–object pair) candidates: body sphere near object box."""
        r = self.robot.body_radius[:, None] + slack
        # first drop pairs whose body never comes near the object at any configuration
        lo_b, hi_b = body_c.min(axis=0) - r, body_c.max(axis=0) + r
        lo_g, hi_g = self.world.aabb_lo, self.world.aabb_hi
        cb, cg = self._cb, self._cg
        cols = np.flatnonzero(np.all((lo_b[cb] <= hi_g[cg]) & (hi_b[cb] >= lo_g[cg]), axis=1))
        if not len(cols):
            return _EMPTY, _EMPTY
        p = body_c[:, cb[cols]]
        d = np.maximum(np.maximum(lo_g[cg[cols]] - p, p - hi_g[cg[cols]]), 0.0)
        reach = r[cb[cols], 0]
        n, k = np.nonzero(np.einsum("nci,nci->nc", d, d) < reach * reach)
        return n, cols[k]

    def _self_broad(self, body_c: FloatArray, slack: float) -> tuple[IntArray, IntArray]:
        """(configuration, body pair) candidates: bounding spheres closer than slack."""
        r = self.robot.body_radius
        lo_b, hi_b = body_c.min(axis=0) - r[:, None], body_c.max(axis=0) + r[:, None]
        pa, pb = self._pairs[:, 0], self._pairs[:, 1]
        cols = np.flatnonzero(
            np.all((lo_b[pa] <= hi_b[pb] + slack) & (hi_b[pa] + slack >= lo_b[pb]), axis=1)
        )
        if not len(cols):
            return _EMPTY, _EMPTY
        diff = body_c[:, pa[cols]] - body_c[:, pb[cols]]
        reach = r[pa[cols]] + r[pb[cols]] + slack
        n, k = np.nonzero(np.einsum("npi,npi->np", diff, diff) < reach * reach)
        return n, cols[k]

    def _gaps(self, q: FloatArray, margin: float) -> Iterator[Gaps]:
        """Narrow-phase gaps of every primitive pair that the bounding volumes cannot rule
        out within ``margin`` [m] beyond the padding."""
        pad = self.padding_m
        if not len(q):
            return
        FR, Ft = self.robot.frames(q)
        body_c = self._body_centres(FR, Ft)
        world = self._world_broad(body_c, pad + margin) if self._world_tests else (_EMPTY, _EMPTY)
        own = self._self_broad(body_c, 2 * pad + margin) if self._self_tests else (_EMPTY, _EMPTY)
        if not (len(world[0]) or len(own[0])):
            return
        # pose the primitives only at configurations some candidate needs
        need = np.unique(np.concatenate([world[0], own[0]]))
        bodies = np.zeros(len(self.robot.bodies), dtype=bool)
        bodies[self._cb[world[1]]] = True
        bodies[self._pairs[own[1]].ravel()] = True
        posed = self._pose(FR[need], Ft[need], bodies)
        for tests, (n, c), slack in (
            (self._world_tests, world, pad + margin),
            (self._self_tests, own, 2 * pad + margin),
        ):
            for g in self._narrow(tests, posed, (np.searchsorted(need, n), c), pad, slack):
                yield Gaps(need[g.n], g.gap, g.body, g.other, g.self_test)

    def _narrow(
        self,
        tests: list[_Test],
        posed: _Posed,
        cand: tuple[IntArray, ...],
        pad: float,
        slack: float,
    ) -> Iterator[Gaps]:
        cand_n, cand_c = cand
        if not len(cand_c):
            return
        for test in tests:
            n, a, b = test.table.expand(cand_n, cand_c)
            if test.bound is not None and len(n):
                near = test.bound(posed, n, a, b) < slack
                n, a, b = n[near], a[near], b[near]
            if len(n):
                gap = test.kernel(posed, n, a, b, pad)
                yield Gaps(n, gap, test.owner_a[a], test.owner_b[b], test.self_test)

    # -- cheap lower bounds of unpadded gaps ----------------------------------------------

    def _near_wboxes(self, posed: _Posed, n: IntArray, o: IntArray, w: IntArray) -> FloatArray:
        """Robot box pair's bounding sphere to the world pair's first box (which holds
        the pair: the box itself, or a cylinder's bounding box)."""
        wp = self.world.pairs
        local = kernels.to_local(posed.box_t[n, o, 0], wp.R[w, 0], wp.t[w, 0])
        out: FloatArray = (
            kernels.point_box_distance(local, wp.half[w, 0]) - self.robot.boxes.bounding_radius[o]
        )
        return out

    def _near_sphere_boxes(
        self, posed: _Posed, n: IntArray, s: IntArray, o: IntArray
    ) -> FloatArray:
        dist = np.linalg.norm(posed.sph_c[n, s] - posed.box_t[n, o, 0], axis=-1)
        r = self.robot
        out: FloatArray = dist - r.spheres.radius[s] - r.boxes.bounding_radius[o]
        return out

    def _near_boxes_boxes(
        self, posed: _Posed, n: IntArray, o1: IntArray, o2: IntArray
    ) -> FloatArray:
        dist = np.linalg.norm(posed.box_t[n, o1, 0] - posed.box_t[n, o2, 0], axis=-1)
        rb = self.robot.boxes.bounding_radius
        out: FloatArray = dist - rb[o1] - rb[o2]
        return out

    # -- exact kernels: gap [m] per (configuration, primitive, primitive) -----------------

    def _sphere_box(
        self, posed: _Posed, n: IntArray, s: IntArray, w: IntArray, pad: float
    ) -> FloatArray:
        wd = self.world
        local = kernels.to_local(posed.sph_c[n, s], wd.box_rot[w], wd.box_t[w])
        dist = kernels.point_box_distance(local, wd.box_half[w])
        out: FloatArray = dist - self.robot.spheres.radius[s] - pad
        return out

    def _sphere_cyl(
        self, posed: _Posed, n: IntArray, s: IntArray, w: IntArray, pad: float
    ) -> FloatArray:
        wd = self.world
        local = kernels.to_local(posed.sph_c[n, s], wd.cyl_rot[w], wd.cyl_t[w])
        dist = kernels.point_cylinder_distance(local, wd.cyl_radius[w], wd.cyl_half_height[w])
        out: FloatArray = dist - self.robot.spheres.radius[s] - pad
        return out

    def _sphere_wsph(
        self, posed: _Posed, n: IntArray, s: IntArray, w: IntArray, pad: float
    ) -> FloatArray:
        dist = np.linalg.norm(posed.sph_c[n, s] - self.world.sph_c[w], axis=-1)
        out: FloatArray = dist - self.robot.spheres.radius[s] - self.world.sph_r[w] - pad
        return out

    def _boxes_wboxes(
        self, posed: _Posed, n: IntArray, o: IntArray, w: IntArray, pad: float
    ) -> FloatArray:
        wp = self.world.pairs
        return _pair_gap(
            (
                posed.box_R[n, o],
                posed.box_t[n, o],
                self.robot.boxes.half[o] + pad,
                self._box_twin[o],
            ),
            (wp.R[w], wp.t[w], wp.half[w], self._pair_twin[w]),
        )

    def _boxes_wsph(
        self, posed: _Posed, n: IntArray, o: IntArray, w: IntArray, pad: float
    ) -> FloatArray:
        local = kernels.to_local(self.world.sph_c[w][:, None], posed.box_R[n, o], posed.box_t[n, o])
        dist = kernels.point_box_distance(local, self.robot.boxes.half[o] + pad)
        out: FloatArray = dist.max(axis=1) - self.world.sph_r[w]
        return out

    def _sphere_sphere(
        self, posed: _Posed, n: IntArray, s1: IntArray, s2: IntArray, pad: float
    ) -> FloatArray:
        dist = np.linalg.norm(posed.sph_c[n, s1] - posed.sph_c[n, s2], axis=-1)
        r = self.robot.spheres.radius
        out: FloatArray = dist - r[s1] - r[s2] - 2.0 * pad
        return out

    def _sphere_boxes(
        self, posed: _Posed, n: IntArray, s: IntArray, o: IntArray, pad: float
    ) -> FloatArray:
        local = kernels.to_local(posed.sph_c[n, s][:, None], posed.box_R[n, o], posed.box_t[n, o])
        dist = kernels.point_box_distance(local, self.robot.boxes.half[o] + pad)
        out: FloatArray = dist.max(axis=1) - self.robot.spheres.radius[s] - pad
        return out

    def _boxes_boxes(
        self, posed: _Posed, n: IntArray, o1: IntArray, o2: IntArray, pad: float
    ) -> FloatArray:
        half, twin = self.robot.boxes.half, self._box_twin
        return _pair_gap(
            (posed.box_R[n, o1], posed.box_t[n, o1], half[o1] + pad, twin[o1]),
            (posed.box_R[n, o2], posed.box_t[n, o2], half[o2] + pad, twin[o2]),
        )


_BoxPairs = tuple[FloatArray, FloatArray, FloatArray, np.ndarray]


def _pair_gap(a: _BoxPairs, b: _BoxPairs) -> FloatArray:
    """Gap of K box-pair pairs: the largest gap of their box–box combinations (the pairs
    can only touch if every combination overlaps). A twin pair contributes one box."""
    (Ra, ta, ea, twin_a), (Rb, tb, eb, twin_b) = a, b
    na = np.where(twin_a, 1, 2)
    nb = np.where(twin_b, 1, 2)
    counts = na * nb
    first = np.cumsum(counts) - counts
    rep = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(len(rep)) - first[rep]
    ia, ib = local // nb[rep], local % nb[rep]
    gap = kernels.box_box_gap(
        Ra[rep, ia], ta[rep, ia], ea[rep, ia], Rb[rep, ib], tb[rep, ib], eb[rep, ib]
    )
    out: FloatArray = np.maximum.reduceat(gap, first) if len(gap) else gap
    return out


def candidate_self_pairs(robot: RobotGeometry) -> IntArray:
    """Body pairs the arm can bring into contact: different arm frames, not joined by one
    joint. (P, 2) body indices."""
    a, b = np.triu_indices(len(robot.bodies), k=1)
    keep = robot.body_frame[a] != robot.body_frame[b]
    keep &= np.array([(int(i), int(j)) not in robot.adjacent for i, j in zip(a, b, strict=True)])
    return np.stack([a[keep], b[keep]], axis=1)


def self_pairs_for(robot: RobotGeometry, excluded: Collection[tuple[str, str]]) -> IntArray:
    """Candidate self pairs of ``robot`` without the ``excluded`` body-name pairs."""
    pairs = candidate_self_pairs(robot)
    skip = {tuple(sorted(p)) for p in excluded}
    keep = [tuple(sorted((robot.bodies[a], robot.bodies[b]))) not in skip for a, b in pairs]
    out: IntArray = pairs[np.array(keep, dtype=bool)] if len(pairs) else pairs
    return out


@functools.lru_cache(maxsize=8)
def always_touching_pairs(
    model: RobotModel, sphere_tolerance_m: float, samples: int = 2000, seed: int = 0
) -> frozenset[tuple[str, str]]:
    """Body pairs (by link name) in contact at every one of ``samples`` configurations
    drawn uniformly within the joint limits, over four random gripper openings (seeded,
    so the result is reproducible). Such pairs overlap by construction of the model and
    are not tested for self-collision."""
    rng = np.random.default_rng(seed)
    empty = WorldGeometry.build([])
    touching: set[tuple[str, str]] | None = None
    per_width = max(1, samples // 4)
    for width in rng.uniform(0.0, finger_travel_m(model), size=4):
        robot = compile_robot(model, float(width), sphere_tolerance_m)
        checker = CollisionChecker(robot, empty, 0.0, candidate_self_pairs(robot))
        n_b = len(robot.bodies)
        seen: set[int] = set()
        for g in checker.gaps(model.chain.sample(rng, per_width)):
            hit = g.gap <= 0.0
            pair = np.minimum(g.body, g.other)[hit] * n_b + np.maximum(g.body, g.other)[hit]
            seen.update((pair * per_width + g.n[hit]).tolist())
        ids, counts = np.unique(np.array(sorted(seen), dtype=int) // per_width, return_counts=True)
        always = {
            (robot.bodies[i // n_b], robot.bodies[i % n_b])
            for i, c in zip(ids.tolist(), counts.tolist(), strict=True)
            if c == per_width
        }
        touching = always if touching is None else touching & always
    return frozenset(touching or ())


__all__ = [
    "CollisionChecker",
    "Gaps",
    "always_touching_pairs",
    "candidate_self_pairs",
    "self_pairs_for",
]
