"""The safety supervisor in front of every motion, written against the DriveBus port only.

Every bus (serial servos, EtherCAT drives, a twin) is used through it unchanged::

    supervisor = SafetySupervisor(bus, JointLimits.from_chain(chain, bus.joint_names),
                                  SafetyConfig(), clock)
    supervisor.arm()                        # explicit: setpoints := measured, drives on
    state = supervisor.cycle()              # one cycle holding position (read, check, write)
    traj = supervisor.validate_goal(goal, state)   # GoalRejectedError before anything moves
    state = supervisor.cycle(q_setpoint)    # per control cycle; MotionAbortedError on a stop
    supervisor.estop("operator pressed stop")      # from any thread

What it relies on from the bus (the whole contract):

- ``read_state()`` gives every axis's position; an axis without a fresh reading has
  ``telemetry[k].stale`` set, and a faulted drive has ``fault_code != 0`` or
  ``status == "fault"``. Raising a :class:`~jazari.errors.JazariError` means the bus
  itself failed.
- ``write_setpoints(q)`` is how the supervisor holds the arm after a stop.
- Optional: ``quick_stop()`` (:class:`QuickStopBus`), called after the hold is written
  on every stop (an EtherCAT drive's CiA 402 quick stop); ``reset_faults()``
  (:class:`FaultResetBus`), used by ``arm(reset_faults=True)``.

Once stopped (e-stop, watchdog, drive fault, following error, bad setpoint, bus error)
the supervisor writes the hold position every cycle and refuses setpoints and goals
until :meth:`SafetySupervisor.arm` is called; nothing resumes by itself.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, runtime_checkable

import numpy as np

from jazari.control.goal import GoalRejectedError, ResultCode, TrajectoryGoal
from jazari.errors import ConfigError, JazariError
from jazari.ports import Clock, DriveBus, DriveState, FloatArray
from jazari.robot.chain import KinematicChain
from jazari.robot.trajectory import JointTrajectory

_log = logging.getLogger(__name__)


class SafetyError(JazariError):
    """Root of the supervisor's errors."""


class SafetyConfigError(SafetyError, ConfigError):
    """A safety limit or parameter is missing or bad."""


class ArmError(SafetyError):
    """Arming was refused (stale or faulted axes, or an e-stop during arming)."""


class NotArmedError(SafetyError):
    """A setpoint was given while the supervisor was not armed."""


class StopKind(Enum):
    """Why the supervisor stopped the axes."""

    ESTOP = "e-stop"
    OPERATOR = "operator stop"
    BUS_ERROR = "bus error"
    DRIVE_FAULT = "drive fault"
    WATCHDOG = "watchdog"
    FOLLOWING_ERROR = "following error"
    SETPOINT = "bad setpoint"


@dataclass(frozen=True)
class StopReason:
    """A latched stop: what, which joints, when [s on the supervisor's clock]."""

    kind: StopKind
    message: str
    joints: tuple[str, ...] = ()
    stamp_s: float = math.nan

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"


class MotionAbortedError(SafetyError):
    """The supervisor stopped every axis; the goal in progress is aborted.

    Attributes:
        reason: the latched stop.
    """

    def __init__(self, reason: StopReason) -> None:
        super().__init__(str(reason))
        self.reason = reason


class SupervisorState(Enum):
    """DISARMED: drives not enabled by us. ARMED: motion allowed. STOPPED: latched stop."""

    DISARMED = "disarmed"
    ARMED = "armed"
    STOPPED = "stopped"


@runtime_checkable
class QuickStopBus(Protocol):
    """A bus whose drives have a stop function of their own beyond holding a setpoint."""

    def quick_stop(self) -> None:
        """Bring every axis to a stop with the drive's own quick-stop ramp."""
        ...


@runtime_checkable
class FaultResetBus(Protocol):
    """A bus that can clear latched drive faults on request."""

    def reset_faults(self) -> None:
        """Clear the drives' latched faults (reboot, CiA 402 fault reset); torque stays off."""
        ...


def _finite_positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise SafetyConfigError(f"{name} must be a positive number, got {value}")
    return value


@dataclass(frozen=True, eq=False)
class JointLimits:
    """Position and velocity limits of the bus's axes, in bus order.

    Attributes:
        joint_names: axis names.
        lower, upper: position limits [rad].
        velocity: speed limits [rad/s].
    """

    joint_names: tuple[str, ...]
    lower: FloatArray
    upper: FloatArray
    velocity: FloatArray

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        for name in ("lower", "upper", "velocity"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != (n,) or not np.all(np.isfinite(arr)):
                raise SafetyConfigError(f"{name} limits must be {n} finite values, got {arr}")
            object.__setattr__(self, name, arr)
        if np.any(self.lower > self.upper):
            k = int(np.argmax(self.lower > self.upper))
            raise SafetyConfigError(
                f"{self.joint_names[k]}: lower limit {self.lower[k]} above upper {self.upper[k]}"
            )
        if np.any(self.velocity <= 0):
            k = int(np.argmax(self.velocity <= 0))
            raise SafetyConfigError(f"{self.joint_names[k]}: velocity limit must be > 0")

    @classmethod
    def from_chain(cls, chain: KinematicChain, joint_names: Sequence[str]) -> JointLimits:
        """The URDF limits of ``chain`` reordered to the bus's ``joint_names``.

        Raises:
            SafetyConfigError: when a bus joint is not in the chain.
        """
        missing = [n for n in joint_names if n not in chain.joint_names]
        if missing:
            raise SafetyConfigError(
                f"bus joints {missing} are not in the arm chain {chain.joint_names}"
            )
        idx = [chain.joint_names.index(n) for n in joint_names]
        return cls(tuple(joint_names), chain.lower[idx], chain.upper[idx], chain.velocity[idx])


@dataclass(frozen=True)
class SafetyConfig:
    """Limits of the supervisor (``config/serial_driver.yaml``, ``safety.*``).

    Attributes:
        watchdog_cycles: consecutive cycles without a fresh reading of an axis that stop
            every axis.
        max_following_error_rad: largest allowed |measured − last setpoint| per axis
            (one value for all, or one per axis) [rad]; also the farthest a new setpoint
            may be from the measured position.
        start_tolerance_rad: largest distance between a goal's first point (at t = 0)
            and the measured position [rad].
        velocity_margin: allowed setpoint speed as a multiple of the velocity limit.
        max_setpoint_gap_s: longest time a setpoint's speed check credits since the
            previous setpoint [s]; a late cycle does not license a large jump.
        setpoint_jitter_s: time added to that credit for the jitter between when a
            setpoint was sampled and when it was written [s].
    """

    watchdog_cycles: int = 3
    max_following_error_rad: float | tuple[float, ...] = 0.2
    start_tolerance_rad: float = 0.05
    velocity_margin: float = 1.2
    max_setpoint_gap_s: float = 0.05
    setpoint_jitter_s: float = 0.01

    def __post_init__(self) -> None:
        if int(self.watchdog_cycles) != self.watchdog_cycles or self.watchdog_cycles < 1:
            raise SafetyConfigError(
                f"watchdog_cycles must be an integer >= 1, got {self.watchdog_cycles}"
            )
        errors = self.max_following_error_rad
        for value in errors if isinstance(errors, tuple) else (errors,):
            _finite_positive("max_following_error_rad", value)
        _finite_positive("start_tolerance_rad", self.start_tolerance_rad)
        _finite_positive("velocity_margin", self.velocity_margin)
        _finite_positive("max_setpoint_gap_s", self.max_setpoint_gap_s)
        _finite_positive("setpoint_jitter_s", self.setpoint_jitter_s)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SafetyConfig:
        """From the ``safety`` mapping of a driver's parameters (absent keys: defaults)."""
        section = params.get("safety", {})
        if not isinstance(section, Mapping):
            raise SafetyConfigError(f"'safety' must be a mapping, got {section!r}")
        following = section.get("max_following_error_rad", 0.2)
        return cls(
            watchdog_cycles=int(section.get("watchdog_cycles", 3)),
            max_following_error_rad=(
                tuple(float(v) for v in following)
                if isinstance(following, list | tuple)
                else float(following)
            ),
            start_tolerance_rad=float(section.get("start_tolerance_rad", 0.05)),
            velocity_margin=float(section.get("velocity_margin", 1.2)),
            max_setpoint_gap_s=float(section.get("max_setpoint_gap_s", 0.05)),
            setpoint_jitter_s=float(section.get("setpoint_jitter_s", 0.01)),
        )

    def following_limits(self, n: int) -> FloatArray:
        """The following-error limit of each of ``n`` axes [rad]."""
        value = self.max_following_error_rad
        if isinstance(value, tuple):
            if len(value) != n:
                raise SafetyConfigError(
                    f"max_following_error_rad has {len(value)} values for {n} axes"
                )
            return np.array(value, dtype=float)
        return np.full(n, float(value))


class SafetySupervisor:
    """Validates goals, checks every cycle, stops every axis, and re-arms only on request.

    Args:
        bus: the drives.
        limits: the axes' limits, in ``bus.joint_names`` order.
        config: supervisor limits.
        clock: the cell's clock.

    Call :meth:`cycle`, :meth:`arm` and :meth:`disarm` from the control thread only;
    :meth:`estop` and :meth:`stop` may be called from any thread.
    """

    def __init__(
        self, bus: DriveBus, limits: JointLimits, config: SafetyConfig, clock: Clock
    ) -> None:
        if tuple(limits.joint_names) != tuple(bus.joint_names):
            raise SafetyConfigError(
                f"limits are for {limits.joint_names}, the bus has {bus.joint_names}"
            )
        self.bus = bus
        self.limits = limits
        self.config = config
        self.clock = clock
        n = len(limits.joint_names)
        self._names = tuple(limits.joint_names)
        self._following = config.following_limits(n)
        self._lock = threading.Lock()
        self._state = SupervisorState.DISARMED
        self._reason: StopReason | None = None
        self._unreported = False
        self._stop_epoch = 0
        self._hold: FloatArray | None = None
        self._setpoint: FloatArray | None = None
        self._setpoint_time_s = -math.inf
        self._missed = [0] * n
        self._speed_limit = limits.velocity * config.velocity_margin
        #: The last state read (None before the first cycle).
        self.last_state: DriveState | None = None

    # -- status -----------------------------------------------------------------------

    @property
    def state(self) -> SupervisorState:
        """Disarmed, armed or stopped."""
        return self._state

    @property
    def stop_reason(self) -> StopReason | None:
        """The latched stop (kept after a disarm; cleared by :meth:`arm`)."""
        return self._reason

    @property
    def setpoint(self) -> FloatArray | None:
        """The last setpoint written while armed, or the hold position when stopped."""
        return self._hold if self._state is SupervisorState.STOPPED else self._setpoint

    # -- stopping ---------------------------------------------------------------------

    def estop(self, reason: str = "software e-stop") -> None:
        """Stop every axis: the next cycle writes the hold position (thread-safe)."""
        self._latch(StopReason(StopKind.ESTOP, reason, (), self.clock.now()))

    def stop(self, reason: str) -> None:
        """An operator's controlled stop; same latch as the e-stop (thread-safe)."""
        self._latch(StopReason(StopKind.OPERATOR, reason, (), self.clock.now()))

    def _latch(self, reason: StopReason, hold: FloatArray | None = None) -> bool:
        """Enter STOPPED with ``reason`` unless already stopped; True when this latched."""
        with self._lock:
            self._stop_epoch += 1
            if self._state is SupervisorState.STOPPED:
                return False
            self._state = SupervisorState.STOPPED
            self._reason = reason
            self._hold = hold
            self._unreported = True
        _log.error("safety stop: %s", reason)
        return True

    def _hold_position(self, state: DriveState | None) -> FloatArray | None:
        """Measured positions (last known for stale axes), else the last setpoint."""
        if state is not None and np.all(np.isfinite(state.position_rad)):
            return np.array(state.position_rad, dtype=float)
        return None if self._setpoint is None else self._setpoint.copy()

    def _write_hold(self) -> None:
        hold = self._hold
        try:
            if hold is not None:
                self.bus.write_setpoints(hold)
            if isinstance(self.bus, QuickStopBus):
                self.bus.quick_stop()
        except JazariError as exc:
            _log.error("could not write the hold position: %s", exc)

    # -- the control cycle ------------------------------------------------------------

    def cycle(self, q_setpoint_rad: FloatArray | None = None) -> DriveState:
        """One control cycle: read every axis, check, then write.

        Armed: writes ``q_setpoint_rad`` after checking it (None holds the last
        setpoint). Stopped: writes the hold position. Disarmed: writes nothing.

        Raises:
            MotionAbortedError: when this cycle (or an e-stop since the last one) stopped the
                axes, or a setpoint was given while stopped.
            NotArmedError: a setpoint was given while disarmed.
        """
        # Setpoint speeds are judged between cycle starts, where the follower samples
        # its trajectory, not between writes, which a slow read can delay.
        started_s = self.clock.now()
        try:
            state = self.bus.read_state()
        except JazariError as exc:
            self._latch(
                StopReason(
                    StopKind.BUS_ERROR,
                    f"reading the drives failed: {exc}",
                    self._names,
                    self.clock.now(),
                ),
                self._hold_position(self.last_state),
            )
            self._write_hold()
            return self._report_stop(self.last_state, force=True)
        self.last_state = state
        problem = self._check_state(state)
        if problem is not None and self._state is SupervisorState.ARMED:
            self._latch(problem, self._hold_position(state))
        if self._state is SupervisorState.STOPPED:
            if self._hold is None:
                self._hold = self._hold_position(state)
            self._write_hold()
            return self._report_stop(state, force=q_setpoint_rad is not None)
        if self._state is SupervisorState.DISARMED:
            if q_setpoint_rad is not None:
                raise NotArmedError("the supervisor is not armed; call arm() first")
            return state
        target = (
            self._setpoint
            if q_setpoint_rad is None
            else self._check_setpoint(q_setpoint_rad, state, started_s)
        )
        if target is not None:
            self.bus.write_setpoints(target)
            self._setpoint = target
            self._setpoint_time_s = started_s
        return state

    def _report_stop(self, state: DriveState | None, *, force: bool) -> DriveState:
        with self._lock:
            unreported, self._unreported = self._unreported, False
            reason = self._reason
        if (unreported or force) and reason is not None:
            raise MotionAbortedError(reason)
        if state is None:
            raise MotionAbortedError(
                StopReason(StopKind.BUS_ERROR, "no state was ever read", self._names)
            )
        return state

    def _check_state(self, state: DriveState) -> StopReason | None:
        """The most severe problem in ``state``, or None; updates the watchdog counts.

        Runs every cycle, so it sticks to a few whole-array operations (on six axes
        each numpy call costs more than the arithmetic).
        """
        names, telemetry = self._names, state.telemetry
        if len(telemetry) == len(names):
            stale = [t.stale for t in telemetry]
        else:  # a bus without telemetry: a non-finite position is no reading
            stale = (~np.isfinite(state.position_rad)).tolist()
        missed = self._missed
        for k, is_stale in enumerate(stale):
            missed[k] = missed[k] + 1 if is_stale else 0
        if any(t.fault_code or t.status == "fault" for t in telemetry):
            faulted = [
                (n, t)
                for n, t in zip(names, telemetry, strict=True)
                if t.fault_code or t.status == "fault"
            ]
            detail = ", ".join(f"{n} (code 0x{t.fault_code:X}, {t.status})" for n, t in faulted)
            return StopReason(
                StopKind.DRIVE_FAULT,
                f"drive fault on {detail}",
                tuple(n for n, _ in faulted),
                self.clock.now(),
            )
        cycles = self.config.watchdog_cycles
        if max(missed) >= cycles:
            joints = tuple(n for n, m in zip(names, missed, strict=True) if m >= cycles)
            return StopReason(
                StopKind.WATCHDOG,
                f"no fresh reading from {', '.join(joints)} for {cycles} cycles",
                joints,
                self.clock.now(),
            )
        if self._setpoint is not None and self._state is SupervisorState.ARMED:
            error = np.abs(state.position_rad - self._setpoint)
            over = error > self._following
            if any(stale):
                over &= ~np.array(stale)
            if over.any():
                k = int(over.argmax())
                return StopReason(
                    StopKind.FOLLOWING_ERROR,
                    f"{names[k]} is {error[k]:.4f} rad from its setpoint "
                    f"(limit {self._following[k]} rad)",
                    tuple(names[j] for j in np.flatnonzero(over)),
                    self.clock.now(),
                )
        return None

    def _check_setpoint(
        self, q_setpoint_rad: FloatArray, state: DriveState, now_s: float
    ) -> FloatArray:
        """``q_setpoint_rad`` as an array if it is safe to write at ``now_s``; else stop
        and raise."""
        q = np.array(q_setpoint_rad, dtype=float)
        problem = self._setpoint_problem(q, state, now_s)
        if problem is None:
            return q
        message, k = problem
        joints = (self._names[k],) if k >= 0 else self._names
        self._latch(
            StopReason(StopKind.SETPOINT, message, joints, self.clock.now()),
            self._hold_position(state),
        )
        self._write_hold()
        with self._lock:
            self._unreported = False
        raise MotionAbortedError(self._reason or StopReason(StopKind.SETPOINT, message, joints))

    def _setpoint_problem(
        self, q: FloatArray, state: DriveState, now_s: float
    ) -> tuple[str, int] | None:
        """What is wrong with setpoint ``q`` and which axis (-1: all), or None."""
        names, lim = self._names, self.limits
        if q.shape != (len(names),):
            return f"setpoint must have shape ({len(names)},), got {q.shape}", -1
        finite = np.isfinite(q)
        if not finite.all():
            k = int(finite.argmin())
            return f"setpoint of {names[k]} is {q[k]}", k
        outside = (q < lim.lower) | (q > lim.upper)
        if outside.any():
            k = int(outside.argmax())
            return f"setpoint {q[k]} of {names[k]} is outside [{lim.lower[k]}, {lim.upper[k]}]", k
        elapsed = max(now_s - self._setpoint_time_s, 0.0)
        credit = min(elapsed, self.config.max_setpoint_gap_s) + self.config.setpoint_jitter_s
        allowed = self._speed_limit * credit + 1e-9
        if self._setpoint is not None:
            excess = np.abs(q - self._setpoint) - allowed
            if (excess > 0).any():
                k = int(excess.argmax())
                step = excess[k] + allowed[k]
                return (
                    f"setpoint of {names[k]} moves {step:.4f} rad in one cycle "
                    f"(allowed {allowed[k]:.4f})",
                    k,
                )
        distance = np.abs(q - state.position_rad)
        far = distance > self._following
        if far.any():
            k = int(far.argmax())
            return (
                f"setpoint of {names[k]} is {distance[k]:.4f} rad from its measured position "
                f"(limit {self._following[k]} rad)",
                k,
            )
        return None

    # -- arming -----------------------------------------------------------------------

    def arm(self, *, reset_faults: bool = False) -> DriveState:
        """Allow motion again: setpoints := measured positions, then enable the drives.

        Args:
            reset_faults: first ask the bus to clear latched drive faults (needs a
                :class:`FaultResetBus`).

        Raises:
            ArmError: an axis is stale or faulted (named), the bus cannot reset faults,
                or an e-stop arrived while arming.
        """
        with self._lock:
            epoch = self._stop_epoch
        if reset_faults:
            if not isinstance(self.bus, FaultResetBus):
                raise ArmError(f"{type(self.bus).__name__} cannot reset drive faults")
            self.bus.reset_faults()
        state = self.bus.read_state()
        self.last_state = state
        stale = [n for n, t in zip(self._names, state.telemetry, strict=True) if t.stale]
        if stale or not np.all(np.isfinite(state.position_rad)):
            raise ArmError(f"cannot arm: no fresh reading from {stale or list(self._names)}")
        faulted = [
            f"{n} (code 0x{t.fault_code:X}, {t.status})"
            for n, t in zip(self._names, state.telemetry, strict=True)
            if t.fault_code or t.status == "fault"
        ]
        if faulted:
            raise ArmError(f"cannot arm: drive faults on {', '.join(faulted)}; reset them first")
        q = np.array(state.position_rad, dtype=float)
        self.bus.write_setpoints(q)
        self.bus.enable()
        with self._lock:
            if self._stop_epoch != epoch:
                raise ArmError(f"a stop arrived while arming: {self._reason}")
            self._state = SupervisorState.ARMED
            self._reason = None
            self._unreported = False
            self._hold = None
            self._setpoint = q
            self._setpoint_time_s = self.clock.now()
            self._missed = [0] * len(self._names)
        _log.info("armed at %s", np.round(q, 4))
        return state

    def hold_measured(self) -> DriveState:
        """While armed, make the measured positions the setpoint: an arm that lags or is
        blocked stops pushing toward an old setpoint, and the next goal starts from where
        it is.

        Raises:
            NotArmedError: the supervisor is not armed (a stopped cell is re-armed only
                by :meth:`arm`).
        """
        with self._lock:
            if self._state is not SupervisorState.ARMED:
                raise NotArmedError(
                    f"hold_measured needs an armed supervisor, it is {self._state.value}"
                )
        state = self.bus.read_state()
        q = np.array(state.position_rad, dtype=float)
        self.bus.write_setpoints(q)
        self.last_state = state
        self._setpoint = q
        self._setpoint_time_s = self.clock.now()
        return state

    def disarm(self) -> None:
        """Disable the drives; the latched stop reason, if any, is kept for inspection."""
        self.bus.disable()
        with self._lock:
            self._state = SupervisorState.DISARMED
            self._setpoint = None
            self._hold = None

    # -- goals ------------------------------------------------------------------------

    def validate_goal(
        self, goal: TrajectoryGoal | JointTrajectory, measured: DriveState | None = None
    ) -> JointTrajectory:
        """Check a goal before anything moves; the trajectory to follow, in bus order.

        A first sample at t > 0 gets the measured position prepended at t = 0 (the
        arm moves there from where it is); a first sample at t = 0 must be within
        ``start_tolerance_rad`` of the measured position.

        Args:
            goal: the goal as received, or a built trajectory.
            measured: a fresh state (default: the last state read).

        Raises:
            GoalRejectedError: with INVALID_JOINTS or INVALID_GOAL and a message naming the
                joint, sample and value at fault.
        """
        if isinstance(goal, JointTrajectory):
            goal = TrajectoryGoal.from_trajectory(goal)
        if self._state is not SupervisorState.ARMED:
            why = f" ({self._reason})" if self._reason is not None else ""
            raise GoalRejectedError(
                ResultCode.INVALID_GOAL, f"the supervisor is {self._state.value}{why}; arm it first"
            )
        order = self._joint_order(goal.joint_names)
        t, q, v = _goal_arrays(goal, len(order))
        q, v = q[:, order], (v[:, order] if v is not None else None)
        self._check_limits(t, q, v)
        state = measured if measured is not None else self.last_state
        if (
            state is None
            or any(tel.stale for tel in state.telemetry)
            or not np.all(np.isfinite(state.position_rad))
        ):
            raise GoalRejectedError(
                ResultCode.INVALID_GOAL, "no fresh measured state of every axis to start from"
            )
        q_now = np.asarray(state.position_rad, dtype=float)
        if t[0] <= 1e-9:
            gap = np.abs(q[0] - q_now)
            if np.any(gap > self.config.start_tolerance_rad):
                k = int(np.argmax(gap))
                raise GoalRejectedError(
                    ResultCode.INVALID_GOAL,
                    f"the goal starts {gap[k]:.4f} rad away from the measured position of "
                    f"{self._names[k]} (tolerance {self.config.start_tolerance_rad} rad)",
                )
        else:
            t = np.concatenate(([0.0], t))
            q = np.vstack((q_now, q))
            if v is not None:
                v = np.vstack((np.zeros_like(q_now), v))
            self._check_limits(t[:2], q[:2], None)
        if v is None:
            v = _velocities_from_positions(t, q)
        return JointTrajectory(self._names, t, q, v, np.zeros_like(q))

    def _joint_order(self, joint_names: Sequence[str]) -> list[int]:
        names = [str(n) for n in joint_names]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise GoalRejectedError(
                ResultCode.INVALID_JOINTS, f"joint names repeat in the goal: {repeated}"
            )
        unknown = [n for n in names if n not in self._names]
        if unknown:
            raise GoalRejectedError(
                ResultCode.INVALID_JOINTS,
                f"unknown joints {unknown}; the bus has {list(self._names)}",
            )
        missing = [n for n in self._names if n not in names]
        if missing:
            raise GoalRejectedError(
                ResultCode.INVALID_JOINTS,
                f"the goal lacks joints {missing} (partial goals are not supported)",
            )
        return [names.index(n) for n in self._names]

    def _check_limits(self, t: FloatArray, q: FloatArray, v: FloatArray | None) -> None:
        lim, names = self.limits, self._names
        bad = (q < lim.lower) | (q > lim.upper)
        if np.any(bad):
            i, k = (int(x) for x in np.argwhere(bad)[0])
            raise GoalRejectedError(
                ResultCode.INVALID_GOAL,
                f"sample {i}: position {q[i, k]} of {names[k]} is outside "
                f"[{lim.lower[k]}, {lim.upper[k]}] rad",
            )
        if v is not None:
            fast = np.abs(v) > lim.velocity * (1 + 1e-9)
            if np.any(fast):
                i, k = (int(x) for x in np.argwhere(fast)[0])
                raise GoalRejectedError(
                    ResultCode.INVALID_GOAL,
                    f"sample {i}: velocity {v[i, k]} of {names[k]} exceeds its limit "
                    f"{lim.velocity[k]} rad/s",
                )
        if len(t) > 1:
            speed = np.abs(np.diff(q, axis=0)) / np.diff(t)[:, None]
            fast = speed > lim.velocity * (1 + 1e-6)
            if np.any(fast):
                i, k = (int(x) for x in np.argwhere(fast)[0])
                raise GoalRejectedError(
                    ResultCode.INVALID_GOAL,
                    f"samples {i}-{i + 1}: {names[k]} would move at {speed[i, k]:.4f} rad/s, "
                    f"above its limit {lim.velocity[k]} rad/s",
                )


def _goal_arrays(goal: TrajectoryGoal, n: int) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """The goal's times, positions and velocities as checked float arrays (goal column order)."""
    try:
        t = np.asarray(goal.time_from_start_s, dtype=float).reshape(-1)
        q = np.asarray(goal.positions, dtype=float)
        v = None if goal.velocities is None else np.asarray(goal.velocities, dtype=float)
    except (TypeError, ValueError) as exc:
        raise GoalRejectedError(
            ResultCode.INVALID_GOAL, f"the goal's arrays are not numeric: {exc}"
        ) from None
    k = len(t)
    if k == 0:
        raise GoalRejectedError(ResultCode.INVALID_GOAL, "the goal has no samples")
    if q.shape != (k, n):
        raise GoalRejectedError(
            ResultCode.INVALID_GOAL, f"positions must have shape ({k}, {n}), got {q.shape}"
        )
    if v is not None and v.shape != (k, n):
        raise GoalRejectedError(
            ResultCode.INVALID_GOAL, f"velocities must have shape ({k}, {n}), got {v.shape}"
        )
    for name, arr in (("time_from_start_s", t), ("positions", q), ("velocities", v)):
        if arr is not None and not np.all(np.isfinite(arr)):
            where = np.argwhere(~np.isfinite(arr))[0]
            raise GoalRejectedError(
                ResultCode.INVALID_GOAL,
                f"{name}{[int(x) for x in where]} is {arr[tuple(where)]}",
            )
    if t[0] < 0:
        raise GoalRejectedError(
            ResultCode.INVALID_GOAL, f"time_from_start_s[0] is negative: {t[0]}"
        )
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0)) + 1
        raise GoalRejectedError(
            ResultCode.INVALID_GOAL,
            f"times must strictly increase: sample {i} at {t[i]} s is not after "
            f"sample {i - 1} at {t[i - 1]} s",
        )
    return t, q, v


def _velocities_from_positions(t: FloatArray, q: FloatArray) -> FloatArray:
    """Central differences inside, zero at both ends (the arm starts and ends at rest)."""
    v = np.zeros_like(q)
    if len(t) > 2:
        v[1:-1] = (q[2:] - q[:-2]) / (t[2:] - t[:-2])[:, None]
    return v
