"""``ethercat_driver_node``: the arm's CiA 402 drives on EtherCAT as a lifecycle node.

Parameters: ``config/ethercat_driver.yaml``. Brings the segment to OP in
``on_configure`` (the network interface, inside ``network_namespace`` when set), serves
``follow_joint_trajectory``, publishes ``joint_states`` and ``diagnostics``, and offers
``drives/estop`` (the drives' quick stop) and ``drives/rearm`` (fault reset and re-arm
of a tripped segment). The bus's 1 kHz cycle is a thread of this process: run nothing
heavy beside it. See :mod:`jazari.ros.drive_node`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jazari.ros.drive_node import DriveNode, backend_node
from jazari.ros.runtime import run_nodes


def slave_positions(params: Mapping[str, Any]) -> dict[str, str]:
    """Each joint's slave position on the segment (1 = first after the master)."""
    return {str(j): f"ethercat slave {k + 1}" for k, j in enumerate(params.get("joints", ()))}


def make_node() -> DriveNode:
    """The node on the EtherCAT backend."""
    return backend_node("ethercat", slave_positions)


def main(args: list[str] | None = None) -> None:
    """Run the EtherCAT driver until shutdown."""
    run_nodes(lambda: [make_node()], args)


if __name__ == "__main__":
    main()
