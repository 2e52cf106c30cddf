"""What happened in a run: a time-ordered log of the cell's own events.

KPIs (OEE) and the run report are computed from this log alone, so they can be
recomputed from a recording and do not depend on who ran the cell.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from jazari.errors import JazariError


class EventError(JazariError, ValueError):
    """An event is malformed or out of order."""


class EventKind(enum.Enum):
    """Kinds of cell events."""

    RUN_START = "run_start"  # planned production starts
    RUN_END = "run_end"  # planned production ends
    PICK_START = "pick_start"  # a part is chosen and planning starts
    PLACED = "placed"  # a part was put in a bin (detail: the bin)
    FAILURE = "failure"  # a part could not be handled at some stage (detail: the reason)
    GAVE_UP = "gave_up"  # the cell will not try a part again (detail: the last reason)
    FAULT = "fault"  # the cell stopped (drive fault, e-stop): downtime starts
    FAULT_CLEARED = "fault_cleared"  # an operator re-armed the cell: downtime ends


@dataclass(frozen=True)
class CellEvent:
    """One event.

    Attributes:
        t_s: time on the cell's clock [s].
        kind: what happened.
        part: the part's id, or -1 when the event concerns no part.
        stage: the task stage (``plan``, ``execute``, ``verify``, ...), or "".
        detail: free text: the bin, the reason of a failure or fault.
        good: for PLACED: whether the part passed inspection.
    """

    t_s: float
    kind: EventKind
    part: int = -1
    stage: str = ""
    detail: str = ""
    good: bool = False


@dataclass
class EventLog:
    """An append-only, time-ordered list of :class:`CellEvent`."""

    events: list[CellEvent] = field(default_factory=list)

    def add(self, event: CellEvent) -> CellEvent:
        """Append ``event``; raises EventError if it is earlier than the last one."""
        if self.events and event.t_s < self.events[-1].t_s:
            raise EventError(
                f"event at {event.t_s} s is earlier than the last at {self.events[-1].t_s} s"
            )
        self.events.append(event)
        return event

    def of(self, kind: EventKind) -> list[CellEvent]:
        """The events of one kind, in order."""
        return [e for e in self.events if e.kind is kind]
