"""The MuJoCo model (MJCF) of the cell, generated from the cell's URDF.

The URDF stays the one description of the cell: every link becomes a body of the same
name (fixed joints give welded bodies, so frames such as ``tcp`` and
``camera_color_optical_frame`` stay addressable), every collision and visual shape a
geom. This module adds only what a simulator needs: position servos with gains, the
integrator, friction and contact softness, the gripper's mimic joint as an equality
constraint, the camera, lights, and the parts.

MuJoCo's own URDF importer is not used: it fuses bodies joined by fixed joints into
their parents (the cell's URDF comes out with 9 of its 19 links: no ``tcp``, camera frame,
table or bins as bodies), and it adds no actuators, camera or contact settings.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from jazari.geometry.transforms import (
    FloatArray,
    make_transform,
    matrix_to_quat_xyzw,
    quat_xyzw_to_wxyz,
    rpy_to_matrix,
)
from jazari.robot.urdf import Joint, Shape, UrdfModel
from jazari.sim.camera_config import CameraConfig
from jazari.sim.errors import SimConfigError
from jazari.sim.params import SimParams
from jazari.sim.parts import PartInstance

CAMERA_NAME = "rgbd"
ACTUATED = ("revolute", "continuous", "prismatic")
# Geom groups: 0 seen and colliding, 1 seen only, 3 colliding only (hidden in renders).
GROUP_BOTH, GROUP_VISUAL, GROUP_COLLISION = 0, 1, 3


def part_body(part_id: int) -> str:
    """Name of the body (and free joint and geom) of part ``part_id``."""
    return f"part_{part_id}"


@dataclass(frozen=True)
class CellJoints:
    """How the URDF's joints map onto the simulated actuators.

    Attributes:
        arm: the arm's joints, in chain order (each gets a servo).
        gripper: the gripper's actuated joint (its servo sets the finger travel).
        mimics: (follower, master, multiplier, offset) for joints that mimic another.
        fingers: the links moved by the gripper (their geoms carry finger friction).
        robot_links: every link below the arm's base (for self-contact exclusion).
    """

    arm: tuple[str, ...]
    gripper: str
    mimics: tuple[tuple[str, str, float, float], ...]
    fingers: tuple[str, ...]
    robot_links: tuple[str, ...]

    @classmethod
    def find(cls, urdf: UrdfModel, arm: Sequence[str], arm_base: str) -> CellJoints:
        """Classify the URDF's joints: ``arm`` given, the one other actuated joint is the
        gripper's, mimic joints follow their master.

        Raises:
            SimConfigError: when there is not exactly one non-arm, non-mimic actuated joint.
        """
        others = [
            j for j in urdf.joints.values()
            if j.type in ACTUATED and j.name not in arm and j.mimic is None
        ]  # fmt: skip
        if len(others) != 1:
            raise SimConfigError(
                "the twin needs exactly one gripper joint besides the arm, found "
                f"{[j.name for j in others]}"
            )
        mimics = tuple(
            (j.name, j.mimic[0], j.mimic[1], j.mimic[2]) for j in urdf.joints.values() if j.mimic
        )
        fingers = (others[0].child, *(urdf.joints[m[0]].child for m in mimics))
        robot = [arm_base]
        for name in robot:
            robot.extend(urdf.joints[j].child for j in urdf.children[name])
        return cls(tuple(arm), others[0].name, mimics, fingers, tuple(robot))


RGBA = tuple[float, float, float, float]
GREY: RGBA = (0.5, 0.5, 0.5, 1.0)


def _el(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    """A child element with string attributes (``class`` passed via ``**{"class": ...}``)."""
    return ET.SubElement(parent, tag, attrs)


def _fmt(values: Iterable[float]) -> str:
    return " ".join(f"{float(v):.9g}" for v in values)


def _pose_attrs(T: FloatArray) -> dict[str, str]:
    attrs = {"pos": _fmt(T[:3, 3])}
    if not np.allclose(T[:3, :3], np.eye(3), atol=1e-12):
        attrs["quat"] = _fmt(quat_xyzw_to_wxyz(matrix_to_quat_xyzw(T[:3, :3])))
    return attrs


def _shape_attrs(shape: Shape, where: str) -> dict[str, str]:
    if shape.kind == "box":
        size = [d / 2.0 for d in shape.dims]
    elif shape.kind == "cylinder":
        size = [shape.dims[0], shape.dims[1] / 2.0]
    elif shape.kind == "sphere":
        size = [shape.dims[0]]
    else:
        raise SimConfigError(
            f"{where}: the twin supports box, cylinder and sphere, got {shape.kind!r}"
        )
    return {"type": shape.kind, "size": _fmt(size), **_pose_attrs(shape.T_link_shape)}


def _same_shape(a: Shape, b: Shape) -> bool:
    return (
        a.kind == b.kind
        and np.allclose(a.dims, b.dims)
        and np.allclose(a.T_link_shape, b.T_link_shape)
    )


class _Builder:
    """Writes the MJCF tree; one instance per model."""

    def __init__(
        self, urdf: UrdfModel, joints: CellJoints, params: SimParams, camera: CameraConfig
    ) -> None:
        self.urdf, self.joints, self.params, self.camera = urdf, joints, params, camera
        self.root = ET.Element("mujoco", {"model": urdf.name or "cell"})

    def build(self, parts: Sequence[PartInstance]) -> str:
        self._header()
        world = _el(self.root, "worldbody")
        light = self.params.render
        _el(
            world, "light", name="overhead", directional="true", pos="0.5 0 3", dir="0 0 -1",
            diffuse=_fmt([light.diffuse] * 3), ambient="0 0 0", specular="0 0 0",
            castshadow="false",
        )  # fmt: skip
        self._geoms(world, self.urdf.root)
        self._children(world, self.urdf.root)
        for part in parts:
            self._part(world, part)
        self._actuators()
        self._contact_exclusions()
        ET.indent(self.root)
        return ET.tostring(self.root, encoding="unicode")

    def _header(self) -> None:
        p, c = self.params, self.params.contact
        _el(self.root, "compiler", angle="radian", autolimits="true")
        option = _el(
            self.root, "option", timestep=f"{p.physics.timestep_s:.9g}",
            integrator=p.physics.integrator, cone=p.physics.cone,
            impratio=f"{p.physics.impratio:.9g}", gravity=_fmt(p.physics.gravity_m_s2),
            sleep_tolerance=f"{p.physics.sleep_tolerance_m_s:.9g}",
        )  # fmt: skip
        _el(option, "flag", sleep="enable" if p.physics.sleep else "disable")
        # extent 1 makes znear/zfar below read in metres.
        _el(self.root, "statistic", extent="1", center="0.4 0 0.3")
        visual = _el(self.root, "visual")
        k = self.camera.intrinsics
        _el(visual, "global", offwidth=str(k.width), offheight=str(k.height))
        _el(visual, "quality", shadowsize="0", offsamples="0")
        _el(visual, "map", znear=f"{p.render.znear_m:.9g}", zfar=f"{p.render.zfar_m:.9g}")
        amb = _fmt([p.render.ambient] * 3)
        _el(visual, "headlight", ambient=amb, diffuse="0 0 0", specular="0 0 0")
        default = _el(self.root, "default")
        common = {"solref": _fmt(c.solref), "solimp": _fmt(c.solimp)}
        _el(default, "geom", friction=_fmt(c.fixed_friction), condim="3", **common)
        for name, friction, condim in (
            ("finger", c.finger_friction, c.finger_condim),
            ("part", c.part_friction, c.part_condim),
        ):
            cls = _el(default, "default", **{"class": name})
            _el(cls, "geom", friction=_fmt(friction), condim=str(condim))

    def _geoms(self, body: ET.Element, link_name: str) -> None:
        link = self.urdf.links[link_name]
        finger = link_name in self.joints.fingers
        rgbas = link.visual_rgba or (None,) * len(link.visuals)
        visuals: list[tuple[Shape, RGBA]] = [
            (v, GREY if c is None else c) for v, c in zip(link.visuals, rgbas, strict=True)
        ]
        for i, shape in enumerate(link.collisions):
            attrs = _shape_attrs(shape, f"link {link_name!r} collision {i}")
            match = next((v for v in visuals if _same_shape(v[0], shape)), None)
            if match is not None:
                visuals.remove(match)
            # A collision shape that is also drawn is one geom; otherwise it is hidden.
            attrs["group"] = str(GROUP_BOTH if match is not None else GROUP_COLLISION)
            attrs["rgba"] = _fmt(match[1] if match is not None else GREY)
            if finger:
                attrs["class"] = "finger"
            _el(body, "geom", name=f"{link_name}_c{i}", **attrs)
        for i, (shape, rgba) in enumerate(visuals):
            attrs = _shape_attrs(shape, f"link {link_name!r} visual {i}")
            _el(
                body, "geom", name=f"{link_name}_v{i}", group=str(GROUP_VISUAL), contype="0",
                conaffinity="0", mass="0", rgba=_fmt(rgba), **attrs,
            )  # fmt: skip

    def _children(self, parent: ET.Element, link_name: str) -> None:
        for jname in self.urdf.children[link_name]:
            joint = self.urdf.joints[jname]
            body = _el(parent, "body", name=joint.child, **_pose_attrs(joint.origin))
            if joint.child in self.joints.robot_links and self.params.arm.gravity_compensation:
                body.set("gravcomp", "1")
            self._inertial(body, joint.child)
            self._joint(body, joint)
            self._geoms(body, joint.child)
            if joint.child == self.camera.frame_id:
                # A MuJoCo camera looks along its -z with y up: the optical frame (z
                # forward, y down) turned half a turn about x.
                _el(
                    body, "camera", name=CAMERA_NAME, quat="0 1 0 0",
                    fovy=f"{self.camera.fovy_deg():.12g}",
                )  # fmt: skip
            self._children(body, joint.child)

    def _inertial(self, body: ET.Element, link_name: str) -> None:
        inertial = self.urdf.links[link_name].inertial
        if inertial is None:
            return
        R = inertial.T_link_com[:3, :3]
        I = R @ inertial.inertia @ R.T  # noqa: E741 - the inertia tensor's usual name
        _el(
            body, "inertial", pos=_fmt(inertial.T_link_com[:3, 3]), mass=f"{inertial.mass:.9g}",
            fullinertia=_fmt([I[0, 0], I[1, 1], I[2, 2], I[0, 1], I[0, 2], I[1, 2]]),
        )  # fmt: skip

    def _joint(self, body: ET.Element, joint: Joint) -> None:
        if joint.type == "fixed":
            return
        if joint.type not in ACTUATED:
            raise SimConfigError(
                f"joint {joint.name!r}: the twin cannot simulate type {joint.type!r}"
            )
        attrs = {
            "name": joint.name,
            "type": "slide" if joint.type == "prismatic" else "hinge",
            "axis": _fmt(joint.axis),
        }
        if joint.type != "continuous":
            attrs["range"] = _fmt([joint.lower, joint.upper])
        if np.isfinite(joint.effort):
            attrs["actuatorfrcrange"] = _fmt([-joint.effort, joint.effort])
        arm = self.params.arm
        if joint.name in self.joints.arm:
            i = self.joints.arm.index(joint.name)
            attrs["armature"] = f"{arm.armature_kgm2[i]:.9g}"
            attrs["damping"] = f"{arm.damping_nms_rad[i]:.9g}"
            if arm.gravity_compensation:
                attrs["actuatorgravcomp"] = "true"
        _el(body, "joint", **attrs)

    def _part(self, world: ET.Element, part: PartInstance) -> None:
        name = part_body(part.part_id)
        body = _el(world, "body", name=name, **_pose_attrs(part.T_world_part()))
        _el(body, "freejoint", name=name)
        d = part.dimensions_m
        if part.spec.shape == "box":
            shape = {"type": "box", "size": _fmt([d[0] / 2, d[1] / 2, d[2] / 2])}
        else:
            shape = {"type": "cylinder", "size": _fmt([d[0] / 2, d[1] / 2])}
        _el(
            body, "geom", name=name, mass=f"{part.spec.mass_kg:.9g}",
            rgba=_fmt([*part.color_rgb, 1.0]), **{"class": "part"}, **shape,
        )  # fmt: skip
        if part.mark is not None:
            m = part.mark
            T = make_transform(
                rpy_to_matrix(0.0, 0.0, m.yaw_rad),
                (m.x_m, m.y_m, part.height_m / 2 + m.thickness_m / 2),
            )
            _el(
                body, "geom", name=f"{name}_mark", type="box", contype="0", conaffinity="0",
                group=str(GROUP_VISUAL), mass="0", rgba=_fmt([*m.color_rgb, 1.0]),
                size=_fmt([m.length_m / 2, m.width_m / 2, m.thickness_m / 2]), **_pose_attrs(T),
            )  # fmt: skip

    def _actuators(self) -> None:
        act = _el(self.root, "actuator")
        arm = self.params.arm
        for i, name in enumerate(self.joints.arm):
            j = self.urdf.joints[name]
            _el(
                act, "position", name=f"{name}_pos", joint=name, kp=f"{arm.kp_nm_rad[i]:.9g}",
                ctrlrange=_fmt([j.lower, j.upper]),
            )  # fmt: skip
        for i, name in enumerate(self.joints.arm):
            # The velocity loop: kv (v_setpoint − v); the setpoint is the feed-forward
            # velocity, or 0 for plain damping.
            _el(act, "velocity", name=f"{name}_vel", joint=name, kv=f"{arm.kv_nms_rad[i]:.9g}")
        g, gj = self.params.gripper, self.urdf.joints[self.joints.gripper]
        _el(
            act, "position", name="gripper", joint=gj.name, kp=f"{g.kp_n_m:.9g}",
            kv=f"{g.kv_ns_m:.9g}", ctrlrange=_fmt([gj.lower, gj.upper]),
            forcerange=_fmt([-g.force_limit_n, g.force_limit_n]),
        )  # fmt: skip
        if self.joints.mimics:
            eq = _el(self.root, "equality")
            for follower, master, mult, offset in self.joints.mimics:
                _el(
                    eq, "joint", joint1=follower, joint2=master,
                    polycoef=_fmt([offset, mult, 0, 0, 0]), solref="0.004 1",
                )  # fmt: skip

    def _contact_exclusions(self) -> None:
        # The arm does not collide with itself here (the planner keeps it clear); without
        # this, neighbouring links whose primitives overlap at the joints would jam.
        bodies = [b for b in self.joints.robot_links if self.urdf.links[b].collisions]
        contact = _el(self.root, "contact")
        for i, a in enumerate(bodies):
            for b in bodies[i + 1 :]:
                _el(contact, "exclude", body1=a, body2=b)


def build_mjcf(
    urdf: UrdfModel,
    joints: CellJoints,
    params: SimParams,
    camera: CameraConfig,
    parts: Sequence[PartInstance] = (),
) -> str:
    """MJCF text of the cell with ``parts`` on the table.

    Raises:
        SimConfigError: when the URDF holds something the twin cannot simulate (a mesh,
            a floating joint), the camera's frame is missing, or the intrinsics are not
            a symmetric pinhole.
    """
    if camera.frame_id not in urdf.links:
        raise SimConfigError(f"camera frame_id {camera.frame_id!r} is not a link of the URDF")
    if len(joints.arm) != len(params.arm.kp_nm_rad):
        raise SimConfigError(
            f"sim.yaml has gains for {len(params.arm.kp_nm_rad)} arm joints, "
            f"the arm has {len(joints.arm)}"
        )
    return _Builder(urdf, joints, params, camera).build(parts)


def static_link_pose(urdf: UrdfModel, link: str) -> FloatArray:
    """Pose of a link in the URDF root's frame, when only fixed joints lead to it.

    Raises:
        SimConfigError: when the link is unknown or moves.
    """
    if link not in urdf.links:
        raise SimConfigError(f"link {link!r} is not in the URDF")
    T = np.eye(4)
    name = link
    while (joint := urdf.parent_joint(name)) is not None:
        if joint.type != "fixed":
            raise SimConfigError(f"link {link!r} moves with joint {joint.name!r}")
        T = joint.origin @ T
        name = joint.parent
    return T


def static_link_bounds(urdf: UrdfModel, link: str) -> tuple[FloatArray, FloatArray]:
    """World axis-aligned bounds (lo (3,), hi (3,)) of a fixed link's collision boxes [m]."""
    T_world_link = static_link_pose(urdf, link)
    boxes = [s for s in urdf.links[link].collisions if s.kind == "box"]
    if not boxes:
        raise SimConfigError(f"link {link!r} has no collision box")
    corners = []
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
    for s in boxes:
        local = signs * np.asarray(s.dims) / 2.0
        T = T_world_link @ s.T_link_shape
        corners.append(local @ T[:3, :3].T + T[:3, 3])
    pts = np.vstack(corners)
    return pts.min(axis=0), pts.max(axis=0)
