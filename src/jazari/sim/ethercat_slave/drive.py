"""An emulated CiA 402 servo drive in cyclic synchronous position mode.

The power state machine is :class:`jazari.control.cia402.PowerStateMachine`, the same code
the master plans against. The motor is a position loop with velocity feed-forward,
velocity and acceleration limits, a following-error monitor, a quick-stop ramp, and a
fault reaction that ramps to standstill before entering FAULT. Positions are kept in
encoder counts, as the drive reports them.
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
from jazari.sim.ethercat_slave.errors import EmulatorError

ERROR_FOLLOWING = 0x8611
ERROR_LEFT_OP = 0xA000
_MAX_STEP_S = 0.0005  # integration sub-step [s]: keeps the position loop stable
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
        position_counts: initial encoder position [counts].
        now_s: the caller's clock at power-on [s].
    """

    def __init__(self, params: DriveParameters, position_counts: int, now_s: float) -> None:
        self.params = params
        self._position = float(position_counts)
        self.power_on(now_s)

    def power_on(self, now_s: float) -> None:
        """Start as after switching the drive's logic supply on (the position is kept:
        the encoder is absolute)."""
        self.machine = PowerStateMachine()
        self._velocity = 0.0
        self._acceleration = 0.0
        self._target = round(self._position)
        self._target_velocity = 0.0
        self._last_target_s = now_s
        self._controlword = 0
        self._mode_requested = 0
        self._mode = 0
        self._fault_cause_present = False
        self._powered_on_s = now_s
        self._last_advance_s = now_s

    # -- process data --------------------------------------------------------------------

    def receive(self, controlword: int, target_position: int, mode: int, now_s: float) -> None:
        """Take one cycle's outputs (SM2 buffer complete)."""
        self.advance(now_s)
        self.machine.apply(controlword, self._fault_cause_present)
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
            self._target = round(self._position)
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
        """Move the motor up to ``now_s`` [s on the caller's clock]."""
        elapsed = min(now_s - self._last_advance_s, _MAX_ADVANCE_S)
        self._last_advance_s = now_s
        if self.machine.state is PowerState.NOT_READY_TO_SWITCH_ON:
            if now_s - self._powered_on_s >= self.params.self_test_s:
                self.machine.complete_self_test()
            return
        steps = max(1, math.ceil(elapsed / _MAX_STEP_S)) if elapsed > 0 else 0
        for _ in range(steps):
            self._step(elapsed / steps)

    def _step(self, dt: float) -> None:
        p = self.params
        state = self.machine.state
        if state in _MOVING and self._mode in _SUPPORTED_MODES:
            error = self._target - self._position
            command = self._target_velocity + p.position_gain_per_s * error
            vmax = p.max_velocity_rad_s * p.counts_per_rad
            command = max(-vmax, min(vmax, command))
            dv_max = p.max_acceleration_rad_s2 * p.counts_per_rad * dt
            dv = max(-dv_max, min(dv_max, command - self._velocity))
            self._move(dv, dt)
            if abs(self._target - self._position) > p.following_error_window_rad * p.counts_per_rad:
                self.machine.fault(ERROR_FOLLOWING)
        elif state in _RAMPING or state in _MOVING:
            dv_max = p.quick_stop_deceleration_rad_s2 * p.counts_per_rad * dt
            dv = max(-dv_max, min(dv_max, -self._velocity))
            self._move(dv, dt)
            if state is PowerState.FAULT_REACTION_ACTIVE and self._velocity == 0.0:
                self.machine.complete_fault_reaction()
        else:
            self._velocity = 0.0
            self._acceleration = 0.0

    def _move(self, dv: float, dt: float) -> None:
        self._acceleration = dv / dt
        self._velocity += dv
        self._position += self._velocity * dt

    # -- reported values -----------------------------------------------------------------

    @property
    def statusword(self) -> int:
        """Object 0x6041."""
        state = self.machine.state
        extra = SW_REMOTE
        if state is PowerState.OPERATION_ENABLED and self._mode in _SUPPORTED_MODES:
            extra |= SW_CSP_FOLLOWING
        if state is PowerState.QUICK_STOP_ACTIVE and self._velocity == 0.0:
            extra |= SW_TARGET_REACHED
        return encode_statusword(state, extra)

    @property
    def position_actual(self) -> int:
        """Object 0x6064 [counts]."""
        return _i32(round(self._position))

    @property
    def velocity_actual(self) -> int:
        """Object 0x606C [counts/s]."""
        return _i32(round(self._velocity))

    @property
    def torque_actual(self) -> int:
        """Object 0x6077 [per mille of rated torque]."""
        p = self.params
        accel_rad = self._acceleration / p.counts_per_rad
        vel_rad = self._velocity / p.counts_per_rad
        torque = p.torque_per_acceleration * accel_rad + p.torque_per_velocity * vel_rad
        return max(-32768, min(32767, round(torque)))

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
