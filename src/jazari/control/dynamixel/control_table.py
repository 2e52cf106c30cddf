"""Control tables of Dynamixel servos, kept as data.

Each item is an address, a size and an access right, with the item's initial value,
range and unit where the e-Manual states them. The table here is the X series'
XM540-W270 (model number 1120), checked against the ROBOTIS e-Manual page
``docs/en/dxl/x/xm540-w270`` (EEPROM 0-63, RAM from 64; indirect address/data
1-28 and 29-56). Other X-series models share the layout and differ in the model
number and limits, so a new model is a new :class:`ServoModel` value, not new code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from jazari.control.dynamixel.errors import PacketError

#: Baud Rate item (address 8) value -> bit rate [bit/s] of the X series (4.5 Mbps is 7).
BAUD_CODES: Mapping[int, int] = MappingProxyType(
    {0: 9_600, 1: 57_600, 2: 115_200, 3: 1_000_000, 4: 2_000_000, 5: 3_000_000, 6: 4_000_000,
     7: 4_500_000}
)  # fmt: skip


def baud_code(baud: int) -> int:
    """The Baud Rate item value for a bit rate [bit/s].

    Raises:
        PacketError: when the servo series has no such rate.
    """
    for code, rate in BAUD_CODES.items():
        if rate == baud:
            return code
    rates = sorted(BAUD_CODES.values())
    raise PacketError(f"baud {baud} is not an X-series rate; choose from {rates}")


class Access(Enum):
    """Who may touch an item: read only or read/write."""

    R = "R"
    RW = "RW"


class OperatingMode(Enum):
    """Operating Mode item values (address 11)."""

    CURRENT = 0
    VELOCITY = 1
    POSITION = 3
    EXTENDED_POSITION = 4
    CURRENT_BASED_POSITION = 5
    PWM = 16


@dataclass(frozen=True)
class ControlItem:
    """One item of a control table.

    Attributes:
        name: snake_case name (``goal_position``).
        address: first byte's address.
        size: 1, 2 or 4 bytes, little-endian.
        access: read only or read/write.
        initial: value after power-on or reboot (None: computed by the device).
        minimum, maximum: accepted range for writes (None: unchecked).
        signed: two's complement value.
    """

    name: str
    address: int
    size: int
    access: Access
    initial: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    signed: bool = False

    def __post_init__(self) -> None:
        if self.size not in (1, 2, 4):
            raise PacketError(f"item {self.name!r}: size must be 1, 2 or 4, got {self.size}")
        if self.address < 0:
            raise PacketError(f"item {self.name!r}: address must be >= 0, got {self.address}")

    @property
    def end(self) -> int:
        """One past the item's last byte."""
        return self.address + self.size

    def encode(self, value: int) -> bytes:
        """``value`` as the item's little-endian bytes.

        Raises:
            PacketError: when ``value`` does not fit the item.
        """
        try:
            return int(value).to_bytes(self.size, "little", signed=self.signed)
        except OverflowError:
            raise PacketError(
                f"value {value} does not fit item {self.name!r} ({self.size} bytes, "
                f"{'signed' if self.signed else 'unsigned'})"
            ) from None

    def decode(self, data: bytes) -> int:
        """The item's value from its little-endian bytes."""
        if len(data) != self.size:
            raise PacketError(f"item {self.name!r} needs {self.size} bytes, got {len(data)}")
        return int.from_bytes(data, "little", signed=self.signed)


def _rw(
    name: str, address: int, size: int, initial: int | None, lo: int, hi: int, signed: bool = False
) -> ControlItem:
    return ControlItem(name, address, size, Access.RW, initial, lo, hi, signed)


def _r(
    name: str, address: int, size: int, initial: int | None = None, signed: bool = False
) -> ControlItem:
    return ControlItem(name, address, size, Access.R, initial, None, None, signed)


def _indirect(first: int, addr_base: int, data_base: int, count: int) -> list[ControlItem]:
    addresses = [
        _rw(f"indirect_address_{first + k}", addr_base + 2 * k, 2, data_base + k, 64, 661)
        for k in range(count)
    ]
    data = [_rw(f"indirect_data_{first + k}", data_base + k, 1, 0, 0, 255) for k in range(count)]
    return addresses + data


_X540_ITEMS: tuple[ControlItem, ...] = (
    _r("model_number", 0, 2),
    _r("model_information", 2, 4, 0),
    _r("firmware_version", 6, 1),
    _rw("id", 7, 1, 1, 0, 252),
    _rw("baud_rate", 8, 1, 1, 0, 7),
    _rw("return_delay_time", 9, 1, 250, 0, 254),
    _rw("drive_mode", 10, 1, 0, 0, 5),
    _rw("operating_mode", 11, 1, 3, 0, 16),
    _rw("secondary_id", 12, 1, 255, 0, 255),
    _rw("protocol_type", 13, 1, 2, 1, 2),
    _rw("homing_offset", 20, 4, 0, -1_044_479, 1_044_479, signed=True),
    _rw("moving_threshold", 24, 4, 10, 0, 1023),
    _rw("temperature_limit", 31, 1, 80, 0, 100),
    _rw("max_voltage_limit", 32, 2, 160, 95, 160),
    _rw("min_voltage_limit", 34, 2, 95, 95, 160),
    _rw("pwm_limit", 36, 2, 885, 0, 885),
    _rw("current_limit", 38, 2, 2047, 0, 2047),
    _rw("velocity_limit", 44, 4, 128, 0, 1023),
    _rw("max_position_limit", 48, 4, 4095, 0, 4095),
    _rw("min_position_limit", 52, 4, 0, 0, 4095),
    _rw("external_port_mode_1", 56, 1, 3, 0, 3),
    _rw("external_port_mode_2", 57, 1, 3, 0, 3),
    _rw("external_port_mode_3", 58, 1, 3, 0, 3),
    _rw("startup_configuration", 60, 1, 0, 0, 3),
    _rw("shutdown", 63, 1, 52, 0, 255),
    _rw("torque_enable", 64, 1, 0, 0, 1),
    _rw("led", 65, 1, 0, 0, 1),
    _rw("status_return_level", 68, 1, 2, 0, 2),
    _r("registered_instruction", 69, 1, 0),
    _r("hardware_error_status", 70, 1, 0),
    _rw("velocity_i_gain", 76, 2, 1920, 0, 16383),
    _rw("velocity_p_gain", 78, 2, 100, 0, 16383),
    _rw("position_d_gain", 80, 2, 0, 0, 16383),
    _rw("position_i_gain", 82, 2, 0, 0, 16383),
    _rw("position_p_gain", 84, 2, 800, 0, 16383),
    _rw("feedforward_2nd_gain", 88, 2, 0, 0, 16383),
    _rw("feedforward_1st_gain", 90, 2, 0, 0, 16383),
    _rw("bus_watchdog", 98, 1, 0, -1, 127, signed=True),
    _rw("goal_pwm", 100, 2, 885, -885, 885, signed=True),
    _rw("goal_current", 102, 2, 2047, -2047, 2047, signed=True),
    _rw("goal_velocity", 104, 4, 0, -1023, 1023, signed=True),
    _rw("profile_acceleration", 108, 4, 0, 0, 32767),
    _rw("profile_velocity", 112, 4, 0, 0, 32767),
    _rw("goal_position", 116, 4, None, -1_048_575, 1_048_575, signed=True),
    _r("realtime_tick", 120, 2),
    _r("moving", 122, 1, 0),
    _r("moving_status", 123, 1, 0),
    _r("present_pwm", 124, 2, signed=True),
    _r("present_current", 126, 2, signed=True),
    _r("present_velocity", 128, 4, signed=True),
    _r("present_position", 132, 4, signed=True),
    _r("velocity_trajectory", 136, 4, signed=True),
    _r("position_trajectory", 140, 4, signed=True),
    _r("present_input_voltage", 144, 2),
    _r("present_temperature", 146, 1),
    _r("backup_ready", 147, 1, 0),
    _rw("external_port_data_1", 152, 2, 0, 0, 65535),
    _rw("external_port_data_2", 154, 2, 0, 0, 65535),
    _rw("external_port_data_3", 156, 2, 0, 0, 65535),
    *_indirect(1, 168, 224, 28),
    *_indirect(29, 578, 634, 28),
)


@dataclass(frozen=True)
class ServoModel:
    """A servo model: its control table and the physical units of its items.

    Attributes:
        name: model name (``"XM540-W270"``).
        model_number: value of the Model Number item.
        items: the control table.
        eeprom_end: first RAM address; items below it are locked while torque is on.
        position_counts_per_rev: Present/Goal Position pulses per output revolution.
        velocity_unit_rad_s: one Present/Goal Velocity unit [rad/s] (0.229 rev/min).
        current_unit_a: one Present/Goal Current unit [A].
        pwm_full_scale: Goal/Present PWM value at 100 % duty.
        return_delay_unit_s: one Return Delay Time unit [s].
        stall_torque_nm, stall_current_a, no_load_speed_rad_s, supply_v: motor data at
            the nominal supply, from the model's specifications.
        firmware_version: value of the Firmware Version item an emulator reports.
    """

    name: str
    model_number: int
    items: tuple[ControlItem, ...]
    eeprom_end: int
    position_counts_per_rev: int
    velocity_unit_rad_s: float
    current_unit_a: float
    pwm_full_scale: int
    return_delay_unit_s: float
    stall_torque_nm: float
    stall_current_a: float
    no_load_speed_rad_s: float
    supply_v: float
    firmware_version: int = 46
    _by_name: Mapping[str, ControlItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, ControlItem] = {}
        taken: dict[int, str] = {}
        for item in self.items:
            if item.name in by_name:
                raise PacketError(f"{self.name}: item {item.name!r} is listed twice")
            for addr in range(item.address, item.end):
                if addr in taken:
                    raise PacketError(
                        f"{self.name}: items {taken[addr]!r} and {item.name!r} overlap at {addr}"
                    )
                taken[addr] = item.name
            by_name[item.name] = item
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))

    def __getitem__(self, name: str) -> ControlItem:
        """The item called ``name``.

        Raises:
            KeyError: naming the unknown item.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.name} has no control table item {name!r}") from None

    @property
    def table_size(self) -> int:
        """One past the highest address of the table."""
        return max(item.end for item in self.items)

    @property
    def torque_constant_nm_per_a(self) -> float:
        """Output torque per motor current [N·m/A], from the stall figures."""
        return self.stall_torque_nm / self.stall_current_a

    @property
    def position_unit_rad(self) -> float:
        """One Present/Goal Position pulse [rad]."""
        return 2.0 * math.pi / self.position_counts_per_rev


XM540_W270 = ServoModel(
    name="XM540-W270",
    model_number=1120,
    items=_X540_ITEMS,
    eeprom_end=64,
    position_counts_per_rev=4096,
    velocity_unit_rad_s=0.229 * 2.0 * math.pi / 60.0,
    current_unit_a=2.69e-3,
    pwm_full_scale=885,
    return_delay_unit_s=2e-6,
    stall_torque_nm=10.6,
    stall_current_a=4.4,
    no_load_speed_rad_s=30.0 * 2.0 * math.pi / 60.0,
    supply_v=12.0,
)

#: Models by name, for configuration files.
SERVO_MODELS: Mapping[str, ServoModel] = MappingProxyType({XM540_W270.name: XM540_W270})


def servo_model(name: str) -> ServoModel:
    """The servo model called ``name``.

    Raises:
        PacketError: naming the unknown model and the known ones.
    """
    try:
        return SERVO_MODELS[name]
    except KeyError:
        raise PacketError(f"unknown servo model {name!r}; known: {sorted(SERVO_MODELS)}") from None
