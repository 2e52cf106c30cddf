"""Emulated CiA 402 drives turning the twin's joints through the shared joint link.

The drives and the plant coupling are stepped here by hand on a simulated clock (1 ms
drive cycles, 2 ms plant steps), so every case is deterministic; the same objects run
in the emulator process and the cell's plant thread (see tests/cell/test_ethercat_cell.py
for the real wire).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from jazari.config import load_params
from jazari.control.cia402 import Command, PowerState, encode_command
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.safety import SafetyConfig
from jazari.sim.errors import SimConfigError
from jazari.sim.ethercat_plant import (
    CoupledJoint,
    PlantCoupling,
    coupled_joints,
    following_windows,
    slave_specs,
)
from jazari.sim.ethercat_slave.axis import ERROR_FEEDBACK_LOST, PlantAxis
from jazari.sim.ethercat_slave.drive import EmulatedCspDrive
from jazari.sim.ethercat_slave.spec import drive_parameters
from jazari.sim.joint_link import AxisMode, JointLink
from jazari.sim.twin import CellTwin

CSP = 8
ENABLED = 0x000F
PAN, LIFT = 0, 1


def _config(**overrides: Any) -> EthercatBusConfig:
    params = dict(load_params("ethercat_driver"))
    params.update(overrides)
    return EthercatBusConfig.from_params(params)


class Rig:
    """Six emulated drives coupled to a twin, on a simulated clock."""

    def __init__(
        self, twin: CellTwin, config: EthercatBusConfig, windows_rad: list[float] | None = None
    ) -> None:
        self.twin = twin
        self.config = config
        self.t = 100.0
        self.link = JointLink.create(len(config.slaves))
        self.coupling = PlantCoupling(twin, self.link, coupled_joints(config), clock=lambda: self.t)
        self.drives = []
        for k, spec in enumerate(slave_specs(config, windows_rad)):
            params = drive_parameters(spec)
            axis = PlantAxis(self.link, k, params)
            self.drives.append(EmulatedCspDrive(params, 0, self.t, axis))
        self.targets_rad = self.twin_q()
        self.plant_running = True
        self.drives_running = True
        self.run(0.03, 0)  # self-test

    def twin_q(self) -> np.ndarray:
        return self.twin.joint_state()[0]

    def counts(self, k: int, q_rad: float) -> int:
        return self.config.slaves[k].scaling.to_counts(q_rad)

    def run(self, seconds: float, controlword: int) -> None:
        """Drive cycles every 1 ms, plant steps every 2 ms."""
        for tick in range(round(seconds / 0.001)):
            self.t += 0.001
            if self.drives_running:
                for k, drive in enumerate(self.drives):
                    target = self.counts(k, float(self.targets_rad[k]))
                    drive.receive(controlword, target, CSP, self.t)
                    drive.advance(self.t)
            if self.plant_running and tick % 2 == 1:
                self.coupling.step(self.t)

    def enable(self) -> None:
        for command in (Command.SHUTDOWN, Command.SWITCH_ON, Command.ENABLE_OPERATION):
            self.run(0.002, encode_command(command))
        assert all(d.machine.state is PowerState.OPERATION_ENABLED for d in self.drives)

    def ramp(self, joint: int, delta_rad: float, seconds: float) -> None:
        start = float(self.targets_rad[joint])
        for k in range(1, round(seconds / 0.002) + 1):
            self.targets_rad[joint] = start + delta_rad * k * 0.002 / seconds
            self.run(0.002, ENABLED)


@pytest.fixture(scope="module")
def twin_model() -> CellTwin:
    return CellTwin()


@pytest.fixture
def rig(twin_model: CellTwin) -> Iterator[Rig]:
    twin_model.reset()
    made = Rig(twin_model, _config())
    yield made
    made.link.close()


def test_a_drive_reports_the_plant_joint_position_in_its_counts(rig: Rig) -> None:
    q = rig.twin_q()
    assert [d.position_actual for d in rig.drives] == [rig.counts(k, q[k]) for k in range(6)]
    assert all(d.machine.state is PowerState.SWITCH_ON_DISABLED for d in rig.drives)


@pytest.mark.parametrize(("direction", "offset"), [(-1, 0), (1, 123_456), (-1, -98_765)])
def test_direction_and_zero_offset_reach_the_drive_counts(
    twin_model: CellTwin, direction: int, offset: int
) -> None:
    twin_model.reset()
    config = _config(direction=[direction] * 6, zero_offset_counts=[offset] * 6)
    rig = Rig(twin_model, config)
    rig.enable()
    rig.ramp(PAN, 0.1, 0.2)
    rig.run(0.3, ENABLED)
    q = rig.twin_q()
    assert q[PAN] == pytest.approx(rig.targets_rad[PAN], abs=2e-3)
    scaling = config.slaves[PAN].scaling
    assert scaling.to_rad(rig.drives[PAN].position_actual) == pytest.approx(q[PAN], abs=1e-6)
    rig.link.close()


def test_a_csp_target_moves_the_plant_joint_and_the_drive_reads_it_back(rig: Rig) -> None:
    rig.enable()
    q_start = rig.twin_q()
    rig.ramp(PAN, 0.3, 0.5)
    rig.run(0.3, ENABLED)
    q = rig.twin_q()
    assert q[PAN] == pytest.approx(q_start[PAN] + 0.3, abs=2e-3)
    assert np.abs(np.delete(q - q_start, PAN)).max() < 2e-3
    scaling = rig.config.slaves[PAN].scaling
    assert scaling.to_rad(rig.drives[PAN].position_actual) == pytest.approx(q[PAN], abs=1e-6)
    # Measured torque: the twin's effort in per mille of the drive's rated torque.
    effort = rig.twin.joint_state()[2]
    lift = rig.config.slaves[LIFT].scaling
    assert rig.drives[LIFT].torque_actual == round(1000 * effort[LIFT] / lift.rated_torque_nm)


def test_the_drive_velocity_is_the_plant_velocity(rig: Rig) -> None:
    rig.enable()
    rig.ramp(PAN, 0.2, 0.4)  # 0.5 rad/s
    velocity = rig.drives[PAN].velocity_actual / rig.config.slaves[PAN].scaling.counts_per_rad
    assert velocity == pytest.approx(0.5, abs=0.05)


def test_a_disabled_drive_lets_the_brake_hold_the_joint(rig: Rig) -> None:
    q_start = rig.twin_q()
    rig.targets_rad[PAN] += 0.3  # ignored: the drive is not enabled
    rig.run(0.5, 0)
    assert np.abs(rig.twin_q() - q_start).max() < 1e-3
    assert rig.link.read_command(PAN).mode is AxisMode.HOLD


def test_a_faulted_drive_ramps_to_rest_then_its_brake_holds_the_joint(rig: Rig) -> None:
    rig.enable()
    rig.ramp(PAN, 0.2, 0.4)
    rig.drives[PAN].inject_fault(0x2310, persistent=False)
    rig.run(0.002, ENABLED)
    assert rig.drives[PAN].machine.state is PowerState.FAULT_REACTION_ACTIVE
    rig.ramp(PAN, 0.2, 0.4)  # the master keeps sending a moving target
    assert rig.drives[PAN].machine.state is PowerState.FAULT
    assert rig.link.read_command(PAN).mode is AxisMode.HOLD
    q_held = rig.twin_q()[PAN]
    rig.ramp(PAN, 0.2, 0.4)
    assert abs(rig.twin_q()[PAN] - q_held) < 1e-3


def test_a_quick_stop_ramps_the_joint_to_rest_and_holds_it_powered(rig: Rig) -> None:
    rig.enable()
    rig.ramp(PAN, 0.3, 0.3)  # 1 rad/s
    q_at_stop = rig.twin_q()[PAN]
    rig.run(0.2, encode_command(Command.QUICK_STOP))
    drive = rig.drives[PAN]
    assert drive.machine.state is PowerState.QUICK_STOP_ACTIVE
    assert drive.statusword & 0x0400  # target reached: at standstill
    # 1 rad/s at 20 rad/s² stops within 25 mrad (plus the plant's lag).
    assert 0.0 < rig.twin_q()[PAN] - q_at_stop < 0.05
    assert rig.link.read_command(PAN).mode is AxisMode.FOLLOW
    q_held = rig.twin_q()[PAN]
    rig.run(0.3, encode_command(Command.QUICK_STOP))
    assert abs(rig.twin_q()[PAN] - q_held) < 1e-3


def test_a_drive_switched_off_brakes_its_joint_at_once(rig: Rig) -> None:
    rig.enable()
    rig.ramp(PAN, 0.2, 0.4)
    rig.drives[PAN].power_off(rig.t)
    assert rig.link.read_command(PAN).mode is AxisMode.HOLD
    rig.drives_running = False  # a switched-off slave runs no application
    rig.run(0.2, ENABLED)
    q_braked = rig.twin_q()[PAN]
    rig.run(0.3, ENABLED)
    assert abs(rig.twin_q()[PAN] - q_braked) < 1e-3


def test_a_joint_whose_drive_stops_commanding_is_braked(rig: Rig) -> None:
    rig.enable()
    rig.ramp(PAN, 0.2, 0.4)
    rig.drives_running = False  # e.g. the emulator process stopped
    rig.run(0.3, ENABLED)
    q_braked = rig.twin_q()[PAN]
    rig.run(0.5, ENABLED)
    assert abs(rig.twin_q()[PAN] - q_braked) < 1e-3


def test_lost_plant_feedback_faults_the_drive_and_blocks_its_reset(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.enable()
    rig.plant_running = False
    with caplog.at_level(logging.WARNING, logger="jazari.sim.ethercat_slave.axis"):
        rig.run(0.3, ENABLED)
    assert "slot 0: the plant's measurement is 0.2" in caplog.text
    drive = rig.drives[PAN]
    assert drive.machine.state is PowerState.FAULT
    assert drive.error_code == ERROR_FEEDBACK_LOST
    rig.run(0.002, 0x0080)  # fault reset while the feedback is still missing
    assert drive.machine.state is PowerState.FAULT
    rig.plant_running = True
    rig.run(0.01, 0)
    rig.run(0.002, 0x0080)
    assert drive.machine.state is PowerState.SWITCH_ON_DISABLED


def test_targets_beyond_the_joint_limits_are_refused_once_logged(
    twin_model: CellTwin, caplog: pytest.LogCaptureFixture
) -> None:
    twin_model.reset()
    rig = Rig(twin_model, _config(), windows_rad=[10.0] * 6)  # the drive lets it through
    rig.enable()
    q_start = rig.twin_q()
    upper = rig.twin.robot.chain.upper[PAN]
    rig.targets_rad[PAN] = upper + 0.5
    with caplog.at_level(logging.WARNING, logger="jazari.sim.ethercat_plant"):
        rig.run(0.01, ENABLED)
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1
    assert "shoulder_pan_joint" in refused[0].getMessage()
    assert abs(rig.twin_q()[PAN] - q_start[PAN]) < 1e-3
    rig.link.close()


def test_the_coupling_thread_publishes_measurements_until_closed(twin_model: CellTwin) -> None:
    config = _config()
    with (
        JointLink.create(6) as link,
        PlantCoupling(twin_model, link, coupled_joints(config)) as coupling,
    ):
        first = link.read_feedback(0).stamp_s
        coupling.start()
        time.sleep(0.05)
        assert link.read_feedback(0).stamp_s > first
        coupling.close()
        stopped = link.read_feedback(0).stamp_s
        time.sleep(0.02)
        assert link.read_feedback(0).stamp_s == stopped
        assert coupling.error is None


def test_a_coupling_refuses_joints_the_plant_lacks(twin_model: CellTwin) -> None:
    scaling = _config().slaves[0].scaling
    with JointLink.create(1) as link, pytest.raises(SimConfigError, match="elbow_2"):
        PlantCoupling(twin_model, link, [CoupledJoint("elbow_2", scaling)])


def test_a_coupling_needs_one_slot_per_joint(twin_model: CellTwin) -> None:
    with JointLink.create(5) as link, pytest.raises(SimConfigError, match="5 slots for 6"):
        PlantCoupling(twin_model, link, coupled_joints(_config()))


def test_a_coupling_needs_a_positive_period(twin_model: CellTwin) -> None:
    with JointLink.create(6) as link, pytest.raises(SimConfigError, match="period_s"):
        PlantCoupling(twin_model, link, coupled_joints(_config()), period_s=0.0)


def test_emulated_drives_match_the_configured_identity_and_scaling() -> None:
    config = _config()
    for spec, slave in zip(slave_specs(config), config.slaves, strict=True):
        assert (spec.vendor_id, spec.product_code) == (slave.vendor_id, slave.product_code)
        assert spec.counts_per_rad == pytest.approx(abs(slave.scaling.counts_per_rad))
        assert spec.rated_torque_mnm == round(1000 * slave.scaling.rated_torque_nm)


def test_an_emulated_drive_needs_a_whole_gear_ratio() -> None:
    config = _config(gear_ratio=[100.0, 50.5, 100.0, 100.0, 100.0, 100.0])
    with pytest.raises(SimConfigError, match=r"shoulder_lift_joint.*50\.5"):
        slave_specs(config)


def test_the_drives_following_window_is_wider_than_the_supervisors_limit() -> None:
    config = _config()
    windows = following_windows(config, SafetyConfig(max_following_error_rad=0.2))
    assert windows == pytest.approx([0.3] * 6)
    per_axis = SafetyConfig(max_following_error_rad=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6))
    specs = slave_specs(config, following_windows(config, per_axis))
    assert [s.following_error_window_rad for s in specs] == pytest.approx(
        [0.15, 0.3, 0.45, 0.6, 0.75, 0.9]
    )


def test_following_windows_need_one_limit_per_drive() -> None:
    config = _config()
    with pytest.raises(SimConfigError, match="3 values for 6 drives"):
        following_windows(config, SafetyConfig(max_following_error_rad=(0.1, 0.2, 0.3)))
    with pytest.raises(SimConfigError, match=r"one value per drive \(6\)"):
        slave_specs(config, [0.3])
