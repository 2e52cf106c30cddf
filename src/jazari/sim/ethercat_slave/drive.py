"""An emulated CiA 402 servo drive in cyclic synchronous position mode.

The power state machine is :class:`jazari.control.cia402.PowerStateMachine`, the same code
the master plans against. In OPERATION ENABLED the axis follows the target under a
following-error monitor; quick stop and the fault reaction ramp it to standstill (the
fault reaction then enters FAULT); otherwise the axis is unpowered. The axis is the
drive's own motor model or a joint of a plant in another process (see
:mod:`jazari.sim.ethercat_slave.axis`). Positions are in encoder counts, as the drive
reports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jazari.control.cia402 import (
    SW_CSP_FOLLOWING,
    SW_REMOTE,
    SW_TARGET_REACHED,
    ModeOfOperation,
    PowerState,
    PowerStateMachine,
    encode_statusword,
)
from jazari.sim.ethercat_slave.axis import Axis, ModelAxis
from jazari.sim.ethercat_slave.errors import EmulatorError

ERROR_FOLLOWING = 0x8611
ERROR_LEFT_OP = 0xA000
_MAX_ADVANCE_S = 0.05  # a stalled process does not teleport the axis
_SUPPORTED_MODES = frozenset({int(ModeOfOperation.CYCLIC_SYNCHRONOUS_POSITION)})
_MOVING = frozenset({PowerState.OPERATION_ENABLED})
_RAMPING = frozenset({PowerState.QUICK_STOP_ACTIVE, PowerState.FAULT_REACTION_ACTIVE})
_POWERED = frozenset(
    {PowerState.SWITCHED_ON, PowerState.OPERATION_ENABLED, PowerState.QUICK_STOP_ACTIVE}
)


@dataclass(frozen=True)
class DriveParameters:
    """The emulated drive's motor and limits, in joint units.

    Attributes:
        counts_per_rad: encoder counts per joint radian.
        max_velocity_rad_s, max_acceleration_rad_s2: motion limits.
        quick_stop_deceleration_rad_s2: ramp of quick stop and fault reaction.
        following_error_window_rad: |target - actual| beyond which the drive faults.
        position_gain_per_s: proportional gain of the position loop [1/s].
        torque_per_acceleration: per mille of rated torque per rad/s².
        torque_per_velocity: per mille of rated torque per rad/s.
        self_test_s: time from power-on to SWITCH ON DISABLED [s].
    """

    counts_per_rad: float
    max_velocity_rad_s: float = 3.2
    max_acceleration_rad_s2: float = 40.0
    quick_stop_deceleration_rad_s2: float = 20.0
    following_error_window_rad: float = 0.1
    position_gain_per_s: float = 300.0
    torque_per_acceleration: float = 8.0
    torque_per_velocity: float = 30.0
    self_test_s: float = 0.02

    def __post_init__(self) -> None:
        for name in (
            "counts_per_rad",
            "max_velocity_rad_s",
            "max_acceleration_rad_s2",
            "quick_stop_deceleration_rad_s2",
            "following_error_window_rad",
            "position_gain_per_s",
        ):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise EmulatorError(f"drive parameter {name} must be positive, got {value!r}")


class EmulatedCspDrive:
    """One axis: CiA 402 state machine plus motor, advanced in real time.

    Args:
        params: motor and limits.
        position_counts: initial encoder position [counts] (of the motor model; a given
            ``axis`` has its own).
        now_s: the caller's clock at power-on [s].
        axis: what the drive turns (default: its own motor model).
    """

    def __init__(
        self,
        params: DriveParameters,
        position_counts: int,
        now_s: float,
        axis: Axis | None = None,
    ) -> None:
        self.params = params
        self.axis: Axis = axis if axis is not None else ModelAxis(params, position_counts)
        self.power_on(now_s)

    def power_on(self, now_s: float) -> None:
        """Start as after switching the drive's logic supply on (the position is kept:
        the encoder is absolute)."""
        self.machine = PowerStateMachine()
        self._target = round(self.axis.position_counts)
        self._target_velocity = 0.0
        self._last_target_s = now_s
        self._controlword = 0
        self._mode_requested = 0
        self._mode = 0
        self._fault_cause_present = False
        self._axis_fault = False
        self._standstill = False
        self._powered_on_s = now_s
        self._last_advance_s = now_s
        self.axis.hold(now_s, 0.0)  # no power yet: the axis stands (a plant's brake holds)

    def power_off(self, now_s: float) -> None:
        """The drive's supply went off: the axis is unpowered from now on (a plant's
        joint brakes where it is)."""
        self.axis.hold(now_s, 0.0)

    # -- process data --------------------------------------------------------------------

    def receive(self, controlword: int, target_position: int, mode: int, now_s: float) -> None:
        """Take one cycle's outputs (SM2 buffer complete)."""
        self.advance(now_s)
        self.machine.apply(controlword, self._fault_cause_present or self._axis_fault)
        self._controlword = controlword
        self.request_mode(mode)
        if self.machine.state is PowerState.OPERATION_ENABLED:
            dt = now_s - self._last_target_s
            if 0 < dt < 0.1:
                self._target_velocity = (target_position - self._target) / dt
            self._target = target_position
        else:
            # A drive that is not following holds its actual position as target, so
            # enabling it never jumps (the master sends the actual position too).
            self._target = round(self.axis.position_counts)
            self._target_velocity = 0.0
        self._last_target_s = now_s

    def request_mode(self, mode: int) -> None:
        """Object 0x6060; unsupported modes leave the displayed mode unchanged."""
        self._mode_requested = mode
        if mode in _SUPPORTED_MODES:
            self._mode = mode

    def outputs_lost(self) -> None:
        """The outputs stopped being valid (the slave left OP, or the sync-manager
        watchdog expired): a powered drive faults, as it can no longer be commanded."""
        if self.machine.state in _POWERED:
            self.machine.fault(ERROR_LEFT_OP)

    def inject_fault(self, error_code: int, persistent: bool) -> None:
        """Raise a fault; a persistent one blocks fault resets until :meth:`clear_fault_cause`."""
        self._fault_cause_present = persistent
        self.machine.fault(error_code)

    def clear_fault_cause(self) -> None:
        """The condition behind a persistent fault went away."""
        self._fault_cause_present = False

    # -- motion --------------------------------------------------------------------------

    def advance(self, now_s: float) -> None:
        """Move the axis up to ``now_s`` [s on the caller's clock]."""
        elapsed = min(now_s - self._last_advance_s, _MAX_ADVANCE_S)
        self._last_advance_s = now_s
        axis_error = self.axis.update(now_s)
        if self.machine.state is PowerState.NOT_READY_TO_SWITCH_ON:
            if now_s - self._powered_on_s >= self.params.self_test_s:
                self.machine.complete_self_test()
            return
        # A failing axis (lost position feedback) faults the drive and blocks resets
        # until it recovers.
        self._axis_fault = axis_error != 0
        if self._axis_fault:
            self.machine.fault(axis_error)
        # Also with no time elapsed: a new target reaches the axis as soon as it arrives.
        self._move(now_s, max(elapsed, 0.0))

    def _move(self, now_s: float, dt: float) -> None:
        p = self.params
        state = self.machine.state
        if state in _MOVING and self._mode in _SUPPORTED_MODES:
            self.axis.follow(self._target, self._target_velocity, now_s, dt)
            error = abs(self._target - self.axis.position_counts)
            if error > p.following_error_window_rad * p.counts_per_rad:
                self.machine.fault(ERROR_FOLLOWING)
        elif state in _RAMPING or state in _MOVING:
            self._standstill = self.axis.decelerate(now_s, dt)
            if state is PowerState.FAULT_REACTION_ACTIVE and self._standstill:
                self.machine.complete_fault_reaction()
        else:
            self.axis.hold(now_s, dt)

    # -- reported values -----------------------------------------------------------------

    @property
    def statusword(self) -> int:
        """Object 0x6041."""
        state = self.machine.state
        extra = SW_REMOTE
        if state is PowerState.OPERATION_ENABLED and self._mode in _SUPPORTED_MODES:
            extra |= SW_CSP_FOLLOWING
        if state is PowerState.QUICK_STOP_ACTIVE and self._standstill:
            extra |= SW_TARGET_REACHED
        return encode_statusword(state, extra)

    @property
    def position_actual(self) -> int:
        """Object 0x6064 [counts]."""
        return _i32(round(self.axis.position_counts))

    @property
    def velocity_actual(self) -> int:
        """Object 0x606C [counts/s]."""
        return _i32(round(self.axis.velocity_counts_s))

    @property
    def torque_actual(self) -> int:
        """Object 0x6077 [per mille of rated torque]."""
        return self.axis.torque_per_mille

    @property
    def error_code(self) -> int:
        """Object 0x603F."""
        return self.machine.error_code

    @property
    def mode_display(self) -> int:
        """Object 0x6061."""
        return self._mode

    @property
    def mode_requested(self) -> int:
        """Object 0x6060 as last written."""
        return self._mode_requested

    @property
    def controlword(self) -> int:
        """Object 0x6040 as last received."""
        return self._controlword

    @property
    def target_position(self) -> int:
        """Object 0x607A as the drive follows it [counts]."""
        return self._target


def _i32(value: int) -> int:
    return max(-(2**31), min(2**31 - 1, value))
