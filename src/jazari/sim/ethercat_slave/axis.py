"""What an emulated CiA 402 drive turns: its own motor model, or a joint of a plant in
another process.

The drive (:class:`~jazari.sim.ethercat_slave.drive.EmulatedCspDrive`) decides, from
its power state, whether its axis follows the target, ramps to standstill (quick stop,
fault reaction) or is unpowered; an :class:`Axis` carries that out and reports the
position, velocity and torque the drive publishes. Positions are in encoder counts.

* :class:`ModelAxis`: a position loop with velocity feed-forward and velocity and
  acceleration limits, integrated in small steps (the drive alone, for protocol tests
  and benchmarks).
* :class:`PlantAxis`: a joint of a :class:`~jazari.sim.plant.JointPlant` reached through
  a :class:`~jazari.sim.joint_link.JointLink`; the drive's target becomes the joint's
  target, the plant's measurements become the drive's actual values, an unpowered drive
  lets the joint's brake hold it, and measurements that stop coming are an encoder fault.
"""

from __future__ import annotations

import logging
import math
from typing import Protocol

from jazari.sim.ethercat_slave.errors import EmulatorError
from jazari.sim.joint_link import AxisCommand, AxisMode, JointLink

_log = logging.getLogger(__name__)
ERROR_FEEDBACK_LOST = 0x7300  # CiA 402 "sensor": the position measurement stopped
# Age of a plant's measurements at which its drive reports lost feedback [s]: longer
# than the plant thread's stalls under load (a camera frame holds the twin's lock).
DEFAULT_FEEDBACK_TIMEOUT_S = 0.25
_MAX_STEP_S = 0.0005  # integration sub-step of the motor model [s]: keeps its loop stable
_TORQUE_LIMIT = 32767


class MotionLimits(Protocol):
    """The drive parameters an axis needs (see ``DriveParameters``), in joint units."""

    @property
    def counts_per_rad(self) -> float: ...
    @property
    def max_velocity_rad_s(self) -> float: ...
    @property
    def max_acceleration_rad_s2(self) -> float: ...
    @property
    def quick_stop_deceleration_rad_s2(self) -> float: ...
    @property
    def position_gain_per_s(self) -> float: ...
    @property
    def torque_per_acceleration(self) -> float: ...
    @property
    def torque_per_velocity(self) -> float: ...


class Axis(Protocol):
    """The moving part behind an emulated drive, in encoder counts."""

    @property
    def position_counts(self) -> float:
        """Actual position [counts]."""
        ...

    @property
    def velocity_counts_s(self) -> float:
        """Actual velocity [counts/s]."""
        ...

    @property
    def torque_per_mille(self) -> int:
        """Actual torque [per mille of rated torque]."""
        ...

    def follow(
        self, target_counts: float, velocity_counts_s: float, now_s: float, dt_s: float
    ) -> None:
        """Track ``target_counts`` with feed-forward ``velocity_counts_s`` for ``dt_s``."""
        ...

    def decelerate(self, now_s: float, dt_s: float) -> bool:
        """Ramp towards standstill with the quick-stop deceleration for ``dt_s``; True
        once standing still (and holding there, powered)."""
        ...

    def hold(self, now_s: float, dt_s: float) -> None:
        """No drive power for ``dt_s``: the axis does not move by itself."""
        ...

    def update(self, now_s: float) -> int:
        """Take the latest actual values; the CiA 402 error code the axis raises now
        (0: none)."""
        ...


class ModelAxis:
    """The drive's own motor: a limited position loop integrated in sub-steps.

    Args:
        params: gains and limits.
        position_counts: initial position [counts].
    """

    def __init__(self, params: MotionLimits, position_counts: float) -> None:
        self._p = params
        self._position = float(position_counts)
        self._velocity = 0.0
        self._acceleration = 0.0

    @property
    def position_counts(self) -> float:
        """Actual position [counts]."""
        return self._position

    @property
    def velocity_counts_s(self) -> float:
        """Actual velocity [counts/s]."""
        return self._velocity

    @property
    def torque_per_mille(self) -> int:
        """Inertia and viscous friction of the load [per mille of rated torque]."""
        p = self._p
        torque = (
            p.torque_per_acceleration * self._acceleration / p.counts_per_rad
            + p.torque_per_velocity * self._velocity / p.counts_per_rad
        )
        return max(-_TORQUE_LIMIT - 1, min(_TORQUE_LIMIT, round(torque)))

    def follow(
        self, target_counts: float, velocity_counts_s: float, now_s: float, dt_s: float
    ) -> None:
        """Position loop with feed-forward, velocity- and acceleration-limited."""
        p = self._p
        vmax = p.max_velocity_rad_s * p.counts_per_rad
        for h in _sub_steps(dt_s):
            command = velocity_counts_s + p.position_gain_per_s * (target_counts - self._position)
            command = max(-vmax, min(vmax, command))
            dv_max = p.max_acceleration_rad_s2 * p.counts_per_rad * h
            self._move(max(-dv_max, min(dv_max, command - self._velocity)), h)

    def decelerate(self, now_s: float, dt_s: float) -> bool:
        """Brake at the quick-stop deceleration; True at standstill."""
        p = self._p
        for h in _sub_steps(dt_s):
            dv_max = p.quick_stop_deceleration_rad_s2 * p.counts_per_rad * h
            self._move(max(-dv_max, min(dv_max, -self._velocity)), h)
        return self._velocity == 0.0

    def hold(self, now_s: float, dt_s: float) -> None:
        """Unpowered and at rest."""
        self._velocity = 0.0
        self._acceleration = 0.0

    def update(self, now_s: float) -> int:
        """The model's values are always current, and it never fails."""
        return 0

    def _move(self, dv: float, dt: float) -> None:
        self._acceleration = dv / dt
        self._velocity += dv
        self._position += self._velocity * dt


def _sub_steps(dt_s: float) -> list[float]:
    if dt_s <= 0:
        return []
    steps = max(1, math.ceil(dt_s / _MAX_STEP_S))
    return [dt_s / steps] * steps


class PlantAxis:
    """A plant's joint, reached through one slot of a :class:`JointLink`.

    Args:
        link: the shared joint file (the plant side writes measurements into it).
        slot: this joint's slot.
        params: the quick-stop deceleration and the counts per radian.
        feedback_timeout_s: age of the latest measurement beyond which the drive
            reports an encoder fault [s].

    Times (``now_s``) are CLOCK_MONOTONIC, as every process sees it, like the plant's
    stamps.

    Raises:
        EmulatorError: on a bad slot or timeout.
    """

    def __init__(
        self,
        link: JointLink,
        slot: int,
        params: MotionLimits,
        feedback_timeout_s: float = DEFAULT_FEEDBACK_TIMEOUT_S,
    ) -> None:
        if not 0 <= slot < link.joints:
            raise EmulatorError(f"plant slot must be in 0..{link.joints - 1}, got {slot}")
        if not math.isfinite(feedback_timeout_s) or feedback_timeout_s <= 0:
            raise EmulatorError(f"feedback_timeout_s must be positive, got {feedback_timeout_s}")
        self._link = link
        self._slot = slot
        self._p = params
        self._timeout_s = feedback_timeout_s
        self._feedback = link.read_feedback(slot)
        # The quick-stop ramp being commanded: (position [counts], velocity [counts/s]).
        self._ramp: tuple[float, float] | None = None
        self._lost = False

    @property
    def position_counts(self) -> float:
        """The plant's measured position at the last :meth:`update` [counts]."""
        return self._feedback.position_counts

    @property
    def velocity_counts_s(self) -> float:
        """The plant's measured velocity at the last :meth:`update` [counts/s]."""
        return self._feedback.velocity_counts_s

    @property
    def torque_per_mille(self) -> int:
        """The plant's measured torque at the last :meth:`update` [per mille]."""
        torque = round(self._feedback.torque_per_mille)
        return max(-_TORQUE_LIMIT - 1, min(_TORQUE_LIMIT, torque))

    def follow(
        self, target_counts: float, velocity_counts_s: float, now_s: float, dt_s: float
    ) -> None:
        """The target becomes the joint's target (the plant's own position loop takes
        its feed-forward from successive targets, as in CSP)."""
        self._ramp = None
        self._command(AxisMode.FOLLOW, target_counts, now_s)

    def decelerate(self, now_s: float, dt_s: float) -> bool:
        """Command a ramp from the measured motion to standstill; True once it ended."""
        if self._ramp is None:
            fb = self._feedback
            self._ramp = (fb.position_counts, fb.velocity_counts_s)
        position, velocity = self._ramp
        dv_max = self._p.quick_stop_deceleration_rad_s2 * self._p.counts_per_rad * dt_s
        new_velocity = velocity - max(-dv_max, min(dv_max, velocity))
        position += 0.5 * (velocity + new_velocity) * dt_s
        self._ramp = (position, new_velocity)
        self._command(AxisMode.FOLLOW, position, now_s)
        return new_velocity == 0.0

    def hold(self, now_s: float, dt_s: float) -> None:
        """Drive power off: the plant's brake holds the joint."""
        self._ramp = None
        self._command(AxisMode.HOLD, self._feedback.position_counts, now_s)

    def update(self, now_s: float) -> int:
        """Read the plant's latest measurement; an encoder fault while it is older than
        the timeout."""
        self._feedback = self._link.read_feedback(self._slot)
        age_s = now_s - self._feedback.stamp_s
        if age_s > self._timeout_s:
            if not self._lost:
                _log.warning("slot %d: the plant's measurement is %.3f s old", self._slot, age_s)
            self._lost = True
            return ERROR_FEEDBACK_LOST
        self._lost = False
        return 0

    def _command(self, mode: AxisMode, target_counts: float, now_s: float) -> None:
        self._link.write_command(self._slot, AxisCommand(mode, round(target_counts), now_s))
