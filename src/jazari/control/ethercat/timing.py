"""Keeping a steady cycle in a Python thread, and measuring how steady it was.

The cycle thread sleeps on absolute deadlines (so errors do not accumulate), wakes a
little early and spins the rest of the way, with the kernel's timer slack for the thread
cut to 1 µs; optionally it runs under SCHED_FIFO.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable

import numpy as np

from jazari.control.rate import reduce_timer_slack

_log = logging.getLogger(__name__)
SPIN_S = 0.0001  # the last part of each wait is spun, not slept [s]


def tune_current_thread(realtime_priority: int) -> None:
    """Make the calling thread's sleeps precise (1 µs timer slack) and, if
    ``realtime_priority`` > 0, schedule it SCHED_FIFO at that priority.

    Failures (no permission, no such call) are logged, not raised: the cycle still runs,
    only less steadily.
    """
    if not reduce_timer_slack():
        _log.warning("could not reduce the cycle thread's timer slack")
    if realtime_priority > 0:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(realtime_priority))
        except (OSError, AttributeError) as exc:
            _log.warning("could not set SCHED_FIFO priority %d: %s", realtime_priority, exc)


def sleep_until(deadline_s: float) -> float:
    """Wait until ``time.perf_counter()`` reaches ``deadline_s``; returns how late it
    woke [s] (0 or more).

    Sleeps until :data:`SPIN_S` before the deadline (a sleep with 1 µs timer slack wakes
    about 60 µs late), then spins with ``sleep(0)``, which yields the interpreter to
    other threads on every turn.
    """
    remaining = deadline_s - time.perf_counter()
    if remaining > SPIN_S:
        time.sleep(remaining - SPIN_S)
    while True:
        now = time.perf_counter()
        if now >= deadline_s:
            return now - deadline_s
        time.sleep(0)


def _percentiles(values: Iterable[float], stats: dict[str, float]) -> dict[str, float]:
    data = np.fromiter(values, dtype=float)
    if data.size == 0:
        return {name: float("nan") for name in stats}
    return {name: float(np.percentile(data, q)) for name, q in stats.items()}


class CycleStats:
    """Timing of the most recent cycles.

    Args:
        period_s: the nominal cycle period [s].
        capacity: how many cycles to keep.
    """

    def __init__(self, period_s: float, capacity: int = 120_000) -> None:
        self.period_s = period_s
        self._lock = threading.Lock()  # the cycle thread records while others summarise
        self._starts: deque[float] = deque(maxlen=capacity)
        self._cpu: deque[float] = deque(maxlen=capacity)
        self._busy: deque[float] = deque(maxlen=capacity)
        self.cycles = 0
        self.wkc_errors = 0

    def record(self, start_s: float, end_s: float, cpu_s: float, wkc_ok: bool) -> None:
        """One cycle: when it started and ended (perf_counter) and the thread CPU it used."""
        with self._lock:
            self._starts.append(start_s)
            self._busy.append(end_s - start_s)
            self._cpu.append(cpu_s)
            self.cycles += 1
            if not wkc_ok:
                self.wkc_errors += 1

    def reset(self) -> None:
        """Forget what was measured (for example after start-up)."""
        with self._lock:
            self._starts.clear()
            self._cpu.clear()
            self._busy.clear()
            self.cycles = 0
            self.wkc_errors = 0

    def summary(self) -> dict[str, object]:
        """``period_error_us`` (|start-to-start interval - period|: p50, p99, max),
        ``cycle_cpu_us`` and ``cycle_busy_us`` (median, p99), ``cycles``,
        ``wkc_errors``."""
        with self._lock:
            starts, cpu, busy = list(self._starts), list(self._cpu), list(self._busy)
            cycles, wkc_errors = self.cycles, self.wkc_errors
        errors = [abs(b - a - self.period_s) * 1e6 for a, b in itertools.pairwise(starts)]
        return {
            "period_error_us": _percentiles(errors, {"p50": 50, "p99": 99, "max": 100}),
            "cycle_cpu_us": _percentiles((c * 1e6 for c in cpu), {"median": 50, "p99": 99}),
            "cycle_busy_us": _percentiles((b * 1e6 for b in busy), {"median": 50, "p99": 99}),
            "cycles": cycles,
            "wkc_errors": wkc_errors,
        }
