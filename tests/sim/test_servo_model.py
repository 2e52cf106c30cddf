"""Motor, gearbox and thermal model of an emulated servo."""

from __future__ import annotations

import math

import pytest

from jazari.control.dynamixel.control_table import XM540_W270
from jazari.sim.errors import SimConfigError
from jazari.sim.servo_model import MotorParams, ServoMotor


def test_parameters_reproduce_the_datasheet_stall_and_no_load_figures() -> None:
    params = MotorParams.for_model(XM540_W270)
    motor = ServoMotor(params)
    motor.load_torque_nm = 1e6  # blocked shaft
    motor.step(params.supply_v, 1e-3)
    assert motor.current_a == pytest.approx(XM540_W270.stall_current_a, rel=1e-3)
    free = ServoMotor(MotorParams.for_model(XM540_W270, viscous_nm_s_per_rad=0.0))
    free.step(params.supply_v, 3.0)
    assert free.velocity_rad_s == pytest.approx(XM540_W270.no_load_speed_rad_s, rel=1e-3)


def test_current_limit_caps_the_current() -> None:
    motor = ServoMotor(MotorParams.for_model(XM540_W270))
    motor.step(12.0, 0.01, current_limit_a=1.0)
    assert motor.current_a <= 1.0


def test_winding_heats_under_current_and_cools_to_ambient() -> None:
    params = MotorParams.for_model(XM540_W270)
    motor = ServoMotor(params)
    motor.heat(4.0, 30.0)
    hot = motor.temperature_c
    assert hot > params.ambient_c + 5
    motor.heat(0.0, 600.0)
    assert motor.temperature_c < hot
    steady = params.ambient_c + 4.0**2 * params.resistance_ohm * params.thermal_resistance_k_per_w
    m2 = ServoMotor(params)
    m2.heat(4.0, 20 * params.thermal_resistance_k_per_w * params.thermal_capacity_j_per_k)
    assert m2.temperature_c == pytest.approx(steady, rel=1e-3)


@pytest.mark.parametrize("field", ["resistance_ohm", "inertia_kg_m2", "supply_v"])
def test_bad_parameters_are_named(field: str) -> None:
    with pytest.raises(SimConfigError, match=field):
        MotorParams(**{field: -1.0})
    with pytest.raises(SimConfigError, match=field):
        MotorParams(**{field: math.nan})
