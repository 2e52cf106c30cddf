"""The arm's collision geometry, compiled for batched forward kinematics.

Every robot link with collision shapes becomes a *body* fixed in one of seven *arm
frames*: frame 0 is ``base_link`` (static), frame k (1..6) is the frame after the k-th
arm joint's motion. The gripper fingers are fixed in frame 6 for a given gripper width,
and a carried part is one more body in frame 6. Bodies in the same frame never move
relative to each other, so the arm cannot change whether they touch.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import PlanningInputError
from jazari.planning.part import Part, check_pose
from jazari.planning.primitives import (
    BoxPairSet,
    SphereSet,
    part_box_pair,
    robot_shape_primitives,
)
from jazari.robot.chain import joint_motion
from jazari.robot.model import RobotModel

ATTACHED = "attached_part"
FINGER_JOINT = "gripper_finger_joint"
# up to this many configurations, forward kinematics chains small matrix products
_FEW_CONFIGS = 8


@dataclass(frozen=True, eq=False)
class Attachment:
    """A part held by the gripper: its geometry and its pose in the TCP frame [m]."""

    part: Part
    T_tcp_part: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "T_tcp_part", check_pose(self.T_tcp_part, "T_tcp_part"))


def arm_frame_of_links(
    model: RobotModel, extra: Mapping[str, float]
) -> dict[str, tuple[int, FloatArray]]:
    """For each link at or below the arm's base: (arm frame index, pose in that frame).

    ``extra`` gives the values of actuated joints outside the arm (the gripper finger,
    [m]); mimic joints follow their master, absent joints are 0.
    """
    arm = {name: i for i, name in enumerate(model.chain.joint_names)}
    joints = model.urdf.joints

    def value(jname: str) -> float:
        mimic = joints[jname].mimic
        if mimic is not None:
            return value(mimic[0]) * mimic[1] + mimic[2]
        return float(extra.get(jname, 0.0))

    out: dict[str, tuple[int, FloatArray]] = {model.chain.base: (0, np.eye(4))}
    for link in model.subtree_links():
        frame, T = out[link]
        for jname in model.urdf.children[link]:
            joint = joints[jname]
            if jname in arm:
                out[joint.child] = (arm[jname] + 1, np.eye(4))
            elif joint.type == "fixed":
                out[joint.child] = (frame, T @ joint.origin)
            elif joint.type in ("revolute", "continuous", "prismatic"):
                motion = joint_motion(
                    joint.axis, np.array([value(jname)]), revolute=joint.type != "prismatic"
                )[0]
                out[joint.child] = (frame, T @ joint.origin @ motion)
            else:
                raise PlanningInputError(f"joint {jname!r} of type {joint.type!r} is not supported")
    return out


@dataclass(frozen=True, eq=False)
class RobotGeometry:
    """Collision bodies of the arm for one gripper width (and possibly a carried part).

    Attributes:
        bodies: body names (URDF link names, plus ``attached_part`` when carrying).
        body_frame: (B,) arm frame of each body.
        body_centre, body_radius: a bounding sphere of each body in its frame [m].
        spheres, boxes: the primitives; their ``owner`` is the body index, their
            coordinates are in the owner's arm frame.
        adjacent: body index pairs joined by one arm joint (parent link, child link).
        lever_m: (6,) for joint i, a bound on the distance from its axis to any point
            of any primitive it moves [m]: a joint step Δq moves every point by at most
            Σ lever_m[i]·|Δq_i|.
        gripper_width_m: the finger opening the fingers were placed at [m].
        T_f6_tcp: the TCP in arm frame 6.
    """

    joint_names: tuple[str, ...]
    lower: FloatArray
    upper: FloatArray
    origin_rot: FloatArray
    origin_t: FloatArray
    axis_sign: FloatArray
    bodies: tuple[str, ...]
    body_frame: np.ndarray
    body_centre: FloatArray
    body_radius: FloatArray
    spheres: SphereSet
    boxes: BoxPairSet
    adjacent: frozenset[tuple[int, int]]
    lever_m: FloatArray
    gripper_width_m: float
    T_f6_tcp: FloatArray
    attachment: Attachment | None = None
    sphere_frame: np.ndarray = field(init=False)
    box_frame: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sphere_frame", self.body_frame[self.spheres.owner])
        object.__setattr__(self, "box_frame", self.body_frame[self.boxes.owner])

    @functools.cached_property
    def structure_key(self) -> tuple[object, ...]:
        """What the collision checker's pair tables depend on: the bodies, their frames
        and which primitives they own (not where the primitives are)."""
        return (
            self.bodies,
            self.body_frame.tobytes(),
            self.spheres.owner.tobytes(),
            self.boxes.owner.tobytes(),
        )

    @property
    def dof(self) -> int:
        """Number of arm joints."""
        return len(self.joint_names)

    def body_index(self, name: str) -> int:
        """Index of a body by name."""
        try:
            return self.bodies.index(name)
        except ValueError:
            raise PlanningInputError(
                f"no collision body {name!r}; bodies are {self.bodies}"
            ) from None

    def frames(self, q: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Arm frames for configurations q (N, 6) [rad]: rotations (N, 7, 3, 3) and
        origins (N, 7, 3) in the base frame."""
        qa = np.asarray(q, dtype=float).reshape(-1, self.dof) * self.axis_sign
        n = qa.shape[0]
        cos, sin = np.cos(qa), np.sin(qa)
        FR = np.empty((n, self.dof + 1, 3, 3))
        Ft = np.empty((n, self.dof + 1, 3))
        FR[:, 0] = np.eye(3)
        Ft[:, 0] = 0.0
        if n <= _FEW_CONFIGS:
            # few configurations: numpy's per-call cost dominates, so make each joint's
            # rotation for all joints at once and chain them with small products
            Rz = np.zeros((n, self.dof, 3, 3))
            Rz[..., 0, 0] = Rz[..., 1, 1] = cos
            Rz[..., 1, 0] = sin
            Rz[..., 0, 1] = -sin
            Rz[..., 2, 2] = 1.0
            A = self.origin_rot @ Rz
            for i in range(self.dof):
                Ft[:, i + 1] = Ft[:, i] + FR[:, i] @ self.origin_t[i]
                FR[:, i + 1] = FR[:, i] @ A[:, i]
            return FR, Ft
        for i in range(self.dof):
            # One (3N × 3) product per joint is much faster than N small 3 × 3 ones.
            R = FR[:, i].reshape(-1, 3)
            Ft[:, i + 1] = Ft[:, i] + (R @ self.origin_t[i]).reshape(n, 3)
            A = (R @ self.origin_rot[i]).reshape(n, 3, 3)
            c, s = cos[:, i, None], sin[:, i, None]
            FR[:, i + 1, :, 0] = A[:, :, 0] * c + A[:, :, 1] * s
            FR[:, i + 1, :, 1] = A[:, :, 1] * c - A[:, :, 0] * s
            FR[:, i + 1, :, 2] = A[:, :, 2]
        return FR, Ft

    def tcp_poses(self, q: ArrayLike) -> FloatArray:
        """TCP poses (N, 4, 4) in the base frame."""
        FR, Ft = self.frames(q)
        T = np.zeros((FR.shape[0], 4, 4))
        T[:, :3, :3] = FR[:, -1] @ self.T_f6_tcp[:3, :3]
        T[:, :3, 3] = Ft[:, -1] + FR[:, -1] @ self.T_f6_tcp[:3, 3]
        T[:, 3, 3] = 1.0
        return T

    def displacement_bound_m(self, dq: ArrayLike) -> FloatArray:
        """Bound on how far any point of any body moves for joint steps dq (..., 6) [m]."""
        out: FloatArray = np.abs(np.asarray(dq, dtype=float)) @ self.lever_m
        return out

    def attach(self, attachment: Attachment) -> RobotGeometry:
        """This geometry plus a carried part (a body in frame 6) — cheaper than compiling
        the robot again."""
        if self.attachment is not None:
            raise PlanningInputError("the robot already carries a part")
        owner = len(self.bodies)
        extra = part_box_pair(attachment.part, self.T_f6_tcp @ attachment.T_tcp_part, owner)
        boxes = BoxPairSet.concat([self.boxes, extra])
        lever = _lever_bounds(
            self.origin_t, np.array([self.dof]), extra.t[:, 0], extra.bounding_radius, self.dof
        )
        return dataclasses.replace(
            self,
            bodies=(*self.bodies, ATTACHED),
            body_frame=np.append(self.body_frame, self.dof),
            body_centre=np.concatenate([self.body_centre, extra.t[:, 0]]),
            body_radius=np.append(self.body_radius, extra.bounding_radius),
            boxes=boxes,
            lever_m=np.maximum(self.lever_m, lever),
            attachment=attachment,
        )

    def axis_distances(self, q: ArrayLike) -> FloatArray:
        """(N, 6): for each joint, the largest distance from its axis of any primitive
        point the joint moves, at configurations q [m]."""
        FR, Ft = self.frames(q)
        sph, box = self.spheres, self.boxes
        frame = np.concatenate([self.sphere_frame, self.box_frame])
        point = np.concatenate([sph.centre, box.t[:, 0]])
        extent = np.concatenate([np.zeros(len(sph)), box.bounding_radius])
        P = np.einsum("nmij,mj->nmi", FR[:, frame], point) + Ft[:, frame]
        out = np.zeros((len(FR), self.dof))
        for i in range(self.dof):
            moved = frame >= i + 1
            if not np.any(moved):
                continue
            v = P[:, moved] - Ft[:, i + 1, None]
            along = np.einsum("nmi,ni->nm", v, FR[:, i + 1, :, 2])
            perp = np.sqrt(np.maximum(np.einsum("nmi,nmi->nm", v, v) - along * along, 0.0))
            out[:, i] = np.max(perp + extent[moved], axis=1)
        return out

    def edge_levers(self, qa: FloatArray, qb: FloatArray) -> FloatArray:
        """(E, 6) lever bounds valid along straight edges qa[e] → qb[e] (E, 6).

        A point's distance from joint i's axis depends only on the joints after i, so
        along an edge it differs from its value at either end by at most the motion
        those joints cause, D_i = Σ_{m>i} L_m·|Δq_m|. Hence the distance stays below
        (d_i(qa) + d_i(qb) + D_i) / 2, computed from the last joint back; never above
        the configuration-free bound ``lever_m``.
        """
        d = self.axis_distances(np.concatenate([qa, qb]))
        da, db = d[: len(qa)], d[len(qa) :]
        dq = np.abs(qb - qa)
        lever = np.empty_like(dq)
        after = np.zeros(len(qa))
        for i in range(self.dof - 1, -1, -1):
            lever[:, i] = np.minimum(self.lever_m[i], (da[:, i] + db[:, i] + after) / 2.0)
            after = after + lever[:, i] * dq[:, i]
        return lever


def _lever_bounds(
    origin_t: FloatArray, frame: np.ndarray, centre: FloatArray, extent: FloatArray, dof: int
) -> FloatArray:
    """Per joint, the largest distance bound from the joint's origin to a primitive point.

    A primitive in frame k with centre c and extent e (its farthest point from c, 0 for
    a sphere centre) lies within Σ_{m=i+1}^{k-1} |origin_t[m]| + |c| + e of the origin of
    joint i (frame i+1) whatever the joint values, by the triangle inequality.
    """
    # distance bound from the origin of frame i+1 to that of frame k: Σ_{m=i+1}^{k-1} |t_m|
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(origin_t, axis=1))])
    reach = np.linalg.norm(centre, axis=1) + extent
    lever = np.zeros(dof)
    for i in range(dof):
        moved = frame >= i + 1
        if np.any(moved):
            lever[i] = float(np.max(cum[frame[moved]] - cum[i + 1] + reach[moved]))
    return lever


def compile_robot(
    model: RobotModel,
    gripper_width_m: float,
    sphere_tolerance_m: float,
    attachment: Attachment | None = None,
) -> RobotGeometry:
    """Collision bodies of ``model``'s arm with the fingers open to ``gripper_width_m``.

    Raises:
        PlanningInputError: when the width is outside the gripper's stroke or a link has
            a shape the checker does not handle (meshes).
    """
    chain = model.chain
    finger = model.urdf.joints.get(FINGER_JOINT)
    if finger is not None and not (0.0 <= gripper_width_m / 2.0 <= finger.upper + 1e-12):
        raise PlanningInputError(
            f"gripper width {gripper_width_m} m is outside the stroke [0, {2 * finger.upper}] m"
        )
    frames = arm_frame_of_links(model, {FINGER_JOINT: gripper_width_m / 2.0})
    names: list[str] = []
    body_frame: list[int] = []
    spheres: list[SphereSet] = []
    boxes: list[BoxPairSet] = []
    rigid = _rigid_link_primitives(model, sphere_tolerance_m)
    for link in model.subtree_links():
        if not model.urdf.links[link].collisions:
            continue
        owner = len(names)
        frame, T = frames[link]
        names.append(link)
        body_frame.append(frame)
        if link in rigid:
            prims = rigid[link]
        else:
            prims = _link_primitives(model, link, T, sphere_tolerance_m, owner)
        spheres.extend(prims[0])
        boxes.extend(prims[1])
    T_f6_tcp = frames[chain.tip][1]
    if frames[chain.tip][0] != chain.dof:
        raise PlanningInputError(f"the TCP link {chain.tip!r} must be fixed to the last arm link")
    sph = SphereSet.concat(spheres)
    box = BoxPairSet.concat(boxes)
    frame_arr = np.array(body_frame, dtype=int)
    centre, radius = _bounding_spheres(sph, box, len(names))
    lever = _lever_bounds(
        chain.origins[:, :3, 3],
        np.concatenate([frame_arr[sph.owner], frame_arr[box.owner]]),
        np.concatenate([sph.centre, box.t[:, 0]]),
        np.concatenate([np.zeros(len(sph)), box.bounding_radius]),
        chain.dof,
    )
    robot = RobotGeometry(
        joint_names=chain.joint_names,
        lower=chain.lower.copy(),
        upper=chain.upper.copy(),
        origin_rot=chain.origins[:, :3, :3].copy(),
        origin_t=chain.origins[:, :3, 3].copy(),
        axis_sign=_axis_signs(chain.axes, chain.joint_names),
        bodies=tuple(names),
        body_frame=frame_arr,
        body_centre=centre,
        body_radius=radius,
        spheres=sph,
        boxes=box,
        adjacent=_adjacent_bodies(model, names),
        lever_m=lever,
        gripper_width_m=float(gripper_width_m),
        T_f6_tcp=T_f6_tcp,
    )
    return robot if attachment is None else robot.attach(attachment)


_Prims = tuple[list[SphereSet], list[BoxPairSet]]


def _link_primitives(
    model: RobotModel, link: str, T_frame_link: FloatArray, tolerance_m: float, owner: int
) -> _Prims:
    spheres: list[SphereSet] = []
    boxes: list[BoxPairSet] = []
    for shape in model.urdf.links[link].collisions:
        s, b = robot_shape_primitives(shape, T_frame_link, tolerance_m, owner, f"link {link!r}")
        if s is not None:
            spheres.append(s)
        if b is not None:
            boxes.append(b)
    return spheres, boxes


@functools.lru_cache(maxsize=8)
def _rigid_link_primitives(model: RobotModel, tolerance_m: float) -> dict[str, _Prims]:
    """Primitives of the links the gripper opening does not move (most of the robot),
    computed once; owners are the links' body indices (bodies come in subtree order)."""
    closed = arm_frame_of_links(model, {FINGER_JOINT: 0.0})
    opened = arm_frame_of_links(model, {FINGER_JOINT: 1.0})
    out: dict[str, _Prims] = {}
    owner = 0
    for link in model.subtree_links():
        if not model.urdf.links[link].collisions:
            continue
        if np.array_equal(closed[link][1], opened[link][1]):
            out[link] = _link_primitives(model, link, closed[link][1], tolerance_m, owner)
        owner += 1
    return out


def _axis_signs(axes: FloatArray, names: tuple[str, ...]) -> FloatArray:
    """+1/−1 for joints about +z/−z of their frame; the batched kinematics needs that."""
    sign = np.sign(axes[:, 2])
    bad = ~np.isclose(np.abs(axes[:, 2]), 1.0, atol=1e-12)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise PlanningInputError(
            f"joint {names[i]!r} turns about {axes[i].tolist()}; the collision checker needs "
            "arm joints about the z axis of their frame (re-express the URDF origins)"
        )
    return sign


def _bounding_spheres(
    sph: SphereSet, box: BoxPairSet, n_bodies: int
) -> tuple[FloatArray, FloatArray]:
    """Per body, a sphere (centre in the body's frame, radius) holding its primitives:
    centred on the primitives' bounding box."""
    owner = np.concatenate([sph.owner, box.owner])
    pts = np.concatenate([sph.centre, box.t[:, 0]])
    ext = np.concatenate([sph.radius, box.bounding_radius])
    lo = np.full((n_bodies, 3), np.inf)
    hi = np.full((n_bodies, 3), -np.inf)
    np.minimum.at(lo, owner, pts - ext[:, None])
    np.maximum.at(hi, owner, pts + ext[:, None])
    centre = np.where(np.isfinite(lo), (lo + hi) / 2.0, 0.0)
    radius = np.zeros(n_bodies)
    np.maximum.at(radius, owner, np.linalg.norm(pts - centre[owner], axis=1) + ext)
    return centre, radius


def _adjacent_bodies(model: RobotModel, names: list[str]) -> frozenset[tuple[int, int]]:
    """Body pairs joined by one arm joint: the nearest body at or above the joint's parent
    link and the joint's child link."""
    index = {n: i for i, n in enumerate(names)}
    out = set()
    for jname in model.chain.joint_names:
        joint = model.urdf.joints[jname]
        parent: str | None = joint.parent
        while parent is not None and parent not in index:
            pj = model.urdf.parent_joint(parent)
            parent = None if pj is None else pj.parent
        if parent is not None and joint.child in index:
            a, b = sorted((index[parent], index[joint.child]))
            out.add((a, b))
    return frozenset(out)


def finger_travel_m(model: RobotModel) -> float:
    """Largest finger opening of the gripper (twice the finger joint's upper limit) [m]."""
    finger = model.urdf.joints.get(FINGER_JOINT)
    if finger is None or not math.isfinite(finger.upper):
        raise PlanningInputError(f"the model has no bounded {FINGER_JOINT!r}")
    return 2.0 * finger.upper
