"""Read recordings back (rosbag2 folders or single ``.mcap``/``.db3`` files), for tests,
reports and tools."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rosbags.interfaces import ConnectionExtRosbag2, Qos
from rosbags.rosbag2 import Reader, ReaderError
from rosbags.serde import SerdeError

from jazari.record.errors import RecordError
from jazari.record.typestore import cell_typestore

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore


@dataclass(frozen=True)
class TopicInfo:
    """A recorded topic: its type, message count and the QoS its publisher offered."""

    msgtype: str
    count: int
    qos: tuple[Qos, ...]


@dataclass(frozen=True)
class RecordedMessage:
    """One message of a recording, deserialised.

    Attributes:
        topic: the topic it was recorded on.
        msgtype: its type name.
        stamp_ns: log time [ns].
        message: the rosbags message object.
    """

    topic: str
    msgtype: str
    stamp_ns: int
    message: Any


def _open(path: Path | str) -> Reader:
    try:
        reader = Reader(Path(path))
        reader.open()
    except (FileNotFoundError, ReaderError) as exc:
        raise RecordError(f"cannot read recording {path}: {exc}") from None
    return reader


def read_topics(path: Path | str) -> dict[str, TopicInfo]:
    """Every topic of a recording with its type, message count and offered QoS."""
    reader = _open(path)
    try:
        topics: dict[str, TopicInfo] = {}
        for conn in reader.connections:
            qos = (
                conn.ext.offered_qos_profiles if isinstance(conn.ext, ConnectionExtRosbag2) else []
            )
            topics[conn.topic] = TopicInfo(conn.msgtype, conn.msgcount, tuple(qos))
        return topics
    finally:
        reader.close()


def read_messages(
    path: Path | str,
    topics: Collection[str] | None = None,
    *,
    typestore: Typestore | None = None,
) -> Iterator[RecordedMessage]:
    """The messages of a recording in log-time order, deserialised.

    Args:
        path: a ``.mcap`` file or a rosbag2 folder.
        topics: only these topics (all when None).
        typestore: types to deserialise with; the cell's store by default.

    Raises:
        RecordError: when the file cannot be read, a topic's type is unknown to the
            store, or a message does not deserialise (naming topic and log time).
    """
    store = typestore if typestore is not None else cell_typestore()
    reader = _open(path)
    try:
        connections = [c for c in reader.connections if topics is None or c.topic in topics]
        unknown = sorted({c.msgtype for c in connections} - set(store.types))
        if unknown:
            raise RecordError(f"{path}: message types not in the type store: {unknown}")
        for conn, stamp, data in reader.messages(connections=connections):
            try:
                message = store.deserialize_cdr(data, conn.msgtype)
            except SerdeError as exc:
                raise RecordError(
                    f"{path}: message on {conn.topic} at {stamp} ns does not deserialise: {exc}"
                ) from None
            yield RecordedMessage(conn.topic, conn.msgtype, stamp, message)
    except ReaderError as exc:
        raise RecordError(f"cannot read recording {path}: {exc}") from None
    finally:
        reader.close()
