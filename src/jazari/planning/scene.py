"""The planning scene: the cell's fixtures from the URDF, and the parts lying in it.

Fixtures are the links not below the arm's base (table, bins, camera post, camera), at
their URDF poses expressed in the base frame. Parts come from perception or the twin.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jazari.geometry.transforms import FloatArray, invert
from jazari.planning.errors import PlanningInputError
from jazari.planning.part import Part
from jazari.planning.world import WorldGeometry, WorldObject
from jazari.robot.model import RobotModel, load_cell_model

PART_PREFIX = "part:"


def _world_link_poses(model: RobotModel) -> dict[str, FloatArray]:
    """Pose of every link in the URDF root's frame, through fixed joints only."""
    urdf = model.urdf
    poses = {urdf.root: np.eye(4)}
    order = [urdf.root]
    robot = set(model.subtree_links())
    for link in order:
        for jname in urdf.children[link]:
            joint = urdf.joints[jname]
            if joint.child in robot and joint.child != model.chain.base:
                continue
            if joint.type != "fixed":
                raise PlanningInputError(
                    f"fixture joint {jname!r} is {joint.type!r}; fixtures must be fixed"
                )
            poses[joint.child] = poses[link] @ joint.origin
            order.append(joint.child)
    return poses


@dataclass(frozen=True)
class BinInterior:
    """The free inside of a bin: its frame in the base frame (centre of the inner floor),
    inner half sizes along the bin's x and y, and the height of its walls [m]."""

    T_base_bin: FloatArray
    half_x_m: float
    half_y_m: float
    floor_z_m: float
    wall_top_z_m: float


@dataclass(frozen=True, eq=False)
class Scene:
    """Fixtures and parts, in the robot base frame.

    Build with :meth:`from_model`; derive scenes with other parts by :meth:`with_parts`
    and :meth:`without_part` (a scene is immutable).

    Attributes:
        model: the robot model the fixtures come from.
        fixtures: the world links with collision shapes, posed in the base frame.
        fixture_poses: every world link's pose in the base frame (bins, camera, ...).
        parts: parts lying in the cell.
        fixture_world: the fixtures' collision primitives, built once and shared by
            derived scenes (built on demand when absent).
    """

    model: RobotModel
    fixtures: tuple[WorldObject, ...]
    fixture_poses: dict[str, FloatArray]
    parts: tuple[Part, ...] = ()
    fixture_world: WorldGeometry | None = field(default=None, repr=False)

    @classmethod
    def from_model(cls, model: RobotModel | None = None, parts: Sequence[Part] = ()) -> Scene:
        """The fixtures of ``model`` (default: the cell) and ``parts``."""
        m = load_cell_model() if model is None else model
        world_poses = _world_link_poses(m)
        T_base_world = invert(world_poses[m.chain.base])
        robot = set(m.subtree_links())
        poses = {k: T_base_world @ v for k, v in world_poses.items() if k not in robot}
        fixtures = tuple(
            WorldObject(name, tuple((s, poses[name]) for s in m.urdf.links[name].collisions))
            for name in poses
            if m.urdf.links[name].collisions
        )
        return cls(m, fixtures, poses, tuple(parts), WorldGeometry.build(fixtures))

    def with_parts(self, *parts: Part) -> Scene:
        """This scene with ``parts`` added."""
        return dataclasses.replace(self, parts=self.parts + parts)

    def without_part(self, part: Part) -> Scene:
        """This scene without ``part`` (matched by non-empty name, or by shape and pose)."""
        keep = tuple(
            p for p in self.parts if not (p.same_as(part) or (part.name and p.name == part.name))
        )
        return (
            self
            if len(keep) == len(self.parts)
            else Scene(self.model, self.fixtures, self.fixture_poses, keep)
        )

    def fixture_pose(self, name: str) -> FloatArray:
        """Pose of a fixture link in the base frame."""
        try:
            return self.fixture_poses[name]
        except KeyError:
            raise PlanningInputError(
                f"no fixture {name!r}; fixtures are {sorted(self.fixture_poses)}"
            ) from None

    @functools.cached_property
    def world(self) -> WorldGeometry:
        """Fixtures and parts as collision primitives (parts named ``part:<i>``)."""
        fixtures = self.fixture_world
        if fixtures is None:
            fixtures = WorldGeometry.build(self.fixtures)
        parts = [WorldObject.from_part(p, part_object_name(i, p)) for i, p in enumerate(self.parts)]
        return fixtures + WorldGeometry.build(parts)

    def objects_with(self, extra: Sequence[tuple[str, Part]] = ()) -> list[WorldObject]:
        """Fixtures, parts (named ``part:<name or index>``) and ``extra`` (name, part)."""
        objects = list(self.fixtures) + [
            WorldObject.from_part(p, part_object_name(i, p)) for i, p in enumerate(self.parts)
        ]
        return objects + [WorldObject.from_part(p, name) for name, p in extra]

    def world_with(self, extra: Sequence[tuple[str, Part]] = ()) -> WorldGeometry:
        """Collision primitives of this scene plus ``extra`` (name, part) objects."""
        if not extra:
            return self.world
        return self.world + WorldGeometry.build([WorldObject.from_part(p, n) for n, p in extra])

    def bin_interior(self, name: str) -> BinInterior:
        """The inside of a bin fixture, from its collision boxes: the floor is the lowest
        box, each other box is a wall whose inner face bounds the inside.

        Raises:
            PlanningInputError: if the fixture is not made of a floor and walls.
        """
        T = self.fixture_pose(name)
        if not np.allclose(T[:3, 2], [0.0, 0.0, 1.0], atol=1e-9):
            raise PlanningInputError(f"fixture {name!r} is tilted; bins must stand upright")
        boxes = [s for s in self.model.urdf.links[name].collisions if s.kind == "box"]
        if len(boxes) < 5:
            raise PlanningInputError(f"fixture {name!r} is not a bin (a floor and four walls)")
        floor = min(boxes, key=lambda s: s.T_link_shape[2, 3])
        half_x = half_y = np.inf
        wall_top = -np.inf
        for wall in boxes:
            if wall is floor:
                continue
            c, h = wall.T_link_shape[:3, 3], np.abs(wall.T_link_shape[:3, :3]) @ wall.dims / 2.0
            if abs(c[0]) > abs(c[1]):
                half_x = min(half_x, abs(c[0]) - h[0])
            else:
                half_y = min(half_y, abs(c[1]) - h[1])
            wall_top = max(wall_top, c[2] + h[2])
        floor_top = floor.T_link_shape[2, 3] + floor.dims[2] / 2.0
        return BinInterior(
            T, float(half_x), float(half_y), float(T[2, 3] + floor_top), float(T[2, 3] + wall_top)
        )


def part_object_name(index: int, part: Part) -> str:
    """The world object name of the ``index``-th part of a scene."""
    return f"{PART_PREFIX}{part.name or index}"


def place_pose_in_bin(
    scene: Scene,
    bin_name: str,
    part: Part,
    offset_xy_m: tuple[float, float] = (0.0, 0.0),
    yaw_rad: float = 0.0,
    drop_m: float = 0.01,
) -> FloatArray:
    """Where to release ``part`` in a bin: its current orientation turned by ``yaw_rad``
    about the vertical, its centre ``offset_xy_m`` from the bin's centre (in the bin
    frame), its lowest point ``drop_m`` above the bin floor.

    Raises:
        PlanningInputError: when the part would not fit inside the bin's walls there.
    """
    inside = scene.bin_interior(bin_name)
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    Rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    R = Rz @ part.T_base_part[:3, :3]
    T = np.eye(4)
    T[:3, :3] = R
    R_bin = inside.T_base_bin[:3, :3]
    ext = np.abs(R_bin.T @ R) @ part.half_extents_m
    room = np.array([inside.half_x_m, inside.half_y_m]) - np.abs(offset_xy_m) - ext[:2]
    if np.any(room < 0):
        raise PlanningInputError(
            f"part {part.name or part.shape!r} does not fit in {bin_name!r} at offset "
            f"{offset_xy_m} m (short by {np.round(-room.min(), 4)} m)"
        )
    T[:3, 3] = inside.T_base_bin[:3, 3] + R_bin @ np.array([offset_xy_m[0], offset_xy_m[1], 0.0])
    T[2, 3] = inside.floor_z_m + drop_m - part.moved_to(T).lowest_point_z_m() + T[2, 3]
    return T
