"""The :class:`~jazari.ports.DriveBus` over Dynamixel Protocol 2.0 servos.

Per control cycle the bus costs exactly one sync write (every goal position) and one
sync read (every servo's state). The state block is current, velocity, position and
temperature; with ``use_indirect`` (the default) the servos' indirect addresses map
those 11 bytes together so the read carries no filler (21 bytes per servo without).

A servo that does not answer keeps its last known values, marked ``stale``; a servo
whose status packet carries the alert bit has its Hardware Error Status read in the
same cycle and reported as the fault code. Nothing here decides to stop the arm: that
is the safety supervisor's job (:mod:`jazari.control.safety`).
"""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import add, mul, sub
from typing import Any, NoReturn

import numpy as np

from jazari.clock import WallClock
from jazari.control.dynamixel.client import DynamixelClient, SyncReadResult
from jazari.control.dynamixel.control_table import (
    ControlItem,
    OperatingMode,
    ServoModel,
    baud_code,
    servo_model,
)
from jazari.control.dynamixel.errors import (
    BusClosedError,
    BusConfigError,
    CommError,
    DynamixelError,
    PacketError,
)
from jazari.control.dynamixel.packet import describe_error, describe_hardware_error
from jazari.control.dynamixel.transport import SerialTransport
from jazari.ports import Clock, DriveState, DriveTelemetry, FloatArray, PortValueError

_log = logging.getLogger(__name__)

#: The items of the per-cycle state block, in block order.
STATE_ITEMS = ("present_current", "present_velocity", "present_position", "present_temperature")


class DriveFaultError(DynamixelError):
    """Drives could not be enabled; the message names the joints and why."""


@dataclass(frozen=True)
class JointDrive:
    """One joint on the bus and its unit conversion.

    joint angle [rad] = direction · (counts − zero_offset_counts) · 2π / counts_per_rev

    Attributes:
        name: joint name (as in the URDF).
        servo_id: the servo's ID.
        counts_per_rev: position counts per joint revolution (4096 · any external gear).
        zero_offset_counts: Present Position at joint angle 0.
        direction: +1 or -1 (servo's positive direction along the joint axis or against).
        torque_constant_nm_per_a: joint torque per servo current [N·m/A].
    """

    name: str
    servo_id: int
    counts_per_rev: float
    zero_offset_counts: int = 0
    direction: int = 1
    torque_constant_nm_per_a: float = 10.6 / 4.4

    def __post_init__(self) -> None:
        if not self.name:
            raise BusConfigError("joint name must not be empty")
        if not 0 <= self.servo_id <= 252:
            raise BusConfigError(f"joint {self.name}: servo_id must be 0..252, got {self.servo_id}")
        if not (math.isfinite(self.counts_per_rev) and self.counts_per_rev > 0):
            raise BusConfigError(
                f"joint {self.name}: counts_per_rev must be > 0, got {self.counts_per_rev}"
            )
        if self.direction not in (1, -1):
            raise BusConfigError(
                f"joint {self.name}: direction must be 1 or -1, got {self.direction}"
            )
        if not math.isfinite(self.torque_constant_nm_per_a):
            raise BusConfigError(
                f"joint {self.name}: torque_constant_nm_per_a must be finite, "
                f"got {self.torque_constant_nm_per_a}"
            )

    @property
    def counts_per_rad(self) -> float:
        """Position counts per joint radian."""
        return self.counts_per_rev / (2.0 * math.pi)

    def to_counts(self, q_rad: float) -> int:
        """Goal Position value for a joint angle [rad]."""
        return self.zero_offset_counts + round(self.direction * q_rad * self.counts_per_rad)

    def to_rad(self, counts: int) -> float:
        """Joint angle [rad] of a Present Position value."""
        return self.direction * (counts - self.zero_offset_counts) / self.counts_per_rad


def _param(params: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = params.get(key, default)
    if value is None:
        raise BusConfigError(f"serial_driver parameter {key!r} is missing")
    return value


def _per_joint(params: Mapping[str, Any], key: str, n: int, default: Any) -> list[Any]:
    value = params.get(key, default)
    values = list(value) if isinstance(value, list | tuple) else [value] * n
    if len(values) != n:
        raise BusConfigError(f"serial_driver parameter {key!r} needs {n} values, got {values}")
    return values


@dataclass(frozen=True)
class SerialBusConfig:
    """Everything the serial bus needs (``config/serial_driver.yaml``).

    Attributes:
        port: serial device path.
        baud: bit rate [bit/s]; the servos must already run at it.
        model: the servos' model.
        joints: the joints, in bus order.
        return_delay_s: Return Delay Time written to every servo [s] (2 µs steps).
        operating_mode: Operating Mode written to every servo (extended position by
            default, so joints may turn more than one revolution).
        timeout_margin_s: slack past a transaction's expected wire time [s].
        retries: extra attempts of configuration transactions (cyclic reads never retry).
        use_indirect: pack the state block with indirect addresses.
        boot_wait_s: how long to wait for a rebooted servo to answer again [s].
    """

    port: str
    baud: int
    model: ServoModel
    joints: tuple[JointDrive, ...]
    return_delay_s: float = 0.0
    operating_mode: int = OperatingMode.EXTENDED_POSITION.value
    timeout_margin_s: float = 0.002
    retries: int = 2
    use_indirect: bool = True
    boot_wait_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.joints:
            raise BusConfigError("a serial bus needs at least one joint")
        names = [j.name for j in self.joints]
        ids = [j.servo_id for j in self.joints]
        if len(set(names)) != len(names):
            raise BusConfigError(f"joint names must be unique, got {names}")
        if len(set(ids)) != len(ids):
            raise BusConfigError(f"servo IDs must be unique, got {ids}")
        try:
            baud_code(self.baud)
        except PacketError as exc:
            raise BusConfigError(str(exc)) from None
        steps = self.return_delay_s / self.model.return_delay_unit_s
        if not (0 <= steps <= 254 and abs(steps - round(steps)) < 1e-6):
            raise BusConfigError(
                f"return_delay_s must be a multiple of 2 µs in 0..508 µs, got {self.return_delay_s}"
            )
        if self.operating_mode not in {m.value for m in OperatingMode}:
            raise BusConfigError(f"operating_mode {self.operating_mode} is not an X-series mode")
        if self.timeout_margin_s <= 0 or self.retries < 0 or self.boot_wait_s <= 0:
            raise BusConfigError(
                "need timeout_margin_s > 0, retries >= 0 and boot_wait_s > 0, got "
                f"{self.timeout_margin_s}, {self.retries}, {self.boot_wait_s}"
            )

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SerialBusConfig:
        """Build from the ``ros__parameters`` of ``serial_driver.yaml``.

        Raises:
            BusConfigError: naming the missing or bad parameter.
        """
        names = list(_param(params, "joints"))
        ids = list(_param(params, "ids"))
        n = len(names)
        if len(ids) != n:
            raise BusConfigError(f"'ids' has {len(ids)} entries for {n} joints")
        try:
            model = servo_model(str(params.get("servo_model", "XM540-W270")))
        except PacketError as exc:
            raise BusConfigError(str(exc)) from None
        counts = _per_joint(params, "counts_per_rev", n, model.position_counts_per_rev)
        offsets = _per_joint(params, "zero_offset_counts", n, 0)
        directions = _per_joint(params, "direction", n, 1)
        k_t = _per_joint(params, "torque_constant_nm_per_a", n, model.torque_constant_nm_per_a)
        joints = tuple(
            JointDrive(str(names[k]), int(ids[k]), float(counts[k]), int(offsets[k]),
                       int(directions[k]), float(k_t[k]))
            for k in range(n)
        )  # fmt: skip
        return cls(
            port=str(_param(params, "port")),
            baud=int(_param(params, "baud")),
            model=model,
            joints=joints,
            return_delay_s=float(params.get("return_delay_us", 0)) * 1e-6,
            operating_mode=int(params.get("operating_mode", OperatingMode.EXTENDED_POSITION.value)),
            timeout_margin_s=float(params.get("timeout_margin_s", 0.002)),
            retries=int(params.get("retries", 2)),
            use_indirect=bool(params.get("use_indirect", True)),
            boot_wait_s=float(params.get("boot_wait_s", 1.0)),
        )


@dataclass(frozen=True)
class _StateBlock:
    """Where the state items sit in the sync-read block, and how to unpack them."""

    address: int
    length: int
    layout: struct.Struct
    indirect_targets: tuple[int, ...]

    @classmethod
    def build(cls, model: ServoModel, use_indirect: bool) -> _StateBlock:
        items = [model[name] for name in STATE_ITEMS]
        if use_indirect:
            targets = tuple(a for item in items for a in range(item.address, item.end))
            placed = list(zip(items, _offsets(items), strict=True))
            start, length = model["indirect_data_1"].address, len(targets)
        else:
            targets = ()
            start = min(item.address for item in items)
            length = max(item.end for item in items) - start
            placed = [(item, item.address - start) for item in items]
        fmt, at = "<", 0
        for item, offset in placed:
            fmt += f"{offset - at}x" if offset > at else ""
            code = {1: "B", 2: "H", 4: "I"}[item.size]
            fmt += code.lower() if item.signed else code
            at = offset + item.size
        fmt += f"{length - at}x" if length > at else ""
        return cls(start, length, struct.Struct(fmt), targets)


def _offsets(items: Sequence[ControlItem]) -> list[int]:
    out, at = [], 0
    for item in items:
        out.append(at)
        at += item.size
    return out


class DynamixelBus:
    """A :class:`~jazari.ports.DriveBus` on a chain of Dynamixel X-series servos.

    Construct with :meth:`open` (opens the serial port and configures the servos) or
    around an existing :class:`DynamixelClient`, then call :meth:`configure`.

    Args:
        config: the bus configuration.
        client: the protocol client on the bus's port.
        clock: time source for the states' stamps.
    """

    def __init__(
        self, config: SerialBusConfig, client: DynamixelClient, *, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.client = client
        self.clock: Clock = clock if clock is not None else WallClock()
        self._joints = config.joints
        self._names = tuple(j.name for j in config.joints)
        self._ids = tuple(j.servo_id for j in config.joints)
        self._block = _StateBlock.build(config.model, config.use_indirect)
        self._goal_item = config.model["goal_position"]
        self._torque_item = config.model["torque_enable"]
        n = len(config.joints)
        # The last reading of each joint (kept for stale cycles), in SI units.
        self._position = [0.0] * n
        self._velocity = [0.0] * n
        self._current = [0.0] * n
        self._effort = [0.0] * n
        self._temperature = [math.nan] * n
        self._fault = [0] * n
        self._enabled = False
        self._closed = False
        v_unit = config.model.velocity_unit_rad_s
        per_rev = config.model.position_counts_per_rev
        # Per joint: joint rad/s per velocity unit, and joint N·m per servo ampere (signed).
        self._vel_scale = [j.direction * v_unit * per_rev / j.counts_per_rev for j in self._joints]
        self._effort_scale = [j.direction * j.torque_constant_nm_per_a for j in self._joints]
        self._rad_per_count = [j.direction / j.counts_per_rad for j in self._joints]
        self._count_per_rad = [j.direction * j.counts_per_rad for j in self._joints]
        self._zero = [j.zero_offset_counts for j in self._joints]
        goal = self._goal_item
        self._goal_range = (
            -1_048_575 if goal.minimum is None else goal.minimum,
            1_048_575 if goal.maximum is None else goal.maximum,
        )
        # The per-cycle transactions, compiled once.
        self._read_plan = client.sync_read_plan(self._block.address, self._block.layout, self._ids)
        goal_format = {1: "B", 2: "H", 4: "I"}[goal.size]
        self._write_plan = client.sync_write_plan(
            goal.address,
            struct.Struct("<" + (goal_format.lower() if goal.signed else goal_format)),
            self._ids,
        )
        self._fresh = (False,) * n
        self._current_unit = (config.model.current_unit_a,) * n
        self._no_fault = (0,) * n
        self._clean_status = {
            flag: ("enabled" if flag else "disabled",) * n for flag in (False, True)
        }

    @classmethod
    def open(cls, config: SerialBusConfig, *, clock: Clock | None = None) -> DynamixelBus:
        """Open the serial port, then :meth:`configure` the servos.

        Raises:
            CommError: when the port cannot be opened or a servo does not answer.
            BusConfigError: when a servo is of another model or cannot be configured.
        """
        transport = SerialTransport(config.port, config.baud)
        client = DynamixelClient(
            transport,
            config.baud,
            return_delay_s=max(config.return_delay_s, 250 * config.model.return_delay_unit_s),
            timeout_margin_s=config.timeout_margin_s,
            retries=config.retries,
            model=config.model,
            clock=clock,
        )
        bus = cls(config, client, clock=clock)
        try:
            bus.configure()
        except BaseException:
            bus.close()
            raise
        return bus

    # -- set-up -----------------------------------------------------------------------

    def configure(self) -> None:
        """Check every servo and write its configuration.

        Pings each servo (model number must match), writes Return Delay Time and
        Operating Mode where they differ (EEPROM: only with torque off, so a servo that
        is holding the arm is never disturbed: that raises instead), and maps the
        indirect addresses of the state block.

        Raises:
            CommError: a servo does not answer.
            BusConfigError: wrong model, or an EEPROM change needed while torque is on.
        """
        client, model = self.client, self.config.model
        delay_units = round(self.config.return_delay_s / model.return_delay_unit_s)
        for joint in self._joints:
            sid = joint.servo_id
            reply = client.ping(sid)
            if reply.model_number != model.model_number:
                raise BusConfigError(
                    f"joint {joint.name}: servo {sid} is model {reply.model_number}, "
                    f"expected {model.name} ({model.model_number})"
                )
            for name, value in (
                ("return_delay_time", delay_units),
                ("operating_mode", self.config.operating_mode),
            ):
                if client.read_item(sid, name) == value:
                    continue
                if client.read_item(sid, "torque_enable"):
                    raise BusConfigError(
                        f"joint {joint.name}: servo {sid} needs {name}={value} but its torque "
                        "is on; disable torque (support the arm) and configure again"
                    )
                client.write_item(sid, name, value)
        client.return_delay_s = self.config.return_delay_s
        self._map_indirect()

    def _map_indirect(self) -> None:
        targets = self._block.indirect_targets
        if not targets:
            return
        first = self.config.model["indirect_address_1"].address
        data = b"".join(t.to_bytes(2, "little") for t in targets)
        for sid in self._ids:
            self.client.write(sid, first, data)

    # -- the DriveBus port ------------------------------------------------------------

    @property
    def joint_names(self) -> tuple[str, ...]:
        """Joint names in bus order."""
        return self._names

    def _check_open(self) -> None:
        if self._closed:
            raise BusClosedError(f"serial bus on {self.config.port} is closed")

    def enable(self) -> None:
        """Torque on, holding the present positions (goal := present first, so no jump).

        Raises:
            CommError: a servo does not answer.
            DriveFaultError: a servo refused torque (hardware error); the message names it.
        """
        self._check_open()
        result = self._sync_read_state()
        if result.missing:
            raise CommError(f"cannot enable: no answer from {self._joint_list(result.missing)}")
        goal = self._goal_item
        unpack = self._block.layout.unpack
        present = {
            sid: goal.encode(unpack(result.data[sid])[2]) for sid in self._ids if sid in result.data
        }
        faulted = [sid for sid in self._ids if sid not in present]
        if faulted:
            raise DriveFaultError(f"cannot enable: {self._describe_faults(faulted, result)}")
        self.client.sync_write(goal.address, goal.size, present)
        self._write_torque(1)
        check = self.client.sync_read(self._torque_item.address, 1, self._ids)
        refused = [sid for sid in self._ids if check.data.get(sid) != b"\x01"]
        if refused:
            self._write_torque(0)
            self._enabled = False
            raise DriveFaultError(f"torque refused by {self._describe_faults(refused, check)}")
        self._enabled = True

    def disable(self) -> None:
        """Torque off on every servo."""
        self._check_open()
        self._write_torque(0)
        self._enabled = False

    def _write_torque(self, value: int) -> None:
        item = self._torque_item
        self.client.sync_write(item.address, item.size, {sid: bytes((value,)) for sid in self._ids})

    def write_setpoints(self, q_rad: FloatArray) -> None:
        """One sync write of every joint's goal position [rad].

        Raises:
            PortValueError: wrong shape, a non-finite value, or a goal outside the
                servo's position range (names the joint).
        """
        self._check_open()
        q = np.asarray(q_rad, dtype=float)
        if q.shape != (len(self._joints),):
            raise PortValueError(f"setpoints must have shape ({len(self._joints)},), got {q.shape}")
        lo, hi = self._goal_range
        try:
            scaled = map(round, map(mul, q.tolist(), self._count_per_rad))
            counts = list(map(add, self._zero, scaled))
        except (OverflowError, ValueError):  # round() of an infinity or NaN
            counts = []
        if not counts or min(counts) < lo or max(counts) > hi:
            self._raise_bad_setpoint(q)
        self.client.sync_write_columns(self._write_plan, counts)

    def _raise_bad_setpoint(self, q: FloatArray) -> NoReturn:
        """Raise naming the first joint whose setpoint is not finite or out of range."""
        lo, hi = self._goal_range
        for k, value in enumerate(q.tolist()):
            if not math.isfinite(value):
                raise PortValueError(f"setpoint of {self._names[k]} must be finite, got {value}")
            scaled = value * self._count_per_rad[k]
            counts = self._zero[k] + round(scaled) if math.isfinite(scaled) else scaled
            if not lo <= counts <= hi:
                raise PortValueError(
                    f"setpoint of {self._names[k]} ({value} rad, {counts} counts) is outside "
                    f"the servo's range {lo}..{hi}"
                )
        raise PortValueError(f"setpoints {q.tolist()} cannot be sent")

    def read_state(self) -> DriveState:
        """One sync read of every servo; silent servos keep their last values, stale."""
        self._check_open()
        got = self.client.sync_read_columns(self._read_plan)
        if isinstance(got, SyncReadResult):
            return self._state_after(got)
        # Every servo answered cleanly: convert whole columns, no per-axis branching.
        current_raw, velocity_raw, counts, temperature_raw = got
        stamp = self.clock.now()
        # map() with operator functions: the same arithmetic as _state_after, per axis,
        # without a Python-level loop.
        position = list(map(mul, map(sub, counts, self._zero), self._rad_per_count))
        velocity = list(map(mul, velocity_raw, self._vel_scale))
        current = list(map(mul, current_raw, self._current_unit))
        effort = list(map(mul, current, self._effort_scale))
        temperature = list(map(float, temperature_raw))
        self._position, self._velocity, self._current = position, velocity, current
        self._effort, self._temperature = effort, temperature
        if any(self._fault):
            self._fault = [0] * len(self._fault)
        telemetry = tuple(
            map(
                DriveTelemetry, position, velocity, current, temperature,
                self._clean_status[self._enabled], self._no_fault, self._fresh,
            )
        )  # fmt: skip
        return DriveState(
            stamp, self._names, np.array(position), np.array(velocity), np.array(effort),
            telemetry,
        )  # fmt: skip

    def _state_after(self, result: SyncReadResult) -> DriveState:
        """The state after a cycle that was not clean: silent servos keep their last
        values, marked stale; errors and hardware faults set each axis's status."""
        stamp = self.clock.now()
        unpack = self._block.layout.unpack
        position, velocity, current = self._position, self._velocity, self._current
        effort, temperature = self._effort, self._temperature
        default_status = "enabled" if self._enabled else "disabled"
        c_unit = self.config.model.current_unit_a
        telemetry = []
        for k, sid in enumerate(self._ids):
            data = result.data.get(sid)
            if data is not None:
                cur, vel, counts, temp = unpack(data)
                position[k] = (counts - self._zero[k]) * self._rad_per_count[k]
                velocity[k] = vel * self._vel_scale[k]
                current[k] = cur * c_unit
                effort[k] = current[k] * self._effort_scale[k]
                temperature[k] = float(temp)
            status = self._status(k, sid, result, default_status)
            telemetry.append(
                DriveTelemetry(
                    position[k], velocity[k], current[k], temperature[k], status,
                    self._fault[k], data is None,
                )
            )  # fmt: skip
        return DriveState(
            stamp, self._names, np.array(position), np.array(velocity), np.array(effort),
            tuple(telemetry),
        )  # fmt: skip

    def _status(self, k: int, sid: int, result: SyncReadResult, default: str) -> str:
        """A joint's status word after a cycle that was not clean; updates its fault code."""
        if sid in result.hardware_errors:
            self._fault[k] = result.hardware_errors[sid]
        elif sid in result.data and sid not in result.errors:
            self._fault[k] = 0
        if self._fault[k]:
            return "fault"
        if sid in result.missing:
            return "no answer"
        if result.errors.get(sid, 0) & 0x7F:
            return f"error: {describe_error(result.errors[sid])}"
        return default

    def _sync_read_state(self) -> SyncReadResult:
        block = self._block
        return self.client.sync_read(block.address, block.length, self._ids)

    # -- faults -----------------------------------------------------------------------

    def reset_faults(self) -> None:
        """Reboot every servo reporting a hardware error and restore its RAM settings.

        Torque is off afterwards on the rebooted servos (the bus counts as disabled);
        enabling again is the caller's explicit decision.

        Raises:
            CommError: a rebooted servo does not answer within ``boot_wait_s``.
        """
        self._check_open()
        faulted = [j for j, code in zip(self._joints, self._fault, strict=True) if code]
        for joint in faulted:
            self.client.reboot(joint.servo_id)
        deadline = self.clock.now() + self.config.boot_wait_s
        for joint in faulted:
            while True:
                try:
                    self.client.ping(joint.servo_id)
                    break
                except CommError:
                    if self.clock.now() > deadline:
                        raise CommError(
                            f"joint {joint.name}: servo {joint.servo_id} did not answer "
                            f"within {self.config.boot_wait_s} s of its reboot"
                        ) from None
            self._fault[self._joints.index(joint)] = 0
        if faulted:
            self._map_indirect()
            self._enabled = False

    def _joint_list(self, ids: Sequence[int]) -> str:
        by_id = {j.servo_id: j.name for j in self._joints}
        return ", ".join(f"{by_id[sid]} (servo {sid})" for sid in ids)

    def _describe_faults(self, ids: Sequence[int], result: SyncReadResult) -> str:
        parts = []
        for sid in ids:
            hw = result.hardware_errors.get(sid, self.client.hardware_errors.get(sid, 0))
            why = (
                f"hardware error: {describe_hardware_error(hw)}"
                if hw
                else describe_error(result.errors.get(sid, 0))
                if sid in result.errors
                else "no answer"
            )
            parts.append(f"{self._joint_list([sid])}: {why}")
        return "; ".join(parts)

    def close(self) -> None:
        """Close the serial port (torque is left as it is: the servos hold their goals)."""
        if not self._closed:
            self._closed = True
            self.client.close()


def open_serial_bus(params: Mapping[str, Any], *, clock: Clock | None = None) -> DynamixelBus:
    """The serial backend's factory: a configured bus from ``serial_driver.yaml`` parameters."""
    return DynamixelBus.open(SerialBusConfig.from_params(params), clock=clock)
