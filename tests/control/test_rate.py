"""Fixed-rate loops on a clock."""

from __future__ import annotations

import pytest

from jazari.control.rate import RateError, RateLoop, reduce_timer_slack


class SteppedClock:
    """Simulated time: ``sleep`` advances it; ``work`` adds time spent computing."""

    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> float:
        return self.t

    def sleep(self, duration_s: float) -> None:
        if duration_s > 0:
            self.t += duration_s


def test_ticks_fall_on_an_absolute_grid_despite_work_in_between() -> None:
    clock = SteppedClock()
    loop = RateLoop(clock, 100.0)
    for _ in range(5):
        loop.wait()
        clock.t += 0.003  # work shorter than a period
    assert loop.tick_times_s == pytest.approx([100.0, 100.01, 100.02, 100.03, 100.04])
    assert loop.skipped == 0


def test_a_long_overrun_skips_missed_ticks_instead_of_bursting() -> None:
    clock = SteppedClock()
    loop = RateLoop(clock, 100.0)
    loop.wait()
    clock.t += 0.035  # three and a half periods of work
    loop.wait()
    loop.wait()
    assert loop.skipped == 2
    assert loop.tick_times_s[1:] == pytest.approx([100.035, 100.04])


def test_rate_must_be_positive() -> None:
    with pytest.raises(RateError, match="-5"):
        RateLoop(SteppedClock(), -5.0)


def test_timer_slack_request_reports_whether_it_took() -> None:
    assert isinstance(reduce_timer_slack(), bool)
