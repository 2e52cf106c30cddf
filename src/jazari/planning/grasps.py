"""Grasps of boxes and cylinders for a parallel gripper.

A grasp is the TCP pose in the part frame (z: approach direction into the part, x: the
direction the fingers close along) with the finger opening it needs. Candidates:

* box: approach through each face whose outward normal does not point down, fingers
  closing along either other edge direction, both finger orientations;
* cylinder: approach along the axis through either end face with the fingers at
  ``axial_samples`` directions around it, or radially from ``radial_samples`` directions
  with the fingers closing across the diameter or along the axis.

The deepest grasp goes as far into the part as the gripper allows: the gripper body
stays ``palm_clearance_m`` off the face, and when approaching from above the finger tips
stay ``support_clearance_m`` above the part's bottom. ``depth_samples`` grasps per
closing are spread from there up to the shallowest one whose pads still overlap the
squeezed faces by ``min_contact_m``: a shallower grasp holds less of the part but keeps
the gripper body above a taller neighbour. The part must fit the stroke with room to
spare. The pad and palm positions come from the gripper's URDF collision shapes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from jazari.geometry.transforms import FloatArray, invert
from jazari.planning.errors import PlanningInputError
from jazari.planning.options import GraspOptions
from jazari.planning.part import Part
from jazari.planning.robot_geometry import FINGER_JOINT, arm_frame_of_links, finger_travel_m
from jazari.robot.model import RobotModel
from jazari.robot.urdf import Shape

# An approach direction with more than this upward component (in the world) would come
# from below the part; such grasps are not generated.
_FROM_BELOW = 0.5
# Approach directions with a downward component above this count as grasps from above.
_FROM_ABOVE = 0.5


def _extent_along_z(shape: Shape, T_tcp_link: FloatArray) -> tuple[float, float]:
    """Extent [lo, hi] of a link's collision shape along the TCP z axis [m]."""
    T = T_tcp_link @ shape.T_link_shape
    z, r = T[2, 3], T[2, :3]
    if shape.kind == "box":
        half = float(np.abs(r) @ (np.asarray(shape.dims) / 2.0))
    elif shape.kind == "cylinder":
        radius, length = shape.dims
        half = abs(r[2]) * length / 2.0 + radius * math.sqrt(max(0.0, 1.0 - r[2] ** 2))
    else:
        half = float(shape.dims[0])
    return float(z - half), float(z + half)


@dataclass(frozen=True)
class GripperGeometry:
    """What grasp generation needs of the gripper, read from the URDF.

    Attributes:
        stroke_m: largest finger opening [m].
        pad_z_m: extent of the finger pads along the TCP z axis (tips at the upper end) [m].
        palm_z_m: the nearest point of the rest of the gripper (and wrist) along TCP z,
            i.e. the palm face [m].
    """

    stroke_m: float
    pad_z_m: tuple[float, float]
    palm_z_m: float

    @classmethod
    def from_model(cls, model: RobotModel) -> GripperGeometry:
        """Gripper geometry of ``model`` (fingers are the links moved by the finger joint
        or its mimics)."""
        frames = arm_frame_of_links(model, {})
        T_f6_tcp = frames[model.chain.tip][1]
        T_tcp_f6 = invert(T_f6_tcp)
        fingers = {
            j.child
            for j in model.urdf.joints.values()
            if j.name == FINGER_JOINT or (j.mimic is not None and j.mimic[0] == FINGER_JOINT)
        }
        pad_lo, pad_hi, palm = math.inf, -math.inf, -math.inf
        for link, (frame, T) in frames.items():
            if frame != model.chain.dof:
                continue
            for shape in model.urdf.links[link].collisions:
                lo, hi = _extent_along_z(shape, T_tcp_f6 @ T)
                if link in fingers:
                    pad_lo, pad_hi = min(pad_lo, lo), max(pad_hi, hi)
                else:
                    palm = max(palm, hi)
        if not (math.isfinite(pad_lo) and math.isfinite(palm)):
            raise PlanningInputError("the model has no finger or gripper body collision shapes")
        return cls(finger_travel_m(model), (pad_lo, pad_hi), palm)


@dataclass(frozen=True, eq=False)
class Grasp:
    """A way to hold a part.

    Attributes:
        T_part_tcp: TCP pose in the part frame [m].
        width_m: the part's size between the fingers (the closed opening) [m].
        open_width_m: finger opening while approaching and releasing [m].
        from_above: True when the approach points down in the part's current pose.
        name: what the grasp is, for messages.
        shallow_m: how much less deep than the deepest grasp of its closing it holds
            the part [m] (0 for the deepest).
    """

    T_part_tcp: FloatArray
    width_m: float
    open_width_m: float
    from_above: bool
    name: str
    shallow_m: float = 0.0


def _frame(x: FloatArray, z: FloatArray, p: FloatArray) -> FloatArray:
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = x, np.cross(z, x), z, p
    return T


@dataclass(frozen=True)
class _Approach:
    """An approach into the part: outward face normal n (part frame), distance from the
    part's centre to that face, the part's depth along the approach, and the closings."""

    normal: FloatArray
    face_offset: float
    depth: float
    closings: tuple[tuple[FloatArray, float, tuple[float, float], str], ...]
    # each closing: finger axis x, width, depth interval of the squeezed faces, name


def _box_approaches(part: Part) -> Iterator[_Approach]:
    e = part.half_extents_m
    axes = np.eye(3)
    for k in range(3):
        for sign in (1.0, -1.0):
            closings = tuple(
                (flip * axes[m], 2 * e[m], (0.0, 2 * e[k]), f"fingers along {'xyz'[m]}")
                for m in range(3)
                if m != k
                for flip in (1.0, -1.0)
            )
            yield _Approach(sign * axes[k], e[k], 2 * e[k], closings)


def _cylinder_approaches(
    part: Part, axial: int, radial: int, min_contact: float
) -> Iterator[_Approach]:
    r, h = part.dims_m
    z = np.array([0.0, 0.0, 1.0])
    for sign in (1.0, -1.0):
        closings = tuple(
            (np.array([math.cos(t), math.sin(t), 0.0]), 2 * r, (0.0, h), f"fingers at {t:.2f} rad")
            for t in 2 * math.pi * np.arange(axial) / axial
        )
        yield _Approach(sign * z, h / 2, h, closings)
    for phi in 2 * math.pi * np.arange(radial) / radial:
        n = np.array([math.cos(phi), math.sin(phi), 0.0])
        tangent = np.cross(z, n)
        # across the diameter the fingers squeeze the widest section, at depth r
        across = (r - min_contact / 2, r + min_contact / 2)
        closings = tuple(
            (flip * tangent, 2 * r, across, "across the diameter") for flip in (1.0, -1.0)
        ) + tuple((flip * z, h, (0.0, 2 * r), "along the axis") for flip in (1.0, -1.0))
        yield _Approach(n, r, 2 * r, closings)


def generate_grasps(
    part: Part, gripper: GripperGeometry, options: GraspOptions, min_finger_gap_m: float
) -> list[Grasp]:
    """Every grasp candidate of ``part`` in its current pose (unranked).

    Args:
        part: the part; its pose decides which approaches come from above or below.
        gripper: the gripper's stroke, pad and palm.
        options: clearances, contact and sampling.
        min_finger_gap_m: the least free gap each side of the part when open [m]; a
            part wider than the stroke minus twice this has no grasp that way.
    """
    up_in_part = part.T_base_part[:3, :3].T @ np.array([0.0, 0.0, 1.0])
    if part.shape == "box":
        approaches = _box_approaches(part)
    else:
        approaches = _cylinder_approaches(
            part, options.cylinder_axial_samples, options.cylinder_radial_samples,
            options.min_contact_m,
        )  # fmt: skip
    pad_lo, pad_hi = gripper.pad_z_m
    out = []
    for ap in approaches:
        a = -ap.normal  # approach direction (TCP z) in the part frame
        up = float(a @ up_in_part)
        if up > _FROM_BELOW:
            continue
        from_above = up < -_FROM_ABOVE
        # depth of the TCP below the face: palm off the face; tips above the bottom
        deepest = -gripper.palm_z_m - options.palm_clearance_m
        if from_above:
            deepest = min(deepest, ap.depth - options.support_clearance_m - pad_hi)
        for x, width, (c_lo, c_hi), how in ap.closings:
            open_w = min(gripper.stroke_m, width + 2 * options.finger_clearance_m)
            if (open_w - width) / 2 < min_finger_gap_m:
                continue
            # the pad's far end reaches min_contact past the squeezed faces' near edge
            shallowest = min(deepest, c_lo + options.min_contact_m - pad_hi)
            for d in np.unique(np.linspace(deepest, shallowest, options.depth_samples)):
                overlap = min(d + pad_hi, c_hi) - max(d + pad_lo, c_lo)
                if overlap < options.min_contact_m - 1e-9:
                    continue
                T = _frame(x, a, ap.normal * (ap.face_offset - d))
                name = (
                    f"{part.shape} from face {np.round(ap.normal, 3).tolist()}, {how}, "
                    f"{1e3 * d:.0f} mm deep"
                )
                out.append(
                    Grasp(T, float(width), float(open_w), from_above, name, float(deepest - d))
                )
    return out


def part_symmetries(part: Part, cylinder_samples: int) -> list[FloatArray]:
    """Rotations (4, 4) of the part frame that leave the part's shape in place: a box's
    half turns about its axes, a cylinder's turns about its axis (``cylinder_samples``
    of them) and its half turn about x."""

    def rot(axis: int, angle: float) -> FloatArray:
        c, s = math.cos(angle), math.sin(angle)
        i, j = (axis + 1) % 3, (axis + 2) % 3
        T = np.eye(4)
        T[i, i], T[i, j], T[j, i], T[j, j] = c, -s, s, c
        return T

    if part.shape == "box":
        return [np.eye(4), rot(2, math.pi), rot(0, math.pi), rot(1, math.pi)]
    turns = [rot(2, 2 * math.pi * k / cylinder_samples) for k in range(cylinder_samples)]
    return turns + [rot(0, math.pi) @ t for t in turns]
