"""The shared joint file: layout, single-writer records under a sequence lock, lifetime."""

from __future__ import annotations

import mmap
import multiprocessing
import os
import struct
from collections.abc import Iterator
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.sim.joint_link import (
    AxisCommand,
    AxisFeedback,
    AxisMode,
    JointLink,
    JointLinkError,
)

HEADER_BYTES = 16
SLOT_BYTES = 128
FEEDBACK_OFFSET = 64

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@pytest.fixture
def link() -> Iterator[JointLink]:
    with JointLink.create(3) as created:
        yield created


def _poke(path: Path, offset: int, data: bytes) -> None:
    """Write raw bytes into the file, as another process's writer would."""
    fd = os.open(path, os.O_RDWR)
    try:
        with mmap.mmap(fd, 0) as m:
            m[offset : offset + len(data)] = data
    finally:
        os.close(fd)


def _feedback_offset(joint: int) -> int:
    return HEADER_BYTES + joint * SLOT_BYTES + FEEDBACK_OFFSET


@given(
    joint=st.integers(0, 2),
    mode=st.sampled_from(AxisMode),
    target=st.integers(-(2**63), 2**63 - 1),
    stamp=finite,
)
def test_a_command_reads_back_as_written_from_another_mapping(
    joint: int, mode: AxisMode, target: int, stamp: float
) -> None:
    with JointLink.create(3) as writer, JointLink.attach(writer.path) as reader:
        writer.write_command(joint, AxisCommand(mode, target, stamp))
        assert reader.read_command(joint) == AxisCommand(mode, target, stamp)
        others = [reader.read_command(k) for k in range(3) if k != joint]
        assert all(c == AxisCommand(AxisMode.HOLD, 0, 0.0) for c in others)


@given(joint=st.integers(0, 2), values=st.tuples(finite, finite, finite, finite))
def test_feedback_reads_back_as_written_from_another_mapping(
    joint: int, values: tuple[float, float, float, float]
) -> None:
    with JointLink.create(3) as writer, JointLink.attach(writer.path) as reader:
        writer.write_feedback(joint, AxisFeedback(*values))
        assert reader.read_feedback(joint) == AxisFeedback(*values)


def test_a_new_link_holds_every_joint(link: JointLink) -> None:
    assert link.joints == 3
    assert [link.read_command(k).mode for k in range(3)] == [AxisMode.HOLD] * 3


def test_a_reader_meeting_a_write_in_progress_keeps_its_last_consistent_copy(
    link: JointLink,
) -> None:
    reader = JointLink.attach(link.path)
    link.write_feedback(1, AxisFeedback(1.0, 2.0, 3.0, 4.0))
    assert reader.read_feedback(1).position_counts == 1.0
    # A writer preempted mid-write: sequence odd, payload half new.
    offset = _feedback_offset(1)
    (seq,) = struct.unpack_from("<Q", link.path.read_bytes(), offset)
    _poke(link.path, offset, struct.pack("<Qd", seq + 1, 99.0))
    assert reader.read_feedback(1) == AxisFeedback(1.0, 2.0, 3.0, 4.0)
    # The writer finishes: the new payload is accepted.
    _poke(link.path, offset, struct.pack("<Q", seq + 2))
    assert reader.read_feedback(1).position_counts == 99.0
    reader.close()


def test_a_record_stuck_mid_write_before_any_read_raises_naming_it(link: JointLink) -> None:
    _poke(link.path, _feedback_offset(2), struct.pack("<Q", 7))
    with pytest.raises(JointLinkError, match="mid-write"):
        JointLink.attach(link.path).read_feedback(2)


def test_a_writer_recovers_a_record_its_predecessor_left_mid_write(link: JointLink) -> None:
    _poke(link.path, _feedback_offset(0), struct.pack("<Q", 7))
    link.write_feedback(0, AxisFeedback(5.0, 0.0, 0.0, 1.0))
    assert JointLink.attach(link.path).read_feedback(0).position_counts == 5.0


def test_an_unknown_mode_reads_as_hold(link: JointLink) -> None:
    offset = HEADER_BYTES + SLOT_BYTES  # joint 1's command
    _poke(link.path, offset, struct.pack("<QB7xqd", 2, 7, 1234, 5.0))  # sequence, payload
    assert link.read_command(1) == AxisCommand(AxisMode.HOLD, 1234, 5.0)


@pytest.mark.parametrize("field", ["position_counts", "velocity_counts_s", "torque_per_mille"])
def test_non_finite_feedback_is_refused_naming_the_field(field: str) -> None:
    values = {"position_counts": 0.0, "velocity_counts_s": 0.0, "torque_per_mille": 0.0}
    values[field] = float("nan")
    with pytest.raises(JointLinkError, match=field):
        AxisFeedback(**values, stamp_s=0.0)


def test_a_slot_beyond_the_link_is_refused(link: JointLink) -> None:
    with pytest.raises(JointLinkError, match=r"0\.\.2, got 3"):
        link.read_feedback(3)


@pytest.mark.parametrize("joints", [0, -1, 70000])
def test_a_link_needs_a_sensible_joint_count(joints: int) -> None:
    with pytest.raises(JointLinkError, match=str(joints)):
        JointLink.create(joints)


def test_attaching_a_file_that_is_not_a_link_raises(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.write_bytes(b"x" * 200)
    with pytest.raises(JointLinkError, match="not a joint link"):
        JointLink.attach(other)
    with pytest.raises(JointLinkError, match="cannot open"):
        JointLink.attach(tmp_path / "missing")


def test_a_truncated_link_is_refused(tmp_path: Path, link: JointLink) -> None:
    short = tmp_path / "short"
    short.write_bytes(link.path.read_bytes()[: HEADER_BYTES + SLOT_BYTES])
    with pytest.raises(JointLinkError, match="not the size of 3 joints"):
        JointLink.attach(short)


def test_closing_removes_the_file_for_its_creator_only() -> None:
    created = JointLink.create(1)
    JointLink.attach(created.path).close()
    assert created.path.exists()
    created.close()
    created.close()
    assert not created.path.exists()


def _write_consistent_records(path: str, started: Event, stop: Event) -> None:
    link = JointLink.attach(path)
    k = 1.0
    link.write_feedback(0, AxisFeedback(k, k + 1.0, k + 2.0, k + 3.0))
    started.set()
    while not stop.is_set():
        k += 1.0
        link.write_feedback(0, AxisFeedback(k, k + 1.0, k + 2.0, k + 3.0))


def test_a_reader_never_sees_a_torn_record_of_a_writer_in_another_process(
    link: JointLink,
) -> None:
    ctx = multiprocessing.get_context("spawn")
    started, stop = ctx.Event(), ctx.Event()
    writer = ctx.Process(target=_write_consistent_records, args=(str(link.path), started, stop))
    writer.start()
    try:
        assert started.wait(30.0)
        seen = set()
        for _ in range(50_000):
            fb = link.read_feedback(0)
            fields = (fb.position_counts, fb.velocity_counts_s, fb.torque_per_mille, fb.stamp_s)
            assert fields == tuple(fb.position_counts + d for d in (0.0, 1.0, 2.0, 3.0))
            seen.add(fb.stamp_s)
        assert len(seen) > 10  # the writer really was writing meanwhile
    finally:
        stop.set()
        writer.join(10.0)
