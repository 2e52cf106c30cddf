"""The static side of collision checking: fixtures and parts as exact primitives.

Shapes are grouped by *object* (a URDF link such as ``table`` or ``bin_accepted``, or a
part); each object has an axis-aligned bounding box for the broad phase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.planning import kernels
from jazari.planning.errors import PlanningInputError
from jazari.planning.part import Part
from jazari.planning.primitives import BoxPairSet, box_pair, cylinder_box_pair, part_box_pair
from jazari.robot.urdf import Shape


@dataclass(frozen=True, eq=False)
class WorldObject:
    """A rigid object of the world: a name and its shapes with their poses in the base
    frame [m]."""

    name: str
    shapes: tuple[tuple[Shape, FloatArray], ...]

    @classmethod
    def from_part(cls, part: Part, name: str) -> WorldObject:
        """A part as a world object (box, or cylinder along the part's z)."""
        dims = part.dims_m
        return cls(name, ((Shape(part.shape, dims, np.eye(4)), part.T_base_part),))


@dataclass(frozen=True, eq=False)
class WorldGeometry:
    """Exact world primitives, grouped by object.

    Attributes:
        objects: object names; ``*_obj`` arrays index into it.
        aabb_lo, aabb_hi: (G, 3) bounding boxes of the objects in the base frame [m].
        box_rot, box_t, box_half, box_obj: boxes (axes as columns, centre, half extents).
        cyl_rot, cyl_t, cyl_radius, cyl_half_height, cyl_obj: cylinders along their z.
        sph_c, sph_r, sph_obj: spheres.
        pairs: every box and cylinder as a box pair (owner = object), for tests against
            the robot's box pairs.
    """

    objects: tuple[str, ...]
    aabb_lo: FloatArray
    aabb_hi: FloatArray
    box_rot: FloatArray
    box_t: FloatArray
    box_half: FloatArray
    box_obj: np.ndarray
    cyl_rot: FloatArray
    cyl_t: FloatArray
    cyl_radius: FloatArray
    cyl_half_height: FloatArray
    cyl_obj: np.ndarray
    sph_c: FloatArray
    sph_r: FloatArray
    sph_obj: np.ndarray
    pairs: BoxPairSet
    # collision checkers keep their pair tables for this world here (by robot structure)
    table_cache: dict[tuple[object, ...], Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, objects: Sequence[WorldObject]) -> WorldGeometry:
        """Primitives of ``objects``.

        Raises:
            PlanningInputError: on duplicate names or shapes other than box, cylinder
                and sphere.
        """
        names = [o.name for o in objects]
        if len(set(names)) != len(names):
            raise PlanningInputError(f"world object names must be unique, got {names}")
        boxes: list[tuple[FloatArray, FloatArray, int]] = []
        cyls: list[tuple[FloatArray, float, float, int]] = []
        sphs: list[tuple[FloatArray, float, int]] = []
        pairs: list[BoxPairSet] = []
        lo = np.full((len(objects), 3), np.inf).reshape(-1, 3)
        hi = np.full((len(objects), 3), -np.inf).reshape(-1, 3)
        for g, obj in enumerate(objects):
            for shape, T_base_shape in obj.shapes:
                T = T_base_shape @ shape.T_link_shape
                R, t = T[:3, :3], T[:3, 3]
                if shape.kind == "box":
                    half = np.asarray(shape.dims) / 2.0
                    boxes.append((T, half, g))
                    pairs.append(box_pair(T, half, g))
                    ext = np.abs(R) @ half
                elif shape.kind == "cylinder":
                    radius, length = shape.dims
                    cyls.append((T, radius, length / 2.0, g))
                    pairs.append(cylinder_box_pair(T, radius, length / 2.0, g))
                    ext = np.abs(R) @ np.array([radius, radius, length / 2.0])
                elif shape.kind == "sphere":
                    sphs.append((t, shape.dims[0], g))
                    ext = np.full(3, shape.dims[0])
                else:
                    raise PlanningInputError(
                        f"world object {obj.name!r}: shape {shape.kind!r} is not supported; "
                        "use box, cylinder or sphere"
                    )
                lo[g] = np.minimum(lo[g], t - ext)
                hi[g] = np.maximum(hi[g], t + ext)
        return cls(
            objects=tuple(names),
            aabb_lo=lo,
            aabb_hi=hi,
            box_rot=np.array([b[0][:3, :3] for b in boxes]).reshape(-1, 3, 3),
            box_t=np.array([b[0][:3, 3] for b in boxes]).reshape(-1, 3),
            box_half=np.array([b[1] for b in boxes]).reshape(-1, 3),
            box_obj=np.array([b[2] for b in boxes], dtype=int),
            cyl_rot=np.array([c[0][:3, :3] for c in cyls]).reshape(-1, 3, 3),
            cyl_t=np.array([c[0][:3, 3] for c in cyls]).reshape(-1, 3),
            cyl_radius=np.array([c[1] for c in cyls], dtype=float),
            cyl_half_height=np.array([c[2] for c in cyls], dtype=float),
            cyl_obj=np.array([c[3] for c in cyls], dtype=int),
            sph_c=np.array([s[0] for s in sphs]).reshape(-1, 3),
            sph_r=np.array([s[1] for s in sphs], dtype=float),
            sph_obj=np.array([s[2] for s in sphs], dtype=int),
            pairs=BoxPairSet.concat(pairs),
        )

    def __add__(self, other: WorldGeometry) -> WorldGeometry:
        """Both worlds' objects (names must stay unique)."""
        names = self.objects + other.objects
        if len(set(names)) != len(names):
            raise PlanningInputError(f"world object names must be unique, got {names}")
        k = len(self.objects)
        cat = np.concatenate
        return WorldGeometry(
            objects=names,
            aabb_lo=cat([self.aabb_lo, other.aabb_lo]),
            aabb_hi=cat([self.aabb_hi, other.aabb_hi]),
            box_rot=cat([self.box_rot, other.box_rot]),
            box_t=cat([self.box_t, other.box_t]),
            box_half=cat([self.box_half, other.box_half]),
            box_obj=cat([self.box_obj, other.box_obj + k]),
            cyl_rot=cat([self.cyl_rot, other.cyl_rot]),
            cyl_t=cat([self.cyl_t, other.cyl_t]),
            cyl_radius=cat([self.cyl_radius, other.cyl_radius]),
            cyl_half_height=cat([self.cyl_half_height, other.cyl_half_height]),
            cyl_obj=cat([self.cyl_obj, other.cyl_obj + k]),
            sph_c=cat([self.sph_c, other.sph_c]),
            sph_r=cat([self.sph_r, other.sph_r]),
            sph_obj=cat([self.sph_obj, other.sph_obj + k]),
            pairs=BoxPairSet(
                cat([self.pairs.R, other.pairs.R]),
                cat([self.pairs.t, other.pairs.t]),
                cat([self.pairs.half, other.pairs.half]),
                cat([self.pairs.owner, other.pairs.owner + k]),
            ),
        )

    def object_index(self, name: str) -> int:
        """Index of an object by name."""
        try:
            return self.objects.index(name)
        except ValueError:
            raise PlanningInputError(
                f"no world object {name!r}; objects are {self.objects}"
            ) from None


def objects_touching(part: Part, world: WorldGeometry, tolerance_m: float) -> list[str]:
    """Names of the world objects within ``tolerance_m`` of ``part`` (what it rests on or
    leans against), judged as the checker judges a carried part: its box pair against the
    objects' box pairs, and its boxes against spheres."""
    mine = part_box_pair(part, part.T_base_part, 0)
    wp = world.pairs
    near: set[int] = set()
    if len(wp):
        gap = kernels.box_box_gap(
            mine.R[:, :, None], mine.t[:, :, None], mine.half[:, :, None] + tolerance_m,
            wp.R[:, None], wp.t[:, None], wp.half[:, None],
        ).max(axis=(1, 2))  # fmt: skip
        near.update(wp.owner[gap <= 0.0].tolist())
    if len(world.sph_r):
        local = kernels.to_local(world.sph_c[:, None], mine.R[0][None], mine.t[0][None])
        dist = kernels.point_box_distance(local, mine.half[0][None] + tolerance_m).max(axis=1)
        near.update(world.sph_obj[dist <= world.sph_r].tolist())
    return [world.objects[g] for g in sorted(near)]
