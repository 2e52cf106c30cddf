"""Live view: the cell's messages served to Foxglove over a WebSocket on loopback.

The same ROS 2 messages that go into the recording are published, CDR-encoded with
their ``ros2msg`` schemas, on one Foxglove channel per topic (``foxglove-sdk``), so
Foxglove shows the run as it happens: open ``ws://127.0.0.1:<port>`` in the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rosbags.typesys.store import Typestore

from jazari.record.errors import RecordError
from jazari.record.recorder import stamp_ns
from jazari.record.topics import TopicSpec

LOOPBACK = "127.0.0.1"


class FoxgloveLive:
    """A Foxglove WebSocket server on loopback with one channel per topic.

    Args:
        topics: the topics to serve.
        typestore: where message definitions and the CDR serialiser come from.
        port: TCP port on 127.0.0.1 (0 picks a free one; see :attr:`port`).
    """

    def __init__(self, topics: Sequence[TopicSpec], typestore: Typestore, port: int = 8765) -> None:
        import foxglove

        self.typestore = typestore
        self._server = foxglove.start_server(name="jazari", host=LOOPBACK, port=port)
        self._types: dict[str, str] = {}
        self._channels: dict[str, Any] = {}
        for spec in topics:
            text, _ = typestore.generate_msgdef(spec.msgtype)
            schema = foxglove.Schema(name=spec.msgtype, encoding="ros2msg", data=text.encode())
            self._channels[spec.topic] = foxglove.Channel(
                spec.topic, schema=schema, message_encoding="cdr"
            )
            self._types[spec.topic] = spec.msgtype

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        port: int = self._server.port
        return port

    def write(self, topic: str, message: object, stamp_s: float) -> None:
        """Publish ``message`` to Foxglove clients subscribed to ``topic``."""
        try:
            channel, msgtype = self._channels[topic], self._types[topic]
        except KeyError:
            raise RecordError(f"topic {topic!r} is not served live") from None
        data = self.typestore.serialize_cdr(message, msgtype)
        channel.log(bytes(data), log_time=stamp_ns(stamp_s))

    def close(self) -> None:
        """Stop the server."""
        for channel in self._channels.values():
            channel.close()
        self._server.stop()

    def __enter__(self) -> FoxgloveLive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
