"""The XM540-W270 control table kept as data, checked against the e-Manual."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.control.dynamixel.control_table import (
    XM540_W270,
    Access,
    ControlItem,
    baud_code,
    servo_model,
)
from jazari.control.dynamixel.errors import PacketError

# (name, address, size, access) from the e-Manual's XM540-W270 page.
EMANUAL_ITEMS = [
    ("model_number", 0, 2, "R"),
    ("id", 7, 1, "RW"),
    ("baud_rate", 8, 1, "RW"),
    ("return_delay_time", 9, 1, "RW"),
    ("operating_mode", 11, 1, "RW"),
    ("homing_offset", 20, 4, "RW"),
    ("temperature_limit", 31, 1, "RW"),
    ("current_limit", 38, 2, "RW"),
    ("shutdown", 63, 1, "RW"),
    ("torque_enable", 64, 1, "RW"),
    ("status_return_level", 68, 1, "RW"),
    ("hardware_error_status", 70, 1, "R"),
    ("position_p_gain", 84, 2, "RW"),
    ("goal_current", 102, 2, "RW"),
    ("goal_position", 116, 4, "RW"),
    ("present_current", 126, 2, "R"),
    ("present_velocity", 128, 4, "R"),
    ("present_position", 132, 4, "R"),
    ("present_temperature", 146, 1, "R"),
    ("indirect_address_1", 168, 2, "RW"),
    ("indirect_address_28", 222, 2, "RW"),
    ("indirect_data_1", 224, 1, "RW"),
    ("indirect_data_28", 251, 1, "RW"),
    ("indirect_address_29", 578, 2, "RW"),
    ("indirect_data_56", 661, 1, "RW"),
]


@pytest.mark.parametrize(("name", "address", "size", "access"), EMANUAL_ITEMS)
def test_items_sit_where_the_emanual_puts_them(
    name: str, address: int, size: int, access: str
) -> None:
    item = XM540_W270[name]
    assert (item.address, item.size, item.access) == (address, size, Access(access))


def test_model_constants_match_the_specification() -> None:
    assert XM540_W270.model_number == 1120
    assert XM540_W270.position_counts_per_rev == 4096
    assert XM540_W270.current_unit_a == pytest.approx(2.69e-3)
    assert XM540_W270.table_size == 662
    assert XM540_W270["return_delay_time"].initial == 250


def test_items_encode_and_decode_signed_values() -> None:
    item = XM540_W270["present_velocity"]
    assert item.decode(item.encode(-123)) == -123
    with pytest.raises(PacketError, match="does not fit item 'torque_enable'"):
        XM540_W270["torque_enable"].encode(300)


def test_unknown_item_and_model_are_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="goal_speed"):
        XM540_W270["goal_speed"]
    with pytest.raises(PacketError, match="XM999"):
        servo_model("XM999")


def test_baud_codes_follow_the_x_series_table() -> None:
    assert baud_code(57_600) == 1
    assert baud_code(4_000_000) == 6
    with pytest.raises(PacketError, match="12345"):
        baud_code(12345)


@given(st.sampled_from(XM540_W270.items), st.data())
def test_every_item_round_trips_any_value_that_fits(item: ControlItem, data: st.DataObject) -> None:
    bits = 8 * item.size
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if item.signed else (0, (1 << bits) - 1)
    value = data.draw(st.integers(lo, hi))
    assert item.decode(item.encode(value)) == value
