"""A small, strict URDF reader: links with collision primitives, joints with limits.

It reads what kinematics, collision checking and the simulator need, and reports any
error with the element and the value at fault (``joint 'elbow': limit upper 'abc' is
not a number``). Meshes are recorded but not loaded.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

from jazari.geometry.transforms import FloatArray, transform_from_xyz_rpy
from jazari.robot.errors import RobotModelError

JOINT_TYPES = ("revolute", "continuous", "prismatic", "fixed", "floating", "planar")
SHAPE_KINDS = ("box", "cylinder", "sphere", "mesh")


@dataclass(frozen=True, eq=False)
class Shape:
    """A geometric primitive attached to a link.

    Attributes:
        kind: ``box``, ``cylinder``, ``sphere`` or ``mesh``.
        dims: box (x, y, z) sizes; cylinder (radius, length) with its axis along z;
            sphere (radius,); mesh (scale x, y, z) — all [m].
        T_link_shape: 4×4 pose of the shape's centre in the link frame.
        filename: the mesh file for ``mesh`` shapes, else empty.
    """

    kind: str
    dims: tuple[float, ...]
    T_link_shape: FloatArray
    filename: str = ""


@dataclass(frozen=True, eq=False)
class Inertial:
    """Mass [kg], centre of mass pose in the link frame, inertia tensor [kg·m²] about it."""

    mass: float
    T_link_com: FloatArray
    inertia: FloatArray


@dataclass(frozen=True, eq=False)
class Link:
    """A URDF link: its collision and visual shapes and inertial properties."""

    name: str
    collisions: tuple[Shape, ...] = ()
    visuals: tuple[Shape, ...] = ()
    visual_rgba: tuple[tuple[float, float, float, float] | None, ...] = ()
    inertial: Inertial | None = None


@dataclass(frozen=True, eq=False)
class Joint:
    """A URDF joint.

    Attributes:
        origin: 4×4 pose of the joint frame in the parent link frame (at zero motion).
        axis: unit axis of motion in the joint frame.
        lower, upper: position limits [rad or m]; ±inf for continuous joints.
        velocity: speed limit [rad/s or m/s]; effort: [N·m or N].
        mimic: (master joint, multiplier, offset) or None.
    """

    name: str
    type: str
    parent: str
    child: str
    origin: FloatArray
    axis: FloatArray
    lower: float = -math.inf
    upper: float = math.inf
    velocity: float = math.inf
    effort: float = math.inf
    mimic: tuple[str, float, float] | None = None


@dataclass(frozen=True, eq=False)
class UrdfModel:
    """A parsed URDF: links and joints by name, plus the tree's root link."""

    name: str
    links: dict[str, Link]
    joints: dict[str, Joint]
    root: str
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def parent_joint(self, link: str) -> Joint | None:
        """The joint whose child is ``link`` (None for the root)."""
        for joint in self.joints.values():
            if joint.child == link:
                return joint
        return None


def _floats(
    text: str | None, n: int, what: str, default: tuple[float, ...] | None = None
) -> tuple[float, ...]:
    if text is None:
        if default is None:
            raise RobotModelError(f"{what} is missing")
        return default
    parts = text.split()
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise RobotModelError(f"{what} must be {n} numbers, got {text!r}") from None
    if len(values) != n or not all(math.isfinite(v) for v in values):
        raise RobotModelError(f"{what} must be {n} finite numbers, got {text!r}")
    return values


def _float_attr(elem: ET.Element, attr: str, what: str, default: float | None = None) -> float:
    text = elem.get(attr)
    if text is None:
        if default is None:
            raise RobotModelError(f"{what}: attribute {attr!r} is missing")
        return default
    try:
        value = float(text)
    except ValueError:
        raise RobotModelError(f"{what}: {attr} {text!r} is not a number") from None
    if math.isnan(value):
        raise RobotModelError(f"{what}: {attr} is NaN")
    return value


def _origin(elem: ET.Element, what: str) -> FloatArray:
    origin = elem.find("origin")
    if origin is None:
        return np.eye(4)
    xyz = _floats(origin.get("xyz"), 3, f"{what} origin xyz", (0.0, 0.0, 0.0))
    rpy = _floats(origin.get("rpy"), 3, f"{what} origin rpy", (0.0, 0.0, 0.0))
    return transform_from_xyz_rpy(xyz, rpy)


def _shape(elem: ET.Element, what: str) -> Shape:
    geometry = elem.find("geometry")
    if geometry is None or len(geometry) != 1:
        raise RobotModelError(f"{what}: <geometry> must hold exactly one shape")
    g = geometry[0]
    T = _origin(elem, what)
    if g.tag == "box":
        dims = _floats(g.get("size"), 3, f"{what} box size")
    elif g.tag == "cylinder":
        dims = (
            _float_attr(g, "radius", f"{what} cylinder"),
            _float_attr(g, "length", f"{what} cylinder"),
        )
    elif g.tag == "sphere":
        dims = (_float_attr(g, "radius", f"{what} sphere"),)
    elif g.tag == "mesh":
        scale = _floats(g.get("scale"), 3, f"{what} mesh scale", (1.0, 1.0, 1.0))
        return Shape("mesh", scale, T, g.get("filename", ""))
    else:
        raise RobotModelError(f"{what}: unknown geometry <{g.tag}>; expected one of {SHAPE_KINDS}")
    if any(d <= 0 for d in dims):
        raise RobotModelError(f"{what}: {g.tag} dimensions must be > 0, got {dims}")
    return Shape(g.tag, dims, T)


def _material_rgba(
    visual: ET.Element, materials: dict[str, tuple[float, ...]], what: str
) -> tuple[float, float, float, float] | None:
    material = visual.find("material")
    if material is None:
        return None
    color = material.find("color")
    if color is not None:
        rgba = _floats(color.get("rgba"), 4, f"{what} material color rgba")
        materials[material.get("name", "")] = rgba
        return (rgba[0], rgba[1], rgba[2], rgba[3])
    known = materials.get(material.get("name", ""))
    return None if known is None else (known[0], known[1], known[2], known[3])


def _inertial(elem: ET.Element, what: str) -> Inertial | None:
    inertial = elem.find("inertial")
    if inertial is None:
        return None
    mass_elem = inertial.find("mass")
    inertia_elem = inertial.find("inertia")
    if mass_elem is None or inertia_elem is None:
        raise RobotModelError(f"{what}: <inertial> needs <mass> and <inertia>")
    mass = _float_attr(mass_elem, "value", f"{what} mass")
    if mass <= 0:
        raise RobotModelError(f"{what}: mass must be > 0 kg, got {mass}")
    names = ("ixx", "ixy", "ixz", "iyy", "iyz", "izz")
    ixx, ixy, ixz, iyy, iyz, izz = (_float_attr(inertia_elem, n, f"{what} inertia") for n in names)
    inertia = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
    return Inertial(mass, _origin(inertial, f"{what} inertial"), inertia)


def _link(elem: ET.Element, materials: dict[str, tuple[float, ...]]) -> Link:
    name = elem.get("name")
    if not name:
        raise RobotModelError("a <link> has no name")
    what = f"link {name!r}"
    collisions = tuple(_shape(c, f"{what} collision") for c in elem.findall("collision"))
    visual_elems = elem.findall("visual")
    visuals = tuple(_shape(v, f"{what} visual") for v in visual_elems)
    rgba = tuple(_material_rgba(v, materials, f"{what} visual") for v in visual_elems)
    return Link(name, collisions, visuals, rgba, _inertial(elem, what))


def _joint(elem: ET.Element) -> Joint:
    name = elem.get("name")
    if not name:
        raise RobotModelError("a <joint> has no name")
    what = f"joint {name!r}"
    jtype = elem.get("type")
    if jtype not in JOINT_TYPES:
        raise RobotModelError(f"{what}: type {jtype!r} is not one of {JOINT_TYPES}")
    parent, child = elem.find("parent"), elem.find("child")
    if parent is None or child is None or not parent.get("link") or not child.get("link"):
        raise RobotModelError(f"{what}: needs <parent link=...> and <child link=...>")
    axis_elem = elem.find("axis")
    axis = np.array(
        _floats(
            None if axis_elem is None else axis_elem.get("xyz"),
            3,
            f"{what} axis xyz",
            (1.0, 0.0, 0.0),
        )
    )
    norm = float(np.linalg.norm(axis))
    if jtype != "fixed" and norm < 1e-9:
        raise RobotModelError(f"{what}: axis must be non-zero, got {axis.tolist()}")
    axis = axis / norm if norm > 0 else axis
    lower, upper, velocity, effort = -math.inf, math.inf, math.inf, math.inf
    limit = elem.find("limit")
    if jtype in ("revolute", "prismatic"):
        if limit is None:
            raise RobotModelError(f"{what}: a {jtype} joint needs <limit>")
        lower = _float_attr(limit, "lower", f"{what} limit", 0.0)
        upper = _float_attr(limit, "upper", f"{what} limit", 0.0)
        if lower > upper:
            raise RobotModelError(f"{what}: limit lower {lower} is above upper {upper}")
    if limit is not None:
        velocity = _float_attr(limit, "velocity", f"{what} limit")
        effort = _float_attr(limit, "effort", f"{what} limit")
        if velocity <= 0:
            raise RobotModelError(f"{what}: limit velocity must be > 0, got {velocity}")
    mimic_elem = elem.find("mimic")
    mimic = None
    if mimic_elem is not None:
        master = mimic_elem.get("joint")
        if not master:
            raise RobotModelError(f"{what}: <mimic> needs joint=...")
        mimic = (
            master,
            _float_attr(mimic_elem, "multiplier", f"{what} mimic", 1.0),
            _float_attr(mimic_elem, "offset", f"{what} mimic", 0.0),
        )
    return Joint(
        name, jtype, str(parent.get("link")), str(child.get("link")), _origin(elem, what), axis,
        lower, upper, velocity, effort, mimic,
    )  # fmt: skip


def _links(root: ET.Element) -> dict[str, Link]:
    materials: dict[str, tuple[float, ...]] = {}
    for material in root.findall("material"):
        color = material.find("color")
        if color is not None:
            materials[material.get("name", "")] = _floats(
                color.get("rgba"), 4, "material color rgba"
            )
    links: dict[str, Link] = {}
    for elem in root.findall("link"):
        link = _link(elem, materials)
        if link.name in links:
            raise RobotModelError(f"link {link.name!r} is defined twice")
        links[link.name] = link
    if not links:
        raise RobotModelError("URDF has no <link>")
    return links


def _joints(root: ET.Element, links: dict[str, Link]) -> dict[str, Joint]:
    joints: dict[str, Joint] = {}
    parent_of: dict[str, str] = {}
    for elem in root.findall("joint"):
        joint = _joint(elem)
        if joint.name in joints:
            raise RobotModelError(f"joint {joint.name!r} is defined twice")
        for end in (joint.parent, joint.child):
            if end not in links:
                raise RobotModelError(f"joint {joint.name!r} refers to unknown link {end!r}")
        if joint.child in parent_of:
            first = parent_of[joint.child]
            raise RobotModelError(
                f"link {joint.child!r} has two parent joints: {first!r} and {joint.name!r}"
            )
        parent_of[joint.child] = joint.name
        joints[joint.name] = joint
    for joint in joints.values():
        if joint.mimic is not None and joint.mimic[0] not in joints:
            raise RobotModelError(f"joint {joint.name!r} mimics unknown joint {joint.mimic[0]!r}")
    return joints


def parse_urdf(xml_text: str) -> UrdfModel:
    """Parse URDF text into a :class:`UrdfModel`.

    Raises:
        RobotModelError: on malformed XML, duplicate or dangling names, a link with two
            parents, several roots, a cycle, or a bad attribute (named in the message).
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise RobotModelError(f"URDF is not well-formed XML: {exc}") from None
    if root.tag != "robot":
        raise RobotModelError(f"URDF root element must be <robot>, got <{root.tag}>")
    links = _links(root)
    joints = _joints(root, links)
    parent_of = {j.child: j.name for j in joints.values()}
    roots = [name for name in links if name not in parent_of]
    if len(roots) != 1:
        raise RobotModelError(
            f"URDF must have exactly one root link, found {roots or 'none (a cycle)'}"
        )
    children: dict[str, list[str]] = {name: [] for name in links}
    for joint in joints.values():
        children[joint.parent].append(joint.name)
    seen = {roots[0]}
    stack = [roots[0]]
    while stack:
        for jname in children[stack.pop()]:
            child = joints[jname].child
            seen.add(child)
            stack.append(child)
    if len(seen) != len(links):
        raise RobotModelError(
            f"links not connected to root {roots[0]!r}: {sorted(set(links) - seen)}"
        )
    return UrdfModel(
        root.get("name", ""), links, joints, roots[0], {k: tuple(v) for k, v in children.items()}
    )
