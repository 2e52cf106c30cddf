"""The cell's task, as an explicit state machine:

    CAPTURE → DETECT (and verify the last pick) → CHOOSE → PLAN → VALIDATE → EXECUTE
       ↑_____________________________________________________________________|
       ↑___________________________________________ RECOVER (a failed pick) __|

CAPTURE takes a frame, with the arm out of the camera's view; DETECT finds and inspects
the parts, and checks that the part placed last has left the table; CHOOSE takes the
next part not given up on; PLAN and VALIDATE make a pick-and-place to the accepted bin
(good parts) or the rejected bin; EXECUTE runs it on the drives and the gripper; after a
failed pick RECOVER moves the arm back to the observe pose. The run ends in DONE when
the table is empty (or holds only parts given up on), or in STOPPED after a drive fault,
an e-stop or a failed recovery, from which nothing resumes by itself.

Failures are counted, not hidden: a part with no plan is put aside until another part
has been placed (its neighbours may have been in the way) and given up on when no part
left can be planned; a part missed, dropped or left on the table is retried up to
``max_attempts_per_part`` times.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from jazari.cell.events import CellEvent, EventKind, EventLog
from jazari.cell.execute import ExecutionResult, Outcome, PlanExecutor
from jazari.cell.vision import SAME_PART_M, PartIds, SeenPart
from jazari.config import ParamReader
from jazari.errors import ConfigError, JazariError
from jazari.geometry.transforms import FloatArray
from jazari.planning.plan import PickPlacePlan
from jazari.ports import Camera, Clock, DriveState, RGBDFrame
from jazari.robot.trajectory import JointTrajectory

log = logging.getLogger(__name__)


class State(enum.Enum):
    """States of the cell sequence."""

    CAPTURE = "capture"
    DETECT = "detect"
    CHOOSE = "choose"
    PLAN = "plan"
    VALIDATE = "validate"
    EXECUTE = "execute"
    RECOVER = "recover"
    DONE = "done"
    STOPPED = "stopped"


class Vision(Protocol):
    """Finds and inspects the parts in a frame (:class:`jazari.cell.vision.CellVision`, or
    the perception node's results in the ROS cell node)."""

    @property
    def ids(self) -> PartIds:
        """The parts' ids and where each was last seen."""
        ...

    def look(self, frame: RGBDFrame) -> list[SeenPart]:
        """The parts in ``frame``, inspected, with their ids."""
        ...


class PickPlanner(Protocol):
    """Plans and checks picks for the sequence (see :mod:`jazari.cell.planner`)."""

    def plan(
        self, target: SeenPart, others: Sequence[SeenPart], q_start: FloatArray
    ) -> PickPlacePlan:
        """A plan taking ``target`` to its bin around ``others``; raises JazariError if none."""
        ...

    def validate(self, plan: PickPlacePlan, others: Sequence[SeenPart], q_now: FloatArray) -> None:
        """Raise JazariError unless ``plan`` may run from ``q_now``."""
        ...

    def placed(self, target: SeenPart, plan: PickPlacePlan) -> None:
        """``target`` was placed by ``plan`` and is now an obstacle in its bin."""
        ...

    def plan_home(self, others: Sequence[SeenPart], q_now: FloatArray) -> JointTrajectory:
        """A move back to the observe pose, out of the camera's view, around ``others``."""
        ...


@dataclass(frozen=True)
class SequenceConfig:
    """Settings of the sequence (``config/cell.yaml``).

    Attributes:
        max_attempts_per_part: tries per part (missed, dropped, not placed) before it
            is given up on.
        max_cycles: bound on the number of captures in one run.
    """

    max_attempts_per_part: int = 2
    max_cycles: int = 100

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> SequenceConfig:
        """From the ``sequence`` section of ``config/cell.yaml``."""
        r = ParamReader(params, "cell.yaml sequence", ConfigError)
        return cls(r.integer("max_attempts_per_part", 1), r.integer("max_cycles", 1))


@dataclass(frozen=True)
class PickRecord:
    """One part placed: its id, the bin, the software time spent on it (perceive,
    inspect, plan and time-parameterise) [ms], and the cell time from the capture that
    chose it to its release [s]."""

    part: int
    bin: str
    good: bool
    software_ms: float
    cycle_s: float


@dataclass(frozen=True)
class Failure:
    """A part the cell could not handle at some stage, and why."""

    part: int
    stage: str
    reason: str


@dataclass
class Hooks:
    """Optional observers of the sequence (recording, live view, progress)."""

    on_frame: Callable[[RGBDFrame, list[SeenPart]], None] | None = None
    on_plan: Callable[[SeenPart, PickPlacePlan], None] | None = None
    on_event: Callable[[CellEvent], None] | None = None
    on_drive_state: Callable[[DriveState], None] | None = None


def combine_hooks(*hooks: Hooks) -> Hooks:
    """One set of hooks calling each of ``hooks`` in turn."""

    def fan_out(name: str) -> Callable[..., None] | None:
        calls = [getattr(h, name) for h in hooks if getattr(h, name) is not None]
        if not calls:
            return None

        def call(*args: Any) -> None:
            for c in calls:
                c(*args)

        return call

    return Hooks(*(fan_out(f.name) for f in dataclasses.fields(Hooks)))


@dataclass
class _Pending:
    """The pick in progress."""

    target: SeenPart
    others: list[SeenPart]
    started_s: float
    software_s: float
    plan: PickPlacePlan | None = None


@dataclass
class CellSequence:
    """The see → inspect → pick → place → report loop over the cell's ports."""

    camera: Camera
    vision: Vision
    planner: PickPlanner
    executor: PlanExecutor
    clock: Clock
    joint_positions: Callable[[], FloatArray]
    config: SequenceConfig = field(default_factory=SequenceConfig)
    hooks: Hooks = field(default_factory=Hooks)
    events: EventLog = field(default_factory=EventLog)
    picks: list[PickRecord] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    state: State = State.CAPTURE
    _frame: RGBDFrame | None = None
    _seen: list[SeenPart] = field(default_factory=list)
    _look_s: float = 0.0
    _attempts: dict[int, int] = field(default_factory=dict)
    _given_up: set[int] = field(default_factory=set)
    _deferred: dict[int, Failure] = field(default_factory=dict)
    _placed: tuple[PickRecord, SeenPart, PickPlacePlan] | None = None
    _pending: _Pending | None = None
    _cycles: int = 0

    def run(self) -> State:
        """Run until DONE or STOPPED; returns the final state."""
        handlers: dict[State, Callable[[], State]] = {
            State.CAPTURE: self._capture,
            State.DETECT: self._detect,
            State.CHOOSE: self._choose,
            State.PLAN: self._plan,
            State.VALIDATE: self._validate,
            State.EXECUTE: self._execute,
            State.RECOVER: self._recover,
        }
        self._event(EventKind.RUN_START)
        while self.state not in (State.DONE, State.STOPPED):
            self.state = handlers[self.state]()
        self._event(EventKind.RUN_END, detail=self.state.value)
        return self.state

    # -- states ------------------------------------------------------------------------

    def _capture(self) -> State:
        self._cycles += 1
        if self._cycles > self.config.max_cycles:
            self._event(
                EventKind.FAILURE,
                stage="capture",
                detail=f"gave up after {self.config.max_cycles} cycles",
            )
            return State.DONE
        self._frame = self.camera.capture()
        return State.DETECT

    def _detect(self) -> State:
        assert self._frame is not None  # CAPTURE always precedes DETECT
        t0 = time.perf_counter()
        self._seen = self.vision.look(self._frame)
        self._look_s = time.perf_counter() - t0
        if self.hooks.on_frame is not None:
            self.hooks.on_frame(self._frame, self._seen)
        self._verify_last_pick()
        return State.CHOOSE

    def _choose(self) -> State:
        skip = self._given_up | set(self._deferred)
        candidates = [s for s in self._seen if s.id not in skip]
        if not candidates:
            for failure in self._deferred.values():
                self._abandon(failure)
            self._deferred.clear()
            return State.DONE
        target = candidates[0]
        others = [s for s in self._seen if s is not target]
        self._pending = _Pending(target, others, self.clock.now(), self._look_s)
        self._event(EventKind.PICK_START, target.id, "choose", target.target_bin)
        return State.PLAN

    def _plan(self) -> State:
        p = self._require_pending()
        t0 = time.perf_counter()
        try:
            p.plan = self.planner.plan(p.target, p.others, self.joint_positions())
        except JazariError as exc:
            p.software_s += time.perf_counter() - t0
            return self._defer(p.target, "plan", str(exc))
        p.software_s += time.perf_counter() - t0
        if self.hooks.on_plan is not None:
            self.hooks.on_plan(p.target, p.plan)
        return State.VALIDATE

    def _validate(self) -> State:
        p = self._require_pending()
        assert p.plan is not None  # PLAN sets it before VALIDATE
        try:
            self.planner.validate(p.plan, p.others, self.joint_positions())
        except JazariError as exc:
            return self._defer(p.target, "validate", str(exc))
        return State.EXECUTE

    def _execute(self) -> State:
        p = self._require_pending()
        assert p.plan is not None
        result = self.executor.execute(p.plan)
        if result.outcome is Outcome.FAULT:
            return self._stop(p.target.id, f"execute:{result.stage}", result.message)
        if result.outcome is Outcome.PLACED:
            record = PickRecord(
                p.target.id, p.target.target_bin, p.target.good, p.software_s * 1e3,
                self.clock.now() - p.started_s,
            )  # fmt: skip
            self._placed = (record, p.target, p.plan)
            self._pending = None
            return State.CAPTURE
        self._retry_or_give_up(p.target, result)
        return State.RECOVER

    def _recover(self) -> State:
        """After a failed pick: back to the observe pose, so the next frame sees the table."""
        p = self._require_pending()
        self._pending = None
        try:
            self.executor.hold()
            move = self.planner.plan_home([*p.others, p.target], self.joint_positions())
        except JazariError as exc:
            return self._stop(p.target.id, "recover", f"cannot return to the observe pose: {exc}")
        result = self.executor.move(move, "recover")
        if result.outcome is not Outcome.COMPLETED:
            return self._stop(p.target.id, "recover", result.message)
        return State.CAPTURE

    # -- helpers -------------------------------------------------------------------------

    def _verify_last_pick(self) -> None:
        """The part placed last must be gone from where it lay; else it is retried."""
        if self._placed is None:
            return
        placed, target, plan = self._placed
        self._placed = None
        where = self.vision.ids.last_seen.get(placed.part)
        still_there = any(
            s.id == placed.part
            or (
                where is not None
                and np.linalg.norm(s.detection.T_base_part[:3, 3] - where) <= SAME_PART_M
            )
            for s in self._seen
        )
        if still_there:
            self._retry_or_give_up_id(
                placed.part, "verify", "the part is still on the table after the pick"
            )
            return
        self.picks.append(placed)
        self._deferred.clear()  # the scene changed: parts put aside may be pickable now
        self.planner.placed(target, plan)
        self._event(EventKind.PLACED, placed.part, "verify", placed.bin, good=placed.good)

    def _retry_or_give_up(self, target: SeenPart, result: ExecutionResult) -> None:
        self._retry_or_give_up_id(
            target.id, f"execute:{result.stage}", f"{result.outcome.value}: {result.message}"
        )

    def _retry_or_give_up_id(self, part: int, stage: str, reason: str) -> None:
        self._attempts[part] = self._attempts.get(part, 0) + 1
        self._event(EventKind.FAILURE, part, stage, reason)
        if self._attempts[part] >= self.config.max_attempts_per_part:
            self._abandon(Failure(part, stage, reason))

    def _stop(self, part: int, stage: str, reason: str) -> State:
        """Stop the cell: a fault, or a state it cannot leave safely by itself."""
        self._event(EventKind.FAULT, part, stage, reason)
        self.failures.append(Failure(part, stage, reason))
        log.error("cell stopped: %s", reason)
        return State.STOPPED

    def _abandon(self, failure: Failure) -> None:
        self._given_up.add(failure.part)
        self.failures.append(failure)
        self._event(EventKind.GAVE_UP, failure.part, failure.stage, failure.reason)

    def _defer(self, target: SeenPart, stage: str, reason: str) -> State:
        """Put ``target`` aside until another part is placed."""
        self._deferred[target.id] = Failure(target.id, stage, reason)
        self._event(EventKind.FAILURE, target.id, stage, reason)
        self._pending = None
        return State.CHOOSE

    def _require_pending(self) -> _Pending:
        if self._pending is None:
            raise JazariError(f"state {self.state.value} needs a chosen part")
        return self._pending

    def _event(
        self,
        kind: EventKind,
        part: int = -1,
        stage: str = "",
        detail: str = "",
        *,
        good: bool = False,
    ) -> None:
        event = self.events.add(CellEvent(self.clock.now(), kind, part, stage, detail, good))
        if self.hooks.on_event is not None:
            self.hooks.on_event(event)
