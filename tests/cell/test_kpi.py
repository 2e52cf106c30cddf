"""OEE from events: each factor follows its definition."""

from __future__ import annotations

import pytest

from jazari.cell.events import CellEvent, EventError, EventKind, EventLog
from jazari.cell.kpi import compute_oee

K = EventKind


def _run(*middle: CellEvent, end_s: float = 100.0) -> list[CellEvent]:
    log = EventLog()
    log.add(CellEvent(0.0, K.RUN_START))
    for e in middle:
        log.add(e)
    log.add(CellEvent(end_s, K.RUN_END))
    return log.events


def test_perfect_run_has_oee_of_one() -> None:
    events = _run(
        *(CellEvent(10.0 * (i + 1), K.PLACED, i, detail="accepted", good=True) for i in range(10))
    )
    oee = compute_oee(events, ideal_cycle_time_s=10.0)
    assert oee.as_dict() == {"availability": 1.0, "performance": 1.0, "quality": 1.0, "oee": 1.0}


def test_downtime_lowers_availability_and_counts_until_cleared_or_end() -> None:
    events = _run(
        CellEvent(10.0, K.FAULT, detail="drive 3 overheat"),
        CellEvent(30.0, K.FAULT_CLEARED),
        CellEvent(90.0, K.FAULT, detail="e-stop"),
    )
    oee = compute_oee(events, ideal_cycle_time_s=5.0)
    assert oee.downtime_s == pytest.approx(30.0)
    assert oee.availability == pytest.approx(0.7)


def test_rejected_parts_lower_quality_and_slow_cycles_lower_performance() -> None:
    events = _run(
        CellEvent(20.0, K.PLACED, 0, detail="accepted", good=True),
        CellEvent(40.0, K.PLACED, 1, detail="rejected", good=False),
        CellEvent(60.0, K.PLACED, 2, detail="accepted", good=True),
        CellEvent(80.0, K.FAILURE, 3, stage="plan", detail="unreachable"),
    )
    oee = compute_oee(events, ideal_cycle_time_s=5.0)
    assert oee.quality == pytest.approx(2 / 3)
    assert oee.performance == pytest.approx(15.0 / 100.0)
    assert oee.oee == pytest.approx(1.0 * 0.15 * 2 / 3)


def test_run_without_end_or_with_bad_ideal_time_is_refused() -> None:
    with pytest.raises(EventError, match="one RUN_START and one RUN_END"):
        compute_oee([CellEvent(0.0, K.RUN_START)], 5.0)
    with pytest.raises(EventError, match="ideal_cycle_time_s must be > 0"):
        compute_oee(_run(), 0.0)


def test_events_out_of_order_are_refused() -> None:
    log = EventLog()
    log.add(CellEvent(5.0, K.RUN_START))
    with pytest.raises(EventError, match="earlier than the last"):
        log.add(CellEvent(4.0, K.PICK_START))
