"""Emulated EtherCAT slaves: CiA 402 drives behind emulated ESCs, answering real frames.

How the wire is set up (tests and ``jazari bench ethercat`` do all of it, as root):

1. :class:`.netns.VethWire` creates a network namespace with a unique name holding a veth
   pair: ``ecm0`` for the master, ``ecs0`` for the slaves. Nothing is bridged to the host.
2. :class:`.client.EmulatorProcess` starts ``ip netns exec NAMESPACE python -m
   jazari.sim.ethercat_slave --interface ecs0 ...``: a separate process (pysoem holds the
   GIL in blocking calls, so the slaves cannot share the master's interpreter) with an
   ``AF_PACKET`` raw socket bound to EtherType 0x88A4 on ``ecs0``; it answers every frame
   once, and takes fault injections as JSON lines on a Unix socket.
3. The master opens ``ecm0`` from inside the namespace
   (``network_namespace`` in ``config/ethercat_driver.yaml``; only its socket is created
   there, with ``setns`` on one thread, see :mod:`jazari.control.ethercat.namespace`).

Modules: :mod:`.frame` (datagrams), :mod:`.esc` (registers, AL states, SII, sync managers,
FMMUs, watchdog), :mod:`.sii`, :mod:`.coe` (object dictionary, SDO, mailbox),
:mod:`.drive` (CiA 402 drive), :mod:`.axis` (what a drive moves: its own motor model,
or a joint of the twin through :mod:`jazari.sim.joint_link`), :mod:`.application`,
:mod:`.segment` (the line of slaves and frame faults), :mod:`.server`, :mod:`.client`,
:mod:`.netns`, :mod:`.spec`.
"""
