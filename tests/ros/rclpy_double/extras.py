"""message_filters and tf2_ros as the Jazari nodes use them, with their Jazzy signatures.

``ApproximateTimeSynchronizer`` matches one message per input whose stamps lie within
``slop`` of each other (oldest matching set first, older messages dropped), which is what
the real policy yields for streams with equal stamps. The TF buffer holds the transforms
of ``/tf`` and ``/tf_static`` and chains them through a tree of frames, ignoring time
(every transform the tests publish is static).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from jazari.geometry.transforms import invert
from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert.geometry import matrix_from_transform, transform_stamped_msg

from .core import MIDDLEWARE, Duration, Time, qos_profile_sensor_data
from .node import Node

# -- message_filters ------------------------------------------------------------------


class SimpleFilter:
    """message_filters.SimpleFilter."""

    def __init__(self) -> None:
        self.callbacks: dict[int, tuple[Callable[..., None], tuple[Any, ...]]] = {}
        self._ids = itertools.count()

    def registerCallback(self, cb: Callable[..., None], *args: Any) -> int:
        key = next(self._ids)
        self.callbacks[key] = (cb, args)
        return key

    def signalMessage(self, *msg: Any) -> None:
        for cb, args in list(self.callbacks.values()):
            cb(*(msg + args))


class Subscriber(SimpleFilter):
    """message_filters.Subscriber: arguments as Node.create_subscription's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.node: Node = args[0]
        self.topic = args[2]
        kwargs.setdefault("qos_profile", 10)
        self.sub = self.node.create_subscription(*args[1:], self.callback, **kwargs)

    def callback(self, msg: Any) -> None:
        self.signalMessage(msg)


class ApproximateTimeSynchronizer(SimpleFilter):
    """message_filters.ApproximateTimeSynchronizer."""

    def __init__(self, fs: Sequence[SimpleFilter], queue_size: int, slop: float,
                 allow_headerless: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.queue_size = queue_size
        self.slop_ns = int(slop * 1e9)
        self.queues: list[deque[tuple[int, Any]]] = [deque(maxlen=queue_size) for _ in fs]
        for i, f in enumerate(fs):
            f.registerCallback(self.add, i)

    def add(self, msg: Any, index: int) -> None:
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        self.queues[index].append((stamp, msg))
        if not all(self.queues):
            return
        for stamp0, _ in list(self.queues[0]):
            picks = []
            for q in self.queues:
                best = min(q, key=lambda e: abs(e[0] - stamp0))
                if abs(best[0] - stamp0) > self.slop_ns:
                    break
                picks.append(best)
            else:
                for q, pick in zip(self.queues, picks, strict=True):
                    while q and q[0][0] <= pick[0]:
                        q.popleft()
                self.signalMessage(*(m for _, m in picks))
                return


# -- tf2_ros --------------------------------------------------------------------------


class TransformException(Exception):  # noqa: N818  (tf2_ros's name)
    """tf2_ros.TransformException."""


class LookupException(TransformException):
    """tf2_ros.LookupException."""


class Buffer:
    """tf2_ros.Buffer (time-independent: the tests' transforms are static)."""

    def __init__(self, cache_time: Duration | None = None, node: Node | None = None) -> None:
        self._edges: dict[tuple[str, str], np.ndarray] = {}

    def set_transform(self, transform: Any, authority: str) -> bool:
        parent, child = str(transform.header.frame_id), str(transform.child_frame_id)
        T = matrix_from_transform(transform.transform)
        self._edges[(parent, child)] = T
        self._edges[(child, parent)] = invert(T)
        return True

    set_transform_static = set_transform

    def _chain(self, target: str, source: str) -> np.ndarray:
        todo, seen = deque([(target, np.eye(4))]), {target}
        while todo:
            frame, T = todo.popleft()
            if frame == source:
                return T
            for (a, b), edge in self._edges.items():
                if a == frame and b not in seen:
                    seen.add(b)
                    todo.append((b, T @ edge))
        raise LookupException(f'"{source}" passed to lookupTransform argument source_frame '
                              f"does not exist or has no path to {target!r}")  # fmt: skip

    def lookup_transform(self, target_frame: str, source_frame: str, time: Time,
                         timeout: Duration | None = None) -> Any:  # fmt: skip
        T = self._chain(target_frame, source_frame)
        types = RosbagsMessageTypes(MIDDLEWARE.messages.store)
        msg = transform_stamped_msg(types, T, target_frame, source_frame, time.nanoseconds * 1e-9)
        return MIDDLEWARE.messages.from_rosbags(msg, "geometry_msgs/msg/TransformStamped")


class TransformListener:
    """tf2_ros.TransformListener."""

    def __init__(self, buffer: Buffer, node: Node, *, spin_thread: bool = False,
                 qos: Any = None, static_qos: Any = None) -> None:  # fmt: skip
        tf = MIDDLEWARE.messages.cls("tf2_msgs/msg/TFMessage")
        self.buffer = buffer
        for topic in ("/tf", "/tf_static"):
            node.create_subscription(tf, topic, self._callback, qos_profile_sensor_data)

    def _callback(self, msg: Any) -> None:
        for transform in msg.transforms:
            self.buffer.set_transform(transform, "default_authority")
