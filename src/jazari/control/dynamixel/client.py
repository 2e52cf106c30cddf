"""A Dynamixel Protocol 2.0 master: ping, read, write, sync read/write, reboot.

Every transaction is bounded: the client knows the wire time of the instruction and of
the expected replies at the configured baud rate and return delay, waits for them in the
kernel without spinning (see :meth:`Transport.read`), and gives up ``timeout_margin_s``
later. Unicast transactions are retried ``retries`` times on timeout or corruption;
sync reads report the servos that did not answer instead of raising, so a control cycle
can mark them stale and go on.

A status packet with the alert bit set makes the client read that servo's Hardware
Error Status item; the last value seen per servo is in :attr:`hardware_errors`.

A control loop compiles its per-cycle sync read and sync write once
(:meth:`DynamixelClient.sync_read_plan`, :meth:`DynamixelClient.sync_write_plan`, see
:mod:`jazari.control.dynamixel.cyclic`); the wire bytes and every check are the same as
those of :meth:`~DynamixelClient.sync_read` and :meth:`~DynamixelClient.sync_write`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from struct import Struct

from jazari.clock import WallClock
from jazari.control.dynamixel.control_table import XM540_W270, ServoModel
from jazari.control.dynamixel.crc import crc16
from jazari.control.dynamixel.cyclic import STATUS_OVERHEAD, SyncReadPlan, SyncWritePlan
from jazari.control.dynamixel.errors import CommError, CommTimeoutError, PacketError, StatusError
from jazari.control.dynamixel.packet import (
    ALERT_BIT,
    BROADCAST_ID,
    HEADER,
    MAX_ID,
    PREFIX_LEN,
    STUFFING_PATTERN,
    Instruction,
    Packet,
    PacketParser,
    describe_error,
    describe_hardware_error,
    encode_packet,
)
from jazari.control.dynamixel.transport import Transport
from jazari.ports import Clock

_log = logging.getLogger(__name__)

#: UART bits per byte: start, 8 data, stop.
BITS_PER_BYTE = 10


#: A status packet's (error byte, data after it).
Reply = tuple[int, bytes]


def _split_replies(raw: bytes, ids: Sequence[int], reply_len: int) -> dict[int, Reply] | None:
    """Split ``raw`` into one unstuffed status packet per ID, in order; None if it is not that."""
    length_field = (reply_len - PREFIX_LEN).to_bytes(2, "little")
    out: dict[int, Reply] = {}
    for k, servo_id in enumerate(ids):
        frame = raw[k * reply_len : (k + 1) * reply_len]
        if (
            frame[:4] != HEADER
            or frame[4] != servo_id
            or frame[5:7] != length_field
            or frame[7] != Instruction.STATUS
            or STUFFING_PATTERN in frame[7:-2]
            or crc16(frame[:-2]) != frame[-2] | (frame[-1] << 8)
        ):
            return None
        out[servo_id] = (frame[8], frame[9:-2])
    return out


def _accept(packets: list[Packet], wanted: set[int], data_len: int, got: dict[int, Reply]) -> None:
    """Keep the status packets of ``wanted`` servos whose data has the expected length.

    Other lengths are late answers to an earlier instruction, unless the packet carries
    an error number (which explains the missing data).
    """
    for pkt in packets:
        if (
            pkt.is_status
            and pkt.servo_id in wanted
            and pkt.params
            and (len(pkt.params) == data_len + 1 or pkt.params[0] & 0x7F)
        ):
            got[pkt.servo_id] = (pkt.params[0], pkt.params[1:])
        else:
            _log.debug("ignoring unexpected packet %s", pkt)


@dataclass(frozen=True)
class PingReply:
    """What a servo says to a ping: model number and firmware version."""

    servo_id: int
    model_number: int
    firmware_version: int


@dataclass(frozen=True)
class SyncReadResult:
    """The outcome of one sync read.

    Attributes:
        data: ID -> the item bytes, for servos that answered with error number 0.
        errors: ID -> status error byte, for servos whose answer was not clean (an error
            number, the alert bit, or both).
        hardware_errors: ID -> Hardware Error Status read after an alert.
        missing: IDs that did not answer (or only with corrupted packets), in request order.
    """

    data: Mapping[int, bytes]
    errors: Mapping[int, int] = field(default_factory=dict)
    hardware_errors: Mapping[int, int] = field(default_factory=dict)
    missing: tuple[int, ...] = ()


def _check_id(servo_id: int) -> None:
    if not 0 <= servo_id <= MAX_ID:
        raise PacketError(f"servo ID must be 0..{MAX_ID}, got {servo_id}")


def _check_span(address: int, length: int) -> None:
    if not 0 <= address <= 0xFFFF:
        raise PacketError(f"address must be 0..65535, got {address}")
    if not 1 <= length <= 0xFFFF:
        raise PacketError(f"length must be 1..65535, got {length}")


class DynamixelClient:
    """Talks Protocol 2.0 to the servos on one bus.

    Args:
        transport: the byte pipe (usually a :class:`SerialTransport`).
        baud: the bus bit rate [bit/s], for the wire-time model of timeouts.
        return_delay_s: the servos' Return Delay Time [s] (factory default 500 µs).
        timeout_margin_s: slack past the expected end of a transaction [s].
        retries: extra attempts of a unicast transaction after a timeout or corruption.
        model: the servos' control table (for the Hardware Error Status address).
        clock: time source (wall time: the bus runs in real time).
    """

    def __init__(
        self,
        transport: Transport,
        baud: int,
        *,
        return_delay_s: float = 500e-6,
        timeout_margin_s: float = 0.002,
        retries: int = 2,
        model: ServoModel = XM540_W270,
        clock: Clock | None = None,
    ) -> None:
        if baud <= 0:
            raise PacketError(f"baud must be positive, got {baud}")
        if return_delay_s < 0 or timeout_margin_s <= 0 or retries < 0:
            raise PacketError(
                f"need return_delay_s >= 0, timeout_margin_s > 0, retries >= 0; got "
                f"{return_delay_s}, {timeout_margin_s}, {retries}"
            )
        self.transport = transport
        self.byte_time_s = BITS_PER_BYTE / baud
        self.return_delay_s = return_delay_s
        self.timeout_margin_s = timeout_margin_s
        self.retries = retries
        self.model = model
        self.clock: Clock = clock if clock is not None else WallClock()
        self.parser = PacketParser()
        #: Last Hardware Error Status seen per servo (0 after a clean status packet).
        self.hardware_errors: dict[int, int] = {}
        self._hw_item = model["hardware_error_status"]
        self._sync_read_plans: dict[tuple[int, int, tuple[int, ...]], SyncReadPlan] = {}
        self._late_replies_possible = False

    # -- transactions -----------------------------------------------------------------

    def _exchange(self, packet: bytes, ids: Sequence[int], data_len: int) -> dict[int, Reply]:
        """Send ``packet`` and collect one status packet from each of ``ids``.

        Answers whose data is not ``data_len`` bytes long (late answers to an earlier,
        timed-out instruction) are ignored unless they carry an error number, which
        explains the missing data. Returns (error byte, data) by ID.
        """
        if not ids:
            self.transport.write(packet)
            return {}
        raw, deadline = self._send_and_receive(
            packet, len(ids), len(ids) * (STATUS_OVERHEAD + data_len)
        )
        return self._replies(raw, ids, data_len, deadline)

    def _send_and_receive(self, packet: bytes, answers: int, total: int) -> tuple[bytes, float]:
        """Send ``packet``; read until the ``total`` bytes of ``answers`` status packets
        are in or the deadline has passed. Returns (bytes read, deadline).

        The deadline is the wire time of the instruction and of the answers at the
        configured baud rate, the answering servos' return delays, and the margin. The
        wait is in the kernel (see :meth:`Transport.read`), not a spin.
        """
        transport, clock = self.transport, self.clock
        if self._late_replies_possible:
            # An earlier instruction went unanswered: give its late answers time to
            # arrive and discard them, so they are not taken for this one's. (Otherwise
            # the input is empty: every answer expected so far was read, and line noise
            # is the parser's business.)
            clock.sleep(self.timeout_margin_s)
            transport.discard_input()
            self._late_replies_possible = False
        t_sent = clock.now()
        transport.write(packet)
        expected = (len(packet) + total) * self.byte_time_s + answers * self.return_delay_s
        timeout = expected + self.timeout_margin_s
        deadline = t_sent + timeout
        # The instruction has only just been written: the first wait is the whole timeout.
        raw = transport.read(timeout, total)
        while 0 < len(raw) < total and clock.now() < deadline:
            chunk = transport.read(deadline - clock.now(), total - len(raw))
            if not chunk:
                break
            raw += chunk
        return raw, deadline

    def _replies(
        self, raw: bytes, ids: Sequence[int], data_len: int, deadline: float
    ) -> dict[int, Reply]:
        """The status packets of ``ids`` in ``raw``, reading on until the deadline if some
        are missing. When exactly the expected, well-formed packets arrived they are split
        without the general parser; anything else (stuffing, errors, garbage, missing
        servos) goes through it."""
        reply_len = STATUS_OVERHEAD + data_len
        if len(raw) == len(ids) * reply_len:
            replies = _split_replies(raw, ids, reply_len)
            if replies is not None:
                return replies
        try:
            return self._collect(self.parser.feed(raw), ids, data_len, deadline)
        finally:
            # Bytes after the last wanted answer are not this exchange's (nor the next's).
            self.parser.reset()

    def _collect(
        self, first: list[Packet], ids: Sequence[int], data_len: int, deadline: float
    ) -> dict[int, Reply]:
        """The general path of :meth:`_exchange`: parse until every ID answered or the deadline."""
        transport, parser, clock = self.transport, self.parser, self.clock
        reply_len = STATUS_OVERHEAD + data_len
        wanted = set(ids)
        got: dict[int, Reply] = {}
        packets = first
        while True:
            _accept(packets, wanted, data_len, got)
            if len(got) == len(wanted):
                return got
            need = (len(wanted) - len(got)) * reply_len - parser.pending
            chunk = transport.read(deadline - clock.now(), need)
            if chunk:
                packets = parser.feed(chunk)
                if clock.now() < deadline:
                    continue
                _accept(packets, wanted, data_len, got)
            # The deadline: give up on partial frames, keep complete ones behind them.
            _accept(parser.flush(), wanted, data_len, got)
            if len(got) < len(wanted):
                self._late_replies_possible = True
            return got

    def _unicast(self, servo_id: int, instruction: int, params: bytes, data_len: int) -> bytes:
        """One instruction to one servo with bounded retries; the data of its answer."""
        _check_id(servo_id)
        packet = encode_packet(servo_id, instruction, params)
        crc_before = self.parser.counters.crc_errors
        for _attempt in range(self.retries + 1):
            reply = self._exchange(packet, (servo_id,), data_len).get(servo_id)
            if reply is not None:
                error, data = reply
                self._note_alert(servo_id, error, instruction, params)
                if error & 0x7F:
                    raise StatusError(
                        servo_id,
                        error & 0x7F,
                        f"servo {servo_id} refused instruction 0x{instruction:02X}: "
                        f"{describe_error(error)}",
                    )
                return data
        corrupted = self.parser.counters.crc_errors - crc_before
        kind = f"only corrupted answers ({corrupted} CRC errors)" if corrupted else "no answer"
        raise CommTimeoutError(
            f"servo {servo_id}: {kind} to instruction 0x{instruction:02X} after "
            f"{self.retries + 1} attempts"
        )

    def _note_alert(self, servo_id: int, error: int, instruction: int, params: bytes) -> None:
        if not error & ALERT_BIT:
            self.hardware_errors[servo_id] = 0
            return
        if instruction == Instruction.REBOOT:
            return  # the alert is the one being cleared; the servo is booting now
        hw_address = self._hw_item.address.to_bytes(2, "little")
        if not (instruction == Instruction.READ and params[:2] == hw_address):
            self.read_hardware_error(servo_id)

    # -- instructions -----------------------------------------------------------------

    def ping(self, servo_id: int) -> PingReply:
        """Ping one servo.

        Raises:
            CommTimeoutError: when it does not answer within the retries.
        """
        data = self._unicast(servo_id, Instruction.PING, b"", 3)
        if len(data) != 3:
            raise CommError(f"servo {servo_id}: ping reply has {len(data)} bytes, expected 3")
        return PingReply(servo_id, data[0] | (data[1] << 8), data[2])

    def read(self, servo_id: int, address: int, length: int) -> bytes:
        """Read ``length`` bytes from ``address`` of one servo.

        Raises:
            CommTimeoutError, StatusError, CommError (wrong length in the answer).
        """
        _check_span(address, length)
        params = address.to_bytes(2, "little") + length.to_bytes(2, "little")
        data = self._unicast(servo_id, Instruction.READ, params, length)
        if len(data) != length:
            raise CommError(
                f"servo {servo_id}: read of {length} bytes at {address} returned {len(data)}"
            )
        return data

    def write(self, servo_id: int, address: int, data: bytes) -> None:
        """Write ``data`` at ``address`` of one servo and wait for its status packet."""
        _check_span(address, len(data))
        self._unicast(servo_id, Instruction.WRITE, address.to_bytes(2, "little") + data, 0)

    def read_item(self, servo_id: int, name: str) -> int:
        """The value of control table item ``name`` of one servo."""
        item = self.model[name]
        return item.decode(self.read(servo_id, item.address, item.size))

    def write_item(self, servo_id: int, name: str, value: int) -> None:
        """Write control table item ``name`` of one servo."""
        item = self.model[name]
        self.write(servo_id, item.address, item.encode(value))

    def read_hardware_error(self, servo_id: int) -> int:
        """Read the Hardware Error Status of one servo (also kept in :attr:`hardware_errors`)."""
        value = self.read(servo_id, self._hw_item.address, 1)[0]
        self.hardware_errors[servo_id] = value
        if value:
            _log.warning("servo %d hardware error: %s", servo_id, describe_hardware_error(value))
        return value

    def reboot(self, servo_id: int) -> None:
        """Reboot one servo (clears a hardware error; torque is off afterwards)."""
        self._unicast(servo_id, Instruction.REBOOT, b"", 0)
        self.hardware_errors.pop(servo_id, None)

    def sync_write(self, address: int, length: int, values: Mapping[int, bytes]) -> None:
        """Write ``length`` bytes at ``address`` of several servos in one packet.

        Sync write has no status packets, so nothing is waited for.
        """
        _check_span(address, length)
        params = bytearray(address.to_bytes(2, "little") + length.to_bytes(2, "little"))
        for servo_id, data in values.items():
            _check_id(servo_id)
            if len(data) != length:
                raise PacketError(
                    f"servo {servo_id}: sync write data has {len(data)} bytes, not {length}"
                )
            params.append(servo_id)
            params += data
        self.transport.write(encode_packet(BROADCAST_ID, Instruction.SYNC_WRITE, bytes(params)))

    def sync_write_plan(self, address: int, layout: Struct, ids: Sequence[int]) -> SyncWritePlan:
        """A sync write of the items in ``layout`` at ``address`` to ``ids``, compiled once
        for a control loop (see :meth:`sync_write_columns`).

        Raises:
            PacketError: naming a bad address, layout or ID.
        """
        return SyncWritePlan(address, layout, ids)

    def sync_write_columns(self, plan: SyncWritePlan, *columns: Sequence[int]) -> None:
        """Send ``plan``'s sync write of ``columns`` (one sequence per layout field, over
        the plan's servos). The same bytes as :meth:`sync_write`, at a fraction of the
        work.

        Raises:
            PacketError: when a column has the wrong length or a value does not fit.
        """
        self.transport.write(plan.encode(*columns))

    def sync_read_plan(self, address: int, layout: Struct, ids: Sequence[int]) -> SyncReadPlan:
        """A sync read of the items in ``layout`` at ``address`` from ``ids``, compiled once
        for a control loop (see :meth:`sync_read_columns`).

        Raises:
            PacketError: naming a bad address, layout or ID.
        """
        return SyncReadPlan(address, layout, ids)

    def sync_read(self, address: int, length: int, ids: Iterable[int]) -> SyncReadResult:
        """Read ``length`` bytes at ``address`` of several servos in one transaction.

        Servos answer in the order of ``ids``. Those that do not answer (or only with
        corrupted packets) are listed in ``missing``; this method does not retry, so a
        control cycle stays bounded.
        """
        ids = tuple(ids)
        key = (address, length, ids)
        plan = self._sync_read_plans.get(key)
        if plan is None:
            _check_span(address, length)
            plan = SyncReadPlan(address, Struct(f"<{length}s"), ids)
            self._sync_read_plans[key] = plan
        raw, deadline = self._send_and_receive(plan.packet, len(ids), plan.total)
        return self._sync_read_result(plan, raw, deadline)

    def sync_read_columns(self, plan: SyncReadPlan) -> tuple[tuple[int, ...], ...] | SyncReadResult:
        """One sync read of ``plan``; the control loop's fast path.

        Returns the values, one tuple per field of the plan's layout over its servos,
        when every servo answered with a clean status packet (error byte 0); otherwise
        the :class:`SyncReadResult` that :meth:`sync_read` gives, with the alerts'
        hardware errors read. Corrupted, missing or stuffed answers take the general
        path: nothing is accepted here that :meth:`sync_read` would reject.
        """
        raw, deadline = self._send_and_receive(plan.packet, len(plan.ids), plan.total)
        columns = plan.columns(raw)
        if columns is None:
            return self._sync_read_result(plan, raw, deadline)
        self.hardware_errors.update(dict.fromkeys(plan.ids, 0))
        return columns

    def _sync_read_result(self, plan: SyncReadPlan, raw: bytes, deadline: float) -> SyncReadResult:
        """Sort a sync read's answers into data, errors, hardware errors and missing."""
        ids, length = plan.ids, plan.length
        got = self._replies(raw, ids, length, deadline)
        data: dict[int, bytes] = {}
        errors: dict[int, int] = {}
        missing: list[int] = []
        alerted: list[int] = []
        for servo_id in ids:
            reply = got.get(servo_id)
            if reply is None:
                missing.append(servo_id)
                continue
            error, payload = reply
            if error:
                errors[servo_id] = error
            if error & ALERT_BIT:
                alerted.append(servo_id)
            else:
                self.hardware_errors[servo_id] = 0
            if not error & 0x7F and len(payload) == length:
                data[servo_id] = payload
            elif not error & 0x7F:
                missing.append(servo_id)
        hardware: dict[int, int] = {}
        for servo_id in alerted:
            try:
                hardware[servo_id] = self.read_hardware_error(servo_id)
            except CommError as exc:
                _log.warning("servo %d alert: hardware error read failed: %s", servo_id, exc)
        return SyncReadResult(data, errors, hardware, tuple(missing))

    def close(self) -> None:
        """Close the transport."""
        self.transport.close()
