"""Running Jazari's nodes on the rclpy double (tests/ros/rclpy_double): a fixture that
installs it, and helpers to start nodes with their parameter files and wait for what
they publish."""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rclpy_double import Middleware, build_factory, installed
from rclpy_double.messages import MessageFactory

from jazari.ros.node_schemas import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _factory() -> MessageFactory:
    return build_factory()


@dataclass
class Ros:
    """The double's middleware and its rclpy modules, for one test."""

    middleware: Middleware
    nodes: list[Any] = field(default_factory=list)

    def init(self, *files: str, extra: list[str] | None = None) -> None:
        """``rclpy.init`` with ``--params-file config/<name>.yaml`` for each name (the
        previous context, if any, is shut down first: each node keeps the parameter
        overrides it was created with)."""
        import rclpy

        rclpy.try_shutdown()
        args = ["--ros-args"]
        for name in files:
            args += ["--params-file", str(ROOT / "config" / f"{name}.yaml")]
        rclpy.init(args=args + (extra or []))

    def node_for(
        self, schema_node: str, make: Callable[..., Any], *, params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        """``make(**kwargs)`` after ``init`` with the files of ``schema_node``'s schema and
        ``-p`` overrides ``params``; the node is destroyed at the end of the test. Returns
        what ``make`` returned (a node or a list of nodes)."""
        extra: list[str] = []
        for name, value in (params or {}).items():
            extra += ["-p", f"{name}:={json.dumps(value)}"]
        self.init(*SCHEMAS[schema_node].files, extra=extra)
        made = make(**kwargs)
        self.nodes.extend(made if isinstance(made, list) else [made])
        return made

    def plain_node(self, name: str) -> Any:
        """An rclpy node to publish from and listen on."""
        from rclpy.node import Node

        node = Node(name)
        self.nodes.append(node)
        return node

    def listen(self, node: Any, type_name: str, topic: str) -> list[Any]:
        """Every message received on ``topic``, appended as it arrives."""
        from jazari.ros.message_types import RclpyMessageTypes

        got: list[Any] = []
        node.create_subscription(RclpyMessageTypes().get(type_name), topic, got.append, 10)
        return got

    def check_errors(self) -> None:
        """Fail when a callback raised."""
        errors = list(self.middleware.errors)
        self.middleware.errors.clear()
        assert not errors, f"callbacks raised: {errors!r}"


@pytest.fixture
def ros() -> Iterator[Ros]:
    """The rclpy double, installed for one test; every node made through it destroyed
    afterwards, and no callback may have raised."""
    with installed(_factory()) as middleware:
        harness = Ros(middleware)
        try:
            yield harness
            harness.check_errors()
        finally:
            for node in reversed(harness.nodes):
                node.destroy_node()


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.01)


def wait_future(future: Any, timeout_s: float, what: str) -> Any:
    """The result of an rclpy future, or fail after ``timeout_s``."""
    done = threading.Event()
    future.add_done_callback(lambda _f: done.set())
    if not done.wait(timeout_s):
        pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
    return future.result()
