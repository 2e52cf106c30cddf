"""The sequence's planner: pick-and-place plans for seen parts, with place poses spread
over slots in each bin and the parts already placed kept as obstacles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jazari.cell.vision import SeenPart
from jazari.geometry.transforms import FloatArray
from jazari.planning.errors import NoPlaceError, PlanningInputError
from jazari.planning.part import Part
from jazari.planning.pick_place import PickPlacePlanner
from jazari.planning.plan import PickPlacePlan
from jazari.planning.scene import Scene, place_pose_in_bin
from jazari.planning.validate import validate
from jazari.robot.trajectory import JointTrajectory

# Bin links in the URDF, by the sequence's bin names.
BIN_LINKS = {"accepted": "bin_accepted", "rejected": "bin_rejected"}


@dataclass(frozen=True)
class BinSlots:
    """Where parts go in a bin.

    Attributes:
        offsets_m: slot centres from the bin's centre, in the bin frame [m]; each new
            part goes to the slot holding the fewest.
        drop_m: a part's lowest point is released this far above the bin's walls (or
            the parts stacked in its slot, if higher) [m], so the gripper never reaches
            into the bin: parts drop the rest of the way.
    """

    offsets_m: tuple[tuple[float, float], ...] = (
        (0.04, 0.035),
        (-0.04, 0.035),
        (0.04, -0.035),
        (-0.04, -0.035),
    )
    drop_m: float = 0.015


@dataclass
class CellPlanner:
    """Implements the sequence's :class:`~jazari.cell.sequence.PickPlanner`.

    Args:
        planner: the pick-and-place planner.
        scene: the cell's fixtures (parts on the table are added per query).
        rng: random source of the planner, seeded by the runner.
        home_q: the observe pose [rad]: the arm out of the camera's view.
        slots: how bins are filled.
    """

    planner: PickPlacePlanner
    scene: Scene
    rng: np.random.Generator
    home_q: FloatArray
    slots: BinSlots = field(default_factory=BinSlots)
    in_bins: dict[str, list[tuple[int, Part]]] = field(
        default_factory=lambda: {b: [] for b in BIN_LINKS}
    )
    _slot_of: dict[int, int] = field(default_factory=dict)

    def _scene(self, others: Sequence[SeenPart]) -> Scene:
        placed = [p for parts in self.in_bins.values() for _, p in parts]
        return self.scene.with_parts(*(s.part for s in others), *placed)

    def place_pose(self, target: SeenPart) -> FloatArray:
        """Where ``target`` is released: the emptiest slot of its bin that it fits."""
        name = target.target_bin
        link = BIN_LINKS[name]
        counts = [
            sum(1 for slot, _ in self.in_bins[name] if slot == k)
            for k in range(len(self.slots.offsets_m))
        ]
        for k in sorted(range(len(counts)), key=lambda i: counts[i]):
            stack = [p for slot, p in self.in_bins[name] if slot == k]
            inside = self.scene.bin_interior(link)
            top = max((_top_z(p) for p in stack), default=inside.wall_top_z_m)
            release_m = max(top, inside.wall_top_z_m) + self.slots.drop_m - inside.floor_z_m
            offset = self.slots.offsets_m[k]
            try:
                pose = place_pose_in_bin(self.scene, link, target.part, offset, drop_m=release_m)
            except PlanningInputError:
                continue
            self._slot_of[target.id] = k
            return pose
        raise NoPlaceError(f"part {target.id} fits no slot of bin {link!r}")

    def plan(
        self, target: SeenPart, others: Sequence[SeenPart], q_start: FloatArray
    ) -> PickPlacePlan:
        """Plan ``target`` into its bin; raises a PlanningError subclass when impossible."""
        return self.planner.plan(
            target.part, self.place_pose(target), self._scene(others), q_start, self.rng
        )

    def plan_home(self, others: Sequence[SeenPart], q_now: FloatArray) -> JointTrajectory:
        """A collision-free move from ``q_now`` to the observe pose around ``others``."""
        return self.planner.plan_move(q_now, self.home_q, self._scene(others), self.rng)

    def validate(self, plan: PickPlacePlan, others: Sequence[SeenPart], q_now: FloatArray) -> None:
        """Re-check ``plan`` against the scene it will run in (PlanValidationError)."""
        validate(plan, self._scene(others), q_now, self.planner)

    def placed(self, target: SeenPart, plan: PickPlacePlan) -> None:
        """Remember that ``target`` now lies in its bin: released at ``plan``'s place pose,
        it dropped straight down onto the bin's floor or the parts already in its slot."""
        name = target.target_bin
        slot = self._slot_of.pop(target.id, 0)
        p = target.part
        released = Part(p.shape, p.dims_m, plan.place_pose, f"{name}:{p.name}")
        below = [_top_z(q) for k, q in self.in_bins[name] if k == slot]
        rest_z = max([self.scene.bin_interior(BIN_LINKS[name]).floor_z_m, *below])
        T_rest = plan.place_pose.copy()
        T_rest[2, 3] -= released.lowest_point_z_m() - rest_z
        self.in_bins[name].append((slot, released.moved_to(T_rest)))


def _top_z(part: Part) -> float:
    """Height of a part's highest point [m] (its centre mirrored over its lowest point)."""
    return 2.0 * float(part.T_base_part[2, 3]) - part.lowest_point_z_m()
