"""The cycle thread's timing helpers and opening sockets in another network namespace."""

from __future__ import annotations

import math
import threading
import time

import pytest

from jazari.control.ethercat.errors import EthercatError
from jazari.control.ethercat.namespace import entered
from jazari.control.ethercat.timing import CycleStats, sleep_until


def test_period_error_is_the_distance_of_each_interval_from_the_period() -> None:
    stats = CycleStats(period_s=0.001)
    for start in (0.0, 0.001, 0.0025, 0.0035, 0.0045):
        stats.record(start, start + 0.0002, 0.0001, wkc_ok=True)
    stats.record(0.0055, 0.0056, 0.0001, wkc_ok=False)
    summary = stats.summary()
    errors = summary["period_error_us"]
    assert isinstance(errors, dict)
    assert errors["max"] == pytest.approx(500.0)
    assert errors["p50"] == pytest.approx(0.0, abs=1e-6)
    assert summary["cycle_cpu_us"] == {"median": pytest.approx(100.0), "p99": pytest.approx(100.0)}
    assert (summary["cycles"], summary["wkc_errors"]) == (6, 1)
    stats.reset()
    empty = stats.summary()["period_error_us"]
    assert isinstance(empty, dict)
    assert math.isnan(empty["p99"])


def test_summaries_can_be_taken_while_cycles_are_recorded() -> None:
    stats = CycleStats(period_s=0.001, capacity=1000)
    stop = threading.Event()

    def record() -> None:
        t = 0.0
        while not stop.is_set():
            t += 0.001
            stats.record(t, t, 0.0, wkc_ok=True)

    thread = threading.Thread(target=record)
    thread.start()
    try:
        for _ in range(200):
            stats.summary()
    finally:
        stop.set()
        thread.join()


def test_sleep_until_never_returns_early() -> None:
    for _ in range(20):
        deadline = time.perf_counter() + 0.0005
        late = sleep_until(deadline)
        assert late >= 0.0
        assert time.perf_counter() >= deadline
    assert sleep_until(time.perf_counter() - 1.0) >= 1.0


def test_an_empty_namespace_name_stays_in_the_current_namespace() -> None:
    with entered(""):
        pass


def test_a_missing_namespace_is_named() -> None:
    with (
        pytest.raises(EthercatError, match="'jazari-no-such-namespace'"),
        entered("jazari-no-such-namespace"),
    ):
        pass
