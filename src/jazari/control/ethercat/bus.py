"""The EtherCAT drive bus: a :class:`jazari.ports.DriveBus` over CiA 402 drives in
cyclic synchronous position mode.

:meth:`EthercatDriveBus.start` brings the segment up (open, discover and check, PDO
mapping over CoE, INIT -> PRE-OP -> SAFE-OP -> OP) and starts the cycle thread, which
exchanges process data every ``cycle_time_s`` on absolute deadlines and applies
:class:`~jazari.control.ethercat.cycle.CycleLogic`. After a trip the same thread reads
every slave's AL state once (after the quick stop went out) to name the slave and the
cause, then polls lost slaves: one that answers again is given back its address and held
in PRE-OP. Only :meth:`EthercatDriveBus.rearm` re-configures it, takes the segment back to
OP and walks the drives to SWITCH ON DISABLED; :meth:`enable` is needed after that.

All pysoem calls happen in the cycle thread once it runs (requests from other threads are
queued to it), so SOEM never sees two callers. A re-arm blocks the cycle for the few
milliseconds of re-configuration; the other drives are stopped then.

The cycle is a Python thread: it needs the interpreter for about 0.1 ms per cycle. The
bus shortens the interpreter's switch interval while it runs, but a call that holds the
GIL for long (a large C extension call in another thread of the same process) delays
cycles, and beyond the slaves' sync-manager watchdog (100 ms by default) the drives stop
themselves and the bus trips. Run the bus in a process that does nothing heavy besides
(the ROS driver node, or the follower and supervisor as here).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from queue import Empty, SimpleQueue
from typing import Any, TypeVar, cast

import numpy as np

from jazari.clock import WallClock
from jazari.control.cia402 import DEFAULT_MODE, PowerState
from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.cycle import BusMode, CycleLogic, FaultKind, FaultReport
from jazari.control.ethercat.errors import BusTrippedError, EthercatError
from jazari.control.ethercat.master import AL_OP, SlaveStatus, SoemMaster
from jazari.control.ethercat.pdo import CspInputs, CspOutputs
from jazari.control.ethercat.timing import CycleStats, sleep_until, tune_current_thread
from jazari.ports import Clock, DriveState, DriveTelemetry, FloatArray, PortValueError

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_RECOVERY_POLL_S = 0.1
_POLL_S = 0.002


class EthercatDriveBus:
    """CiA 402 drives on one EtherCAT segment, behind the DriveBus port.

    Use :meth:`start` (or the context manager) rather than the constructor alone.

    Args:
        config: the bus configuration.
        clock: time source for stamps and waits (wall time by default).
    """

    def __init__(self, config: EthercatBusConfig, clock: Clock | None = None) -> None:
        self._config = config
        self._clock: Clock = clock or WallClock()
        self._master = SoemMaster(config)
        self._logic = CycleLogic(config, 0)
        self._lock = threading.Lock()
        self._requests: SimpleQueue[tuple[Callable[[], object], Future[object]]] = SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._cycle = 0
        self._stamp_s = 0.0
        self._stop_sent_cycle: int | None = None
        self._outputs_stop = False
        self._diagnose_at: int | None = None
        self._next_recovery_s = 0.0
        self._lost: set[int] = set()
        self._held: set[int] = set()
        self._thread_error: BaseException | None = None
        self._saved_switch_interval = sys.getswitchinterval()
        self.stats = CycleStats(config.cycle_time_s)

    @classmethod
    def start(cls, config: EthercatBusConfig, clock: Clock | None = None) -> EthercatDriveBus:
        """Bring the segment up and return the armed bus, drives disabled.

        Raises:
            EthercatError: (or a subclass) naming what failed; the bus is closed again.
        """
        bus = cls(config, clock)
        try:
            bus._bring_up()
        except BaseException:
            bus.close()
            raise
        return bus

    def __enter__(self) -> EthercatDriveBus:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- bring-up ------------------------------------------------------------------------

    def _bring_up(self) -> None:
        master = self._master
        master.open()
        master.discover()
        master.configure()
        self._logic = CycleLogic(self._config, master.expected_wkc)
        if self._config.gil_switch_interval_s > 0:
            sys.setswitchinterval(self._config.gil_switch_interval_s)
        self._thread = threading.Thread(target=self._run, name="ethercat-cycle", daemon=True)
        self._thread.start()
        self._call(lambda: master.request_state(AL_OP))
        self._call(lambda: master.wait_for_state(AL_OP))
        self._wait(
            lambda: (
                self._logic.readings[0].fresh
                and all(
                    r.state not in (None, PowerState.NOT_READY_TO_SWITCH_ON)
                    for r in self._logic.readings
                )
            ),
            self._config.state_timeout_s,
            "reading every drive's CiA 402 state after OP",
        )
        with self._lock:
            self._logic.supervise()
        self.stats.reset()
        _log.info(
            "EtherCAT bus up: %d drives in OP, expected WKC %d",
            len(self.joint_names),
            master.expected_wkc,
        )

    # -- DriveBus ------------------------------------------------------------------------

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The joints, in bus order."""
        return self._config.joint_names

    def enable(self) -> None:
        """Walk every drive to OPERATION ENABLED, holding its current position.

        Raises:
            BusTrippedError: when the bus is tripped (re-arm first) or trips meanwhile.
            EthercatError: when a drive does not get there in ``enable_timeout_s`` (the
                drives are then disabled again).
        """
        self._check_open()
        with self._lock:
            self._raise_if_tripped()
            self._logic.set_goal(PowerState.OPERATION_ENABLED)
        try:
            self._wait(
                self._all_in(PowerState.OPERATION_ENABLED), self._config.enable_timeout_s, "enable"
            )
        except EthercatError:
            with self._lock:
                self._logic.goal = PowerState.SWITCH_ON_DISABLED
            raise

    def disable(self) -> None:
        """Remove drive power (*disable voltage*) on every axis; also after a trip, which
        stays tripped.

        Raises:
            EthercatError: when a drive does not get to SWITCH ON DISABLED in time.
        """
        self._check_open()
        with self._lock:
            self._logic.goal = PowerState.SWITCH_ON_DISABLED
            tripped = self._logic.mode is BusMode.TRIPPED
        if not tripped:
            self._wait(
                self._all_in(PowerState.SWITCH_ON_DISABLED),
                self._config.enable_timeout_s,
                "disable",
            )

    def write_setpoints(self, q_rad: FloatArray) -> None:
        """Target positions [rad] for the next cycle, taken by enabled axes only.

        After a trip they are ignored: every drive is in quick stop (or powered off)
        until a re-arm, and :meth:`read_state` reports every axis as ``"fault"``, which is
        how a supervisor learns to abort its goal.

        Raises:
            PortValueError: on a wrong shape, a non-finite value, or a position beyond
                the drive's INTEGER32 range.
        """
        self._check_open()
        q = np.asarray(q_rad, dtype=float)
        if q.shape != (len(self.joint_names),):
            raise PortValueError(
                f"setpoints must have shape ({len(self.joint_names)},), got {q.shape}"
            )
        if not np.all(np.isfinite(q)):
            raise PortValueError(f"setpoints must be finite, got {q}")
        counts = [
            s.scaling.to_counts(float(v)) for s, v in zip(self._config.slaves, q, strict=True)
        ]
        with self._lock:
            if self._logic.mode is BusMode.ARMED:
                self._logic.set_targets(counts)

    def read_state(self) -> DriveState:
        """Positions, velocities, torques and drive status of every axis, from the last
        cycle with a good working counter (``stale`` telemetry when newer ones failed).

        ``status`` is the CiA 402 state in words (``"operation enabled"`` ...), or
        ``"fault"`` on every axis while the bus is tripped; ``fault_code`` is the drive's
        error code (object 0x603F); current and temperature are not in the CSP PDOs (NaN).
        """
        self._check_open()
        with self._lock:
            readings = self._logic.readings
            stamp = self._stamp_s
            tripped = self._logic.mode is BusMode.TRIPPED
        n = len(readings)
        position, velocity, effort = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        telemetry = []
        for i, (slave, reading) in enumerate(zip(self._config.slaves, readings, strict=True)):
            inputs = reading.inputs
            if inputs is not None:
                position[i] = slave.scaling.to_rad(inputs.position_actual)
                velocity[i] = slave.scaling.velocity_to_rad_s(inputs.velocity_actual)
                effort[i] = slave.scaling.torque_to_nm(inputs.torque_actual)
            telemetry.append(
                DriveTelemetry(
                    position_rad=float(position[i]),
                    velocity_rad_s=float(velocity[i]),
                    current_a=float("nan"),  # not in the CSP PDOs
                    temperature_c=float("nan"),  # not in the CSP PDOs
                    status=_status(reading.state, tripped),
                    fault_code=0 if inputs is None else inputs.error_code,
                    stale=not reading.fresh,
                )
            )
        return DriveState(stamp, self.joint_names, position, velocity, effort, tuple(telemetry))

    def close(self) -> None:
        """Stop the cycle, put the slaves to INIT and release the adapter; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        try:
            self._master.close()
        finally:
            sys.setswitchinterval(self._saved_switch_interval)

    # -- beyond the port -----------------------------------------------------------------

    @property
    def fault_report(self) -> FaultReport | None:
        """Why the bus stopped the cell (None while armed)."""
        with self._lock:
            return self._logic.report

    @property
    def mode(self) -> BusMode:
        """Starting, armed, tripped or resetting."""
        with self._lock:
            return self._logic.mode

    @property
    def cycle(self) -> int:
        """Number of process-data exchanges so far."""
        return self._cycle

    @property
    def stop_sent_cycle(self) -> int | None:
        """The exchange whose frame first carried the stop after the last trip."""
        return self._stop_sent_cycle

    @property
    def held_in_preop(self) -> frozenset[int]:
        """Slaves (positions) that came back and wait in PRE-OP for a re-arm."""
        return frozenset(self._held)

    @property
    def lost_slaves(self) -> frozenset[int]:
        """Slaves (positions) that stopped answering and have not come back."""
        return frozenset(self._lost)

    def quick_stop(self, reason: str = "stop requested by the bus's user") -> None:
        """Stop every axis now with the drives' quick stop (operator or supervisor
        request); the bus is tripped and needs a re-arm."""
        self._check_open()
        with self._lock:
            self._logic.trip(FaultKind.OPERATOR, self._cycle, reason)

    def reset_faults(self) -> None:
        """Same as :meth:`rearm` (the safety supervisor's name for it)."""
        self.rearm()

    def slave_states(self) -> list[SlaveStatus]:
        """Every slave's AL state, read now (through the cycle thread)."""
        self._check_open()
        return self._call(self._master.read_states)

    def rearm(self, timeout_s: float | None = None) -> None:
        """Operator re-arm after a trip: re-configure slaves that came back, take every
        slave to OP, reset the drives to SWITCH ON DISABLED. Call :meth:`enable` after.

        Raises:
            EthercatError: when a slave is still away, does not reach OP, or a drive
                cannot be reset (its fault persists); the bus stays tripped.
        """
        self._check_open()
        timeout = self._config.state_timeout_s if timeout_s is None else timeout_s
        if self.mode is BusMode.ARMED:
            return
        try:
            self._call(self._prepare_rearm)
            self._wait(lambda: self._logic.mode is BusMode.ARMED, timeout, "re-arm")
        except EthercatError:
            with self._lock:
                self._logic.abort_reset()
            raise
        _log.info("EtherCAT bus re-armed by the operator")

    # -- cycle thread ------------------------------------------------------------------

    def _run(self) -> None:
        tune_current_thread(self._config.realtime_priority)
        period = self._config.cycle_time_s
        n = len(self.joint_names)
        outputs = [CspOutputs(0, 0, int(DEFAULT_MODE)).pack()] * n
        deadline = time.perf_counter()
        try:
            while not self._stop.is_set():
                deadline += period
                if sleep_until(deadline) > period:
                    deadline = time.perf_counter()  # fell behind: restart the schedule
                outputs = self._one_cycle(outputs)
                self._service()
        except BaseException as exc:  # the cycle must not die silently
            self._thread_error = exc
            _log.exception("EtherCAT cycle thread stopped")
            with self._lock:
                self._logic.trip(FaultKind.OPERATOR, self._cycle, f"cycle thread failed: {exc!r}")
            self._fail_requests(exc)

    def _one_cycle(self, outputs: list[bytes]) -> list[bytes]:
        start, cpu_start = time.perf_counter(), time.thread_time()
        if self._outputs_stop and self._stop_sent_cycle is None:
            self._stop_sent_cycle = self._cycle + 1
        wkc, raw = self._master.exchange(outputs)
        self._cycle += 1
        inputs = [CspInputs.unpack(data) for data in raw]
        with self._lock:
            was = self._logic.mode
            next_outputs = self._logic.step(self._cycle, wkc, inputs)
            self._stamp_s = self._clock.now()
            tripped_now = was is not BusMode.TRIPPED and self._logic.mode is BusMode.TRIPPED
            self._outputs_stop = self._logic.mode is BusMode.TRIPPED
            if not self._outputs_stop:
                self._stop_sent_cycle = None
        if tripped_now:
            self._diagnose_at = self._cycle + 1  # after the stop is on the wire
        self.stats.record(
            start,
            time.perf_counter(),
            time.thread_time() - cpu_start,
            wkc == self._logic.expected_wkc,
        )
        return [o.pack() for o in next_outputs]

    def _service(self) -> None:
        """Between cycles: diagnosis after a trip, recovery polls, queued requests."""
        if self._diagnose_at is not None and self._cycle >= self._diagnose_at:
            self._diagnose_at = None
            self._diagnose()
        if self._lost and self._clock.now() >= self._next_recovery_s:
            self._next_recovery_s = self._clock.now() + _RECOVERY_POLL_S
            self._poll_lost()
        while True:
            try:
                work, future = self._requests.get_nowait()
            except Empty:
                return
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(work())
                except BaseException as exc:
                    future.set_exception(exc)

    def _diagnose(self) -> None:
        statuses = self._master.read_states()
        lost = [s for s in statuses if not s.present]
        not_op = [s for s in statuses if s.present and s.al_state != AL_OP]
        self._lost |= {s.position for s in lost}
        with self._lock:
            report = self._logic.report
            if report is not None and report.kind is FaultKind.WORKING_COUNTER:
                if len(lost) == len(statuses):
                    self._logic.amend_report(
                        FaultKind.WORKING_COUNTER,
                        "no slave answers: the link to the segment is down",
                        None,
                    )
                elif lost:
                    first = lost[0]
                    self._logic.amend_report(
                        FaultKind.SLAVE_LOST, "slave does not answer", first.position
                    )
                elif not_op:
                    first = not_op[0]
                    self._logic.amend_report(
                        FaultKind.SLAVE_LEFT_OP,
                        f"slave left OP: {first}",
                        first.position,
                        first.al_state,
                        first.al_status_code,
                    )
                else:
                    self._logic.amend_report(
                        FaultKind.WORKING_COUNTER,
                        "every slave answers and is in OP: frames were lost or corrupted",
                        None,
                    )
            report = self._logic.report
        _log.error("%s; slave states: %s", report, "; ".join(str(s) for s in statuses))

    def _poll_lost(self) -> None:
        for position in sorted(self._lost):
            if self._master.recover(position):
                self._lost.discard(position)
                self._held.add(position)
                _log.warning(
                    "slave %d answers again; held in PRE-OP until an operator re-arms", position
                )

    def _prepare_rearm(self) -> None:
        if self._lost:
            raise EthercatError(
                "cannot re-arm: "
                + ", ".join(
                    f"slave {p} ({self.joint_names[p - 1]}) does not answer"
                    for p in sorted(self._lost)
                )
            )
        statuses = self._master.read_states()
        absent = [s for s in statuses if not s.present]
        if absent:
            self._lost |= {s.position for s in absent}
            raise EthercatError("cannot re-arm: " + "; ".join(str(s) for s in absent))
        for position in sorted(self._held):
            self._master.reconfigure(position)
            self._held.discard(position)
        behind = [s.position for s in self._master.read_states() if s.al_state != AL_OP]
        if behind:
            self._master.request_state(AL_OP, behind)
            self._master.wait_for_state(AL_OP, behind)
        with self._lock:
            self._logic.begin_reset()

    # -- helpers -------------------------------------------------------------------------

    def _call(self, work: Callable[[], _T]) -> _T:
        """Run ``work`` in the cycle thread (directly before it starts) and return its result."""
        if self._thread is None or not self._thread.is_alive():
            if self._thread_error is not None:
                raise EthercatError(f"the cycle thread stopped: {self._thread_error!r}")
            return work()
        future: Future[object] = Future()
        self._requests.put((work, future))
        return cast(_T, future.result())

    def _fail_requests(self, exc: BaseException) -> None:
        while True:
            try:
                _, future = self._requests.get_nowait()
            except Empty:
                return
            future.set_exception(EthercatError(f"the cycle thread stopped: {exc!r}"))

    def _all_in(self, state: PowerState) -> Callable[[], bool]:
        def check() -> bool:
            readings = self._logic.readings
            return all(r.fresh and r.state is state for r in readings)

        return check

    def _wait(self, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                done = condition()
                report = self._logic.report
                tripped = self._logic.mode is BusMode.TRIPPED
            if done:
                return
            if tripped and report is not None:
                raise BusTrippedError(f"{what} aborted: {report}", report)
            if time.monotonic() > deadline:
                with self._lock:
                    states = ", ".join(
                        f"{j}: {'unknown' if r.state is None else r.state.value}"
                        + (
                            f" (error 0x{r.inputs.error_code:04X})"
                            if r.inputs and r.inputs.error_code
                            else ""
                        )
                        for j, r in zip(self.joint_names, self._logic.readings, strict=True)
                    )
                raise EthercatError(f"{what} did not complete in {timeout_s} s; drives: {states}")
            time.sleep(_POLL_S)

    def _raise_if_tripped(self) -> None:
        if self._logic.mode is not BusMode.ARMED:
            report = self._logic.report
            detail = str(report) if report is not None else f"the bus is {self._logic.mode.value}"
            raise BusTrippedError(detail, report)

    def _check_open(self) -> None:
        if self._closed:
            raise EthercatError("the EtherCAT bus is closed")
        if self._thread_error is not None:
            raise EthercatError(f"the EtherCAT cycle thread stopped: {self._thread_error!r}")


def _status(state: PowerState | None, tripped: bool) -> str:
    if tripped or state in (PowerState.FAULT, PowerState.FAULT_REACTION_ACTIVE):
        return "fault"
    return "unknown" if state is None else state.value


def open_ethercat_bus(params: Mapping[str, Any], *, clock: Clock | None = None) -> EthercatDriveBus:
    """The EtherCAT backend's factory: a started bus from ``ethercat_driver.yaml``
    parameters."""
    return EthercatDriveBus.start(EthercatBusConfig.from_params(params), clock)
