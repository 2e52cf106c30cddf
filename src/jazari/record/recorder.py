"""Write rosbag2-compatible MCAP recordings of ROS 2 Jazzy messages, without ROS.

The file is written by rosbags' rosbag2 writer with its MCAP storage, the layout
``ros2 bag record -s mcap`` produces: profile ``ros2``, one ``ros2msg`` schema per type,
CDR-encoded messages, each channel's offered QoS in its ``offered_qos_profiles``
metadata, and the bag's metadata in a ``rosbag2`` metadata record. So ``ros2 bag play
file.mcap``, Foxglove and rosbags read it as it is.

rosbags writes a bag *folder* (the ``.mcap`` file plus ``metadata.yaml``); the recorder
writes that folder beside the target and moves the ``.mcap`` file into place when it
closes. ``metadata.yaml`` is dropped: the same metadata is inside the file.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import struct
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from rosbags.interfaces import Connection
from rosbags.rosbag2 import StoragePlugin, Writer, WriterError
from rosbags.rosbag2.enums import CompressionFormat, CompressionMode
from rosbags.serde import SerdeError

from jazari.record.errors import RecordError
from jazari.record.topics import TopicSpec
from jazari.record.typestore import cell_typestore

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore

_log = logging.getLogger(__name__)

# What rosbags' generated serialisers raise on a message that does not fit its type
# (a missing attribute, an array of the wrong dtype or length, a wrong scalar type).
_SERIALISE_ERRORS = (SerdeError, struct.error, AttributeError, TypeError, ValueError, IndexError)


def stamp_ns(stamp_s: float) -> int:
    """A time on the cell's clock [s] as integer nanoseconds, the bag's log time unit."""
    if not math.isfinite(stamp_s) or stamp_s < 0:
        raise RecordError(f"log time must be a finite time >= 0 s, got {stamp_s}")
    return round(stamp_s * 1e9)


class McapRecorder:
    """One MCAP recording with its topics registered up front.

    Use as a context manager, or call :meth:`open` and :meth:`close`. Leaving the
    ``with`` block through an exception still closes the file properly, so what was
    recorded up to the failure stays readable.

    Args:
        path: the ``.mcap`` file to create; it must not exist.
        topics: every topic the recording will hold (more cannot be added later).
        typestore: types to serialise with; the cell's store by default.
        compress: zstd-compress the file's chunks (as rosbag2's ``zstd_fast`` MCAP
            storage preset does); readers decompress transparently.
    """

    def __init__(
        self,
        path: Path | str,
        topics: Sequence[TopicSpec],
        *,
        typestore: Typestore | None = None,
        compress: bool = True,
    ) -> None:
        self.path = Path(path)
        if self.path.suffix != ".mcap":
            raise RecordError(f"recording path must end in .mcap, got {self.path}")
        names = [t.topic for t in topics]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise RecordError(f"topics registered twice: {duplicates}")
        if not topics:
            raise RecordError("a recording needs at least one topic")
        self.topics = {t.topic: t for t in topics}
        self.typestore = typestore if typestore is not None else cell_typestore()
        unknown = sorted({t.msgtype for t in topics} - set(self.typestore.types))
        if unknown:
            raise RecordError(f"message types not in the type store: {unknown}")
        self.compress = compress
        self._staging = self.path.with_name(f".{self.path.name}.partial")
        self._writer: Writer | None = None
        self._connections: dict[str, Connection] = {}
        self.counts: dict[str, int] = dict.fromkeys(self.topics, 0)

    def open(self) -> None:
        """Create the file and register every topic.

        Raises:
            RecordError: when the file (or a staging folder of an earlier run) exists,
                or the recording cannot be created.
        """
        if self._writer is not None:
            raise RecordError(f"{self.path} is already open")
        for existing in (self.path, self._staging):
            if existing.exists():
                raise RecordError(f"{existing} exists already; not overwriting it")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = Writer(
            self._staging, version=Writer.VERSION_LATEST, storage_plugin=StoragePlugin.MCAP
        )
        if self.compress:
            writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)
        try:
            writer.open()
            for spec in self.topics.values():
                self._connections[spec.topic] = writer.add_connection(
                    spec.topic,
                    spec.msgtype,
                    typestore=self.typestore,
                    offered_qos_profiles=[spec.qos],
                )
        except (WriterError, OSError) as exc:
            writer.abort()
            shutil.rmtree(self._staging, ignore_errors=True)
            raise RecordError(f"cannot create recording {self.path}: {exc}") from None
        self._writer = writer

    def write(self, topic: str, message: object, stamp_s: float) -> None:
        """Record ``message`` on ``topic`` at log time ``stamp_s`` [s].

        Args:
            topic: a registered topic.
            message: a rosbags message object of the topic's type (see
                :class:`jazari.record.typestore.RosbagsMessageTypes`).
            stamp_s: log time on the cell's clock [s], >= 0.

        Raises:
            RecordError: for an unregistered topic, a message of another type, one that
                does not serialise (naming the topic and type), or a closed recording.
        """
        spec = self._spec(topic)
        msgtype = getattr(type(message), "__msgtype__", None)
        if msgtype != spec.msgtype:
            raise RecordError(
                f"{topic} records {spec.msgtype}, got a {msgtype or type(message).__name__}"
            )
        try:
            data = self.typestore.serialize_cdr(message, spec.msgtype)
        except _SERIALISE_ERRORS as exc:
            raise RecordError(
                f"cannot serialise the {spec.msgtype} for {topic}: {type(exc).__name__}: {exc}"
            ) from None
        self.write_serialized(topic, data, stamp_s)

    def write_serialized(self, topic: str, data: bytes | memoryview, stamp_s: float) -> None:
        """Record a message already CDR-serialised (with its 4-byte encapsulation header)."""
        self._spec(topic)
        writer = self._open_writer()
        writer.write(self._connections[topic], stamp_ns(stamp_s), data)
        self.counts[topic] += 1

    def close(self) -> Path:
        """Finish the file (index, summary, metadata) and move it into place.

        Returns:
            The path of the ``.mcap`` file.
        """
        writer = self._open_writer()
        self._writer = None
        try:
            writer.close()
            os.replace(self._staging / f"{self._staging.name}.mcap", self.path)
        except (WriterError, OSError) as exc:
            writer.abort()
            raise RecordError(f"cannot finish recording {self.path}: {exc}") from None
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)
        _log.info("recorded %d messages to %s", sum(self.counts.values()), self.path)
        return self.path

    def __enter__(self) -> McapRecorder:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writer is None:
            return
        if exc is not None:
            _log.warning("closing %s early after %s", self.path, type(exc).__name__)
        self.close()

    def _spec(self, topic: str) -> TopicSpec:
        try:
            return self.topics[topic]
        except KeyError:
            raise RecordError(
                f"topic {topic!r} is not registered in {self.path}; "
                f"registered: {sorted(self.topics)}"
            ) from None

    def _open_writer(self) -> Writer:
        if self._writer is None:
            raise RecordError(f"recording {self.path} is not open")
        return self._writer
