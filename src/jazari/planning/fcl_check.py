"""Exact-geometry collision checks with python-fcl, to cross-check the batched checker.

:class:`FclChecker` mirrors a :class:`CollisionChecker` — same bodies, gripper opening,
carried part, self pairs and allowed contacts — but tests the URDF primitives exactly as
they are (no sphere covers, no octagons, no padding), with link poses from
:meth:`RobotModel.link_poses` (not the checker's own kinematics). It loops over
configurations and pairs in Python, so it is much slower; it is meant for tests and for
the re-check in ``jazari bench plan``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray
from jazari.planning.collision import CollisionChecker
from jazari.planning.errors import PlanningInputError
from jazari.planning.robot_geometry import ATTACHED, FINGER_JOINT
from jazari.planning.world import WorldObject
from jazari.robot.model import RobotModel
from jazari.robot.urdf import Shape


def _geometry(fcl: Any, shape: Shape) -> Any:
    if shape.kind == "box":
        return fcl.Box(*shape.dims)
    if shape.kind == "cylinder":
        return fcl.Cylinder(shape.dims[0], shape.dims[1])
    if shape.kind == "sphere":
        return fcl.Sphere(shape.dims[0])
    raise PlanningInputError(f"fcl cross-check: shape {shape.kind!r} is not supported")


def _transform(fcl: Any, T: FloatArray) -> Any:
    return fcl.Transform(np.ascontiguousarray(T[:3, :3]), np.ascontiguousarray(T[:3, 3]))


class FclChecker:
    """Exact checks of the bodies of ``mirror`` against ``objects`` (the world objects
    ``mirror.world`` was built from).

    Raises:
        PlanningInputError: if python-fcl is missing or the objects do not match.
    """

    def __init__(
        self, model: RobotModel, mirror: CollisionChecker, objects: Sequence[WorldObject]
    ) -> None:
        try:
            import fcl  # optional dependency (bench extras), only for cross-checks
        except ImportError as exc:  # pragma: no cover - installed with the bench extras
            raise PlanningInputError("the fcl cross-check needs python-fcl") from exc
        self._fcl = fcl
        robot = mirror.robot
        if tuple(o.name for o in objects) != mirror.world.objects:
            raise PlanningInputError("world objects do not match the mirrored checker's world")
        self.model = model
        self.width_m = robot.gripper_width_m
        # robot shapes: (body index, link whose pose places it, T_link_shape, fcl object)
        self._robot: list[tuple[int, str, FloatArray, Any]] = []
        for b, name in enumerate(robot.bodies):
            if name == ATTACHED and robot.attachment is not None:
                part = robot.attachment.part
                dims = part.dims_m if part.shape == "box" else (part.dims_m[0], part.dims_m[1])
                shape = Shape(part.shape, dims, np.eye(4))
                link, T = model.chain.tip, robot.attachment.T_tcp_part
                self._robot.append((b, link, T, fcl.CollisionObject(_geometry(fcl, shape))))
                continue
            for shape in model.urdf.links[name].collisions:
                obj = fcl.CollisionObject(_geometry(fcl, shape))
                self._robot.append((b, name, shape.T_link_shape, obj))
        world: list[tuple[int, Any]] = []
        for g, wobj in enumerate(objects):
            for shape, T_base_shape in wobj.shapes:
                tf = _transform(fcl, T_base_shape @ shape.T_link_shape)
                world.append((g, fcl.CollisionObject(_geometry(fcl, shape), tf)))
        allowed = {(robot.body_index(b), mirror.world.object_index(o)) for b, o in mirror.allowed}
        moving = robot.body_frame > 0
        self._world_pairs = [
            (r, w)
            for r, (b, _, _, _) in enumerate(self._robot)
            for w, (g, _) in enumerate(world)
            if moving[b] and (b, g) not in allowed
        ]
        pairs = {tuple(p) for p in mirror.self_pairs.tolist()}
        self._self_pairs = [
            (r1, r2)
            for r1, (b1, _, _, _) in enumerate(self._robot)
            for r2, (b2, _, _, _) in enumerate(self._robot)
            if b1 < b2 and (b1, b2) in pairs
        ]
        self._world = world
        self._names = (robot.bodies, mirror.world.objects)

    def in_collision(self, q: ArrayLike) -> np.ndarray:
        """(N,) True where configuration q[i] (N, 6) [rad] collides (exact geometry)."""
        fcl = self._fcl
        qa = np.asarray(q, dtype=float).reshape(-1, self.model.chain.dof)
        links = {link for _, link, _, _ in self._robot}
        poses = self.model.link_poses(qa, {FINGER_JOINT: self.width_m / 2.0}, links)
        out = np.zeros(len(qa), dtype=bool)
        request = fcl.CollisionRequest()
        for n in range(len(qa)):
            for _, link, T, obj in self._robot:
                obj.setTransform(_transform(fcl, poses[link][n] @ T))
            out[n] = any(
                fcl.collide(self._robot[r][3], self._world[w][1], request, fcl.CollisionResult())
                for r, w in self._world_pairs
            ) or any(
                fcl.collide(self._robot[a][3], self._robot[b][3], request, fcl.CollisionResult())
                for a, b in self._self_pairs
            )
        return out
