"""A chain of emulated Dynamixel servos behind a pseudo-terminal.

:class:`DynamixelChain` is the bus: it parses instruction packets (Protocol 2.0, byte
for byte), hands them to the addressed :class:`~jazari.sim.dynamixel_servo.EmulatedServo`
firmware, and schedules the status packets at the time they would finish arriving on a
real half-duplex bus: the instruction's own wire time at the configured baud rate (a pty
moves bytes instantly, whatever baud it is told), then for each answering servo, in
order, its Return Delay Time and its packet's wire time. It also moves the joints, with
each servo's motor model or through a :class:`~jazari.sim.plant.JointPlant` (the MuJoCo
twin), and injects faults.

Two runners put a chain behind a pty:

- :class:`EmulatorProcess` runs it in a child process. This is the one for timing: the
  emulator's wire-time sleeps and the master's control loop then never wait for each
  other's turn at the interpreter lock, and the emulator's CPU time is not charged to
  the master. The child has only its own motor models.
- :class:`EmulatorThread` runs it in a thread of the calling process. This is the one
  that can move an in-process :class:`JointPlant` (the twin lives in the cell's
  process), and it starts in milliseconds, which suits unit tests.

Both are driven by the same loop and take the same fault commands (frozen dataclasses
sent over a pipe), so a test can switch runners without change.
"""

from __future__ import annotations

import abc
import collections
import contextlib
import logging
import math
import multiprocessing
import os
import select
import threading
import tty
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import numpy as np

from jazari.clock import WallClock
from jazari.config import ParamReader
from jazari.control.dynamixel.control_table import baud_code, servo_model
from jazari.control.dynamixel.errors import PacketError
from jazari.control.dynamixel.packet import (
    BROADCAST_ID,
    ErrorNumber,
    Instruction,
    Packet,
    PacketParser,
    encode_status,
)
from jazari.control.rate import reduce_timer_slack, set_realtime_priority
from jazari.ports import Clock
from jazari.sim.dynamixel_servo import EmulatedServo, ServoSnapshot, ServoSpec
from jazari.sim.errors import SimConfigError, SimError
from jazari.sim.plant import JointPlant
from jazari.sim.servo_model import MotorParams, ServoMotor

_log = logging.getLogger(__name__)

#: Longest the serving loop sleeps without advancing the physics [s].
IDLE_TICK_S = 0.005
#: Replies due within this much of now are written in the same wake-up [s].
WRITE_AHEAD_S = 20e-6
#: Longest wait for the serving loop to answer a command [s].
COMMAND_TIMEOUT_S = 10.0
#: Status packet bytes around its parameters.
_STATUS_OVERHEAD = 11


class EmulatorError(SimError):
    """The emulator cannot start or was used after it stopped."""


@dataclass(frozen=True)
class EmulatorConfig:
    """A chain of emulated servos.

    Attributes:
        servos: the servos, each with a unique ID.
        baud: bus bit rate [bit/s] for the wire-time model; the servos' Baud Rate item
            starts at the matching value (a servo set to another rate goes deaf).
        model_name: servo model of every servo (its control table and motor data).
        motor: motor parameters; None derives them from the model.
        joint_names: plant joint moved by each servo (same order as ``servos``), used
            only with a plant.
        overload_time_s: saturated, stalled output time before an overload error [s].
        boot_time_s: deaf time after a reboot [s].
    """

    servos: tuple[ServoSpec, ...]
    baud: int = 4_000_000
    model_name: str = "XM540-W270"
    motor: MotorParams | None = None
    joint_names: tuple[str, ...] = ()
    overload_time_s: float = 1.0
    boot_time_s: float = 0.05

    def __post_init__(self) -> None:
        if not self.servos:
            raise SimConfigError("an emulated chain needs at least one servo")
        ids = [s.servo_id for s in self.servos]
        if len(set(ids)) != len(ids):
            raise SimConfigError(f"servo IDs must be unique, got {ids}")
        try:
            baud_code(self.baud)
            servo_model(self.model_name)
        except PacketError as exc:
            raise SimConfigError(str(exc)) from None
        if self.joint_names and len(self.joint_names) != len(self.servos):
            raise SimConfigError(
                f"joint_names has {len(self.joint_names)} names for {len(self.servos)} servos"
            )
        for name in ("overload_time_s", "boot_time_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise SimConfigError(f"{name} must be >= 0, got {value}")

    @classmethod
    def for_driver(cls, params: Mapping[str, Any]) -> EmulatorConfig:
        """The chain that a serial driver configured by ``params`` (``serial_driver.yaml``)
        expects on its line: same IDs, baud, model, joints and mounting.

        Raises:
            SimConfigError: naming a missing or malformed parameter.
        """
        r = ParamReader(params, "serial_driver.yaml", SimConfigError)
        joints = r.strings("joints")
        n = len(joints)
        ids = r.numbers("ids", n)
        counts = r.numbers("counts_per_rev", n)
        offsets = r.numbers("zero_offset_counts", n)
        direction = r.numbers("direction", n)
        delay_units = r.integer("return_delay_us", 0) // 2
        mode = r.integer("operating_mode", 0)
        specs = tuple(
            ServoSpec(
                int(ids[k]), return_delay_time=delay_units, operating_mode=mode,
                counts_per_rev=int(counts[k]), zero_offset_counts=int(offsets[k]),
                direction=int(direction[k]),
            )
            for k in range(n)
        )  # fmt: skip
        return cls(
            specs, baud=r.integer("baud", 1), model_name=r.string("servo_model"), joint_names=joints
        )


# -- fault and inspection commands (picklable, so they reach a child process) -----------


@dataclass(frozen=True)
class SetSilent:
    """Disconnect (``silent``) or reconnect a servo: a silent servo neither hears nor answers."""

    servo_id: int
    silent: bool = True


@dataclass(frozen=True)
class CorruptReplies:
    """Spoil the CRC of the servo's next ``count`` status packets (-1: all, 0: stop)."""

    servo_id: int
    count: int = -1


@dataclass(frozen=True)
class RaiseHardwareError:
    """Latch hardware error ``bits`` (see HardwareError): torque off, alert bit set."""

    servo_id: int
    bits: int


@dataclass(frozen=True)
class SetTemperature:
    """Set the winding temperature [°C] (above the limit: overheating error)."""

    servo_id: int
    temperature_c: float


@dataclass(frozen=True)
class SetLoadTorque:
    """Apply an external torque [N·m] against the servo's positive direction."""

    servo_id: int
    torque_nm: float


@dataclass(frozen=True)
class SendGarbage:
    """Put raw bytes on the bus now, as line noise would."""

    data: bytes


@dataclass(frozen=True)
class TakeSnapshot:
    """Ask for every servo's :class:`ServoSnapshot`."""


@dataclass(frozen=True)
class _Stop:
    pass


@dataclass
class _Faults:
    silent: bool = False
    corrupt: int = 0


@dataclass(order=True)
class _Reply:
    due_s: float
    data: bytes = field(compare=False)


class DynamixelChain:
    """Servos on one bus: dispatch, wire timing, physics and faults (no I/O).

    Args:
        config: the chain.
        plant: moves the joints instead of the servos' motor models (its joints named
            by ``config.joint_names``); the motors then keep only the thermal model.
    """

    def __init__(self, config: EmulatorConfig, plant: JointPlant | None = None) -> None:
        self.config = config
        self.model = servo_model(config.model_name)
        params = config.motor if config.motor is not None else MotorParams.for_model(self.model)
        self._bus_code = baud_code(config.baud)
        self.byte_time_s = 10.0 / config.baud
        self.servos: list[EmulatedServo] = [
            EmulatedServo(
                spec,
                self.model,
                ServoMotor(params, spec.initial_position_rad),
                baud_code=self._bus_code,
                overload_time_s=config.overload_time_s,
                boot_time_s=config.boot_time_s,
            )
            for spec in config.servos
        ]
        self._faults = {s.spec.servo_id: _Faults() for s in self.servos}
        self._plant = plant
        self._plant_index: list[int] = []
        # Joint angle [rad] at which each torque-off joint's brake holds it, by plant index.
        self._brake_q: dict[int, float] = {}
        if plant is not None:
            self._plant_index = self._map_plant(plant)
            self._read_plant(plant, 0.0)
            for servo in self.servos:  # power-on: the goal is where the joint is
                servo.refresh(0.0)
                servo.set("goal_position", servo.get("present_position"))
        self._parser = PacketParser(on_bad_crc=self._bad_crc)
        self._replies: collections.deque[_Reply] = collections.deque()
        self._immediate = bytearray()
        self._bus_free_s = -math.inf
        self._last_advance_s: float | None = None
        self._now_s = 0.0
        self._handlers: dict[int, Callable[[Packet, float], None]] = {
            Instruction.PING: self._on_ping,
            Instruction.READ: self._on_read,
            Instruction.WRITE: self._on_write,
            Instruction.REG_WRITE: self._on_reg_write,
            Instruction.ACTION: self._on_action,
            Instruction.FACTORY_RESET: self._on_factory_reset,
            Instruction.REBOOT: self._on_reboot,
            Instruction.CLEAR: self._on_clear,
            Instruction.SYNC_READ: self._on_sync_read,
            Instruction.SYNC_WRITE: self._on_sync_write,
            Instruction.BULK_READ: self._on_bulk_read,
            Instruction.BULK_WRITE: self._on_bulk_write,
        }
        self._commands: dict[type, Callable[[Any], object]] = {
            SetSilent: self._cmd_silent,
            CorruptReplies: self._cmd_corrupt,
            RaiseHardwareError: self._cmd_hardware_error,
            SetTemperature: self._cmd_temperature,
            SetLoadTorque: self._cmd_load,
            SendGarbage: self._cmd_garbage,
            TakeSnapshot: lambda _cmd: self.snapshot(),
        }

    def _map_plant(self, plant: JointPlant) -> list[int]:
        names = self.config.joint_names
        if not names:
            raise SimConfigError("a plant needs EmulatorConfig.joint_names, one per servo")
        missing = [n for n in names if n not in plant.joint_names]
        if missing:
            raise SimConfigError(f"plant has no joints {missing}; it has {plant.joint_names}")
        return [plant.joint_names.index(n) for n in names]

    # -- bytes in, bytes out ----------------------------------------------------------

    def receive(self, data: bytes, now_s: float) -> None:
        """Bytes from the master, arrived at ``now_s`` [s]."""
        self.advance(now_s)
        self._now_s = now_s
        for packet in self._parser.feed(data):
            # The bytes arrive at once through a pty but take their wire time on a
            # real bus, after whatever the bus was still carrying.
            end_s = max(now_s, self._bus_free_s) + packet.wire_length * self.byte_time_s
            self._bus_free_s = end_s
            handler = self._handlers.get(packet.instruction)
            if handler is not None:
                handler(packet, end_s)
            elif packet.servo_id != BROADCAST_ID:
                self._reply_one(packet.servo_id, end_s, ErrorNumber.INSTRUCTION, b"", force=False)

    def next_due_s(self) -> float | None:
        """When the next status packet is due [s], or None."""
        if self._immediate:
            return -math.inf
        return self._replies[0].due_s if self._replies else None

    def pop_due(self, now_s: float) -> bytes:
        """Every byte due by ``now_s`` [s], in order."""
        out = bytearray(self._immediate)
        self._immediate.clear()
        replies = self._replies
        while replies and replies[0].due_s <= now_s:
            out += replies.popleft().data
        return bytes(out)

    def _bad_crc(self, servo_id: int) -> None:
        # A servo answers a unicast instruction that failed its CRC with a CRC error.
        if servo_id != BROADCAST_ID:
            end_s = max(self._now_s, self._bus_free_s)
            self._reply_one(servo_id, end_s, ErrorNumber.CRC, b"", force=False)

    # -- scheduling -------------------------------------------------------------------

    def _listening(self, servo_id: int) -> EmulatedServo | None:
        for servo in self.servos:
            if servo.servo_id == servo_id:
                if self._faults[servo.spec.servo_id].silent:
                    return None
                if servo.deaf_until_s > self._now_s or servo.get("baud_rate") != self._bus_code:
                    return None
                return servo
        return None

    def _listeners(self) -> list[EmulatedServo]:
        return [s for s in self.servos if self._listening(s.servo_id) is s]

    def _schedule(
        self, end_s: float, answers: Sequence[tuple[EmulatedServo | None, bytes, int]]
    ) -> None:
        """Queue status packets after an instruction ending at ``end_s``.

        ``answers`` are (servo or None, packet, expected size); a None servo is a listed
        servo that stays silent, and the ones after it wait the time its answer would
        have taken.
        """
        t = end_s
        for servo, packet, size in answers:
            delay = (
                servo.get("return_delay_time") * self.model.return_delay_unit_s
                if servo is not None
                else self.model.return_delay_unit_s * 250
            )
            t += delay + (len(packet) if servo is not None else size) * self.byte_time_s
            if servo is not None:
                self._replies.append(_Reply(t, self._maybe_corrupt(servo, packet)))
        self._bus_free_s = max(self._bus_free_s, t)

    def _maybe_corrupt(self, servo: EmulatedServo, packet: bytes) -> bytes:
        faults = self._faults[servo.spec.servo_id]
        if faults.corrupt == 0:
            return packet
        if faults.corrupt > 0:
            faults.corrupt -= 1
        return packet[:-1] + bytes((packet[-1] ^ 0x5A,))

    def _status(self, servo: EmulatedServo, error: int, data: bytes) -> bytes:
        return encode_status(servo.servo_id, error | servo.status_error_bits, data)

    def _reply_one(
        self, servo_id: int, end_s: float, error: int, data: bytes, *, force: bool
    ) -> None:
        """Answer a unicast instruction per Status Return Level (``force``: always, for ping)."""
        servo = self._listening(servo_id)
        if servo is None:
            return
        level = servo.get("status_return_level")
        if force or level >= 2 or (level >= 1 and data):
            self._schedule(end_s, [(servo, self._status(servo, error, data), 0)])

    # -- instructions -----------------------------------------------------------------

    def _on_ping(self, packet: Packet, end_s: float) -> None:
        if packet.servo_id == BROADCAST_ID:
            answering = sorted(self._listeners(), key=lambda s: s.servo_id)
            self._schedule(
                end_s, [(s, self._status(s, 0, self._ping_data(s)), 0) for s in answering]
            )
            return
        servo = self._listening(packet.servo_id)
        if servo is not None:
            self._reply_one(servo.servo_id, end_s, 0, self._ping_data(servo), force=True)

    @staticmethod
    def _ping_data(servo: EmulatedServo) -> bytes:
        return servo.get("model_number").to_bytes(2, "little") + bytes(
            (servo.get("firmware_version"),)
        )

    def _on_read(self, packet: Packet, end_s: float) -> None:
        servo = self._listening(packet.servo_id)
        if servo is None:
            return
        if len(packet.params) != 4:
            self._reply_one(servo.servo_id, end_s, ErrorNumber.DATA_LENGTH, b"", force=False)
            return
        address = int.from_bytes(packet.params[0:2], "little")
        length = int.from_bytes(packet.params[2:4], "little")
        error, data = servo.read(address, length)
        if servo.get("status_return_level") >= 1:
            self._schedule(end_s, [(servo, self._status(servo, error, data), 0)])

    def _unicast_or_all(self, packet: Packet) -> list[EmulatedServo]:
        if packet.servo_id == BROADCAST_ID:
            return self._listeners()
        servo = self._listening(packet.servo_id)
        return [servo] if servo is not None else []

    def _apply_each(
        self, packet: Packet, end_s: float, action: Callable[[EmulatedServo], int]
    ) -> None:
        for servo in self._unicast_or_all(packet):
            error = action(servo)
            if packet.servo_id != BROADCAST_ID:
                self._reply_one(servo.servo_id, end_s, error, b"", force=False)

    def _on_write(self, packet: Packet, end_s: float) -> None:
        if len(packet.params) < 3:
            self._apply_each(packet, end_s, lambda _s: ErrorNumber.DATA_LENGTH)
            return
        address = int.from_bytes(packet.params[0:2], "little")
        self._apply_each(packet, end_s, lambda s: s.write(address, packet.params[2:]))

    def _on_reg_write(self, packet: Packet, end_s: float) -> None:
        if len(packet.params) < 3:
            self._apply_each(packet, end_s, lambda _s: ErrorNumber.DATA_LENGTH)
            return
        address = int.from_bytes(packet.params[0:2], "little")
        self._apply_each(packet, end_s, lambda s: s.reg_write(address, packet.params[2:]))

    def _on_action(self, packet: Packet, end_s: float) -> None:
        self._apply_each(packet, end_s, lambda s: s.action())

    def _on_factory_reset(self, packet: Packet, end_s: float) -> None:
        option = packet.params[0] if len(packet.params) == 1 else -1
        if packet.servo_id == BROADCAST_ID and option == 0xFF:
            return  # the e-Manual: a broadcast reset-all is refused
        self._apply_each(packet, end_s, lambda s: s.factory_reset(option))

    def _on_reboot(self, packet: Packet, end_s: float) -> None:
        # The status packet goes out before the servo restarts.
        targets = self._unicast_or_all(packet)
        if packet.servo_id != BROADCAST_ID:
            for servo in targets:
                self._reply_one(servo.servo_id, end_s, 0, b"", force=False)
        for servo in targets:
            servo.reboot(self._bus_free_s)

    def _on_clear(self, packet: Packet, end_s: float) -> None:
        self._apply_each(packet, end_s, lambda s: s.clear_multi_turn(packet.params))

    def _on_sync_write(self, packet: Packet, end_s: float) -> None:
        params = packet.params
        if packet.servo_id != BROADCAST_ID or len(params) < 4:
            return
        address = int.from_bytes(params[0:2], "little")
        length = int.from_bytes(params[2:4], "little")
        if length == 0 or (len(params) - 4) % (length + 1):
            return
        for k in range(4, len(params), length + 1):
            servo = self._listening(params[k])
            if servo is not None:
                servo.write(address, params[k + 1 : k + 1 + length])

    def _on_sync_read(self, packet: Packet, end_s: float) -> None:
        params = packet.params
        if packet.servo_id != BROADCAST_ID or len(params) < 5:
            return
        address = int.from_bytes(params[0:2], "little")
        length = int.from_bytes(params[2:4], "little")
        self._read_in_order(end_s, [(servo_id, address, length) for servo_id in params[4:]])

    def _on_bulk_read(self, packet: Packet, end_s: float) -> None:
        params = packet.params
        if packet.servo_id != BROADCAST_ID or not params or len(params) % 5:
            return
        requests = [
            (
                params[k],
                int.from_bytes(params[k + 1 : k + 3], "little"),
                int.from_bytes(params[k + 3 : k + 5], "little"),
            )
            for k in range(0, len(params), 5)
        ]
        self._read_in_order(end_s, requests)

    def _read_in_order(self, end_s: float, requests: Sequence[tuple[int, int, int]]) -> None:
        answers: list[tuple[EmulatedServo | None, bytes, int]] = []
        for servo_id, address, length in requests:
            servo = self._listening(servo_id)
            if servo is None:
                answers.append((None, b"", _STATUS_OVERHEAD + length))
                continue
            if servo.get("status_return_level") < 1:
                continue
            error, data = servo.read(address, length)
            answers.append((servo, self._status(servo, error, data), 0))
        self._schedule(end_s, answers)

    def _on_bulk_write(self, packet: Packet, end_s: float) -> None:
        params = packet.params
        if packet.servo_id != BROADCAST_ID:
            return
        k = 0
        while k + 5 <= len(params):
            servo_id = params[k]
            address = int.from_bytes(params[k + 1 : k + 3], "little")
            length = int.from_bytes(params[k + 3 : k + 5], "little")
            data = params[k + 5 : k + 5 + length]
            if len(data) != length:
                return
            servo = self._listening(servo_id)
            if servo is not None:
                servo.write(address, data)
            k += 5 + length

    # -- physics ----------------------------------------------------------------------

    def advance(self, now_s: float) -> None:
        """Move every joint up to ``now_s`` [s] and refresh the Present items."""
        last = self._last_advance_s
        self._last_advance_s = now_s
        self._now_s = max(self._now_s, now_s)
        if last is None or now_s <= last:
            return
        dt = now_s - last
        if self._plant is not None:
            self._advance_plant(self._plant, dt)
        else:
            self._advance_motors(dt)
        for servo in self.servos:
            servo.protect()
            servo.refresh(now_s)

    def _advance_motors(self, dt_s: float) -> None:
        steps = max(1, math.ceil(dt_s / 1e-3))
        h = dt_s / steps
        for _ in range(steps):
            for servo in self.servos:
                volts, current_limit = servo.control_voltage(h)
                servo.motor.step(volts, h, current_limit)

    def _advance_plant(self, plant: JointPlant, dt_s: float) -> None:
        q_now, _, _ = plant.joint_state()
        targets = np.array(q_now, dtype=float)
        for servo, j in zip(self.servos, self._plant_index, strict=True):
            if servo.torque_on:
                self._brake_q.pop(j, None)
                targets[j] = self._joint_angle(servo, servo.get("goal_position"))
            else:
                # Torque off: the joint's holding brake engages where the joint was.
                targets[j] = self._brake_q.setdefault(j, float(q_now[j]))
        try:
            plant.set_joint_targets(targets)
        except SimError as exc:  # e.g. a goal beyond the joint's limits: keep the last
            _log.warning("plant refused joint targets: %s", exc)
        plant.advance(dt_s)
        self._read_plant(plant, dt_s)
        for servo in self.servos:
            servo.track_load(dt_s)

    def _read_plant(self, plant: JointPlant, dt_s: float) -> None:
        """Copy the plant's joint states into the servos' motors (and heat them)."""
        q, qd, effort = plant.joint_state()
        k_t = self.model.torque_constant_nm_per_a
        for servo, j in zip(self.servos, self._plant_index, strict=True):
            spec = servo.spec
            counts_per_rad = spec.counts_per_rev / (2 * math.pi)
            counts = spec.zero_offset_counts + spec.direction * float(q[j]) * counts_per_rad
            gear = spec.counts_per_rev / self.model.position_counts_per_rev
            motor = servo.motor
            motor.position_rad = servo.counts_to_rad(counts)
            motor.velocity_rad_s = spec.direction * float(qd[j]) * gear
            motor.current_a = spec.direction * float(effort[j]) / (k_t * gear)
            motor.heat(motor.current_a, dt_s)

    def _joint_angle(self, servo: EmulatedServo, counts: int) -> float:
        spec = servo.spec
        return (
            spec.direction * (counts - spec.zero_offset_counts) * 2 * math.pi / spec.counts_per_rev
        )

    # -- commands ---------------------------------------------------------------------

    def apply(self, command: object) -> object:
        """Carry out a fault or inspection command; its answer (or None)."""
        handler = self._commands.get(type(command))
        if handler is None:
            raise EmulatorError(f"unknown emulator command {command!r}")
        return handler(command)

    def _servo(self, servo_id: int) -> EmulatedServo:
        for servo in self.servos:
            if servo.spec.servo_id == servo_id:
                return servo
        raise EmulatorError(f"no emulated servo with ID {servo_id}")

    def _cmd_silent(self, cmd: SetSilent) -> None:
        self._servo(cmd.servo_id)
        self._faults[cmd.servo_id].silent = cmd.silent

    def _cmd_corrupt(self, cmd: CorruptReplies) -> None:
        self._servo(cmd.servo_id)
        self._faults[cmd.servo_id].corrupt = cmd.count

    def _cmd_hardware_error(self, cmd: RaiseHardwareError) -> None:
        self._servo(cmd.servo_id).raise_hardware_error(cmd.bits)

    def _cmd_temperature(self, cmd: SetTemperature) -> None:
        self._servo(cmd.servo_id).motor.temperature_c = cmd.temperature_c

    def _cmd_load(self, cmd: SetLoadTorque) -> None:
        self._servo(cmd.servo_id).motor.load_torque_nm = cmd.torque_nm

    def _cmd_garbage(self, cmd: SendGarbage) -> None:
        self._immediate += cmd.data

    def snapshot(self) -> tuple[ServoSnapshot, ...]:
        """Every servo's registers and motor state."""
        return tuple(servo.snapshot() for servo in self.servos)


# -- serving loop and runners ---------------------------------------------------------


def _serve(chain: DynamixelChain, master_fd: int, conn: Connection, clock: Clock) -> None:
    """Move bytes between the pty master and the chain until a stop command."""
    reduce_timer_slack()
    os.set_blocking(master_fd, False)
    conn_fd = conn.fileno()
    while True:
        now = clock.now()
        due = chain.next_due_s()
        timeout = IDLE_TICK_S if due is None else min(IDLE_TICK_S, max(0.0, due - now))
        readable, _, _ = select.select((master_fd, conn_fd), (), (), timeout)
        now = clock.now()
        if master_fd in readable:
            try:
                chain.receive(os.read(master_fd, 65536), now)
            except BlockingIOError:
                pass
            except Exception:  # a bug must not silence the bus: log it and serve on
                _log.exception("emulated servos failed on received bytes")
        if conn_fd in readable:
            try:
                command = conn.recv()
            except EOFError:
                return
            if isinstance(command, _Stop):
                conn.send(None)
                return
            try:
                conn.send(chain.apply(command))
            except EmulatorError as exc:
                conn.send(exc)
        chain.advance(clock.now())
        out = chain.pop_due(clock.now() + WRITE_AHEAD_S)
        if out:
            # Nobody reading and the pty buffer full: the bytes are lost, as on a bus.
            with contextlib.suppress(BlockingIOError):
                os.write(master_fd, out)


def _open_pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


_R = TypeVar("_R", bound="_Runner")


class _Runner(abc.ABC):
    """What both runners share: the pty path and the command pipe."""

    port: str
    _conn: Connection
    _closed: bool

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def apply(self, command: object) -> object:
        """Send a fault or inspection command to the chain; its answer.

        Raises:
            EmulatorError: when the emulator is stopped or does not answer in time.
        """
        with self._lock:
            if self._closed:
                raise EmulatorError("the emulator is stopped")
            self._conn.send(command)
            if not self._conn.poll(COMMAND_TIMEOUT_S):
                raise EmulatorError(
                    f"the emulator did not answer {command!r} in {COMMAND_TIMEOUT_S} s"
                )
            answer = self._conn.recv()
        if isinstance(answer, EmulatorError):
            raise answer
        return answer

    def snapshot(self) -> tuple[ServoSnapshot, ...]:
        """Every servo's registers and motor state."""
        answer = self.apply(TakeSnapshot())
        assert isinstance(answer, tuple)
        return answer

    def _stop_loop(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(OSError, EOFError):
                self._conn.send(_Stop())
                self._conn.recv()

    def __enter__(self: _R) -> _R:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def close(self) -> None:
        """Stop the emulator and release the pty."""


class EmulatorThread(_Runner):
    """A chain served from a thread of this process (see the module docstring).

    Args:
        config: the chain.
        plant: moves the joints instead of the motor models.
        clock: wall time by default; the wire-time model needs real time.
    """

    def __init__(
        self, config: EmulatorConfig, *, plant: JointPlant | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__()
        self.chain = DynamixelChain(config, plant)
        self._master, self._slave, self.port = _open_pty()
        self._conn, child = multiprocessing.Pipe()
        self._closed = False
        self._thread = threading.Thread(
            target=_serve,
            args=(self.chain, self._master, child, clock if clock is not None else WallClock()),
            name=f"dynamixel-emulator {self.port}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and close the pty."""
        self._stop_loop()
        self._thread.join(timeout=5.0)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def _process_main(
    config: EmulatorConfig, conn: Connection, priority: int | None, cpu: int | None
) -> None:
    if priority is not None:
        set_realtime_priority(priority)
    if cpu is not None:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(0, {cpu})
    master, slave, port = _open_pty()
    try:
        chain = DynamixelChain(config)
        conn.send(port)
        _serve(chain, master, conn, WallClock())
    finally:
        os.close(master)
        os.close(slave)


class EmulatorProcess(_Runner):
    """A chain served from a child process (see the module docstring).

    Args:
        config: the chain.
        start_timeout_s: how long to wait for the child to report its pty [s].
        realtime_priority: SCHED_FIFO priority of the child (it stands in for hardware
            that runs beside the host, so other work should not delay it); None, or
            no permission, leaves it at normal priority.
        cpu: pin the child to this CPU (so that, like real servos, it does not compete
            with the host's control thread for a core); None: no pinning.

    Raises:
        EmulatorError: when the child does not report its pty within ``start_timeout_s``.
    """

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        start_timeout_s: float = 30.0,
        realtime_priority: int | None = None,
        cpu: int | None = None,
    ) -> None:
        super().__init__()
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._closed = False
        self._process = ctx.Process(
            target=_process_main,
            args=(config, child, realtime_priority, cpu),
            name="dynamixel-emulator",
            daemon=True,
        )
        self._process.start()
        child.close()
        try:
            if not self._conn.poll(start_timeout_s):
                raise EOFError
            self.port = self._conn.recv()
        except (EOFError, OSError):
            self._process.kill()
            self._process.join()
            raise EmulatorError(
                f"the emulator process did not report its pty within {start_timeout_s} s "
                f"(exit code {self._process.exitcode})"
            ) from None

    def close(self) -> None:
        """Stop the child process."""
        self._stop_loop()
        self._process.join(timeout=5.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
