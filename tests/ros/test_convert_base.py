"""Time stamps, durations and numeric fields shared by every conversion."""

from __future__ import annotations

import array

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert.base import byte_constant, duration_msg, numbers, seconds, time_msg
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip


# The largest second is left out: float rounding of 2**31 - 1 + 0.999999999 s carries
# into 2**31, which int32 cannot hold (refused, see test_bad_times_are_refused).
@given(st.integers(min_value=0, max_value=2**31 - 2), st.integers(0, 999_999_999))
def test_time_round_trips_to_the_nanosecond(sec: int, nanosec: int) -> None:
    types = RosbagsMessageTypes()
    msg = time_msg(types, sec + nanosec / 1e9)
    assert 0 <= msg.nanosec < 1_000_000_000
    # float64 seconds carry ~16 significant digits: exact to 1 ns up to ~1e6 s.
    tolerance = 0 if sec < 1_000_000 else 1_000
    assert abs((msg.sec - sec) * 1_000_000_000 + msg.nanosec - nanosec) <= tolerance


def test_time_rounds_up_into_the_next_second() -> None:
    msg = time_msg(RosbagsMessageTypes(), 1.9999999999)
    assert (msg.sec, msg.nanosec) == (2, 0)


@pytest.mark.parametrize("stamp", [-0.5, float("inf"), float("nan"), 2.0**31])
def test_bad_times_are_refused(stamp: float) -> None:
    with pytest.raises(ConversionError, match="stamp"):
        time_msg(RosbagsMessageTypes(), stamp)


def test_negative_duration_uses_rosidl_representation(types: RosbagsMessageTypes) -> None:
    msg = duration_msg(types, -0.25)
    assert (msg.sec, msg.nanosec) == (-1, 750_000_000)
    assert seconds(cdr_round_trip(types.store, msg), "d") == -0.25


def test_nanoseconds_beyond_a_second_are_refused(types: RosbagsMessageTypes) -> None:
    bad = types.get("builtin_interfaces/msg/Time")(sec=1, nanosec=1_000_000_000)
    with pytest.raises(
        ConversionError, match=r"header.stamp.nanosec must be in \[0, 1e9\), got 1000000000"
    ):
        seconds(bad, "header.stamp")


@pytest.mark.parametrize(
    "container",
    [
        np.array([1.0, 2.5]),
        array.array("d", [1.0, 2.5]),
        [1.0, 2.5],
        (1, 2.5),
    ],
)
def test_numeric_fields_read_from_every_container_message_libraries_use(container: object) -> None:
    np.testing.assert_array_equal(numbers(container, "f"), [1.0, 2.5])


def test_bytes_fields_read_as_unsigned_bytes() -> None:
    np.testing.assert_array_equal(numbers(b"\x01\xff", "f", np.uint8), [1, 255])


def test_non_numeric_field_is_refused_with_its_name() -> None:
    with pytest.raises(ConversionError, match=r"points.positions must hold numbers"):
        numbers(["a", "b"], "points.positions")


def test_byte_constants_of_rclpy_and_rosbags_read_alike() -> None:
    assert byte_constant(b"\x02") == byte_constant(2) == 2
