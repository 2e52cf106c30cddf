"""What an emulated segment consists of, as plain data that crosses a process boundary
(JSON), and how to build it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from jazari.control.ethercat.pdo import CSP_RXPDO, CSP_TXPDO
from jazari.sim.ethercat_slave.application import DriveApplication, DriveSpec
from jazari.sim.ethercat_slave.axis import DEFAULT_FEEDBACK_TIMEOUT_S, Axis, PlantAxis
from jazari.sim.ethercat_slave.drive import DriveParameters
from jazari.sim.ethercat_slave.errors import EmulatorError
from jazari.sim.ethercat_slave.esc import EscSlave
from jazari.sim.ethercat_slave.segment import Segment
from jazari.sim.ethercat_slave.sii import SlaveIdentity, SyncManagerSpec, build_sii
from jazari.sim.joint_link import JointLink

#: Vendor id and product code of the emulated drive (not a registered ETG identity: set
#: the real drives' values in config/ethercat_driver.yaml).
EMULATOR_VENDOR_ID = 0x00004A5A
EMULATOR_PRODUCT_CODE = 0x00000402


def standard_sync_managers() -> tuple[SyncManagerSpec, ...]:
    """SM0/SM1 mailboxes of 128 bytes at 0x1000/0x1080, SM2 outputs at 0x1100 (watchdog
    trigger on), SM3 inputs at 0x1180, sized for the CSP PDOs."""
    return (
        SyncManagerSpec(0x1000, 128, 0x26, 1, 1),
        SyncManagerSpec(0x1080, 128, 0x22, 1, 2),
        SyncManagerSpec(0x1100, CSP_RXPDO.size_bytes, 0x64, 1, 3),
        SyncManagerSpec(0x1180, CSP_TXPDO.size_bytes, 0x20, 1, 4),
    )


@dataclass(frozen=True)
class SlaveSpec:
    """One emulated drive.

    Attributes:
        vendor_id, product_code, revision, serial: SII identity.
        name: device name.
        counts_per_rev: encoder counts per motor revolution.
        gear_ratio: motor revolutions per joint revolution.
        rated_torque_mnm: rated torque [mN·m].
        position_counts: encoder position at start [counts].
        max_velocity_rad_s, max_acceleration_rad_s2, quick_stop_deceleration_rad_s2,
        following_error_window_rad: joint-side motion limits of the drive.
    """

    vendor_id: int = EMULATOR_VENDOR_ID
    product_code: int = EMULATOR_PRODUCT_CODE
    revision: int = 1
    serial: int = 0
    name: str = "Jazari CSP drive emulator"
    counts_per_rev: int = 1 << 17
    gear_ratio: int = 100
    rated_torque_mnm: int = 150_000
    position_counts: int = 0
    max_velocity_rad_s: float = 3.2
    max_acceleration_rad_s2: float = 40.0
    quick_stop_deceleration_rad_s2: float = 20.0
    following_error_window_rad: float = 0.1

    def __post_init__(self) -> None:
        if self.counts_per_rev <= 0 or self.gear_ratio <= 0:
            raise EmulatorError(
                "counts_per_rev and gear_ratio must be positive, got "
                f"{self.counts_per_rev}, {self.gear_ratio}"
            )

    @property
    def counts_per_rad(self) -> float:
        """Encoder counts per joint radian."""
        return self.counts_per_rev * self.gear_ratio / (2.0 * math.pi)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlaveSpec:
        """Inverse of :meth:`to_dict`.

        Raises:
            EmulatorError: on unknown keys.
        """
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise EmulatorError(f"unknown slave spec keys {sorted(unknown)}")
        return cls(**data)


def drive_parameters(spec: SlaveSpec) -> DriveParameters:
    """The emulated drive's motion parameters from its spec."""
    return DriveParameters(
        counts_per_rad=spec.counts_per_rad,
        max_velocity_rad_s=spec.max_velocity_rad_s,
        max_acceleration_rad_s2=spec.max_acceleration_rad_s2,
        quick_stop_deceleration_rad_s2=spec.quick_stop_deceleration_rad_s2,
        following_error_window_rad=spec.following_error_window_rad,
    )


def build_slave(
    spec: SlaveSpec, serial: int, last: bool, now_s: float, axis: Axis | None = None
) -> EscSlave:
    """One ESC + drive from its spec; the drive turns ``axis`` (default: its own motor
    model)."""
    identity = SlaveIdentity(
        spec.vendor_id,
        spec.product_code,
        spec.revision,
        spec.serial or serial,
        spec.name,
        standard_sync_managers(),
    )
    drive_spec = DriveSpec(
        identity,
        drive_parameters(spec),
        spec.counts_per_rev,
        spec.gear_ratio,
        spec.rated_torque_mnm,
        spec.position_counts,
    )
    application = DriveApplication(drive_spec, now_s, axis)
    return EscSlave(application, build_sii(identity, CSP_TXPDO, CSP_RXPDO), last, now_s)


def build_segment(
    specs: list[SlaveSpec],
    now_s: float,
    plant: JointLink | None = None,
    feedback_timeout_s: float = DEFAULT_FEEDBACK_TIMEOUT_S,
) -> Segment:
    """The slaves of ``specs`` in wire order (serial numbers default to positions).

    Args:
        specs: the drives.
        now_s: the caller's clock [s].
        plant: when given, drive ``k`` (0-based wire order) turns the plant's joint in
            slot ``k`` instead of its motor model.
        feedback_timeout_s: with a plant, the age of its measurements at which a drive
            reports an encoder fault [s].

    Raises:
        EmulatorError: when the plant's slots do not match the drives.
    """
    if plant is not None and plant.joints != len(specs):
        raise EmulatorError(f"the plant link has {plant.joints} joints for {len(specs)} drives")
    slaves = []
    for k, spec in enumerate(specs):
        params = drive_parameters(spec)
        axis = None if plant is None else PlantAxis(plant, k, params, feedback_timeout_s)
        slaves.append(build_slave(spec, k + 1, k == len(specs) - 1, now_s, axis))
    return Segment(slaves)
