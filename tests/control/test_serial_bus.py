"""The DriveBus over Dynamixel servos: units, one sync read/write per cycle, stale
axes, fault codes, enabling without a jump, and its configuration."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from serial_rig import JOINTS, START_Q, driver_params, serial_rig

from jazari.control.dynamixel.control_table import XM540_W270
from jazari.control.dynamixel.errors import BusClosedError, BusConfigError, CommError
from jazari.control.dynamixel.packet import HardwareError, Instruction
from jazari.control.serial_bus import DriveFaultError, DynamixelBus, JointDrive, SerialBusConfig
from jazari.ports import DriveBus, PortValueError
from jazari.sim.dynamixel_emulator import (
    CorruptReplies,
    EmulatorConfig,
    EmulatorThread,
    RaiseHardwareError,
    SetSilent,
)
from jazari.sim.dynamixel_servo import ServoSpec

COUNT = XM540_W270.position_unit_rad


def test_bus_implements_the_drive_bus_port() -> None:
    with serial_rig() as rig:
        assert isinstance(rig.bus, DriveBus)
        assert rig.bus.joint_names == JOINTS


def test_read_state_reports_positions_in_radians_with_telemetry() -> None:
    with serial_rig() as rig:
        state = rig.bus.read_state()
        np.testing.assert_allclose(state.position_rad, START_Q, atol=COUNT)
        assert state.joint_names == JOINTS
        for t in state.telemetry:
            assert (t.status, t.fault_code, t.stale, t.temperature_c) == (
                "disabled",
                0,
                False,
                25.0,
            )


def test_each_cycle_is_one_sync_read_and_one_sync_write() -> None:
    with serial_rig() as rig:
        sent: list[bytes] = []
        transport = rig.bus.client.transport
        original = transport.write

        def spy(data: bytes) -> None:
            sent.append(data)
            original(data)

        transport.write = spy  # type: ignore[method-assign]
        rig.bus.read_state()
        rig.bus.write_setpoints(np.array(START_Q))
        assert [p[7] for p in sent] == [Instruction.SYNC_READ, Instruction.SYNC_WRITE]


def test_enable_holds_the_present_position_without_a_jump() -> None:
    with serial_rig() as rig:
        _, present = rig.snapshot_counts()
        rig.bus.enable()
        goals, _ = rig.snapshot_counts()
        np.testing.assert_array_equal(goals, present)
        time.sleep(0.2)
        _, present_after = rig.snapshot_counts()
        assert np.max(np.abs(present_after - present)) <= 2
        assert all(s.torque_enabled for s in rig.emulator.snapshot())
        assert rig.bus.read_state().telemetry[0].status == "enabled"


def test_write_setpoints_moves_every_joint() -> None:
    with serial_rig() as rig:
        rig.bus.enable()
        target = np.array(START_Q) + 0.1
        for _ in range(100):
            rig.bus.write_setpoints(target)
            state = rig.bus.read_state()
            time.sleep(0.005)
        np.testing.assert_allclose(state.position_rad, target, atol=0.01)
        goals, _ = rig.snapshot_counts()
        np.testing.assert_array_equal(goals, np.round(target / COUNT))


def test_direction_and_zero_offset_map_counts_to_joint_angles() -> None:
    spec = (ServoSpec(1, 1000 * COUNT, return_delay_time=0),)
    with EmulatorThread(EmulatorConfig(spec)) as emu:
        params = driver_params(emu.port)
        params.update(
            joints=["elbow_joint"],
            ids=[1],
            counts_per_rev=[8192],
            zero_offset_counts=[200],
            direction=[-1],
            torque_constant_nm_per_a=2.4,
        )
        bus = DynamixelBus.open(SerialBusConfig.from_params(params))
        try:
            q = bus.read_state().position_rad[0]
            assert q == pytest.approx(-(1000 - 200) * 2 * math.pi / 8192)
            bus.write_setpoints(np.array([q - 0.5]))
            assert emu.snapshot()[0].goal_position == 200 + round(-(q - 0.5) * 8192 / (2 * math.pi))
        finally:
            bus.close()


def test_a_silent_servo_is_stale_with_its_last_values_and_others_stay_fresh() -> None:
    with serial_rig() as rig:
        before = rig.bus.read_state()
        rig.emulator.apply(SetSilent(4))
        state = rig.bus.read_state()
        assert [t.stale for t in state.telemetry] == [False, False, False, True, False, False]
        assert state.telemetry[3].status == "no answer"
        assert state.position_rad[3] == before.position_rad[3]
        rig.emulator.apply(SetSilent(4, silent=False))
        assert not any(t.stale for t in rig.bus.read_state().telemetry)


def test_a_hardware_error_shows_as_fault_code_and_status() -> None:
    with serial_rig() as rig:
        rig.bus.enable()
        rig.emulator.apply(RaiseHardwareError(2, HardwareError.OVERHEATING))
        tel = rig.bus.read_state().telemetry
        assert (tel[1].status, tel[1].fault_code, tel[1].stale) == (
            "fault",
            HardwareError.OVERHEATING,
            False,
        )
        assert tel[0].status == "enabled"
        with pytest.raises(DriveFaultError, match=r"shoulder_lift_joint .*overheating"):
            rig.bus.enable()


def test_reset_faults_reboots_restores_the_state_block_and_leaves_torque_off() -> None:
    with serial_rig() as rig:
        rig.bus.enable()
        rig.emulator.apply(RaiseHardwareError(5, HardwareError.OVERLOAD))
        rig.bus.read_state()
        rig.bus.reset_faults()
        state = rig.bus.read_state()
        np.testing.assert_allclose(state.position_rad, START_Q, atol=0.01)  # indirect map back
        assert state.telemetry[4].fault_code == 0
        assert not rig.emulator.snapshot()[4].torque_enabled
        rig.bus.enable()
        assert rig.emulator.snapshot()[4].torque_enabled


def test_bad_setpoints_raise_naming_the_joint_and_nothing_is_sent() -> None:
    with serial_rig() as rig:
        goals, _ = rig.snapshot_counts()
        with pytest.raises(PortValueError, match="elbow_joint must be finite"):
            rig.bus.write_setpoints(np.array([0, 0, np.nan, 0, 0, 0]))
        with pytest.raises(PortValueError, match="shape"):
            rig.bus.write_setpoints(np.zeros(5))
        with pytest.raises(PortValueError, match=r"wrist_3_joint .* outside"):
            rig.bus.write_setpoints(np.array([0, 0, 0, 0, 0, 1e4]))
        np.testing.assert_array_equal(rig.snapshot_counts()[0], goals)


def test_a_huge_finite_setpoint_raises_naming_the_joint() -> None:
    with (
        serial_rig() as rig,
        pytest.raises(PortValueError, match=r"shoulder_pan_joint .* outside"),
    ):
        rig.bus.write_setpoints(np.array([1e308, 0, 0, 0, 0, 0]))


def test_a_corrupted_status_packet_makes_only_that_axis_stale() -> None:
    with serial_rig() as rig:
        before = rig.bus.read_state()
        rig.emulator.apply(CorruptReplies(3, count=1))
        state = rig.bus.read_state()
        assert [t.stale for t in state.telemetry] == [False, False, True, False, False, False]
        assert state.telemetry[2].status == "no answer"
        assert state.position_rad[2] == before.position_rad[2]
        assert not any(t.stale for t in rig.bus.read_state().telemetry)


def test_clean_cycles_and_general_cycles_convert_alike() -> None:
    with serial_rig() as rig:
        fast = rig.bus.read_state()
        slow = rig.bus._state_after(rig.bus._sync_read_state())
        for name in ("position_rad", "velocity_rad_s", "effort"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))
        assert fast.telemetry == slow.telemetry


def test_enable_refuses_when_a_servo_does_not_answer() -> None:
    with serial_rig() as rig:
        rig.emulator.apply(SetSilent(6))
        with pytest.raises(CommError, match=r"wrist_3_joint \(servo 6\)"):
            rig.bus.enable()
        assert not any(s.torque_enabled for s in rig.emulator.snapshot())


def test_configure_writes_return_delay_and_operating_mode() -> None:
    with serial_rig() as rig:
        client = rig.bus.client
        assert client.read_item(3, "return_delay_time") == 0
        assert client.read_item(3, "operating_mode") == 4


def test_configure_refuses_eeprom_changes_while_torque_is_on() -> None:
    with serial_rig() as rig:
        rig.bus.enable()
        rig.bus.client.write_item(2, "torque_enable", 0)
        rig.bus.client.write_item(2, "operating_mode", 3)
        rig.bus.client.write_item(2, "torque_enable", 1)
        with pytest.raises(
            BusConfigError, match="servo 2 needs operating_mode=4 but its torque is on"
        ):
            rig.bus.configure()


def test_a_closed_bus_refuses_use() -> None:
    with serial_rig() as rig:
        rig.bus.close()
        with pytest.raises(BusClosedError):
            rig.bus.read_state()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"port": None}, "'port' is missing"),
        ({"ids": [1, 2]}, "'ids' has 2 entries for 6 joints"),
        ({"baud": 1234}, "1234"),
        ({"direction": [1, 1, 1, 1, 1, 2]}, "direction must be 1 or -1"),
        ({"ids": [1, 2, 3, 4, 5, 5]}, "unique"),
        ({"return_delay_us": 3}, "multiple of 2"),
        ({"counts_per_rev": [4096] * 5}, "needs 6 values"),
        ({"servo_model": "AX-12"}, "AX-12"),
    ],
)
def test_bad_configuration_is_named(change: dict[str, object], message: str) -> None:
    params = driver_params("/dev/null")
    params.update(change)
    with pytest.raises(BusConfigError, match=message):
        SerialBusConfig.from_params(params)


def test_joint_drive_validates_its_values() -> None:
    with pytest.raises(BusConfigError, match="counts_per_rev"):
        JointDrive("j", 1, 0.0)


@given(
    st.floats(-20.0, 20.0),
    st.sampled_from([4096.0, 8192.0, 4096.0 * 3.5]),
    st.integers(-5000, 5000),
    st.sampled_from([1, -1]),
)
def test_counts_and_radians_round_trip_within_half_a_count(
    q: float, per_rev: float, offset: int, direction: int
) -> None:
    joint = JointDrive("j", 1, per_rev, offset, direction)
    assert abs(joint.to_rad(joint.to_counts(q)) - q) <= 0.5 / joint.counts_per_rad + 1e-12
