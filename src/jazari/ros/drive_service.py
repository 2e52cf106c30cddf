"""What a drive node runs, without ROS: a bus, its safety supervisor and the trajectory
follower, driven by one control thread.

The supervisor must be cycled from one thread only, and a bus must be read every cycle
whether or not a trajectory runs (the watchdog, drive faults and the hold position
depend on it). So :class:`DriveService` owns a control thread that cycles at the bus's
rate while idle and runs every request (a trajectory, arming, disarming) itself; other
threads (ROS callbacks) submit requests and wait for their results. E-stop and cancel
are the exceptions: they take effect from any thread at the next cycle.

The bus itself comes from the node (:mod:`jazari.control.backends` for the serial and
EtherCAT drives, :mod:`jazari.ros.topic_devices` for Gazebo).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any, TypeVar

import numpy as np

from jazari.clock import WallClock
from jazari.control.follower import FollowerConfig, FollowResult, TrajectoryFollower
from jazari.control.goal import ResultCode, TrajectoryGoal
from jazari.control.rate import RateLoop
from jazari.control.safety import (
    JointLimits,
    MotionAbortedError,
    SafetyConfig,
    SafetySupervisor,
    StopReason,
    SupervisorState,
)
from jazari.errors import JazariError
from jazari.ports import Clock, DriveBus, DriveState
from jazari.robot.model import RobotModel, load_cell_model
from jazari.robot.trajectory import JointTrajectory

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
#: How long a request may wait for the control thread to pick it up, beyond its own work.
_REQUEST_SLACK_S = 5.0


class DriveServiceError(JazariError):
    """The drive service cannot do what was asked (closed, busy, timed out)."""


@dataclass(frozen=True)
class DriveStatus:
    """The supervisor's state and, when stopped, why."""

    state: SupervisorState
    stop_reason: StopReason | None


class DriveService:
    """A bus, its supervisor and follower, cycled by one control thread.

    Args:
        bus: an open bus (closed by :meth:`close`).
        params: the driver's parameters (``safety``, ``follower``, ``rate_hz``).
        model: the robot whose URDF limits apply (default: the cell).
        clock: the control clock (wall time by default: drives run in real time).

    Raises:
        SafetyConfigError: when a limit or a bus joint is bad (the bus is closed then).
    """

    def __init__(
        self,
        bus: DriveBus,
        params: Mapping[str, Any],
        *,
        model: RobotModel | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.bus = bus
        self.clock: Clock = clock if clock is not None else WallClock()
        try:
            robot = model if model is not None else load_cell_model()
            limits = JointLimits.from_chain(robot.chain, bus.joint_names)
            self.supervisor = SafetySupervisor(
                bus, limits, SafetyConfig.from_params(params), self.clock
            )
            self.follower = TrajectoryFollower(
                self.supervisor, self.clock, FollowerConfig.from_params(params)
            )
        except BaseException:
            bus.close()
            raise
        self._requests: SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = SimpleQueue()
        self._stop = threading.Event()
        self._latest: DriveState | None = None
        self._failure: BaseException | None = None
        self._busy = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="jazari-drive-control", daemon=True)
        self._thread.start()

    # -- observation -------------------------------------------------------------------

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The bus's axes, in the order of every array."""
        return tuple(self.bus.joint_names)

    def latest_state(self) -> DriveState | None:
        """The last state the control thread read (None before the first cycle)."""
        return self._latest

    def status(self) -> DriveStatus:
        """Armed, disarmed or stopped, and the latched stop reason."""
        return DriveStatus(self.supervisor.state, self.supervisor.stop_reason)

    @property
    def failure(self) -> BaseException | None:
        """What stopped the control thread, if it stopped (the bus is then unusable)."""
        return self._failure

    # -- requests ----------------------------------------------------------------------

    def follow(
        self,
        goal: TrajectoryGoal | JointTrajectory,
        *,
        start_time_s: float | None = None,
        on_cycle: Callable[[int, DriveState], None] | None = None,
    ) -> FollowResult:
        """Follow ``goal`` (a running goal is preempted: it ends as canceled).

        Args:
            goal: the trajectory as received; the supervisor validates it.
            start_time_s: when t = 0 is on this service's clock (None: now).
            on_cycle: called from the control thread after every cycle.

        Returns:
            The follower's result; a goal refused before moving has status ``rejected``.
        """
        self.follower.cancel()  # preempt the running goal, if any
        with self._busy:
            duration = _duration_s(goal)
            wait = duration + self.follower.config.goal_time_tolerance_s + _REQUEST_SLACK_S
            if start_time_s is not None:
                wait += max(start_time_s - self.clock.now(), 0.0)
            return self._submit(
                lambda: self.follower.follow(goal, start_time_s=start_time_s, on_cycle=on_cycle),
                wait,
                on_timeout=self.follower.cancel,
            )

    def cancel(self) -> None:
        """End the running goal at the next cycle, holding position (any thread)."""
        self.follower.cancel()

    def estop(self, reason: str) -> None:
        """Stop every axis at the next cycle; nothing moves until :meth:`rearm` (any thread)."""
        self.supervisor.estop(reason)
        self.follower.cancel()

    def rearm(self, *, timeout_s: float = 10.0) -> DriveState:
        """Clear latched drive faults when there are any, then arm: setpoints := measured
        positions, drives enabled.

        Raises:
            ArmError: an axis is stale or faulted, or a stop arrived meanwhile.
            DriveServiceError: the control thread did not answer within ``timeout_s``.
        """

        def arm() -> DriveState:
            stopped = self.supervisor.state is SupervisorState.STOPPED
            return self.supervisor.arm(reset_faults=stopped and _has_faults(self._latest))

        return self._submit(arm, timeout_s)

    def disarm(self, *, timeout_s: float = 10.0) -> None:
        """Disable the drives (the arm is then held by its brakes, if any)."""
        self.follower.cancel()
        self._submit(self.supervisor.disarm, timeout_s)

    def close(self) -> None:
        """Cancel any goal, disarm, stop the control thread and close the bus."""
        if self._stop.is_set():
            return
        self.follower.cancel()
        try:
            self.disarm()
        except JazariError as exc:
            _log.error("could not disarm before closing the bus: %s", exc)
        self._stop.set()
        self._thread.join(timeout=_REQUEST_SLACK_S)
        self._fail_pending(DriveServiceError("the drive service is closed"))
        self.bus.close()

    # -- the control thread ------------------------------------------------------------

    def _submit(
        self,
        work: Callable[[], _T],
        timeout_s: float,
        on_timeout: Callable[[], None] | None = None,
    ) -> _T:
        if self._stop.is_set():
            raise DriveServiceError("the drive service is closed")
        if self._failure is not None:
            raise DriveServiceError(f"the control thread stopped: {self._failure!r}")
        future: Future[_T] = Future()
        self._requests.put((work, future))
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout:
            if on_timeout is not None:
                on_timeout()
            raise DriveServiceError(
                f"the control thread did not finish the request within {timeout_s:.1f} s"
            ) from None

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # the bus broke in a way it does not report as JazariError
            _log.critical("drive control thread stopped: %r", exc)
            self._failure = exc
            self._fail_pending(DriveServiceError(f"the control thread stopped: {exc!r}"))

    def _loop(self) -> None:
        loop = RateLoop(self.clock, self.follower.config.rate_hz)
        while not self._stop.is_set():
            try:
                work, future = self._requests.get_nowait()
            except Empty:
                loop.wait()
                self._idle_cycle()
                continue
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to the waiting caller
                future.set_exception(exc)
            self._latest = self.supervisor.last_state or self._latest

    def _idle_cycle(self) -> None:
        try:
            self._latest = self.supervisor.cycle()
        except MotionAbortedError as exc:
            _log.error("drives stopped: %s", exc)
            self._latest = self.supervisor.last_state
        except JazariError as exc:
            _log.error("idle cycle failed: %s", exc)

    def _fail_pending(self, exc: BaseException) -> None:
        while True:
            try:
                _, future = self._requests.get_nowait()
            except Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)


def _duration_s(goal: TrajectoryGoal | JointTrajectory) -> float:
    if isinstance(goal, JointTrajectory):
        return goal.duration_s
    try:
        times = np.asarray(goal.time_from_start_s, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return 0.0  # malformed: the supervisor rejects it before anything moves
    return max(float(times[-1]), 0.0) if times.size and np.isfinite(times[-1]) else 0.0


def _has_faults(state: DriveState | None) -> bool:
    return state is not None and any(t.fault_code or t.status == "fault" for t in state.telemetry)


def rejected(code: ResultCode, message: str) -> FollowResult:
    """A result for a goal refused before it reached the follower (malformed message)."""
    return FollowResult(code, message, "rejected")
