"""Per-joint setpoints and measurements shared between two processes, without locks.

An emulated drive in one process (the EtherCAT slave emulator) and the plant that its
motor turns in another (the MuJoCo twin, advanced by :mod:`jazari.sim.ethercat_plant`)
exchange, per joint, the drive's command (hold or follow a target position) and the
plant's measured position, velocity and torque. Both live in one memory-mapped file
(on ``/dev/shm`` where it exists), one fixed slot per joint, in the drive's units
(encoder counts, counts/s, per mille of rated torque): the drive side needs no
knowledge of the plant, the plant side converts with the joint's scaling.

Each record has exactly one writer and is guarded by a sequence lock: the writer makes
the sequence odd, writes the payload, makes it even again; a reader accepts a payload
only if it saw the same even sequence before and after copying it. A reader that keeps
meeting a write in progress (its writer was preempted mid-write) returns its previous
consistent copy, whose stamp then shows its age. The sequence is stored and loaded as
one aligned 64-bit word through a ``memoryview`` of format ``Q`` (a single machine
store or load; ``struct.pack_into`` would zero the word first and then write it byte by
byte, so a reader could see a torn or zero sequence and take a half-written payload as
consistent). The stores and loads of the sequence and the payload are separate
interpreter steps, which x86-64 does not reorder; a weakly ordered CPU would need
fences here.

Layout (little-endian): a 16-byte header (magic ``JZJL``, version, joint count), then
per joint a 64-byte command record and a 64-byte feedback record (cache lines, so the
two writers never share one).
"""

from __future__ import annotations

import enum
import math
import mmap
import os
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jazari.sim.errors import SimError

MAGIC = b"JZJL"
VERSION = 1
_HEADER = struct.Struct("<4sHH8x")
_SEQ_SIZE = 8  # the sequence: one native 64-bit word at the start of each record
_COMMAND = struct.Struct("<B7xqd")  # mode, target [counts], stamp [s]
_FEEDBACK = struct.Struct("<dddd")  # position, velocity, torque, stamp
_RECORD = 64
_SLOT = 2 * _RECORD
_READ_ATTEMPTS = 64
_FIRST_READ_TIMEOUT_S = 0.05
_SHM_DIR = Path("/dev/shm")


class JointLinkError(SimError):
    """The shared joint file is missing or malformed, or a value cannot be shared."""


class AxisMode(enum.IntEnum):
    """What the drive wants from its joint."""

    HOLD = 0
    """No drive power: the joint's holding brake keeps it where it is."""
    FOLLOW = 1
    """The drive's position loop follows :attr:`AxisCommand.target_counts`."""


@dataclass(frozen=True)
class AxisCommand:
    """What an emulated drive asks of its joint.

    Attributes:
        mode: hold (brake) or follow.
        target_counts: position target [encoder counts] while following.
        stamp_s: when the drive wrote it [s, CLOCK_MONOTONIC, the same in every process].
    """

    mode: AxisMode
    target_counts: int
    stamp_s: float

    def __post_init__(self) -> None:
        if not -(2**63) <= self.target_counts < 2**63:
            raise JointLinkError(f"target_counts must fit 64 bits, got {self.target_counts}")
        _check_finite("stamp_s", self.stamp_s)


@dataclass(frozen=True)
class AxisFeedback:
    """What the plant measured at a joint, in the drive's units.

    Attributes:
        position_counts: position [encoder counts, not rounded].
        velocity_counts_s: velocity [counts/s].
        torque_per_mille: torque [per mille of the drive's rated torque].
        stamp_s: when the plant measured it [s, CLOCK_MONOTONIC].
    """

    position_counts: float
    velocity_counts_s: float
    torque_per_mille: float
    stamp_s: float

    def __post_init__(self) -> None:
        for name in ("position_counts", "velocity_counts_s", "torque_per_mille", "stamp_s"):
            _check_finite(name, getattr(self, name))


def _check_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise JointLinkError(f"{name} must be finite, got {value!r}")


class _SeqRecord:
    """One single-writer record under a sequence lock.

    Args:
        buffer: the mapped file.
        words: the same memory as native 64-bit words (the sequences).
        offset: the record's byte offset, a multiple of 8.
        payload: the layout of the values after the sequence.
    """

    def __init__(
        self, buffer: mmap.mmap, words: memoryview, offset: int, payload: struct.Struct
    ) -> None:
        self._buffer = buffer
        self._words = words
        self._word = offset // _SEQ_SIZE
        self._offset = offset
        self._payload = payload
        self._last: tuple[int, tuple[float | int, ...]] | None = None

    def write(self, *values: float | int) -> None:
        words, word = self._words, self._word
        seq = words[word] | 1  # odd: a write is in progress (also after a writer died)
        words[word] = seq
        self._payload.pack_into(self._buffer, self._offset + _SEQ_SIZE, *values)
        words[word] = seq + 1

    def read(self) -> tuple[int, tuple[float | int, ...]]:
        """(sequence, payload) of the latest consistent write.

        Raises:
            JointLinkError: when no consistent copy was ever read and none can be read
                within a short deadline (the writer died mid-write).
        """
        deadline = None
        words, word = self._words, self._word
        while True:
            for _ in range(_READ_ATTEMPTS):
                before = words[word]
                if before & 1:
                    continue
                values = self._payload.unpack_from(self._buffer, self._offset + _SEQ_SIZE)
                after = words[word]
                if after == before:
                    self._last = (before, values)
                    return self._last
            if self._last is not None:
                return self._last
            now = time.monotonic()
            deadline = now + _FIRST_READ_TIMEOUT_S if deadline is None else deadline
            if now > deadline:
                raise JointLinkError(
                    f"joint record at byte {self._offset} stays mid-write: its writer stopped"
                )
            time.sleep(0)


class JointLink:
    """The shared joint file: create it with :meth:`create`, open it elsewhere with
    :meth:`attach`; use as a context manager or call :meth:`close`.

    Args:
        path: the file.
        owner: whether closing removes the file.
    """

    def __init__(self, path: Path, *, owner: bool = False) -> None:
        self.path = path
        self._owner = owner
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError as exc:
            raise JointLinkError(f"cannot open the joint link {path}: {exc}") from None
        try:
            size = os.fstat(fd).st_size
            if size < _HEADER.size:
                raise JointLinkError(f"{path} holds {size} bytes: not a joint link")
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        magic, version, joints = _HEADER.unpack_from(self._map, 0)
        if magic != MAGIC or version != VERSION:
            self._map.close()
            raise JointLinkError(
                f"{path} is not a joint link of version {VERSION} (magic {magic!r}, "
                f"version {version})"
            )
        if size != _HEADER.size + joints * _SLOT:
            self._map.close()
            raise JointLinkError(f"{path} holds {size} bytes, not the size of {joints} joints")
        self.joints: int = joints
        self._words = memoryview(self._map).cast("Q")
        self._commands = [self._record(k, 0, _COMMAND) for k in range(joints)]
        self._feedback = [self._record(k, _RECORD, _FEEDBACK) for k in range(joints)]

    @classmethod
    def create(cls, joints: int) -> JointLink:
        """A new link of ``joints`` slots, every joint on hold at 0 counts, stamped 0.

        Raises:
            JointLinkError: when ``joints`` is not positive or the file cannot be made.
        """
        if not isinstance(joints, int) or not 1 <= joints <= 0xFFFF:
            raise JointLinkError(f"joints must be in 1..65535, got {joints!r}")
        directory = _SHM_DIR if _SHM_DIR.is_dir() else None
        fd, name = tempfile.mkstemp(prefix="jazari-joints-", dir=directory)
        try:
            os.ftruncate(fd, _HEADER.size + joints * _SLOT)
            os.pwrite(fd, _HEADER.pack(MAGIC, VERSION, joints), 0)
        except OSError as exc:
            os.unlink(name)
            raise JointLinkError(f"cannot create the joint link {name}: {exc}") from None
        finally:
            os.close(fd)
        return cls(Path(name), owner=True)

    @classmethod
    def attach(cls, path: str | Path) -> JointLink:
        """Open a link another process created (closing it leaves the file)."""
        return cls(Path(path))

    def _record(self, joint: int, offset: int, payload: struct.Struct) -> _SeqRecord:
        return _SeqRecord(self._map, self._words, _HEADER.size + joint * _SLOT + offset, payload)

    def _slot(self, joint: int) -> int:
        if not 0 <= joint < self.joints:
            raise JointLinkError(f"joint slot must be in 0..{self.joints - 1}, got {joint}")
        return joint

    # -- drive side ----------------------------------------------------------------------

    def write_command(self, joint: int, command: AxisCommand) -> None:
        """Publish the drive's command for joint slot ``joint``."""
        self._commands[self._slot(joint)].write(
            int(command.mode), command.target_counts, command.stamp_s
        )

    def read_feedback(self, joint: int) -> AxisFeedback:
        """The plant's latest measurement of joint slot ``joint``."""
        _, (position, velocity, torque, stamp) = self._feedback[self._slot(joint)].read()
        return AxisFeedback(float(position), float(velocity), float(torque), float(stamp))

    # -- plant side ----------------------------------------------------------------------

    def write_feedback(self, joint: int, feedback: AxisFeedback) -> None:
        """Publish the plant's measurement of joint slot ``joint``."""
        self._feedback[self._slot(joint)].write(
            feedback.position_counts,
            feedback.velocity_counts_s,
            feedback.torque_per_mille,
            feedback.stamp_s,
        )

    def read_command(self, joint: int) -> AxisCommand:
        """The drive's latest command for joint slot ``joint`` (an unknown mode reads as
        HOLD: a drive that says nothing sensible gets the brake)."""
        _, (raw_mode, target, stamp) = self._commands[self._slot(joint)].read()
        try:
            mode = AxisMode(int(raw_mode))
        except ValueError:
            mode = AxisMode.HOLD
        return AxisCommand(mode, int(target), float(stamp))

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Unmap (and, for the creator, remove the file); idempotent."""
        if not self._map.closed:
            self._words.release()  # the map cannot close while a view of it is held
            self._map.close()
        if self._owner:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> JointLink:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
