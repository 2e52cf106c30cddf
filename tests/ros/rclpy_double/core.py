"""The double's middleware and rclpy's core classes, with rclpy's (Jazzy) signatures.

Deviation from rclpy, on purpose: callbacks run on the double's worker threads as soon
as they are due, whether or not an executor spins (a test builds nodes and watches them
work). Mutually exclusive callback groups run their callbacks one at a time on one
thread; reentrant groups run each on a thread of a shared pool. Callback exceptions are
collected in :attr:`Middleware.errors` (tests assert it stays empty) and logged.
"""

from __future__ import annotations

import array
import enum
import itertools
import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import yaml

from .messages import Message, MessageFactory

_log = logging.getLogger("rclpy_double")


# -- exceptions (rclpy.exceptions, rclpy.executors) -----------------------------------


class ParameterException(Exception):  # noqa: N818  (rclpy's name)
    """Base of the parameter errors."""


class ParameterNotDeclaredException(ParameterException):
    """rclpy.exceptions.ParameterNotDeclaredException."""


class ParameterAlreadyDeclaredException(ParameterException):
    """rclpy.exceptions.ParameterAlreadyDeclaredException."""


class ParameterUninitializedException(ParameterException):
    """rclpy.exceptions.ParameterUninitializedException."""


class InvalidParameterValueException(ParameterException):
    """rclpy.exceptions.InvalidParameterValueException."""


class ParameterImmutableException(ParameterException):
    """rclpy.exceptions.ParameterImmutableException."""


class ExternalShutdownException(Exception):  # noqa: N818  (rclpy's name)
    """rclpy.executors.ExternalShutdownException."""


class NotInitializedException(Exception):  # noqa: N818  (rclpy's name)
    """rclpy.exceptions.NotInitializedException."""


# -- futures, time -------------------------------------------------------------------


class Future:
    """rclpy.task.Future (done callbacks run at once, in the completing thread)."""

    def __init__(self, *, executor: Any = None) -> None:
        self._event = threading.Event()
        self._result: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []
        self._lock = threading.Lock()
        self._cancelled = False

    def done(self) -> bool:
        return self._event.is_set()

    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        self._cancelled = True
        self._finish()

    def result(self) -> Any:
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self) -> BaseException | None:
        return self._exception

    def set_result(self, result: Any) -> None:
        self._result = result
        self._finish()

    def set_exception(self, exception: BaseException) -> None:
        self._exception = exception
        self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(self)

    def add_done_callback(self, callback: Callable[[Future], None]) -> None:
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Test helper (not in rclpy): block until done."""
        return self._event.wait(timeout)


class Duration:
    """rclpy.duration.Duration."""

    def __init__(self, *, seconds: float = 0, nanoseconds: int = 0) -> None:
        self.nanoseconds = int(seconds * 1e9) + int(nanoseconds)

    def to_msg(self) -> Any:
        return MIDDLEWARE.messages.cls("builtin_interfaces/msg/Duration")(
            sec=self.nanoseconds // 10**9, nanosec=self.nanoseconds % 10**9
        )


class Time:
    """rclpy.time.Time."""

    def __init__(self, *, seconds: float = 0, nanoseconds: int = 0, clock_type: Any = None) -> None:
        self.nanoseconds = int(seconds * 1e9) + int(nanoseconds)

    @classmethod
    def from_msg(cls, msg: Any, clock_type: Any = None) -> Time:
        return cls(seconds=msg.sec, nanoseconds=msg.nanosec)

    def to_msg(self) -> Any:
        return MIDDLEWARE.messages.cls("builtin_interfaces/msg/Time")(
            sec=self.nanoseconds // 10**9, nanosec=self.nanoseconds % 10**9
        )

    def seconds_nanoseconds(self) -> tuple[int, int]:
        return divmod(self.nanoseconds, 10**9)


class Clock:
    """rclpy.clock.Clock: ROS time (from /clock when use_sim_time) or system time."""

    def __init__(self) -> None:
        self.sim_time_ns: int | None = None

    def now(self) -> Time:
        if self.sim_time_ns is not None:
            return Time(nanoseconds=self.sim_time_ns)
        return Time(nanoseconds=time.time_ns())


# -- QoS, callback groups ------------------------------------------------------------


class ReliabilityPolicy(enum.IntEnum):
    SYSTEM_DEFAULT = 0
    RELIABLE = 1
    BEST_EFFORT = 2


class DurabilityPolicy(enum.IntEnum):
    SYSTEM_DEFAULT = 0
    TRANSIENT_LOCAL = 1
    VOLATILE = 2


class HistoryPolicy(enum.IntEnum):
    SYSTEM_DEFAULT = 0
    KEEP_LAST = 1
    KEEP_ALL = 2


@dataclass
class QoSProfile:
    """rclpy.qos.QoSProfile (the fields the double uses)."""

    depth: int = 10
    reliability: ReliabilityPolicy = ReliabilityPolicy.RELIABLE
    durability: DurabilityPolicy = DurabilityPolicy.VOLATILE
    history: HistoryPolicy = HistoryPolicy.KEEP_LAST


qos_profile_sensor_data = QoSProfile(5, ReliabilityPolicy.BEST_EFFORT)
qos_profile_services_default = QoSProfile(10)


def _depth(qos: QoSProfile | int) -> int:
    if isinstance(qos, int):
        return qos
    if isinstance(qos, QoSProfile):
        return max(qos.depth, 1)
    raise TypeError(f"qos_profile must be a QoSProfile or an int, got {qos!r}")


class CallbackGroup:
    """rclpy.callback_groups.CallbackGroup."""

    def submit(self, work: Callable[[], Any], on_done: Callable[[], None] | None = None) -> None:
        raise NotImplementedError


class MutuallyExclusiveCallbackGroup(CallbackGroup):
    """One callback at a time, in submission order, on the group's own thread."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Callable[[], None] | None]] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, daemon=True, name="mutex-group")
        self._thread.start()

    def _run(self) -> None:
        while True:
            work, on_done = self._queue.get()
            MIDDLEWARE.run(work)
            if on_done is not None:
                on_done()

    def submit(self, work: Callable[[], Any], on_done: Callable[[], None] | None = None) -> None:
        self._queue.put((work, on_done))


class ReentrantCallbackGroup(CallbackGroup):
    """Callbacks run concurrently on a shared pool."""

    def submit(self, work: Callable[[], Any], on_done: Callable[[], None] | None = None) -> None:
        def job() -> None:
            MIDDLEWARE.run(work)
            if on_done is not None:
                on_done()

        MIDDLEWARE.pool.submit(job)


# -- the middleware ------------------------------------------------------------------


@dataclass
class _Subscription:
    node: Any
    topic: str
    msg_type: type[Message]
    callback: Callable[[Any], None]
    depth: int
    group: CallbackGroup
    pending: deque[Any] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    alive: bool = True

    def deliver(self, msg: Any) -> None:
        with self.lock:
            self.pending.append(msg)
            while len(self.pending) > self.depth:
                self.pending.popleft()
        self.group.submit(self._take)

    def _take(self) -> None:
        with self.lock:
            if not self.pending or not self.alive:
                return
            msg = self.pending.popleft()
        self.callback(msg)


class Middleware:
    """Topics, services and actions of every node of the process, and the timers."""

    def __init__(self) -> None:
        self.messages: MessageFactory = None  # type: ignore[assignment]  # set by install()
        self.lock = threading.Lock()
        self.subscriptions: dict[str, list[_Subscription]] = {}
        self.services: dict[str, Any] = {}
        self.actions: dict[str, Any] = {}
        self.timers: list[Timer] = []
        self.errors: list[BaseException] = []
        self.published: dict[str, int] = {}
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="reentrant")
        self._scheduler = threading.Thread(target=self._tick, daemon=True, name="timers")
        self._scheduler.start()

    def run(self, work: Callable[[], Any]) -> None:
        """Run a callback; an exception is recorded (rclpy would end the spin with it)."""
        try:
            work()
        except BaseException as exc:
            _log.exception("callback raised")
            self.errors.append(exc)

    def publish(self, topic: str, msg: Message) -> None:
        copy = self.messages.round_trip(msg)  # validates every field, as rclpy's C layer does
        with self.lock:
            subs = [s for s in self.subscriptions.get(topic, []) if s.alive]
            self.published[topic] = self.published.get(topic, 0) + 1
        for sub in subs:
            if sub.msg_type is not type(msg):
                raise TypeError(
                    f"topic {topic} has subscribers of {sub.msg_type._type}, got {msg._type}"
                )
            sub.deliver(self.messages.round_trip(copy) if len(subs) > 1 else copy)

    def subscribe(self, sub: _Subscription) -> None:
        with self.lock:
            self.subscriptions.setdefault(sub.topic, []).append(sub)

    def _tick(self) -> None:
        while True:
            time.sleep(0.001)
            now = time.monotonic()
            with self.lock:
                timers = list(self.timers)
            for t in timers:
                t._maybe_fire(now)

    def reset(self) -> None:
        """Forget every entity (between tests)."""
        with self.lock:
            for subs in self.subscriptions.values():
                for s in subs:
                    s.alive = False
            for t in self.timers:
                t.cancel()
            self.subscriptions.clear()
            self.services.clear()
            self.actions.clear()
            self.timers.clear()
            self.errors.clear()
            self.published.clear()


MIDDLEWARE = Middleware()


class Timer:
    """rclpy.timer.Timer (wall time; an overdue call is skipped, never queued twice)."""

    def __init__(self, callback: Callable[[], Any], period_s: float, group: CallbackGroup,
                 autostart: bool) -> None:  # fmt: skip
        if not period_s > 0:
            raise ValueError(f"timer period must be > 0, got {period_s}")
        self.callback = callback
        self.timer_period_ns = int(period_s * 1e9)
        self._period = period_s
        self._group = group
        self._next = time.monotonic() + period_s
        self._canceled = not autostart
        self._running = threading.Event()

    def _maybe_fire(self, now: float) -> None:
        if self._canceled or now < self._next or self._running.is_set():
            return
        self._next = max(self._next + self._period, now)
        self._running.set()
        self._group.submit(self.callback, self._running.clear)

    def cancel(self) -> None:
        self._canceled = True

    def is_canceled(self) -> bool:
        return self._canceled

    def reset(self) -> None:
        self._canceled = False
        self._next = time.monotonic() + self._period

    def destroy(self) -> None:
        self.cancel()


# -- logging -------------------------------------------------------------------------


class RcutilsLogger:
    """rclpy.impl.rcutils_logger.RcutilsLogger (forwards to stdlib logging)."""

    _KWARGS = frozenset(
        {"once", "throttle_duration_sec", "throttle_time_source_type", "skip_first"}
    )

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._logger = logging.getLogger(f"ros.{name}" if name else "ros")

    def _log(self, level: int, message: str, kwargs: dict[str, Any]) -> bool:
        unknown = set(kwargs) - self._KWARGS
        if unknown:
            raise TypeError(f"unknown logging arguments {sorted(unknown)}")
        if not isinstance(message, str):
            raise TypeError(f"log message must be a str, got {type(message).__name__}")
        self._logger.log(level, message)
        return True

    def debug(self, message: str, **kwargs: Any) -> bool:
        return self._log(logging.DEBUG, message, kwargs)

    def info(self, message: str, **kwargs: Any) -> bool:
        return self._log(logging.INFO, message, kwargs)

    def warning(self, message: str, **kwargs: Any) -> bool:
        return self._log(logging.WARNING, message, kwargs)

    warn = warning

    def error(self, message: str, **kwargs: Any) -> bool:
        return self._log(logging.ERROR, message, kwargs)

    def fatal(self, message: str, **kwargs: Any) -> bool:
        return self._log(logging.CRITICAL, message, kwargs)

    def get_child(self, name: str) -> RcutilsLogger:
        return RcutilsLogger(f"{self.name}.{name}")


def get_logger(name: str) -> RcutilsLogger:
    """rclpy.logging.get_logger."""
    return RcutilsLogger(name)


# -- parameters ----------------------------------------------------------------------


class Parameter:
    """rclpy.parameter.Parameter."""

    class Type(enum.Enum):
        NOT_SET = 0
        BOOL = 1
        INTEGER = 2
        DOUBLE = 3
        STRING = 4
        BYTE_ARRAY = 5
        BOOL_ARRAY = 6
        INTEGER_ARRAY = 7
        DOUBLE_ARRAY = 8
        STRING_ARRAY = 9

        @classmethod
        def from_parameter_value(cls, value: Any) -> Parameter.Type:  # noqa: PLR0911
            if value is None:
                return cls.NOT_SET
            if isinstance(value, bool):
                return cls.BOOL
            if isinstance(value, int):
                return cls.INTEGER
            if isinstance(value, float):
                return cls.DOUBLE
            if isinstance(value, str):
                return cls.STRING
            if isinstance(value, Sequence | array.array):
                values = list(value)
                if values and all(isinstance(v, bool) for v in values):
                    return cls.BOOL_ARRAY
                if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                    return cls.INTEGER_ARRAY
                if values and all(isinstance(v, float) for v in values):
                    return cls.DOUBLE_ARRAY
                if values and all(isinstance(v, str) for v in values):
                    return cls.STRING_ARRAY
                if isinstance(value, array.array):
                    return cls.DOUBLE_ARRAY if value.typecode == "d" else cls.INTEGER_ARRAY
            raise TypeError(f"The given value is not a valid parameter value: {value!r}")

    def __init__(self, name: str, type_: Parameter.Type | None = None, value: Any = None) -> None:
        if type_ is None:
            type_ = Parameter.Type.from_parameter_value(value)
        self._name, self._type, self._value = name, type_, _as_stored(type_, value)

    @property
    def name(self) -> str:
        return self._name

    @property
    def type_(self) -> Parameter.Type:
        return self._type

    @property
    def value(self) -> Any:
        return self._value


def _as_stored(type_: Parameter.Type, value: Any) -> Any:
    """Arrays as rclpy hands them over: array.array for numbers, lists otherwise."""
    if type_ is Parameter.Type.DOUBLE_ARRAY:
        return array.array("d", [float(v) for v in value])
    if type_ is Parameter.Type.INTEGER_ARRAY:
        return array.array("q", [int(v) for v in value])
    if type_ in (Parameter.Type.BOOL_ARRAY, Parameter.Type.STRING_ARRAY):
        return list(value)
    return value


@dataclass
class SetParametersResult:
    """rcl_interfaces/msg/SetParametersResult (the fields used)."""

    successful: bool = True
    reason: str = ""


# -- context and command line -------------------------------------------------------


class Context:
    """rclpy.context.Context: init/shutdown state and the process's ROS arguments."""

    def __init__(self) -> None:
        self._ok = False
        self.args: list[str] = []
        self.shutdown_event = threading.Event()

    def ok(self) -> bool:
        return self._ok

    def init(self, args: list[str] | None = None, *, domain_id: int | None = None) -> None:
        if self._ok:
            raise RuntimeError("Context.init() must only be called once")
        self._ok = True
        self.args = list(args or [])
        self.shutdown_event.clear()

    def shutdown(self) -> None:
        if not self._ok:
            raise RuntimeError("Context must be initialized before it can be shutdown")
        self._ok = False
        self.shutdown_event.set()

    def try_shutdown(self) -> None:
        if self._ok:
            self.shutdown()


DEFAULT_CONTEXT = Context()


@dataclass
class RosArguments:
    """What a command line's ``--ros-args`` sections hold."""

    files: list[str] = field(default_factory=list)
    remaps: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def ros_arguments(args: Iterable[str]) -> RosArguments:
    """Parameter files, ``-p name:=value`` (the value read as YAML, as rcl does) and
    remappings of a command line's ``--ros-args`` sections."""
    out = RosArguments()
    inside, it = False, iter(args)
    for arg in it:
        if arg == "--ros-args":
            inside = True
        elif arg == "--":
            inside = False
        elif inside and arg == "--params-file":
            out.files.append(next(it))
        elif inside and arg in ("-p", "--param"):
            name, _, value = next(it).partition(":=")
            out.params[name] = yaml.safe_load(value)
        elif inside and arg in ("-r", "--remap"):
            src, _, dst = next(it).partition(":=")
            out.remaps[src] = dst
    return out


def file_overrides(path: str, node_fqn: str) -> dict[str, Any]:
    """Flattened parameters of a ROS parameter file for a node (``/**`` or its name)."""
    with open(path) as f:
        data = yaml.safe_load(f)
    out: dict[str, Any] = {}
    for key, section in data.items():
        if key in ("/**", node_fqn, node_fqn.lstrip("/")):
            out.update(_flatten(section["ros__parameters"]))
    return out


def _flatten(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def new_uuid() -> bytes:
    """A goal id (rclpy uses random UUIDs)."""
    return next(_UUIDS).to_bytes(16, "little")


_UUIDS = itertools.count(1)


def wait_future(future: Future, timeout_sec: float | None) -> bool:
    """Block until ``future`` is done (test helper)."""
    return future.wait(None if timeout_sec is None else max(timeout_sec, 0.0))


def finite(value: float) -> bool:
    """math.isfinite for floats (helper for parameter ranges)."""
    return math.isfinite(value)
