"""``python -m jazari.sim.ethercat_slave``: run emulated EtherCAT slaves on an interface.

Run it inside the network namespace that holds the interface, for example::

    ip netns exec jzec0 python -m jazari.sim.ethercat_slave --interface ecs0 \\
        --control /tmp/ecat.sock --slaves 6

With ``--plant-link FILE`` the drives turn the joints of a plant in another process
(see :mod:`jazari.sim.ethercat_plant`) instead of their own motor models.

It needs CAP_NET_RAW (root). :class:`jazari.sim.ethercat_slave.client.EmulatorProcess`
does all of this for tests and benchmarks.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence

from jazari.control.rate import reduce_timer_slack
from jazari.errors import JazariError
from jazari.sim.ethercat_slave.axis import DEFAULT_FEEDBACK_TIMEOUT_S
from jazari.sim.ethercat_slave.errors import EmulatorError
from jazari.sim.ethercat_slave.server import EmulatorServer
from jazari.sim.ethercat_slave.spec import SlaveSpec, build_segment
from jazari.sim.joint_link import JointLink


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, build the segment, serve until shut down; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m jazari.sim.ethercat_slave", description=__doc__
    )
    parser.add_argument("--interface", required=True, help="network interface to answer on")
    parser.add_argument("--control", required=True, help="path of the Unix control socket")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--slaves", type=int, help="number of default emulated drives")
    group.add_argument("--spec", help="JSON list of slave specs (see SlaveSpec)")
    parser.add_argument(
        "--plant-link",
        help="joint link file (jazari.sim.joint_link) of a plant the drives turn, in wire order",
    )
    parser.add_argument(
        "--feedback-timeout",
        type=float,
        default=DEFAULT_FEEDBACK_TIMEOUT_S,
        help="age of the plant's measurements at which a drive reports an encoder fault [s]",
    )
    parser.add_argument(
        "--realtime-priority",
        type=int,
        default=0,
        help="SCHED_FIFO priority (0: normal scheduling); real slaves answer in microseconds",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    try:
        if args.spec is not None:
            specs = [SlaveSpec.from_dict(d) for d in json.loads(args.spec)]
        else:
            if args.slaves < 1:
                raise EmulatorError(f"--slaves must be >= 1, got {args.slaves}")
            specs = [SlaveSpec() for _ in range(args.slaves)]
        plant = None if args.plant_link is None else JointLink.attach(args.plant_link)
        segment = build_segment(specs, time.monotonic(), plant, args.feedback_timeout)
        server = EmulatorServer(args.interface, segment, args.control)
    except (JazariError, ValueError, OSError) as exc:
        print(f"ethercat slave emulator: {exc}", file=sys.stderr)
        return 2
    reduce_timer_slack()
    if args.realtime_priority > 0:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(args.realtime_priority))
        except OSError as exc:
            print(
                f"ethercat slave emulator: no SCHED_FIFO ({exc}); running unprioritised",
                file=sys.stderr,
            )
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
