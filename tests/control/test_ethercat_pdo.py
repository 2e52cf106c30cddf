"""PDO layouts as data, encoder scaling and the bus configuration."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.config import load_params
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.errors import EthercatConfigError, PdoError
from jazari.control.ethercat.pdo import (
    CSP_RXPDO,
    CSP_TXPDO,
    CspInputs,
    CspOutputs,
    PdoEntry,
    PdoLayout,
)
from jazari.control.ethercat.scaling import JointScaling

i32 = st.integers(-(2**31), 2**31 - 1)


def test_csp_layouts_map_the_profile_objects_in_order() -> None:
    assert [(e.index, e.bit_length) for e in CSP_RXPDO.entries] == [
        (0x6040, 16),
        (0x607A, 32),
        (0x6060, 8),
    ]
    assert [e.index for e in CSP_TXPDO.entries] == [0x6041, 0x6064, 0x606C, 0x6077, 0x603F, 0x6061]
    assert (CSP_RXPDO.size_bytes, CSP_TXPDO.size_bytes) == (7, 15)
    assert CSP_RXPDO.entries[0].mapping_value == 0x60400010
    assert CSP_TXPDO.entries[1].mapping_value == 0x60640020


@given(st.integers(0, 0xFFFF), i32, st.integers(-128, 127))
def test_outputs_round_trip_through_bytes(controlword: int, target: int, mode: int) -> None:
    outputs = CspOutputs(controlword, target, mode)
    data = outputs.pack()
    assert len(data) == 7
    assert CspOutputs.unpack(data) == outputs


@given(
    st.integers(0, 0xFFFF),
    i32,
    i32,
    st.integers(-32768, 32767),
    st.integers(0, 0xFFFF),
    st.integers(-128, 127),
)
def test_inputs_round_trip_through_bytes(
    sw: int, pos: int, vel: int, torque: int, err: int, mode: int
) -> None:
    inputs = CspInputs(sw, pos, vel, torque, err, mode)
    assert CspInputs.unpack(inputs.pack()) == inputs


def test_outputs_are_little_endian_in_entry_order() -> None:
    assert CspOutputs(0x000F, -2, 8).pack() == bytes.fromhex("0f00feffffff08")


def test_a_value_out_of_its_entry_range_is_refused() -> None:
    with pytest.raises(PdoError, match="out of range"):
        CspOutputs(0x10000, 0, 8).pack()


def test_process_data_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(PdoError, match="needs 15 bytes, got 14"):
        CspInputs.unpack(bytes(14))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"index": 0x0FFF}, "index"),
        ({"subindex": 256}, "subindex"),
        ({"bit_length": 24}, "bit length"),
    ],
)
def test_malformed_pdo_entries_are_refused(kwargs: dict[str, Any], message: str) -> None:
    base = {"index": 0x6040, "subindex": 0, "bit_length": 16, "signed": False, "name": "cw"}
    with pytest.raises(PdoError, match=message):
        PdoEntry(**{**base, **kwargs})


def test_malformed_layouts_are_refused() -> None:
    entry = CSP_RXPDO.entries[0]
    with pytest.raises(PdoError, match="mapping index"):
        PdoLayout(0x1800, (entry,))
    with pytest.raises(PdoError, match="unique"):
        PdoLayout(0x1600, (entry, entry))
    with pytest.raises(PdoError, match=r"1\.\.254"):
        PdoLayout(0x1600, ())


SCALING = JointScaling(
    counts_per_rev=131072, gear_ratio=100.0, zero_offset_counts=1234, direction=-1
)


@given(st.floats(-6.3, 6.3))
def test_counts_and_radians_round_trip_within_half_a_count(q_rad: float) -> None:
    counts = SCALING.to_counts(q_rad)
    assert abs(SCALING.to_rad(counts) - q_rad) <= 0.5 / abs(SCALING.counts_per_rad) + 1e-12


def test_scaling_applies_offset_direction_and_gear() -> None:
    per_rad = 131072 * 100 / (2 * math.pi)
    assert SCALING.to_counts(0.0) == 1234
    assert SCALING.to_counts(1.0) == 1234 - round(per_rad)
    assert SCALING.velocity_to_rad_s(-round(per_rad)) == pytest.approx(1.0, rel=1e-6)
    assert JointScaling(4096, rated_torque_nm=150.0).torque_to_nm(500) == pytest.approx(75.0)
    mirrored = JointScaling(4096, rated_torque_nm=150.0, direction=-1)
    assert mirrored.torque_to_nm(500) == pytest.approx(-75.0)  # signed like positions


@pytest.mark.parametrize("q", [math.nan, math.inf, 2000.0])
def test_positions_beyond_integer32_or_not_finite_are_refused(q: float) -> None:
    with pytest.raises(PdoError, match="joint position"):
        SCALING.to_counts(q)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"counts_per_rev": 0}, "counts_per_rev"),
        ({"gear_ratio": -1.0}, "gear_ratio"),
        ({"direction": 2}, "direction"),
        ({"rated_torque_nm": math.nan}, "rated_torque_nm"),
    ],
)
def test_bad_scaling_parameters_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(EthercatConfigError, match=message):
        JointScaling(**{"counts_per_rev": 4096, **kwargs})


def test_packaged_configuration_describes_six_csp_drives() -> None:
    config = EthercatBusConfig.load()
    assert len(config.slaves) == 6
    assert config.cycle_time_s == 0.001
    assert config.wkc_error_threshold == 3
    assert config.joint_names[0] == "shoulder_pan_joint"
    assert [s.position for s in config.slaves] == [1, 2, 3, 4, 5, 6]


def _params(**changes: Any) -> dict[str, Any]:
    params = dict(load_params("ethercat_driver"))
    params.update(changes)
    return params


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vendor_ids": [1, 2]}, "vendor_ids needs one value per joint"),
        ({"receive_timeout_s": 0.002}, "receive_timeout_s"),
        ({"wkc_error_threshold": 0}, "wkc_error_threshold"),
        ({"cycle_time_s": -1.0}, "cycle_time_s"),
        ({"joints": "elbow"}, "'joints' must be a list"),
        ({"product_codes": [-1] * 6}, "product_code"),
        ({"realtime_priority": 120}, "realtime_priority"),
    ],
)
def test_bad_bus_parameters_are_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(EthercatConfigError, match=message):
        EthercatBusConfig.from_params(_params(**changes))


def test_missing_interface_is_named() -> None:
    params = _params()
    del params["interface"]
    with pytest.raises(EthercatConfigError, match="interface"):
        EthercatBusConfig.from_params(params)


def test_joint_names_must_be_unique() -> None:
    config = EthercatBusConfig.load()
    slaves = (
        config.slaves[0],
        dataclasses.replace(config.slaves[1], joint_name=config.slaves[0].joint_name),
    )
    with pytest.raises(EthercatConfigError, match="unique"):
        dataclasses.replace(config, slaves=slaves)
