"""The arm as the rest of Jazari sees it: a URDF tree, its arm chain, and link poses.

:func:`load_cell_model` gives the cell's arm (base ``base_link``, tip ``tcp``) read from
``urdf/cell.urdf.xacro``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray
from jazari.robot.chain import KinematicChain, joint_motion
from jazari.robot.description import cell_urdf_text
from jazari.robot.errors import RobotModelError
from jazari.robot.urdf import UrdfModel, parse_urdf

ARM_BASE = "base_link"
ARM_TIP = "tcp"
FLANGE = "tool0"


@dataclass(frozen=True, eq=False)
class RobotModel:
    """A robot description and the chain of its arm.

    Attributes:
        urdf: the whole parsed description (arm, gripper, cell furniture).
        chain: the arm's actuated chain from ``chain.base`` to ``chain.tip``.
        urdf_text: the URDF text it was read from (for other consumers such as the
            simulator or robot_state_publisher).
    """

    urdf: UrdfModel
    chain: KinematicChain
    urdf_text: str

    @classmethod
    def from_urdf_text(cls, text: str, base: str = ARM_BASE, tip: str = ARM_TIP) -> RobotModel:
        """Parse URDF text and extract the arm chain from ``base`` to ``tip``."""
        model = parse_urdf(text)
        return cls(model, KinematicChain.from_urdf(model, base, tip), text)

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The arm's actuated joints, base to tip."""
        return self.chain.joint_names

    def subtree_links(self, link: str | None = None) -> list[str]:
        """Links at and below ``link`` (default: the chain's base), parents first."""
        start = self.chain.base if link is None else link
        if start not in self.urdf.links:
            raise RobotModelError(f"link {start!r} is not in the URDF")
        order = [start]
        for name in order:
            order.extend(self.urdf.joints[j].child for j in self.urdf.children[name])
        return order

    def link_poses(
        self,
        q: ArrayLike,
        extra: Mapping[str, float] | None = None,
        links: Iterable[str] | None = None,
    ) -> dict[str, FloatArray]:
        """Poses of links below the chain's base, in the base frame, for arm values ``q``.

        Args:
            q: arm joint values, (n,) or (N, n) [rad].
            extra: values of actuated joints outside the arm (for example the gripper's
                ``gripper_finger_joint`` [m]); absent ones are 0. Mimic joints follow
                their master.
            links: which links to return (default: every link below the base).

        Returns:
            link name → (4, 4) for q of shape (n,), else (N, 4, 4).
        """
        qa = self.chain.check_q(q)
        values = {name: qa[:, i] for i, name in enumerate(self.chain.joint_names)}
        extra = dict(extra or {})
        wanted = None if links is None else set(links)
        n_cfg = qa.shape[0]
        poses: dict[str, FloatArray] = {self.chain.base: np.broadcast_to(np.eye(4), (n_cfg, 4, 4))}
        for name in self.subtree_links():
            for jname in self.urdf.children[name]:
                joint = self.urdf.joints[jname]
                T = poses[name] @ joint.origin
                if joint.type in ("revolute", "continuous", "prismatic"):
                    value = self._joint_value(jname, values, extra, n_cfg)
                    T = T @ joint_motion(joint.axis, value, revolute=joint.type != "prismatic")
                elif joint.type != "fixed":
                    raise RobotModelError(
                        f"joint {jname!r} of type {joint.type!r} has no single-value motion"
                    )
                poses[joint.child] = T
        keep = poses if wanted is None else {k: v for k, v in poses.items() if k in wanted}
        if wanted is not None and len(keep) != len(wanted):
            raise RobotModelError(
                f"links not below {self.chain.base!r}: {sorted(wanted - set(keep))}"
            )
        single = np.ndim(q) == 1
        return {k: (v[0] if single else v) for k, v in keep.items()}

    def _joint_value(
        self, jname: str, values: Mapping[str, FloatArray], extra: Mapping[str, float], n_cfg: int
    ) -> FloatArray:
        joint = self.urdf.joints[jname]
        if joint.mimic is not None:
            master, multiplier, offset = joint.mimic
            return self._joint_value(master, values, extra, n_cfg) * multiplier + offset
        if jname in values:
            return values[jname]
        return np.full(n_cfg, float(extra.get(jname, 0.0)))


@functools.lru_cache(maxsize=2)
def load_cell_model() -> RobotModel:
    """The cell's arm from ``urdf/cell.urdf.xacro``: base ``base_link``, tip ``tcp``."""
    return RobotModel.from_urdf_text(cell_urdf_text())
