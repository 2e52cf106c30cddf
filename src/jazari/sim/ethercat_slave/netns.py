"""A private wire for the emulator: a network namespace holding a veth pair.

The namespace gets a unique name per run and holds both ends, ``ecm0`` (the master's)
and ``ecs0`` (the emulator's), so no EtherCAT frame ever reaches the host's interfaces
(IPv6 is switched off in the namespace so the kernel sends nothing of its own either).
The emulator runs inside it with ``ip netns exec``; the master opens its raw socket inside
it with :func:`jazari.control.ethercat.namespace.entered`. Needs root.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from jazari.sim.ethercat_slave.errors import EmulatorError

MASTER_INTERFACE = "ecm0"
SLAVE_INTERFACE = "ecs0"


def unavailable_reason(
    euid: int | None = None, which: Callable[[str], str | None] | None = None
) -> str | None:
    """Why namespaces cannot be used here, or None when they can.

    Args:
        euid: the effective user id to judge (default: this process's).
        which: how to find a command (default: :func:`shutil.which`, on PATH).
    """
    if (os.geteuid() if euid is None else euid) != 0:
        return "needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN) for network namespaces"
    if (shutil.which if which is None else which)("ip") is None:
        return "needs the 'ip' command (Debian package iproute2)"
    if not os.path.exists("/proc/self/ns/net"):
        return "the kernel has no network namespaces"
    return None


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise EmulatorError(f"'ip {' '.join(args)}' failed: {result.stderr.strip()}")


@dataclass(frozen=True)
class VethWire:
    """A veth pair inside a namespace.

    Attributes:
        namespace: the namespace name (as ``ip netns`` knows it).
        master_interface, slave_interface: the two ends.
    """

    namespace: str
    master_interface: str = MASTER_INTERFACE
    slave_interface: str = SLAVE_INTERFACE

    @classmethod
    def create(cls, prefix: str = "jzec") -> VethWire:
        """Create a fresh namespace with a veth pair, both ends up.

        Raises:
            EmulatorError: when a step fails (the namespace is removed again).
        """
        reason = unavailable_reason()
        if reason is not None:
            raise EmulatorError(f"cannot create a network namespace: {reason}")
        wire = cls(f"{prefix}{os.getpid()}x{secrets.token_hex(3)}")
        _ip("netns", "add", wire.namespace)
        try:
            ns = ("-n", wire.namespace)
            _ip(
                *ns,
                "link",
                "add",
                wire.master_interface,
                "type",
                "veth",
                "peer",
                "name",
                wire.slave_interface,
            )
            for name in (wire.master_interface, wire.slave_interface):
                sysctl = f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6"
                subprocess.run(
                    ["ip", "netns", "exec", wire.namespace, "sh", "-c", f"echo 1 > {sysctl}"],
                    capture_output=True,
                    check=False,
                )
                _ip(*ns, "link", "set", name, "up")
        except EmulatorError:
            wire.destroy()
            raise
        return wire

    def destroy(self) -> None:
        """Delete the namespace (and with it the veth pair); safe to call twice."""
        subprocess.run(["ip", "netns", "delete", self.namespace], capture_output=True, check=False)

    def exists(self) -> bool:
        """Whether the namespace is still there."""
        return os.path.exists(f"/run/netns/{self.namespace}")
