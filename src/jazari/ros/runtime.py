"""The one ``main()`` every Jazari executable runs: init, spin, shut down cleanly.

It is the canonical rclpy main (ros2/examples): ``KeyboardInterrupt`` ends quietly,
``ExternalShutdownException`` (the context was shut down from outside) exits with 1,
and ``destroy_node()`` and ``rclpy.try_shutdown()`` always run. A node that cannot
start because of a Jazari error (a missing parameter file, a bad value) logs the error
and exits with 2 instead of printing a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.logging import get_logger
from rclpy.node import Node

from jazari.errors import JazariError

EXIT_EXTERNAL_SHUTDOWN = 1
EXIT_STARTUP_ERROR = 2


class RosLogHandler(logging.Handler):
    """Forwards the core's stdlib logging to a node's rclpy logger (ARCHITECTURE.md)."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self._logger = node.get_logger()

    def emit(self, record: logging.LogRecord) -> None:
        message = f"[{record.name}] {record.getMessage()}"
        if record.levelno >= logging.ERROR:
            self._logger.error(message)
        elif record.levelno >= logging.WARNING:
            self._logger.warning(message)
        elif record.levelno >= logging.INFO:
            self._logger.info(message)
        else:
            self._logger.debug(message)


def run_nodes(
    make_nodes: Callable[[], Sequence[Node]],
    args: list[str] | None = None,
    *,
    threads: int | None = None,
) -> None:
    """Create the nodes of one process and spin them until shutdown.

    Args:
        make_nodes: builds the process's nodes (called after ``rclpy.init``).
        args: command-line arguments (default ``sys.argv``).
        threads: executor threads (default: rclpy's, from the CPU count). Nodes serve
            actions that run for seconds while their subscriptions keep flowing, so the
            executor is multi-threaded.
    """
    rclpy.init(args=args)
    nodes: list[Node] = []
    handler: RosLogHandler | None = None
    try:
        nodes = list(make_nodes())
        handler = RosLogHandler(nodes[0])
        logging.getLogger("jazari").addHandler(handler)
        logging.getLogger("jazari").setLevel(logging.INFO)
        executor = MultiThreadedExecutor(num_threads=threads)
        for node in nodes:
            executor.add_node(node)
        executor.spin()
    except KeyboardInterrupt:
        pass
    except ExternalShutdownException:
        sys.exit(EXIT_EXTERNAL_SHUTDOWN)
    except JazariError as exc:
        get_logger("jazari").fatal(f"cannot start: {exc}")
        sys.exit(EXIT_STARTUP_ERROR)
    finally:
        if handler is not None:
            logging.getLogger("jazari").removeHandler(handler)
        for node in reversed(nodes):
            node.destroy_node()
        rclpy.try_shutdown()
