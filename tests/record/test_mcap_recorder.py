"""MCAP recordings: written with the cell's topics, read back by rosbags and by the
MCAP reference reader (the ``mcap`` package, which Foxglove's tools build on)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import yaml
from mcap.reader import make_reader

from jazari.record.errors import RecordError
from jazari.record.reader import read_messages, read_topics
from jazari.record.recorder import McapRecorder, stamp_ns
from jazari.record.topics import CELL_TOPICS, JOINT_STATES, TF_STATIC, TopicSpec
from message_testing import assert_same_message, example_message

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore


def _record_one_of_each(
    path: Path, store: Typestore, rng: np.random.Generator, **kw: bool
) -> dict[str, object]:
    sent = {spec.topic: example_message(store, spec.msgtype, rng) for spec in CELL_TOPICS}
    with McapRecorder(path, CELL_TOPICS, typestore=store, **kw) as recorder:
        for i, (topic, message) in enumerate(sent.items()):
            recorder.write(topic, message, stamp_s=1.0 + 0.1 * i)
    return sent


@pytest.mark.parametrize("compress", [True, False])
def test_recording_reads_back_with_every_topic_type_and_message(
    tmp_path: Path, store: Typestore, rng: np.random.Generator, compress: bool
) -> None:
    path = tmp_path / "cell.mcap"
    sent = _record_one_of_each(path, store, rng, compress=compress)
    assert list(tmp_path.iterdir()) == [path]  # the staging folder is gone
    info = read_topics(path)
    assert {t: i.msgtype for t, i in info.items()} == {s.topic: s.msgtype for s in CELL_TOPICS}
    assert all(i.count == 1 for i in info.values())
    received = list(read_messages(path, typestore=store))
    assert [m.topic for m in received] == list(sent)
    assert [m.stamp_ns for m in received] == [stamp_ns(1.0 + 0.1 * i) for i in range(len(sent))]
    for m in received:
        assert_same_message(m.message, sent[m.topic], m.topic)


def test_mcap_reference_reader_sees_a_rosbag2_ros2_profile_file(
    tmp_path: Path, store: Typestore, rng: np.random.Generator
) -> None:
    path = tmp_path / "cell.mcap"
    _record_one_of_each(path, store, rng)
    with path.open("rb") as f:
        reader = make_reader(f)
        assert reader.get_header().profile == "ros2"
        summary = reader.get_summary()
        assert summary is not None
        schemas = {s.name: s for s in summary.schemas.values()}
        channels = {c.topic: c for c in summary.channels.values()}
        assert {c.message_encoding for c in channels.values()} == {"cdr"}
        assert {s.encoding for s in schemas.values()} == {"ros2msg"}
        detection = schemas["vision_msgs/msg/Detection3DArray"].data.decode()
        assert "MSG: vision_msgs/Detection3D" in detection
        qos = yaml.safe_load(channels["/tf_static"].metadata["offered_qos_profiles"])
        assert qos[0]["durability"] == "transient_local" and qos[0]["depth"] == 1
        assert [m.name for m in reader.iter_metadata()] == ["rosbag2"]
        assert sum(1 for _ in reader.iter_messages()) == len(CELL_TOPICS)


def test_tf_static_qos_is_read_back_as_transient_local(
    tmp_path: Path, store: Typestore, rng: np.random.Generator
) -> None:
    path = tmp_path / "cell.mcap"
    _record_one_of_each(path, store, rng)
    assert read_topics(path)["/tf_static"].qos == (TF_STATIC.qos,)


def test_an_exception_inside_the_recording_still_leaves_a_readable_file(
    tmp_path: Path, store: Typestore, rng: np.random.Generator
) -> None:
    path = tmp_path / "cell.mcap"
    message = example_message(store, JOINT_STATES.msgtype, rng)

    def record_then_fail() -> None:
        with McapRecorder(path, [JOINT_STATES], typestore=store) as rec:
            rec.write(JOINT_STATES.topic, message, 0.0)
            raise RuntimeError("the cell failed")

    with pytest.raises(RuntimeError, match="the cell failed"):
        record_then_fail()
    assert [m.topic for m in read_messages(path, typestore=store)] == [JOINT_STATES.topic]


def test_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "cell.mcap"
    path.write_bytes(b"precious")
    with pytest.raises(RecordError, match="exists already"):
        McapRecorder(path, [JOINT_STATES]).open()
    assert path.read_bytes() == b"precious"


def test_writing_to_unregistered_topic_names_the_registered_ones(
    tmp_path: Path, store: Typestore, rng: np.random.Generator
) -> None:
    with (
        McapRecorder(tmp_path / "a.mcap", [JOINT_STATES]) as rec,
        pytest.raises(RecordError, match=r"'/joint_state' is not registered.*'/joint_states'"),
    ):
        rec.write("/joint_state", example_message(store, JOINT_STATES.msgtype, rng), 0.0)


def test_message_of_another_type_is_refused(
    tmp_path: Path, store: Typestore, rng: np.random.Generator
) -> None:
    with (
        McapRecorder(tmp_path / "a.mcap", [JOINT_STATES]) as rec,
        pytest.raises(
            RecordError, match="records sensor_msgs/msg/JointState, got a std_msgs/msg/String"
        ),
    ):
        rec.write(JOINT_STATES.topic, example_message(store, "std_msgs/msg/String", rng), 0.0)


def test_message_that_does_not_serialise_names_topic_and_type(
    tmp_path: Path, store: Typestore, rng: np.random.Generator
) -> None:
    message = example_message(store, JOINT_STATES.msgtype, rng)
    message.position = np.zeros(3, dtype=np.float32)  # the field is float64[]
    with (
        McapRecorder(tmp_path / "a.mcap", [JOINT_STATES]) as rec,
        pytest.raises(
            RecordError, match="cannot serialise the sensor_msgs/msg/JointState for /joint_states"
        ),
    ):
        rec.write(JOINT_STATES.topic, message, 0.0)


@pytest.mark.parametrize("stamp", [-1.0, float("nan")])
def test_log_time_must_be_finite_and_not_negative(tmp_path: Path, stamp: float) -> None:
    with (
        McapRecorder(tmp_path / "a.mcap", [JOINT_STATES]) as rec,
        pytest.raises(RecordError, match="log time"),
    ):
        rec.write_serialized(JOINT_STATES.topic, b"\x00\x01\x00\x00", stamp)


def test_closed_recording_refuses_messages(tmp_path: Path) -> None:
    rec = McapRecorder(tmp_path / "a.mcap", [JOINT_STATES])
    with pytest.raises(RecordError, match="not open"):
        rec.write_serialized(JOINT_STATES.topic, b"\x00\x01\x00\x00", 0.0)


@pytest.mark.parametrize(
    ("path", "specs", "bad"),
    [
        ("a.bag", [JOINT_STATES], "must end in .mcap"),
        ("a.mcap", [], "at least one topic"),
        ("a.mcap", [JOINT_STATES, JOINT_STATES], "registered twice"),
        ("a.mcap", [TopicSpec("/x", "nope_msgs/msg/Nope")], "nope_msgs/msg/Nope"),
    ],
)
def test_bad_recording_setup_is_refused(
    tmp_path: Path, path: str, specs: list[TopicSpec], bad: str
) -> None:
    with pytest.raises(RecordError, match=bad):
        McapRecorder(tmp_path / path, specs)


def test_reading_a_missing_or_foreign_file_raises_record_error(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="cannot read recording"):
        read_topics(tmp_path / "missing.mcap")
    junk = tmp_path / "junk.mcap"
    junk.write_bytes(b"not an mcap file at all")
    with pytest.raises(RecordError, match="cannot read recording"):
        list(read_messages(junk))
