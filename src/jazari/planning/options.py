"""Planner options, read from ``config/planner.yaml`` (ROS 2 parameter format)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jazari.config import load_params
from jazari.errors import ConfigError
from jazari.planning.rrt import RRTOptions

# planner.yaml section -> {parameter: PlannerOptions field}
_SECTIONS = {
    "collision": {
        "resolution_m": "collision_resolution_m",
        "sphere_tolerance_m": "sphere_tolerance_m",
    },
    "validation": {
        "resolution_m": "validation_resolution_m",
        "start_tolerance_rad": "start_tolerance_rad",
        "limit_tolerance": "limit_tolerance",
    },
    "place": {
        "approach_distance_m": "place_approach_m",
        "retreat_distance_m": "retreat_distance_m",
    },
    "cartesian": {
        "step_m": "cartesian_step_m",
        "step_rad": "cartesian_step_rad",
        "max_joint_step_rad": "max_joint_step_rad",
        "speed_mps": "cartesian_speed_mps",
        "accel_mps2": "cartesian_accel_mps2",
    },
    "timing": {
        "sample_period_s": "sample_period_s",
        "limit_scale": "limit_scale",
        "gripper_settle_s": "gripper_settle_s",
    },
}


@dataclass(frozen=True)
class GraspOptions:
    """Grasp generation and ranking. Lengths [m], costs in planner cost units."""

    finger_clearance_m: float = 0.01
    palm_clearance_m: float = 0.005
    support_clearance_m: float = 0.005
    min_contact_m: float = 0.01
    approach_distance_m: float = 0.08
    lift_height_m: float = 0.1
    depth_samples: int = 3
    cylinder_axial_samples: int = 16
    cylinder_radial_samples: int = 8
    max_candidates: int = 12
    weight_joint_distance: float = 1.0
    weight_clearance: float = 20.0
    clearance_cap_m: float = 0.05
    side_grasp_penalty: float = 0.5
    weight_shallow: float = 30.0
    contact_tolerance_m: float = 0.003


@dataclass(frozen=True)
class PlannerOptions:
    """Everything the pick-and-place planner can be told. See ``config/planner.yaml``."""

    seed: int = 0
    time_budget_s: float = 1.0
    collision_resolution_m: float = 0.005
    sphere_tolerance_m: float = 0.004
    validation_resolution_m: float = 0.002
    start_tolerance_rad: float = 0.001
    limit_tolerance: float = 1e-6
    rrt: RRTOptions = field(default_factory=RRTOptions)
    grasp: GraspOptions = field(default_factory=GraspOptions)
    place_approach_m: float = 0.1
    retreat_distance_m: float = 0.1
    cartesian_step_m: float = 0.005
    cartesian_step_rad: float = 0.05
    max_joint_step_rad: float = 0.15
    cartesian_speed_mps: float = 0.25
    cartesian_accel_mps2: float = 1.0
    sample_period_s: float = 0.008
    limit_scale: float = 1.0
    gripper_settle_s: float = 0.2

    def __post_init__(self) -> None:
        positive = [
            "time_budget_s", "collision_resolution_m", "sphere_tolerance_m",
            "validation_resolution_m", "start_tolerance_rad", "place_approach_m",
            "retreat_distance_m", "cartesian_step_m", "cartesian_step_rad",
            "max_joint_step_rad", "cartesian_speed_mps", "cartesian_accel_mps2",
            "sample_period_s", "limit_scale",
        ]  # fmt: skip
        for name in positive:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value > 0):
                raise ConfigError(f"planner option {name} must be > 0, got {value!r}")
        for name in ("limit_tolerance", "gripper_settle_s"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"planner option {name} must be >= 0, got {getattr(self, name)}")
        if self.limit_scale > 1:
            raise ConfigError(f"planner option limit_scale must be <= 1, got {self.limit_scale}")
        g = self.grasp
        for f in dataclasses.fields(g):
            value = getattr(g, f.name)
            if not (isinstance(value, int | float) and value >= 0):
                raise ConfigError(f"grasp option {f.name} must be >= 0, got {value!r}")
        for name in (
            "depth_samples",
            "cylinder_axial_samples",
            "cylinder_radial_samples",
            "max_candidates",
        ):
            if getattr(g, name) < 1:
                raise ConfigError(f"grasp option {name} must be >= 1, got {getattr(g, name)}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PlannerOptions:
        """Options from a ``ros__parameters`` mapping (nested as in ``planner.yaml``).

        Raises:
            ConfigError: on an unknown key or a bad value (the message names it).
        """
        p = dict(params)
        sections = _SECTIONS
        flat: dict[str, Any] = {}
        for key in ("seed", "time_budget_s"):
            if key in p:
                flat[key] = p.pop(key)
        for section, names in sections.items():
            values = dict(p.pop(section, {}) or {})
            for k, v in values.items():
                if k not in names:
                    raise ConfigError(f"planner: unknown parameter {section}.{k}")
                flat[names[k]] = v
        try:
            rrt = RRTOptions(**dict(p.pop("rrt", {}) or {}))
            grasp = GraspOptions(**dict(p.pop("grasp", {}) or {}))
        except TypeError as exc:
            raise ConfigError(f"planner: {exc}") from None
        if p:
            raise ConfigError(f"planner: unknown parameters {sorted(p)}")
        try:
            return cls(rrt=rrt, grasp=grasp, **flat)
        except TypeError as exc:
            raise ConfigError(f"planner: {exc}") from None

    @classmethod
    def load(cls) -> PlannerOptions:
        """Options from the packaged ``config/planner.yaml``."""
        return cls.from_params(load_params("planner"))
