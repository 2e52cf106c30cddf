"""Overall equipment effectiveness (OEE) of a run, from the cell's own events.

OEE = availability × performance × quality (the usual definition, as in ISO 22400-2):

* planned time: from RUN_START to RUN_END;
* downtime: the time between each FAULT and the next FAULT_CLEARED (or RUN_END);
* availability = (planned time − downtime) / planned time;
* performance = ideal cycle time × parts handled / run time, capped at 1, where parts
  handled are those placed in any bin;
* quality = good parts / parts handled, where good parts passed inspection and were
  placed in the accepted bin.
"""

from __future__ import annotations

from dataclasses import dataclass

from jazari.cell.events import CellEvent, EventError, EventKind


@dataclass(frozen=True)
class OEE:
    """OEE and its factors, each in [0, 1]; times in seconds."""

    availability: float
    performance: float
    quality: float
    planned_time_s: float
    downtime_s: float
    handled: int
    good: int

    @property
    def oee(self) -> float:
        """availability × performance × quality."""
        return self.availability * self.performance * self.quality

    def as_dict(self) -> dict[str, float]:
        """The four figures of the run report."""
        return {
            "availability": self.availability,
            "performance": self.performance,
            "quality": self.quality,
            "oee": self.oee,
        }


def _downtime(events: list[CellEvent], end_s: float) -> float:
    down, since = 0.0, None
    for e in events:
        if e.kind is EventKind.FAULT and since is None:
            since = e.t_s
        elif e.kind is EventKind.FAULT_CLEARED and since is not None:
            down += e.t_s - since
            since = None
    if since is not None:
        down += end_s - since
    return down


def compute_oee(events: list[CellEvent], ideal_cycle_time_s: float) -> OEE:
    """OEE of one run.

    Args:
        events: the run's events, in time order, with one RUN_START and one RUN_END.
        ideal_cycle_time_s: the fastest possible time per part [s] (from config).

    Raises:
        EventError: when the run has no start or end, or they are out of order, or the
            ideal cycle time is not positive.
    """
    if not ideal_cycle_time_s > 0:
        raise EventError(f"ideal_cycle_time_s must be > 0, got {ideal_cycle_time_s}")
    starts = [e.t_s for e in events if e.kind is EventKind.RUN_START]
    ends = [e.t_s for e in events if e.kind is EventKind.RUN_END]
    if len(starts) != 1 or len(ends) != 1:
        raise EventError(
            f"a run needs one RUN_START and one RUN_END, got {len(starts)} and {len(ends)}"
        )
    planned = ends[0] - starts[0]
    if planned <= 0:
        raise EventError(f"RUN_END at {ends[0]} s is not after RUN_START at {starts[0]} s")
    down = min(_downtime(events, ends[0]), planned)
    placed = [e for e in events if e.kind is EventKind.PLACED]
    handled = len(placed)
    good = sum(1 for e in placed if e.good and e.detail == "accepted")
    run_time = planned - down
    performance = min(1.0, ideal_cycle_time_s * handled / run_time) if run_time > 0 else 0.0
    return OEE(
        availability=run_time / planned,
        performance=performance,
        quality=good / handled if handled else 0.0,
        planned_time_s=planned,
        downtime_s=down,
        handled=handled,
        good=good,
    )
