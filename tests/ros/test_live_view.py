"""The live view serves the cell's topics to Foxglove clients on loopback."""

from __future__ import annotations

import asyncio
import json

import pytest

from jazari.record.typestore import RosbagsMessageTypes, cell_typestore
from jazari.ros.cell_recording import DEMO_TOPICS
from jazari.ros.live import FoxgloveLive

websockets = pytest.importorskip("websockets")


async def _advertised(port: int) -> dict[str, str]:
    """Connect as a Foxglove client and collect the advertised channels."""
    channels: dict[str, str] = {}
    async with websockets.connect(f"ws://127.0.0.1:{port}", subprotocols=["foxglove.sdk.v1"]) as ws:
        while len(channels) < len(DEMO_TOPICS):
            raw = await asyncio.wait_for(ws.recv(), timeout=5.0)
            if isinstance(raw, str):
                msg = json.loads(raw)
                if msg.get("op") == "advertise":
                    channels.update({c["topic"]: c["schemaName"] for c in msg["channels"]})
    return channels


def test_every_demo_topic_is_advertised_with_its_ros2_schema() -> None:
    store = cell_typestore()
    with FoxgloveLive(DEMO_TOPICS, store, port=0) as live:
        assert live.port > 0
        types = RosbagsMessageTypes(store)
        live.write("/robot_description", types.get("std_msgs/msg/String")(data="<robot/>"), 1.0)
        channels = asyncio.run(_advertised(live.port))
    assert channels == {t.topic: t.msgtype for t in DEMO_TOPICS}


def test_unknown_topic_is_refused() -> None:
    with (
        FoxgloveLive(DEMO_TOPICS[:1], cell_typestore(), port=0) as live,
        pytest.raises(Exception, match="not served live"),
    ):
        live.write("/nope", object(), 0.0)
