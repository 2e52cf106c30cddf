"""Opening a socket inside another network namespace.

The EtherCAT interface may live in a network namespace (``ip netns``), for isolation on a
controller or for the emulated segment in tests. :func:`entered` moves only the calling
thread into it (``setns``); a socket created there stays bound to that namespace after the
thread returns, so the rest of the process is unaffected.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

from jazari.control.ethercat.errors import EthercatError

_CLONE_NEWNET = 0x40000000


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise EthercatError(f"setns failed: {os.strerror(err)}")


@contextmanager
def entered(namespace: str) -> Iterator[None]:
    """Run the calling thread inside a network namespace for the ``with`` block.

    Sockets created in the block stay bound to that namespace afterwards. An empty name
    leaves the thread where it is.

    Raises:
        EthercatError: when the namespace does not exist or cannot be entered.
    """
    if not namespace:
        yield
        return
    try:
        target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    except OSError as exc:
        raise EthercatError(f"network namespace {namespace!r} cannot be opened: {exc}") from None
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)
