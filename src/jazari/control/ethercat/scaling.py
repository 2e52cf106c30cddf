"""Encoder counts <-> joint radians, per joint, from configuration."""

from __future__ import annotations

import math
from dataclasses import dataclass

from jazari.control.ethercat.errors import EthercatConfigError, PdoError

_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class JointScaling:
    """How a drive's position counts relate to its joint angle.

    ``q_rad = direction * (counts - zero_offset_counts) * 2π / (counts_per_rev * gear_ratio)``

    Attributes:
        counts_per_rev: encoder counts per motor revolution (> 0).
        gear_ratio: motor revolutions per joint revolution (> 0).
        zero_offset_counts: the count at which the joint is at 0 rad.
        direction: +1 or -1, the sign between motor and joint rotation.
        rated_torque_nm: joint torque [N·m] that 1000 per mille of object 0x6077 means.
    """

    counts_per_rev: int
    gear_ratio: float = 1.0
    zero_offset_counts: int = 0
    direction: int = 1
    rated_torque_nm: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.counts_per_rev, int) or self.counts_per_rev <= 0:
            raise EthercatConfigError(
                f"counts_per_rev must be a positive integer, got {self.counts_per_rev!r}"
            )
        if not math.isfinite(self.gear_ratio) or self.gear_ratio <= 0:
            raise EthercatConfigError(
                f"gear_ratio must be a positive number, got {self.gear_ratio!r}"
            )
        if self.direction not in (1, -1):
            raise EthercatConfigError(f"direction must be +1 or -1, got {self.direction!r}")
        if not math.isfinite(self.rated_torque_nm) or self.rated_torque_nm <= 0:
            raise EthercatConfigError(
                f"rated_torque_nm must be a positive number, got {self.rated_torque_nm!r}"
            )

    @property
    def counts_per_rad(self) -> float:
        """Encoder counts per joint radian (signed by :attr:`direction`)."""
        return self.direction * self.counts_per_rev * self.gear_ratio / (2.0 * math.pi)

    def to_rad(self, counts: int) -> float:
        """Joint position [rad] of a position count."""
        return (counts - self.zero_offset_counts) / self.counts_per_rad

    def velocity_to_rad_s(self, counts_per_s: int) -> float:
        """Joint velocity [rad/s] of a velocity in counts/s."""
        return counts_per_s / self.counts_per_rad

    def torque_to_nm(self, per_mille: int) -> float:
        """Joint torque [N·m] of object 0x6077 (per mille of rated torque, on the motor's
        side: signed by :attr:`direction` like positions and velocities)."""
        return self.direction * per_mille * self.rated_torque_nm / 1000.0

    def to_counts(self, q_rad: float) -> int:
        """The position count [counts] nearest to a joint position [rad].

        Raises:
            PdoError: when ``q_rad`` is not finite or its count does not fit INTEGER32.
        """
        if not math.isfinite(q_rad):
            raise PdoError(f"joint position must be finite, got {q_rad!r}")
        counts = round(q_rad * self.counts_per_rad) + self.zero_offset_counts
        if not _I32_MIN <= counts <= _I32_MAX:
            raise PdoError(f"joint position {q_rad} rad is {counts} counts, beyond INTEGER32")
        return counts
