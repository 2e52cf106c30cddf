"""The part to pick, as the planner sees it: a box or a cylinder with a pose.

Perception and the digital twin map their detections to :class:`Part`; the planner needs
nothing else about the part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import PlanningInputError

PartShape = Literal["box", "cylinder"]
_DIM_NAMES = {"box": ("size_x", "size_y", "size_z"), "cylinder": ("radius", "height")}
RIGID_TOL = 1e-6


def check_pose(T: ArrayLike, what: str) -> FloatArray:
    """``T`` as a float (4, 4) rigid transform, or PlanningInputError naming ``what``."""
    arr = np.array(T, dtype=float)
    if arr.shape != (4, 4) or not np.all(np.isfinite(arr)):
        raise PlanningInputError(f"{what} must be a finite 4x4 transform, got {np.shape(T)}")
    R = arr[:3, :3]
    if (
        not np.allclose(R.T @ R, np.eye(3), atol=RIGID_TOL)
        or abs(np.linalg.det(R) - 1.0) > RIGID_TOL
        or not np.allclose(arr[3], [0.0, 0.0, 0.0, 1.0], atol=RIGID_TOL)
    ):
        raise PlanningInputError(f"{what} is not a rigid transform: {np.round(arr, 6).tolist()}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Part:
    """A part lying in the cell.

    Attributes:
        shape: ``"box"`` or ``"cylinder"``.
        dims_m: box: edge lengths (x, y, z) along the part frame's axes; cylinder:
            (radius, height) with the axis along the part frame's z [m].
        T_base_part: pose of the part's centre in the robot base frame [m].
        name: an identifier for messages and for removing the part from a scene.
    """

    shape: PartShape
    dims_m: tuple[float, ...]
    T_base_part: FloatArray = field(repr=False)
    name: str = ""

    def __post_init__(self) -> None:
        if self.shape not in _DIM_NAMES:
            raise PlanningInputError(f"part shape must be 'box' or 'cylinder', got {self.shape!r}")
        names = _DIM_NAMES[self.shape]
        dims = tuple(float(d) for d in self.dims_m)
        if len(dims) != len(names):
            raise PlanningInputError(
                f"a {self.shape} part needs dims_m {names}, got {len(dims)} values {self.dims_m}"
            )
        for n, d in zip(names, dims, strict=True):
            if not (math.isfinite(d) and d > 0):
                raise PlanningInputError(f"part {self.name!r}: {n} must be > 0 m, got {d}")
        object.__setattr__(self, "dims_m", dims)
        object.__setattr__(self, "T_base_part", check_pose(self.T_base_part, "T_base_part"))

    @property
    def half_extents_m(self) -> FloatArray:
        """Half sizes of the part's bounding box along its own axes [m]."""
        if self.shape == "box":
            return np.array(self.dims_m) / 2.0
        r, h = self.dims_m
        return np.array([r, r, h / 2.0])

    def moved_to(self, T_base_part: ArrayLike) -> Part:
        """The same part at another pose."""
        return Part(self.shape, self.dims_m, np.asarray(T_base_part, dtype=float), self.name)

    def same_as(self, other: Part, tol_m: float = 1e-6) -> bool:
        """True when ``other`` has the same shape, size and pose (within ``tol_m``)."""
        return (
            self.shape == other.shape
            and np.allclose(self.dims_m, other.dims_m, atol=tol_m)
            and np.allclose(self.T_base_part, other.T_base_part, atol=tol_m)
        )

    def lowest_point_z_m(self) -> float:
        """Height of the part's lowest point in the base frame [m]."""
        R = self.T_base_part[:3, :3]
        z = self.T_base_part[2, 3]
        if self.shape == "box":
            return float(z - np.abs(R[2]) @ self.half_extents_m)
        r, h = self.dims_m
        axis_z = R[2, 2]
        return float(z - abs(axis_z) * h / 2.0 - r * math.sqrt(max(0.0, 1.0 - axis_z**2)))
