"""``serial_driver_node``: the arm's Dynamixel servos (Protocol 2.0) as a lifecycle node.

Parameters: ``config/serial_driver.yaml``. Opens ``port`` in ``on_configure`` (waiting up
to ``connect_timeout_s`` for it to appear: in simulation the simulator makes it),
serves ``follow_joint_trajectory``, publishes ``joint_states`` and ``diagnostics``, and
offers ``drives/estop`` and ``drives/rearm``. See :mod:`jazari.ros.drive_node`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jazari.ros.drive_node import DriveNode, backend_node
from jazari.ros.runtime import run_nodes


def servo_ids(params: Mapping[str, Any]) -> dict[str, str]:
    """Each joint's servo, for diagnostics."""
    joints, ids = params.get("joints", ()), params.get("ids", ())
    return {str(j): f"dynamixel id {i}" for j, i in zip(joints, ids, strict=False)}


def make_node() -> DriveNode:
    """The node on the serial backend."""
    return backend_node("serial", servo_ids)


def main(args: list[str] | None = None) -> None:
    """Run the serial driver until shutdown."""
    run_nodes(lambda: [make_node()], args)


if __name__ == "__main__":
    main()
