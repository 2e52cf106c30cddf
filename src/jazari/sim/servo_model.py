"""Physics of one emulated servo: DC motor, gearbox and load, with a thermal model.

The motor is the usual armature model with the inductance neglected (its time constant,
well under a millisecond, is shorter than the integration step)::

    i = clamp((V - k_e ω) / R, ±i_max)
    J dω/dt = k_t i - b ω - τ_load
    C dT/dt = i² R - (T - T_ambient) / R_th

with all quantities at the gearbox output. The default parameters come from the
XM540-W270 specification at 12 V (stall torque 10.6 N·m at 4.4 A, no-load speed 30
rev/min); the inertia, friction and thermal figures are plausible values for an arm
joint, not measured ones. Integration is semi-implicit Euler in steps of at most
``MAX_STEP_S``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jazari.control.dynamixel.control_table import ServoModel
from jazari.sim.errors import SimConfigError

#: Longest integration step [s]; stable for the default parameters with a wide margin.
MAX_STEP_S = 1e-3


@dataclass(frozen=True)
class MotorParams:
    """Electrical, mechanical and thermal parameters at the gearbox output (SI units).

    Attributes:
        supply_v: supply voltage [V].
        resistance_ohm: armature resistance [Ω].
        torque_constant_nm_per_a: output torque per current [N·m/A].
        back_emf_v_s_per_rad: back-EMF per output speed [V·s/rad].
        inertia_kg_m2: motor, gearbox and load inertia [kg·m²].
        viscous_nm_s_per_rad: viscous friction [N·m·s/rad].
        thermal_resistance_k_per_w: winding to ambient [K/W].
        thermal_capacity_j_per_k: winding and housing [J/K].
        ambient_c: ambient temperature [°C].
    """

    supply_v: float = 12.0
    resistance_ohm: float = 12.0 / 4.4
    torque_constant_nm_per_a: float = 10.6 / 4.4
    back_emf_v_s_per_rad: float = 3.5
    inertia_kg_m2: float = 0.05
    viscous_nm_s_per_rad: float = 0.05
    thermal_resistance_k_per_w: float = 4.0
    thermal_capacity_j_per_k: float = 60.0
    ambient_c: float = 25.0

    def __post_init__(self) -> None:
        for name in (
            "supply_v", "resistance_ohm", "torque_constant_nm_per_a", "back_emf_v_s_per_rad",
            "inertia_kg_m2", "thermal_resistance_k_per_w", "thermal_capacity_j_per_k",
        ):  # fmt: skip
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise SimConfigError(f"motor parameter {name} must be > 0, got {value}")
        if not (math.isfinite(self.viscous_nm_s_per_rad) and self.viscous_nm_s_per_rad >= 0):
            raise SimConfigError(
                f"viscous_nm_s_per_rad must be >= 0, got {self.viscous_nm_s_per_rad}"
            )
        if not math.isfinite(self.ambient_c):
            raise SimConfigError(f"ambient_c must be finite, got {self.ambient_c}")

    @classmethod
    def for_model(cls, model: ServoModel, **overrides: float) -> MotorParams:
        """Parameters derived from a servo model's stall and no-load figures."""
        resistance = model.supply_v / model.stall_current_a
        k_t = model.stall_torque_nm / model.stall_current_a
        k_e = model.supply_v / model.no_load_speed_rad_s
        values: dict[str, float] = {
            "supply_v": model.supply_v,
            "resistance_ohm": resistance,
            "torque_constant_nm_per_a": k_t,
            "back_emf_v_s_per_rad": k_e,
        }
        values.update(overrides)
        return cls(**values)


class ServoMotor:
    """State and integration of one motor (see the module docstring for the model).

    Attributes:
        position_rad, velocity_rad_s: output shaft state.
        current_a: armature current of the last step [A].
        temperature_c: winding temperature [°C].
        load_torque_nm: external torque opposing positive motion [N·m].
    """

    def __init__(self, params: MotorParams, position_rad: float = 0.0) -> None:
        self.params = params
        self.position_rad = float(position_rad)
        self.velocity_rad_s = 0.0
        self.current_a = 0.0
        self.temperature_c = params.ambient_c
        self.load_torque_nm = 0.0

    def step(self, voltage_v: float, dt_s: float, current_limit_a: float = math.inf) -> None:
        """Advance by ``dt_s`` [s] with terminal voltage ``voltage_v`` [V] (split into steps)."""
        p = self.params
        while dt_s > 0:
            h = min(dt_s, MAX_STEP_S)
            dt_s -= h
            v = max(-p.supply_v, min(p.supply_v, voltage_v))
            i = (v - p.back_emf_v_s_per_rad * self.velocity_rad_s) / p.resistance_ohm
            i = max(-current_limit_a, min(current_limit_a, i))
            torque = (
                p.torque_constant_nm_per_a * i
                - p.viscous_nm_s_per_rad * self.velocity_rad_s
                - self.load_torque_nm
            )
            self.velocity_rad_s += h * torque / p.inertia_kg_m2
            self.position_rad += h * self.velocity_rad_s
            self.current_a = i
            self.heat(i, h)

    def heat(self, current_a: float, dt_s: float) -> None:
        """Advance the winding temperature by ``dt_s`` [s] at constant ``current_a`` [A].

        Uses the exact solution of the first-order model, so any step is stable.
        """
        p = self.params
        rc = p.thermal_resistance_k_per_w * p.thermal_capacity_j_per_k
        steady = (
            p.ambient_c + current_a * current_a * p.resistance_ohm * p.thermal_resistance_k_per_w
        )
        self.temperature_c = steady + (self.temperature_c - steady) * math.exp(-dt_s / rc)
