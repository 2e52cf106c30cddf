"""Drives and grippers that live behind topics: a position command out, joint states in.

That is how Gazebo's joint position controllers (through ``ros_gz_bridge``) and many
third-party gripper drivers are driven. :class:`TopicBus` is a
:class:`jazari.ports.DriveBus` and :class:`TopicGripper` a :class:`jazari.ports.Gripper`
over two plain callables, so the node only wires a publisher and a subscription to them
and the safety supervisor, the follower and the gripper action work unchanged.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from jazari.errors import JazariError
from jazari.ports import Clock, DriveState, DriveTelemetry, FloatArray, PortValueError

_log = logging.getLogger(__name__)


class TopicDeviceError(JazariError):
    """A topic device is misconfigured or used after it was closed."""


class TopicBus:
    """The arm's joints behind a command topic and a joint state topic.

    Args:
        joint_names: the axes, in the order of every array.
        publish: sends position setpoints [rad] (one per axis, in order).
        clock: time source for staleness.
        stale_after_s: a joint whose last reading is older than this is reported stale
            (the supervisor's watchdog then stops the arm).

    Raises:
        TopicDeviceError: for repeated joint names or a non-positive staleness limit.
    """

    def __init__(
        self,
        joint_names: Sequence[str],
        publish: Callable[[FloatArray], None],
        clock: Clock,
        stale_after_s: float,
    ) -> None:
        names = tuple(joint_names)
        if not names or len(set(names)) != len(names):
            raise TopicDeviceError(f"joint names must be unique and given, got {list(names)}")
        if not (math.isfinite(stale_after_s) and stale_after_s > 0):
            raise TopicDeviceError(f"stale_after_s must be > 0, got {stale_after_s}")
        self._names = names
        self._publish = publish
        self._clock = clock
        self._stale_after_s = stale_after_s
        n = len(names)
        self._lock = threading.Lock()
        self._q = np.full(n, np.nan)
        self._v = np.zeros(n)
        self._effort = np.zeros(n)
        self._seen_s = np.full(n, -math.inf)
        self._enabled = False
        self._closed = False

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The axes."""
        return self._names

    def update(self, names: Sequence[str], q_rad: FloatArray, v_rad_s: FloatArray,
               effort: FloatArray) -> None:  # fmt: skip
        """Take a joint state reading (other joints in it are ignored)."""
        now = self._clock.now()
        with self._lock:
            for k, name in enumerate(names):
                if name in self._names and math.isfinite(q_rad[k]):
                    i = self._names.index(name)
                    self._q[i] = q_rad[k]
                    self._v[i] = v_rad_s[k] if k < len(v_rad_s) else math.nan
                    self._effort[i] = effort[k] if k < len(effort) else math.nan
                    self._seen_s[i] = now

    def _check_open(self) -> None:
        if self._closed:
            raise TopicDeviceError("the topic bus is closed")

    def enable(self) -> None:
        """Start sending setpoints (position controllers hold what they last received)."""
        self._check_open()
        self._enabled = True

    def disable(self) -> None:
        """Stop sending setpoints."""
        self._check_open()
        self._enabled = False

    def write_setpoints(self, q_rad: FloatArray) -> None:
        """Publish one setpoint per axis [rad] while enabled.

        Raises:
            PortValueError: wrong shape or a non-finite value (nothing is sent).
        """
        self._check_open()
        q = np.asarray(q_rad, dtype=float)
        if q.shape != (len(self._names),) or not np.all(np.isfinite(q)):
            raise PortValueError(f"setpoints must be {len(self._names)} finite values, got {q}")
        if self._enabled:
            self._publish(q.copy())

    def read_state(self) -> DriveState:
        """The latest reading of every axis; axes without a recent one are stale."""
        self._check_open()
        now = self._clock.now()
        with self._lock:
            q, v, e = self._q.copy(), self._v.copy(), self._effort.copy()
            stale = (now - self._seen_s) > self._stale_after_s
        status = "enabled" if self._enabled else "disabled"
        telemetry = tuple(
            DriveTelemetry(float(q[k]), float(v[k]), math.nan, math.nan, status, 0, bool(stale[k]))
            for k in range(len(self._names))
        )
        return DriveState(now, self._names, q, v, e, telemetry)

    def close(self) -> None:
        """Stop; later calls raise."""
        self._closed = True


@dataclass(frozen=True)
class TopicGripperConfig:
    """How a topic gripper is judged.

    Attributes:
        open_width_m: opening when fully open [m] (the finger joint goes to half of it).
        stall_speed_m_s: finger speed under which the fingers count as still [m/s].
        settle_s: how long they must stay still to end a command [s].
        timeout_s: longest wait for them to stop [s].
        min_object_width_m: closed tighter than this, nothing is between the pads [m].
        poll_s: how often the finger state is looked at while waiting [s].
    """

    open_width_m: float
    stall_speed_m_s: float
    settle_s: float
    timeout_s: float
    min_object_width_m: float
    poll_s: float = 0.01

    def __post_init__(self) -> None:
        for name in ("open_width_m", "stall_speed_m_s", "timeout_s", "poll_s"):
            if not getattr(self, name) > 0:
                raise TopicDeviceError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("settle_s", "min_object_width_m"):
            if not getattr(self, name) >= 0:
                raise TopicDeviceError(f"{name} must be >= 0, got {getattr(self, name)}")


class TopicGripper:
    """A parallel gripper behind a finger-joint position command and its joint state.

    The finger joint's position is half the opening (both fingers move). ``open`` and
    ``close`` send the command and wait until the fingers stop (stalled on a part, met,
    or fully open), as :class:`jazari.ports.Gripper` asks.
    """

    def __init__(
        self, command: Callable[[float], None], config: TopicGripperConfig, clock: Clock
    ) -> None:
        self._command = command
        self.config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._position_m = math.nan
        self._speed_m_s = math.nan
        self._last: tuple[float, float] | None = None
        self._closed = False

    def update(self, position_m: float, velocity_m_s: float = math.nan) -> None:
        """Take the finger joint's reading; the speed is estimated from successive
        positions when the state has no velocity."""
        now = self._clock.now()
        with self._lock:
            if math.isfinite(velocity_m_s):
                speed = abs(velocity_m_s)
            elif self._last is not None and now > self._last[0]:
                speed = abs(position_m - self._last[1]) / (now - self._last[0])
            else:
                speed = math.nan
            self._position_m, self._speed_m_s = position_m, speed
            self._last = (now, position_m)

    def open(self, width_m: float | None = None) -> None:
        """Open to ``width_m`` [m] (fully when None or wider) and wait until the fingers
        stop.

        Raises:
            TopicDeviceError: if ``width_m`` is not a finite width >= 0.
        """
        full = self.config.open_width_m
        if width_m is not None and not (math.isfinite(width_m) and width_m >= 0.0):
            raise TopicDeviceError(f"gripper opening must be >= 0 m, got {width_m!r}")
        self._closed = False
        self._command((full if width_m is None else min(width_m, full)) / 2.0)
        self._wait_until_still("open")

    def close(self) -> None:
        """Close and wait until the fingers stall on a part or meet."""
        self._closed = True
        self._command(0.0)
        self._wait_until_still("close")

    def width_m(self) -> float:
        """Opening between the pads [m] (NaN before the first reading)."""
        with self._lock:
            return 2.0 * self._position_m

    def grasped(self) -> bool:
        """True when the fingers were closed and stopped apart (on an object)."""
        width = self.width_m()
        return self._closed and math.isfinite(width) and width >= self.config.min_object_width_m

    def _wait_until_still(self, what: str) -> None:
        c = self.config
        still_s = waited_s = 0.0
        while waited_s < c.timeout_s:
            self._clock.sleep(c.poll_s)
            waited_s += c.poll_s
            with self._lock:
                speed = self._speed_m_s
            still_s = still_s + c.poll_s if speed < c.stall_speed_m_s else 0.0
            if still_s >= c.settle_s:
                return
        _log.warning("gripper %s: fingers still moving (or silent) after %.2f s", what, c.timeout_s)
