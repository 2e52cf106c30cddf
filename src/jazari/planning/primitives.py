"""Collision primitives made from URDF shapes and parts, for the batched checker.

Two primitive kinds cover the robot, the attached part and the world:

* **spheres** (centre, radius); a URDF cylinder of length ≥ radius on the robot becomes a
  chain of spheres along its axis whose radius exceeds the cylinder's by at most the
  *sphere tolerance* (and whose end spheres bulge past the flat ends, which sit at
  joints where the neighbouring link is an allowed pair);
* **box pairs**: two oriented boxes whose *intersection* contains the shape. A box is
  the same box twice; a cylinder is the octagonal prism of its bounding box and that box
  turned 45° about the axis (at most 8.3 % of the radius wider than the cylinder). Two
  box pairs can only touch when all four box–box pairs overlap, so that is the test.

World shapes keep their exact form for tests against robot spheres (box, cylinder and
sphere distances are exact) and use their box pair against robot box pairs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import PlanningInputError
from jazari.planning.part import Part
from jazari.robot.urdf import Shape

_OCTAGON_TURN = np.array(
    [[math.cos(math.pi / 4), -math.sin(math.pi / 4), 0.0],
     [math.sin(math.pi / 4), math.cos(math.pi / 4), 0.0],
     [0.0, 0.0, 1.0]]
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class SphereSet:
    """Spheres: centres (S, 3) [m] in their owner's frame, radii (S,) [m], owner (S,)."""

    centre: FloatArray
    radius: FloatArray
    owner: np.ndarray

    @classmethod
    def concat(cls, sets: Sequence[SphereSet]) -> SphereSet:
        """All spheres of ``sets`` in order."""
        if not sets:
            return cls(np.zeros((0, 3)), np.zeros(0), np.zeros(0, dtype=int))
        return cls(
            np.concatenate([s.centre for s in sets]),
            np.concatenate([s.radius for s in sets]),
            np.concatenate([s.owner for s in sets]),
        )

    def __len__(self) -> int:
        return len(self.radius)


@dataclass(frozen=True, eq=False)
class BoxPairSet:
    """Box pairs: rotations (P, 2, 3, 3), centres (P, 2, 3), half extents (P, 2, 3) [m]
    in their owner's frame, owner (P,). A pair stands for the intersection of its boxes."""

    R: FloatArray
    t: FloatArray
    half: FloatArray
    owner: np.ndarray

    @classmethod
    def concat(cls, sets: Sequence[BoxPairSet]) -> BoxPairSet:
        """All box pairs of ``sets`` in order."""
        if not sets:
            return cls(
                np.zeros((0, 2, 3, 3)), np.zeros((0, 2, 3)), np.zeros((0, 2, 3)),
                np.zeros(0, dtype=int),
            )  # fmt: skip
        return cls(
            np.concatenate([s.R for s in sets]),
            np.concatenate([s.t for s in sets]),
            np.concatenate([s.half for s in sets]),
            np.concatenate([s.owner for s in sets]),
        )

    def __len__(self) -> int:
        return len(self.owner)

    @functools.cached_property
    def twin(self) -> np.ndarray:
        """(P,) True where both boxes of a pair are the same box (one test suffices)."""
        # twins are made by duplication, so their boxes are exactly equal
        out: np.ndarray = (
            np.all(self.R[:, 0] == self.R[:, 1], axis=(1, 2))
            & np.all(self.t[:, 0] == self.t[:, 1], axis=1)
            & np.all(self.half[:, 0] == self.half[:, 1], axis=1)
        )
        return out

    @functools.cached_property
    def bounding_radius(self) -> FloatArray:
        """Radius (P,) of a sphere about each pair's first centre holding the pair [m]."""
        reach = np.linalg.norm(self.t - self.t[:, :1], axis=-1) + np.linalg.norm(self.half, axis=-1)
        out: FloatArray = reach.max(axis=1)
        return out


def box_pair(T: FloatArray, half: FloatArray, owner: int) -> BoxPairSet:
    """A box (pose ``T``, half extents ``half``) as a pair of equal boxes."""
    R = np.stack([T[:3, :3], T[:3, :3]])[None]
    t = np.stack([T[:3, 3], T[:3, 3]])[None]
    h = np.stack([half, half])[None]
    return BoxPairSet(R, t, h, np.array([owner]))


def cylinder_box_pair(T: FloatArray, radius: float, half_height: float, owner: int) -> BoxPairSet:
    """The octagonal prism around a cylinder (axis z of ``T``) as a box pair."""
    R0 = T[:3, :3]
    R = np.stack([R0, R0 @ _OCTAGON_TURN])[None]
    t = np.stack([T[:3, 3], T[:3, 3]])[None]
    h = np.tile([radius, radius, half_height], (1, 2, 1)).astype(float)
    return BoxPairSet(R, t, h, np.array([owner]))


def sphere_chain(
    T: FloatArray, radius: float, length: float, tolerance_m: float, owner: int
) -> SphereSet:
    """Spheres covering a cylinder (axis z of ``T``) whose radii exceed ``radius`` by at
    most ``tolerance_m``: n spheres centred on the axis, each covering a slab of
    length L/n, have radius √(r² + (L/2n)²)."""
    spacing_max = 2.0 * math.sqrt((radius + tolerance_m) ** 2 - radius**2)
    n = max(1, math.ceil(length / spacing_max))
    slab = length / n
    z = -length / 2.0 + slab * (np.arange(n) + 0.5)
    local = np.stack([np.zeros(n), np.zeros(n), z, np.ones(n)], axis=1)
    centres = (T @ local.T).T[:, :3]
    r = math.sqrt(radius**2 + (slab / 2.0) ** 2)
    return SphereSet(centres, np.full(n, r), np.full(n, owner))


def robot_shape_primitives(
    shape: Shape, T_owner_shape: FloatArray, tolerance_m: float, owner: int, what: str
) -> tuple[SphereSet | None, BoxPairSet | None]:
    """Primitives of one URDF collision shape of a robot link (or attached part).

    Cylinders at least as long as their radius become sphere chains; flatter ones (a
    flange disc) become octagonal box pairs, which a sphere chain would overshoot.
    """
    T = T_owner_shape @ shape.T_link_shape
    if shape.kind == "sphere":
        return SphereSet(T[:3, 3][None], np.array([shape.dims[0]]), np.array([owner])), None
    if shape.kind == "box":
        return None, box_pair(T, np.asarray(shape.dims) / 2.0, owner)
    if shape.kind == "cylinder":
        radius, length = shape.dims
        if length >= radius:
            return sphere_chain(T, radius, length, tolerance_m, owner), None
        return None, cylinder_box_pair(T, radius, length / 2.0, owner)
    raise PlanningInputError(
        f"{what}: collision shape {shape.kind!r} is not supported; use box, cylinder or sphere"
    )


def part_box_pair(part: Part, T_owner_part: FloatArray, owner: int) -> BoxPairSet:
    """A part as a box pair (a box exactly, a cylinder as its octagonal prism)."""
    if part.shape == "box":
        return box_pair(T_owner_part, part.half_extents_m, owner)
    radius, height = part.dims_m
    return cylinder_box_pair(T_owner_part, radius, height / 2.0, owner)
