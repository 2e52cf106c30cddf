"""Fixed-rate loops on a :class:`~jazari.ports.Clock`, and the Linux timer slack.

A control loop wakes on an absolute schedule ``t0 + k·period`` so that lateness in one
cycle does not shift every later one; a cycle that starts more than one period late
skips the missed ticks instead of firing them back to back.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys

from jazari.errors import JazariError
from jazari.ports import Clock

_PR_SET_TIMERSLACK = 29


class RateError(JazariError, ValueError):
    """A loop rate is not a positive finite number."""


def reduce_timer_slack(slack_ns: int = 1000) -> bool:
    """Ask Linux to wake the calling thread within ``slack_ns`` of its timers.

    By default the kernel may delay a sleeping thread's wake-up by up to 50 µs to batch
    wake-ups; a 1 kHz control loop or a wire-time emulator wants less. Returns False
    where this is not available (not Linux, no libc); nothing else changes then.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The running interpreter already links libc: no library search (which can
        # spawn ldconfig and take tens of milliseconds).
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.prctl(_PR_SET_TIMERSLACK, ctypes.c_ulong(slack_ns), 0, 0, 0)
    except (OSError, AttributeError):
        return False
    return bool(result == 0)


def set_realtime_priority(priority: int | None) -> bool:
    """Run the calling thread under SCHED_FIFO at ``priority`` (None: back to normal).

    A control loop (and an emulator standing in for hardware) keeps its period on a
    busy machine only if other work cannot preempt it. Needs root or CAP_SYS_NICE;
    returns False, changing nothing, where that is not allowed or not available.
    """
    if not hasattr(os, "sched_setscheduler"):
        return False
    try:
        if priority is None:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        else:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (PermissionError, OSError):
        return False
    return True


class RateLoop:
    """Ticks at ``rate_hz`` on ``clock``; remembers when each tick actually started.

    Attributes:
        tick_times_s: clock time at which each tick's :meth:`wait` returned [s].
        skipped: ticks dropped because a cycle overran by more than one period.
    """

    def __init__(self, clock: Clock, rate_hz: float) -> None:
        if not (math.isfinite(rate_hz) and rate_hz > 0):
            raise RateError(f"rate_hz must be a positive number, got {rate_hz}")
        self.clock = clock
        self.period_s = 1.0 / rate_hz
        self.tick_times_s: list[float] = []
        self.skipped = 0
        self._next_s: float | None = None

    def wait(self) -> float:
        """Sleep until the next tick (the first call returns at once); the tick's time."""
        clock = self.clock
        now = clock.now()
        if self._next_s is None:
            self._next_s = now
        else:
            late = now - self._next_s
            if late > self.period_s:
                missed = int(late // self.period_s)
                self.skipped += missed
                self._next_s += missed * self.period_s
            clock.sleep(self._next_s - now)
            now = clock.now()
        self._next_s += self.period_s
        self.tick_times_s.append(now)
        return now
