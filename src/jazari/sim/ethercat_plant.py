"""A plant turned by emulated EtherCAT drives: the twin moves only through the EtherCAT
master, the wire and the emulated CiA 402 drives.

The emulated slaves run in their own process inside a private network namespace (see
:mod:`jazari.sim.ethercat_slave`); the plant (the MuJoCo twin, or any
:class:`~jazari.sim.plant.JointPlant`) stays in this process. A :class:`PlantCoupling`
thread advances the plant in real time and exchanges, through a shared
:class:`~jazari.sim.joint_link.JointLink`, each drive's command (follow a target, or
unpowered: the joint's brake holds it where it is) and the joint's measured position,
velocity and torque, converted to the drive's units with the joint's scaling from
``config/ethercat_driver.yaml``. The drives report those measurements to the master, so
what the master reads is the twin.

:func:`emulated_ethercat_drives` sets all of it up for the cell's runner: it needs root
and ``ip netns`` (:class:`EmulatedDrivesUnavailableError` says which is missing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jazari.control.ethercat.config import EthercatBusConfig
from jazari.control.ethercat.scaling import JointScaling
from jazari.control.safety import SafetyConfig
from jazari.errors import ConfigError
from jazari.sim.errors import SimConfigError, SimError
from jazari.sim.ethercat_slave.axis import DEFAULT_FEEDBACK_TIMEOUT_S
from jazari.sim.ethercat_slave.client import EmulatorProcess
from jazari.sim.ethercat_slave.netns import VethWire, unavailable_reason
from jazari.sim.ethercat_slave.spec import SlaveSpec
from jazari.sim.joint_link import AxisFeedback, AxisMode, JointLink
from jazari.sim.plant import JointPlant

_log = logging.getLogger(__name__)
_MAX_ADVANCE_S = 0.05  # a stalled thread does not teleport the plant [s]
# SCHED_FIFO priority of the emulated slaves: they stand for hardware answering in µs.
EMULATOR_PRIORITY = 20
# Error code of :meth:`EthercatCellDrives.inject_fault` (CiA 402: continuous over-current).
INJECTED_ERROR_CODE = 0x2310
# The emulated drives' following-error window as a multiple of the safety supervisor's
# limit, so the supervisor (which names the joint and the error) stops a lagging axis
# first and the drive's own window only catches what gets past it. The emulated chain
# lags more than a drive on its motor: the follower, the master's cycle and the plant
# thread share the cell's interpreter, so the setpoint stream reaching the twin jitters.
FOLLOWING_WINDOW_FACTOR = 1.5


class EmulatedDrivesUnavailableError(SimError, ConfigError):
    """Emulated EtherCAT drives cannot run here; the message says what is missing."""


@dataclass(frozen=True)
class CoupledJoint:
    """One drive's joint.

    Attributes:
        name: the joint's name in the plant.
        scaling: encoder counts <-> radians, and rated torque, of its drive.
    """

    name: str
    scaling: JointScaling


class PlantCoupling:
    """Advances a plant in real time, driven by the commands in a joint link, and
    publishes its measurements there.

    Joints whose drive holds (unpowered), whose command is older than
    ``command_timeout_s`` (the drive or its process stopped) and joints of the plant no
    drive turns are held where they were when that began, as by a holding brake.
    Measurements are published once at construction, so drives started afterwards find
    the plant's state.

    Args:
        plant: the joints.
        link: one slot per drive, in the order of ``joints``.
        joints: the coupled joints, in slot order.
        period_s: the thread's period [s] (the plant advances by the real time elapsed).
        command_timeout_s: age of a drive's command at which its joint brakes [s].
        clock: CLOCK_MONOTONIC (the drives stamp their commands with it).

    Raises:
        SimConfigError: when a joint is not the plant's, a joint repeats, the slots do
            not match, or a duration is not positive.
    """

    def __init__(
        self,
        plant: JointPlant,
        link: JointLink,
        joints: Sequence[CoupledJoint],
        *,
        period_s: float = 0.002,
        command_timeout_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        names = [j.name for j in joints]
        missing = [n for n in names if n not in plant.joint_names]
        if missing:
            raise SimConfigError(f"the plant has no joints {missing}; it has {plant.joint_names}")
        if len(set(names)) != len(names):
            raise SimConfigError(f"each joint needs its own drive, got {names}")
        if link.joints != len(joints):
            raise SimConfigError(f"the link has {link.joints} slots for {len(joints)} joints")
        for name, value in (("period_s", period_s), ("command_timeout_s", command_timeout_s)):
            if not math.isfinite(value) or value <= 0:
                raise SimConfigError(f"{name} must be a positive duration, got {value!r}")
        self.plant = plant
        self.link = link
        self.joints = tuple(joints)
        self._index = [plant.joint_names.index(n) for n in names]
        self._period_s = period_s
        self._timeout_s = command_timeout_s
        self._clock = clock
        # Joint angle [rad] at which each braked joint is held, by plant index.
        self._brake_q: dict[int, float] = {}
        self._refused: str | None = None
        self._last_s = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._publish(self._last_s)

    def step(self, now_s: float) -> None:
        """Apply the drives' commands, advance the plant to ``now_s`` [s], publish."""
        dt = min(max(now_s - self._last_s, 0.0), _MAX_ADVANCE_S)
        self._last_s = now_s
        q, _, _ = self.plant.joint_state()
        targets = np.array(q, dtype=float)
        driven = set()
        for slot, (joint, j) in enumerate(zip(self.joints, self._index, strict=True)):
            command = self.link.read_command(slot)
            if command.mode is AxisMode.FOLLOW and now_s - command.stamp_s <= self._timeout_s:
                self._brake_q.pop(j, None)
                targets[j] = joint.scaling.to_rad(command.target_counts)
                driven.add(j)
        for j in range(len(targets)):
            if j not in driven:
                targets[j] = self._brake_q.setdefault(j, float(q[j]))
        try:
            self.plant.set_joint_targets(targets)
            self._refused = None
        except SimError as exc:  # a target beyond the joint's limits: keep the last ones
            if str(exc) != self._refused:
                _log.warning("plant refused the drives' joint targets: %s", exc)
            self._refused = str(exc)
        self.plant.advance(dt)
        self._publish(now_s)

    def _publish(self, now_s: float) -> None:
        q, qd, effort = self.plant.joint_state()
        for slot, (joint, j) in enumerate(zip(self.joints, self._index, strict=True)):
            s = joint.scaling
            self.link.write_feedback(
                slot,
                AxisFeedback(
                    position_counts=s.zero_offset_counts + float(q[j]) * s.counts_per_rad,
                    velocity_counts_s=float(qd[j]) * s.counts_per_rad,
                    torque_per_mille=s.direction * 1000.0 * float(effort[j]) / s.rated_torque_nm,
                    stamp_s=now_s,
                ),
            )

    # -- thread --------------------------------------------------------------------------

    def start(self) -> None:
        """Run :meth:`step` every ``period_s`` in a thread until :meth:`close`."""
        if self._thread is not None:
            return
        self._last_s = self._clock()
        self._thread = threading.Thread(target=self._run, name="ethercat-plant", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_s = self._clock()
        try:
            while not self._stop.is_set():
                self.step(self._clock())
                next_s = max(next_s + self._period_s, self._clock())
                self._stop.wait(max(0.0, next_s - self._clock()))
        except BaseException as exc:  # the drives then see their feedback go stale
            self.error = exc
            _log.exception("the plant coupling stopped; the drives will report lost feedback")

    def close(self) -> None:
        """Stop the thread; idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def __enter__(self) -> PlantCoupling:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def coupled_joints(config: EthercatBusConfig) -> tuple[CoupledJoint, ...]:
    """The configured drives' joints, in bus order."""
    return tuple(CoupledJoint(s.joint_name, s.scaling) for s in config.slaves)


def slave_specs(
    config: EthercatBusConfig, following_window_rad: Sequence[float] | None = None
) -> list[SlaveSpec]:
    """Emulated drives that match what ``config`` expects on the wire: identity, encoder
    resolution, gear ratio and rated torque, in bus order.

    Args:
        config: the bus.
        following_window_rad: each drive's following-error window [rad] (default: the
            emulated drive's).

    Raises:
        SimConfigError: when a gear ratio is not a whole number (object 0x6091 holds
            integers), or the windows are not one per drive.
    """
    n = len(config.slaves)
    if following_window_rad is not None and len(following_window_rad) != n:
        raise SimConfigError(
            f"following_window_rad needs one value per drive ({n}), got {following_window_rad}"
        )
    specs = []
    for k, slave in enumerate(config.slaves):
        s = slave.scaling
        if s.gear_ratio != round(s.gear_ratio):
            raise SimConfigError(
                f"{slave.joint_name}: the emulated drive needs a whole gear_ratio, "
                f"got {s.gear_ratio}"
            )
        spec = SlaveSpec(
            vendor_id=slave.vendor_id,
            product_code=slave.product_code,
            counts_per_rev=s.counts_per_rev,
            gear_ratio=round(s.gear_ratio),
            rated_torque_mnm=round(s.rated_torque_nm * 1000.0),
        )
        if following_window_rad is not None:
            spec = dataclasses.replace(
                spec, following_error_window_rad=float(following_window_rad[k])
            )
        specs.append(spec)
    return specs


def following_windows(config: EthercatBusConfig, safety: SafetyConfig) -> list[float]:
    """The emulated drives' following-error windows [rad]: the supervisor's limit times
    :data:`FOLLOWING_WINDOW_FACTOR`, per drive."""
    limit = safety.max_following_error_rad
    limits = limit if isinstance(limit, tuple) else (limit,) * len(config.slaves)
    if len(limits) != len(config.slaves):
        raise SimConfigError(
            f"max_following_error_rad has {len(limits)} values for {len(config.slaves)} drives"
        )
    return [FOLLOWING_WINDOW_FACTOR * v for v in limits]


def unavailable_ethercat_reason(
    euid: int | None = None, which: Callable[[str], str | None] | None = None
) -> str | None:
    """Why emulated EtherCAT drives cannot run here (None when they can).

    Args:
        euid: the effective user id to judge (default: this process's).
        which: how to find a command (default: :func:`shutil.which`, on PATH).
    """
    reason = unavailable_reason(euid, which)
    if reason is not None:
        return reason
    if importlib.util.find_spec("pysoem") is None:
        return "needs pysoem, the EtherCAT master (pip install pysoem)"
    return None


def require_emulated_ethercat(reason: str | None) -> None:
    """Raise when ``reason`` (from :func:`unavailable_ethercat_reason`) says the emulated
    drives cannot run.

    Raises:
        EmulatedDrivesUnavailableError: naming what is missing.
    """
    if reason is not None:
        raise EmulatedDrivesUnavailableError(
            "drives 'ethercat' cannot run in simulation here: the emulated drives run "
            f"behind a veth pair in a private network namespace, which {reason}"
        )


@dataclass(frozen=True)
class EthercatCellDrives:
    """Emulated EtherCAT drives turning a plant, as :func:`emulated_ethercat_drives`
    started them.

    Attributes:
        driver_params: ``ethercat_driver`` parameters to open the bus with (the master's
            end of the veth pair, in its namespace).
        emulator: the slave emulator process (fault injection, status).
        coupling: the thread advancing the plant.
        config: the bus configuration the drives match.
    """

    driver_params: Mapping[str, Any]
    emulator: EmulatorProcess
    coupling: PlantCoupling
    config: EthercatBusConfig

    def inject_fault(self, joint_name: str, error_code: int = INJECTED_ERROR_CODE) -> None:
        """Make the drive of ``joint_name`` fault with ``error_code`` (object 0x603F).

        Raises:
            SimConfigError: when no drive turns ``joint_name``.
        """
        joints = self.config.joint_names
        if joint_name not in joints:
            raise SimConfigError(f"no drive turns {joint_name!r}; drives turn {list(joints)}")
        self.emulator.drive_fault(joints.index(joint_name) + 1, error_code)


@contextlib.contextmanager
def emulated_ethercat_drives(
    plant: JointPlant,
    driver_params: Mapping[str, Any],
    *,
    feedback_timeout_s: float = DEFAULT_FEEDBACK_TIMEOUT_S,
) -> Iterator[EthercatCellDrives]:
    """Start emulated EtherCAT drives that turn ``plant``'s joints; stop them on exit.

    The drives match ``driver_params`` (``config/ethercat_driver.yaml``: joints, identity,
    scaling; following-error windows from ``safety``, see :func:`following_windows`); the
    yielded parameters are the same with the master's interface and namespace set to
    the private wire.

    Raises:
        EmulatedDrivesUnavailableError: when not root, or without ``ip`` or pysoem.
        ConfigError: when the parameters are malformed or name joints the plant lacks.
        EmulatorError: when the wire or the emulator cannot be started.
    """
    require_emulated_ethercat(unavailable_ethercat_reason())
    config = EthercatBusConfig.from_params(driver_params)
    specs = slave_specs(config, following_windows(config, SafetyConfig.from_params(driver_params)))
    with contextlib.ExitStack() as stack:
        link = stack.enter_context(JointLink.create(len(specs)))
        coupling = stack.enter_context(PlantCoupling(plant, link, coupled_joints(config)))
        coupling.start()
        wire = VethWire.create()
        stack.callback(wire.destroy)
        emulator = stack.enter_context(
            EmulatorProcess(
                wire,
                specs,
                realtime_priority=EMULATOR_PRIORITY,
                plant_link=link.path,
                feedback_timeout_s=feedback_timeout_s,
            )
        )
        params = {
            **driver_params,
            "interface": wire.master_interface,
            "network_namespace": wire.namespace,
        }
        config = dataclasses.replace(
            config, interface=wire.master_interface, network_namespace=wire.namespace
        )
        yield EthercatCellDrives(params, emulator, coupling, config)
