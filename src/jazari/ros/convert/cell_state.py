"""The cell's state and KPIs as ``jazari_interfaces/msg/CellState``."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

from jazari.cell.kpi import OEE
from jazari.ros.convert.base import MessageTypes, duration_msg, header_msg
from jazari.ros.errors import ConversionError


class CellMode(enum.IntEnum):
    """``CellState.state`` values."""

    IDLE = 0
    RUNNING = 1
    DONE = 2
    FAULT = 3
    ESTOP = 4


@dataclass(frozen=True)
class CellStatus:
    """What the cell reports.

    Attributes:
        mode: idle, running, done, fault or e-stop.
        stage: the sequence step under way ("" when not running).
        message: why the cell stopped, or the last failure it recovered from.
        accepted, rejected, failed: parts placed in each bin, and given up on.
        oee: the run's OEE so far (None before a run has events to compute it from).
    """

    mode: CellMode
    stage: str = ""
    message: str = ""
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    oee: OEE | None = None

    def __post_init__(self) -> None:
        for name in ("accepted", "rejected", "failed"):
            if getattr(self, name) < 0:
                raise ConversionError(f"{name} must be >= 0, got {getattr(self, name)}")


def cell_state_msg(types: MessageTypes, status: CellStatus, stamp_s: float) -> Any:
    """``CellState`` of ``status`` at ``stamp_s`` [s]; OEE figures are 0 without an OEE."""
    oee = status.oee
    figures = (
        oee.as_dict()
        if oee is not None
        else dict.fromkeys(("availability", "performance", "quality", "oee"), 0.0)
    )
    for name, value in figures.items():
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ConversionError(f"OEE {name} must be in [0, 1], got {value}")
    return types.get("jazari_interfaces/msg/CellState")(
        header=header_msg(types, stamp_s, ""),
        state=int(status.mode),
        stage=status.stage,
        message=status.message,
        parts_accepted=status.accepted,
        parts_rejected=status.rejected,
        parts_failed=status.failed,
        availability=float(figures["availability"]),
        performance=float(figures["performance"]),
        quality=float(figures["quality"]),
        oee=float(figures["oee"]),
        planned_time=duration_msg(types, oee.planned_time_s if oee else 0.0, "planned_time"),
        downtime=duration_msg(types, oee.downtime_s if oee else 0.0, "downtime"),
    )
