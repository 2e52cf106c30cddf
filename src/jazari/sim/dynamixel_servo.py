"""The firmware of one emulated Dynamixel X-series servo.

It holds the control table in a byte array laid out exactly as the servo model's
(:mod:`jazari.control.dynamixel.control_table`), answers reads and writes with the
access, range and EEPROM-lock rules of the e-Manual (indirect addresses included),
runs the operating modes' control loops on a :class:`~jazari.sim.servo_model.ServoMotor`,
and protects itself like the real servo: overheating and overload set bits of Hardware
Error Status, which turns torque off and raises the alert bit of every status packet
until a reboot.

Not emulated: profile velocity/acceleration (goals apply as steps, as with the default
profile of 0), the bus watchdog, loss of the multi-turn count on reboot, and secondary
IDs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jazari.control.dynamixel.control_table import Access, ControlItem, OperatingMode, ServoModel
from jazari.control.dynamixel.packet import ALERT_BIT, ErrorNumber, HardwareError
from jazari.sim.errors import SimConfigError
from jazari.sim.servo_model import ServoMotor

_MODES = {mode.value for mode in OperatingMode}
_POSITION_MODES = {
    OperatingMode.POSITION.value,
    OperatingMode.EXTENDED_POSITION.value,
    OperatingMode.CURRENT_BASED_POSITION.value,
}
#: The firmware's gain scales (e-Manual): KPP = P/128, KPI = I/65536, KPD = D/16, KVP = P/128.
_P_SCALE, _I_SCALE, _D_SCALE = 1 / 128, 1 / 65536, 1 / 16
#: Clear instruction's fixed parameters for "reset the multi-turn count".
CLEAR_MULTI_TURN = b"\x01\x44\x58\x4c\x22"
_MS = 1e-3


@dataclass(frozen=True)
class ServoSpec:
    """One emulated servo on the chain.

    Attributes:
        servo_id: its ID (0..252).
        initial_position_rad: output shaft angle at power-on [rad].
        return_delay_time: Return Delay Time item at power-on (2 µs units); None keeps
            the model's factory value (250, 500 µs).
        operating_mode: Operating Mode item at power-on; None keeps the factory value.
        counts_per_rev, zero_offset_counts, direction: how the servo is mounted on a
            plant joint (only used when a :class:`~jazari.sim.plant.JointPlant` moves
            the joint): joint angle = direction · (counts − zero_offset) · 2π / counts_per_rev.
    """

    servo_id: int
    initial_position_rad: float = 0.0
    return_delay_time: int | None = None
    operating_mode: int | None = None
    counts_per_rev: int = 4096
    zero_offset_counts: int = 0
    direction: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.servo_id <= 252:
            raise SimConfigError(f"servo_id must be 0..252, got {self.servo_id}")
        if not math.isfinite(self.initial_position_rad):
            raise SimConfigError(
                f"initial_position_rad must be finite, got {self.initial_position_rad}"
            )
        if self.return_delay_time is not None and not 0 <= self.return_delay_time <= 254:
            raise SimConfigError(f"return_delay_time must be 0..254, got {self.return_delay_time}")
        if self.operating_mode is not None and self.operating_mode not in _MODES:
            raise SimConfigError(
                f"operating_mode must be one of {sorted(_MODES)}, got {self.operating_mode}"
            )
        if self.counts_per_rev <= 0:
            raise SimConfigError(f"counts_per_rev must be > 0, got {self.counts_per_rev}")
        if self.direction not in (1, -1):
            raise SimConfigError(f"direction must be 1 or -1, got {self.direction}")


@dataclass(frozen=True)
class ServoSnapshot:
    """What an emulated servo's registers and motor hold at one instant (for tests).

    Positions are in counts (Present/Goal Position), the shaft angle in rad.
    """

    servo_id: int
    torque_enabled: bool
    goal_position: int
    present_position: int
    position_rad: float
    velocity_rad_s: float
    current_a: float
    temperature_c: float
    hardware_error: int


class EmulatedServo:
    """Control table, instruction semantics, control loop and protection of one servo.

    Args:
        spec: ID, initial state and power-on overrides.
        model: the servo model (control table and units).
        motor: the motor; its state is the servo's physical state (when a plant moves
            the joint, the chain writes the plant's state into it).
        baud_code: Baud Rate item value at power-on.
        overload_time_s: how long the output may stay saturated at near-zero speed
            before the overload error [s].
        boot_time_s: how long the servo stays deaf after a reboot [s].
    """

    def __init__(
        self,
        spec: ServoSpec,
        model: ServoModel,
        motor: ServoMotor,
        *,
        baud_code: int,
        overload_time_s: float = 1.0,
        boot_time_s: float = 0.05,
    ) -> None:
        self.spec = spec
        self.model = model
        self.motor = motor
        self.overload_time_s = overload_time_s
        self.boot_time_s = boot_time_s
        self.mem = bytearray(model.table_size)
        self._item_at: list[ControlItem | None] = [None] * model.table_size
        for item in model.items:
            for addr in range(item.address, item.end):
                self._item_at[addr] = item
        self._indirect_data = {
            model[f"indirect_data_{k}"].address: model[f"indirect_address_{k}"].address
            for k in range(1, 57)
        }
        self._turn_offset = 0
        self._integral = 0.0
        self._saturated_s = 0.0
        self._registered: tuple[int, bytes] | None = None
        self.deaf_until_s = -math.inf
        self.last_pwm = 0
        self._factory_defaults(keep_id=False, keep_baud=False)
        self.mem[model["baud_rate"].address] = baud_code
        self._reset_ram()

    # -- register access --------------------------------------------------------------

    def get(self, name: str) -> int:
        """The value of item ``name`` (no access check)."""
        item = self.model[name]
        return item.decode(bytes(self.mem[item.address : item.end]))

    def set(self, name: str, value: int) -> None:
        """Store ``value`` in item ``name`` (no access check; for the firmware itself)."""
        item = self.model[name]
        self.mem[item.address : item.end] = item.encode(value)

    @property
    def servo_id(self) -> int:
        """The current ID item."""
        return self.mem[self.model["id"].address]

    @property
    def status_error_bits(self) -> int:
        """The alert bit when a hardware error is latched, else 0."""
        return ALERT_BIT if self.get("hardware_error_status") else 0

    def _factory_defaults(self, *, keep_id: bool, keep_baud: bool) -> None:
        keep = {"id": keep_id, "baud_rate": keep_baud}
        for item in self.model.items:
            if item.address >= self.model.eeprom_end or keep.get(item.name):
                continue
            if item.initial is not None:
                self.mem[item.address : item.end] = item.encode(item.initial)
        self.set("model_number", self.model.model_number)
        self.set("firmware_version", self.model.firmware_version)
        if not keep_id:
            self.set("id", self.spec.servo_id)
        if self.spec.return_delay_time is not None:
            self.set("return_delay_time", self.spec.return_delay_time)
        if self.spec.operating_mode is not None:
            self.set("operating_mode", self.spec.operating_mode)

    def _reset_ram(self) -> None:
        """RAM after power-on or reboot: initial values, goal = present position."""
        for item in self.model.items:
            if item.address < self.model.eeprom_end:
                continue
            value = item.initial if item.initial is not None else 0
            self.mem[item.address : item.end] = item.encode(value)
        self._integral = 0.0
        self._saturated_s = 0.0
        self._registered = None
        self.refresh(0.0)
        self.set("goal_position", self.get("present_position"))

    def read(self, address: int, length: int) -> tuple[int, bytes]:
        """A Read instruction: (error number, data)."""
        end = address + length
        if address < 0 or end > len(self.mem):
            return ErrorNumber.ACCESS, b""
        indirect = self._indirect_data
        if not any(a in indirect for a in range(address, end)):
            return ErrorNumber.NONE, bytes(self.mem[address:end])
        out = bytearray()
        for a in range(address, end):
            target = self._indirect_target(a) if a in indirect else a
            out.append(self.mem[target])
        return ErrorNumber.NONE, bytes(out)

    def _indirect_target(self, data_address: int) -> int:
        addr_item = self._indirect_data[data_address]
        return int.from_bytes(self.mem[addr_item : addr_item + 2], "little")

    def write(self, address: int, data: bytes) -> int:
        """A Write instruction: the error number (0 when every byte was stored)."""
        end = address + len(data)
        if address < 0 or end > len(self.mem) or not data:
            return ErrorNumber.ACCESS
        if any(a in self._indirect_data for a in range(address, end)):
            return self._write_indirect(address, data)
        return self._write_direct(address, data)

    def _write_indirect(self, address: int, data: bytes) -> int:
        # Resolve each byte to its target, then write runs of consecutive targets so
        # that a 4-byte item mapped to 4 indirect data bytes is written whole.
        targets = [
            self._indirect_target(a) if a in self._indirect_data else a
            for a in range(address, address + len(data))
        ]
        start = 0
        for k in range(1, len(targets) + 1):
            if k == len(targets) or targets[k] != targets[k - 1] + 1:
                error = self._write_direct(targets[start], data[start:k])
                if error:
                    return error
                start = k
        return ErrorNumber.NONE

    def _write_direct(self, address: int, data: bytes) -> int:
        end = address + len(data)
        items: list[ControlItem] = []
        for a in range(address, end):
            item = self._item_at[a] if a < len(self._item_at) else None
            if item is None:
                continue  # reserved bytes are ignored
            if not items or items[-1] is not item:
                items.append(item)
        for item in items:
            if item.address < address or item.end > end:
                return ErrorNumber.DATA_LENGTH
            if item.access is Access.R:
                return ErrorNumber.ACCESS
            if item.address < self.model.eeprom_end and self.get("torque_enable"):
                return ErrorNumber.ACCESS
            value = item.decode(data[item.address - address : item.end - address])
            error = self._check_value(item, value)
            if error:
                return error
        for item in items:
            self._store(item, data[item.address - address : item.end - address])
        return ErrorNumber.NONE

    def _check_value(self, item: ControlItem, value: int) -> int:
        lo, hi = item.minimum, item.maximum
        if lo is not None and hi is not None and not lo <= value <= hi:
            return ErrorNumber.DATA_RANGE
        if item.name == "operating_mode" and value not in _MODES:
            return ErrorNumber.DATA_RANGE
        if item.name == "goal_position" and not self._goal_within_limits(value):
            return ErrorNumber.DATA_LIMIT
        if item.name == "torque_enable" and value and self.get("hardware_error_status"):
            return ErrorNumber.RESULT_FAIL
        return ErrorNumber.NONE

    def _goal_within_limits(self, goal: int) -> bool:
        # Only single-turn position mode bounds the goal by the position limits.
        if self.get("operating_mode") != OperatingMode.POSITION.value:
            return True
        return bool(self.get("min_position_limit") <= goal <= self.get("max_position_limit"))

    def _store(self, item: ControlItem, raw: bytes) -> None:
        if item.name == "torque_enable" and raw[0] and not self.get("torque_enable"):
            self._integral = 0.0
        self.mem[item.address : item.end] = raw

    def reg_write(self, address: int, data: bytes) -> int:
        """Reg Write: check now, store on Action."""
        if address < 0 or address + len(data) > len(self.mem) or not data:
            return ErrorNumber.ACCESS
        self._registered = (address, bytes(data))
        self.set("registered_instruction", 1)
        return ErrorNumber.NONE

    def action(self) -> int:
        """Action: apply the registered write."""
        if self._registered is None:
            return ErrorNumber.INSTRUCTION
        address, data = self._registered
        self._registered = None
        self.set("registered_instruction", 0)
        return self.write(address, data)

    def clear_multi_turn(self, params: bytes) -> int:
        """Clear: bring Present Position back within one turn (only when stopped)."""
        if params != CLEAR_MULTI_TURN:
            return ErrorNumber.DATA_RANGE
        if self.get("moving"):
            return ErrorNumber.RESULT_FAIL
        per_rev = self.model.position_counts_per_rev
        present = self.get("present_position")
        self._turn_offset -= (present // per_rev) * per_rev
        self.refresh(0.0)
        return ErrorNumber.NONE

    def reboot(self, now_s: float) -> None:
        """Reboot: clear hardware errors, reset RAM, stay deaf for the boot time."""
        self.set("hardware_error_status", 0)
        self._reset_ram()
        self.deaf_until_s = now_s + self.boot_time_s

    def factory_reset(self, option: int) -> int:
        """Factory Reset with option 0xFF (all), 0x01 (keep ID), 0x02 (keep ID and baud)."""
        if option not in (0xFF, 0x01, 0x02):
            return ErrorNumber.DATA_RANGE
        if self.get("torque_enable"):
            return ErrorNumber.ACCESS
        self._factory_defaults(keep_id=option != 0xFF, keep_baud=option == 0x02)
        self._reset_ram()
        return ErrorNumber.NONE

    # -- physics and protection -------------------------------------------------------

    def counts_to_rad(self, counts: float) -> float:
        """Shaft angle [rad] of a Present/Goal Position value."""
        raw = counts - self.get("homing_offset") - self._turn_offset
        return raw * self.model.position_unit_rad

    def rad_to_counts(self, angle_rad: float) -> int:
        """Present Position value of a shaft angle [rad]."""
        raw = round(angle_rad / self.model.position_unit_rad)
        return raw + self.get("homing_offset") + self._turn_offset

    @property
    def torque_on(self) -> bool:
        """Torque Enable is set (cleared by a hardware error)."""
        return bool(self.mem[self.model["torque_enable"].address])

    def goal_rad(self) -> float:
        """The goal as a shaft angle [rad] (position modes)."""
        return self.counts_to_rad(self.get("goal_position"))

    def control_voltage(self, dt_s: float) -> tuple[float, float]:
        """Terminal voltage [V] and current limit [A] of the operating mode's loop."""
        motor, model = self.motor, self.model
        if not self.torque_on:
            self.last_pwm = 0
            return 0.0, 0.0
        current_limit = self.get("current_limit") * model.current_unit_a
        pwm_limit = self.get("pwm_limit")
        mode = self.get("operating_mode")
        velocity_units = motor.velocity_rad_s / model.velocity_unit_rad_s
        if mode in _POSITION_MODES:
            error = self.get("goal_position") - self.rad_to_counts(motor.position_rad)
            self._integral += error * dt_s / _MS
            counts_per_ms = motor.velocity_rad_s / model.position_unit_rad * _MS
            pwm = (
                self.get("position_p_gain") * _P_SCALE * error
                + self.get("position_i_gain") * _I_SCALE * self._integral
                - self.get("position_d_gain") * _D_SCALE * counts_per_ms
            )
            if mode == OperatingMode.CURRENT_BASED_POSITION.value:
                current_limit = min(
                    current_limit, abs(self.get("goal_current")) * model.current_unit_a
                )
        elif mode == OperatingMode.VELOCITY.value:
            error_v = self.get("goal_velocity") - velocity_units
            self._integral += error_v * dt_s / _MS
            pwm = (
                self.get("velocity_p_gain") * _P_SCALE * error_v
                + self.get("velocity_i_gain") * _I_SCALE * self._integral
            )
        elif mode == OperatingMode.CURRENT.value:
            p = motor.params
            i_goal = self.get("goal_current") * model.current_unit_a
            volts = p.resistance_ohm * i_goal + p.back_emf_v_s_per_rad * motor.velocity_rad_s
            pwm = volts / p.supply_v * model.pwm_full_scale
        else:
            pwm = self.get("goal_pwm")
        pwm = max(-pwm_limit, min(pwm_limit, pwm))
        self.last_pwm = round(pwm)
        self._track_saturation(pwm, pwm_limit, dt_s)
        return pwm / model.pwm_full_scale * motor.params.supply_v, current_limit

    def track_load(self, dt_s: float) -> None:
        """With a plant moving the joint: Present PWM and the overload timer follow the
        current the joint's load draws (set by the plant's effort), not the position
        loop, whose output a gear amplifies into saturation at tiny errors."""
        if not self.torque_on:
            self.last_pwm = 0
            self._saturated_s = 0.0
            return
        current_limit = self.get("current_limit") * self.model.current_unit_a
        pwm_limit = self.get("pwm_limit")
        share = self.motor.current_a / current_limit if current_limit > 0 else math.inf
        pwm = max(-pwm_limit, min(pwm_limit, share * pwm_limit))
        self.last_pwm = round(pwm)
        self._track_saturation(pwm, pwm_limit, dt_s)

    def _track_saturation(self, pwm: float, pwm_limit: int, dt_s: float) -> None:
        # Overload: full output that makes no headway (stalled, or driven backwards)
        # for longer than overload_time_s; full output while accelerating is fine.
        v = self.motor.velocity_rad_s
        no_headway = abs(v) < 0.1 * self.model.no_load_speed_rad_s or v * pwm < 0
        saturated = abs(pwm) >= pwm_limit
        self._saturated_s = self._saturated_s + dt_s if saturated and no_headway else 0.0

    def protect(self) -> None:
        """Latch overheating and overload errors (per the Shutdown item) and cut torque."""
        bits = 0
        if self.motor.temperature_c > self.get("temperature_limit"):
            bits |= HardwareError.OVERHEATING
        if self._saturated_s > self.overload_time_s:
            bits |= HardwareError.OVERLOAD
        bits &= self.get("shutdown")
        if bits:
            self.raise_hardware_error(bits)

    def raise_hardware_error(self, bits: int) -> None:
        """Latch hardware error ``bits``: torque off until a reboot."""
        self.set("hardware_error_status", self.get("hardware_error_status") | bits)
        self.set("torque_enable", 0)
        self._saturated_s = 0.0

    def refresh(self, now_s: float) -> None:
        """Copy the motor's state into the Present items."""
        motor, model = self.motor, self.model
        velocity_units = round(motor.velocity_rad_s / model.velocity_unit_rad_s)
        self.set("present_position", self.rad_to_counts(motor.position_rad))
        self.set("present_velocity", velocity_units)
        current_units = round(motor.current_a / model.current_unit_a)
        self.set("present_current", max(-32768, min(32767, current_units)))
        self.set("present_pwm", self.last_pwm)
        self.set("present_temperature", max(0, min(255, round(motor.temperature_c))))
        self.set("present_input_voltage", round(motor.params.supply_v * 10))
        self.set("realtime_tick", int(now_s * 1000) % 32768)
        self.set("moving", int(abs(velocity_units) > self.get("moving_threshold")))
        self.set("position_trajectory", self.get("goal_position"))

    def snapshot(self) -> ServoSnapshot:
        """The servo's state for assertions."""
        return ServoSnapshot(
            servo_id=self.servo_id,
            torque_enabled=self.torque_on,
            goal_position=self.get("goal_position"),
            present_position=self.rad_to_counts(self.motor.position_rad),
            position_rad=self.motor.position_rad,
            velocity_rad_s=self.motor.velocity_rad_s,
            current_a=self.motor.current_a,
            temperature_c=self.motor.temperature_c,
            hardware_error=self.get("hardware_error_status"),
        )
