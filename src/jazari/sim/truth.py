"""Ground truth of a simulated scene, for tests and benchmarks (never for the cell itself).

Poses are in the world frame, which is the robot's base frame in this cell
(``base_link`` sits at the world origin); :attr:`SceneTruth.T_world_base` says so
explicitly for other layouts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jazari.geometry.transforms import FloatArray, invert
from jazari.sim.errors import SimError
from jazari.sim.parts import PartInstance


@dataclass(frozen=True, eq=False)
class PartTruth:
    """One part as it really is.

    Attributes:
        part: id, type, actual dimensions and colour, defect and surface mark.
        T_world_part: current pose of the part frame (centre, z up) in the world [m].
        grasped: both gripper fingers are in contact with it.
        bin: the bin link (``bin_accepted``, ``bin_rejected``) whose volume holds the
            part's centre, or None.
        touching: ids of the parts it was laid against at spawn time.
    """

    part: PartInstance
    T_world_part: FloatArray
    grasped: bool
    bin: str | None
    touching: tuple[int, ...]

    @property
    def part_id(self) -> int:
        """The part's id."""
        return self.part.part_id

    @property
    def is_defective(self) -> bool:
        """True when the part should go to the rejected bin."""
        return self.part.is_defective


@dataclass(frozen=True, eq=False)
class SceneTruth:
    """Every part of a scene at one instant.

    Attributes:
        stamp_s: simulation time [s].
        T_world_base: pose of the robot's base frame in the world.
        parts: one entry per part, by increasing id.
    """

    stamp_s: float
    T_world_base: FloatArray
    parts: tuple[PartTruth, ...]

    def part(self, part_id: int) -> PartTruth:
        """The truth of part ``part_id``.

        Raises:
            SimError: naming the unknown id.
        """
        for p in self.parts:
            if p.part_id == part_id:
                return p
        raise SimError(f"no part with id {part_id}; ids are {[p.part_id for p in self.parts]}")

    def T_base_part(self, part_id: int) -> FloatArray:
        """Pose of part ``part_id`` in the robot's base frame."""
        return np.asarray(invert(self.T_world_base) @ self.part(part_id).T_world_part)
