"""Streams a time-parameterised trajectory to a DriveBus through the safety supervisor.

The follower is the core of a ``FollowJointTrajectory`` action server: it returns the
action's result code with an error string, and never touches the bus except through
:class:`~jazari.control.safety.SafetySupervisor`. Each cycle at ``rate_hz`` samples the
trajectory at the time elapsed since its start, hands the setpoint to the supervisor
(one read and one write of the bus), and checks the path tolerance (measured against
desired, per joint, while the trajectory runs) and, after its end, the goal tolerance
within ``goal_time_tolerance_s``. A late cycle advances the trajectory by at most two
periods, so a stall delays the motion rather than making the arm jump.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jazari.control.goal import GoalRejectedError, ResultCode, TrajectoryGoal
from jazari.control.rate import RateLoop
from jazari.control.safety import MotionAbortedError, SafetyConfigError, SafetySupervisor
from jazari.errors import JazariError
from jazari.ports import Clock, DriveState
from jazari.robot.trajectory import JointTrajectory

_log = logging.getLogger(__name__)

# Bus cycles a goal may take to get a fresh reading of every axis before it starts.
_START_READS = 3


@dataclass(frozen=True)
class FollowerConfig:
    """How the follower streams and judges a trajectory.

    Attributes:
        rate_hz: control rate [Hz].
        goal_tolerance_rad: largest final |measured − goal| per joint [rad].
        goal_time_tolerance_s: how long after the trajectory's end the goal tolerance
            may take to be met [s].
        path_tolerance_rad: largest |measured − desired| per joint while moving [rad];
            None: only the supervisor's following-error limit applies.
        old_goal_tolerance_s: how far in the past a goal's start plus duration may lie
            before it is refused as old [s].
    """

    rate_hz: float = 500.0
    goal_tolerance_rad: float = 0.02
    goal_time_tolerance_s: float = 1.0
    path_tolerance_rad: float | None = 0.3
    old_goal_tolerance_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("rate_hz", "goal_tolerance_rad"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise SafetyConfigError(f"follower {name} must be > 0, got {value}")
        for name in ("goal_time_tolerance_s", "old_goal_tolerance_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise SafetyConfigError(f"follower {name} must be >= 0, got {value}")
        tol = self.path_tolerance_rad
        if tol is not None and not (math.isfinite(tol) and tol > 0):
            raise SafetyConfigError(f"follower path_tolerance_rad must be > 0 or None, got {tol}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FollowerConfig:
        """From a driver's parameters: ``rate_hz`` and the ``follower`` mapping."""
        section = params.get("follower", {})
        if not isinstance(section, Mapping):
            raise SafetyConfigError(f"'follower' must be a mapping, got {section!r}")
        path = section.get("path_tolerance_rad", 0.3)
        return cls(
            rate_hz=float(params.get("rate_hz", 500.0)),
            goal_tolerance_rad=float(section.get("goal_tolerance_rad", 0.02)),
            goal_time_tolerance_s=float(section.get("goal_time_tolerance_s", 1.0)),
            path_tolerance_rad=None if path is None or float(path) <= 0 else float(path),
            old_goal_tolerance_s=float(section.get("old_goal_tolerance_s", 0.0)),
        )


@dataclass(frozen=True, eq=False)
class FollowResult:
    """The outcome of one goal.

    Attributes:
        code: the FollowJointTrajectory result code.
        error_string: why, when not successful ("" otherwise).
        status: ``"succeeded"``, ``"aborted"``, ``"rejected"`` or ``"canceled"`` (the
            action's terminal state).
        cycles: control cycles run.
        final_state: the last state read, if any.
        tick_times_s: start time of every cycle on the follower's clock [s].
    """

    code: ResultCode
    error_string: str
    status: str
    cycles: int = 0
    final_state: DriveState | None = None
    tick_times_s: tuple[float, ...] = field(default=(), repr=False)

    @property
    def successful(self) -> bool:
        """True when the goal was reached within its tolerances."""
        return self.code is ResultCode.SUCCESSFUL and self.status == "succeeded"


class TrajectoryFollower:
    """Follows trajectories on a supervised bus.

    Args:
        supervisor: the only way to the drives.
        clock: the cell's clock (its ``sleep`` paces the loop).
        config: rate and tolerances.
    """

    def __init__(self, supervisor: SafetySupervisor, clock: Clock, config: FollowerConfig) -> None:
        self.supervisor = supervisor
        self.clock = clock
        self.config = config
        self._cancel = threading.Event()

    def hold(self) -> None:
        """Make the measured positions the drives' setpoint (the supervisor must be armed)."""
        self.supervisor.hold_measured()

    def cancel(self) -> None:
        """Stop following at the next cycle and hold the last setpoint (thread-safe)."""
        self._cancel.set()

    def follow(
        self,
        goal: TrajectoryGoal | JointTrajectory,
        *,
        start_time_s: float | None = None,
        on_cycle: Callable[[int, DriveState], None] | None = None,
    ) -> FollowResult:
        """Follow ``goal`` to its end; the result code says how it went.

        Args:
            goal: the goal as received, or a built trajectory.
            start_time_s: when the trajectory's t = 0 is on the clock (the goal header's
                stamp); None starts now. A later time waits, holding position.
            on_cycle: called after every cycle with its index and the state read (for
                feedback messages and tests).
        """
        self._cancel.clear()
        supervisor, clock = self.supervisor, self.clock
        duration = _duration(goal)
        if (
            start_time_s is not None
            and start_time_s + duration < clock.now() - self.config.old_goal_tolerance_s
        ):
            return FollowResult(
                ResultCode.OLD_HEADER_TIMESTAMP,
                f"the goal ended at {start_time_s + duration:.6f} s, "
                f"before now ({clock.now():.6f} s)",
                "rejected",
            )
        try:
            measured = supervisor.cycle()
            # one missed reply must not refuse a goal: read again, a bounded number of times
            for _ in range(_START_READS - 1):
                if not any(tel.stale for tel in measured.telemetry):
                    break
                measured = supervisor.cycle()
            trajectory = supervisor.validate_goal(goal, measured)
        except GoalRejectedError as exc:
            return FollowResult(exc.code, str(exc), "rejected", final_state=supervisor.last_state)
        except MotionAbortedError as exc:
            return FollowResult(ResultCode.INVALID_GOAL, f"not following: {exc}", "rejected")
        return self._run(trajectory, start_time_s, on_cycle)

    def _run(
        self,
        trajectory: JointTrajectory,
        start_time_s: float | None,
        on_cycle: Callable[[int, DriveState], None] | None,
    ) -> FollowResult:
        config, supervisor = self.config, self.supervisor
        loop = RateLoop(self.clock, config.rate_hz)
        q_goal = trajectory.positions[-1]
        duration = trajectory.duration_s
        t0: float | None = start_time_s
        state: DriveState | None = supervisor.last_state
        cycle = 0
        # Trajectory time advances with the clock, but by at most two periods a cycle:
        # after a stall (a late wake-up) the arm resumes along its path, delayed,
        # instead of jumping to where the path has got to meanwhile.
        max_step_s = 2.0 / config.rate_hz
        t = 0.0
        last_tick: float | None = None

        def result(code: ResultCode, message: str, status: str) -> FollowResult:
            return FollowResult(code, message, status, cycle, state, tuple(loop.tick_times_s))

        def out_of_tolerance(code: ResultCode, message: str) -> FollowResult:
            # As a ros2_control trajectory controller does on abort: hold where the arm
            # is, so a blocked arm stops pushing and the next goal starts from there.
            try:
                self.hold()
            except JazariError as exc:
                _log.warning("could not hold the measured position after an abort: %s", exc)
            return result(code, message, "aborted")

        while True:
            tick = loop.wait()
            if t0 is None:
                t0 = tick
            if last_tick is None or tick < t0:
                t = tick - t0
            else:
                t += min(tick - last_tick, max_step_s)
            last_tick = tick
            if self._cancel.is_set():
                return result(ResultCode.SUCCESSFUL, "canceled", "canceled")
            q_des, _ = trajectory.sample(max(t, 0.0))
            try:
                state = supervisor.cycle(q_des if t >= 0 else None)
            except MotionAbortedError as exc:
                return result(ResultCode.PATH_TOLERANCE_VIOLATED, f"aborted: {exc}", "aborted")
            if on_cycle is not None:
                on_cycle(cycle, state)
            cycle += 1
            error = np.abs(state.position_rad - q_des)
            tolerance = config.path_tolerance_rad
            if tolerance is not None and 0 <= t <= duration and error.max() > tolerance:
                k = int(error.argmax())
                return out_of_tolerance(
                    ResultCode.PATH_TOLERANCE_VIOLATED,
                    f"{trajectory.joint_names[k]} is {error[k]:.4f} rad from the path at "
                    f"t = {t:.3f} s (tolerance {tolerance} rad)",
                )
            if t >= duration:
                final = np.abs(state.position_rad - q_goal)
                if final.max() <= config.goal_tolerance_rad:
                    return result(ResultCode.SUCCESSFUL, "", "succeeded")
                if t > duration + config.goal_time_tolerance_s:
                    k = int(final.argmax())
                    return out_of_tolerance(
                        ResultCode.GOAL_TOLERANCE_VIOLATED,
                        f"{trajectory.joint_names[k]} ended {final[k]:.4f} rad from its goal "
                        f"(tolerance {config.goal_tolerance_rad} rad) "
                        f"{config.goal_time_tolerance_s} s after the trajectory's end",
                    )


def _duration(goal: TrajectoryGoal | JointTrajectory) -> float:
    """The goal's last time [s] (0 when it cannot be read; validation rejects it later)."""
    if isinstance(goal, JointTrajectory):
        return goal.duration_s
    try:
        times = np.asarray(goal.time_from_start_s, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return 0.0
    return float(times[-1]) if times.size and np.isfinite(times[-1]) else 0.0
