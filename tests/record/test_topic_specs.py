"""The cell's topics and the QoS profiles recorded with them."""

from __future__ import annotations

import pytest
from rosbags.interfaces import QosDurability, QosReliability

from jazari.record import topics
from jazari.record.errors import RecordError
from jazari.record.topics import CELL_TOPICS, TopicSpec, qos_profile
from jazari.record.typestore import cell_typestore


def test_every_cell_topic_has_a_unique_name_and_a_known_type() -> None:
    names = [t.topic for t in CELL_TOPICS]
    assert len(names) == len(set(names))
    assert {t.msgtype for t in CELL_TOPICS} <= set(cell_typestore().types)


def test_the_demo_topics_of_issue_8_are_recorded() -> None:
    by_name = {t.topic: t.msgtype for t in CELL_TOPICS}
    assert by_name["/camera/color/image_raw"] == "sensor_msgs/msg/Image"
    assert by_name["/camera/depth/image_raw"] == "sensor_msgs/msg/Image"
    assert by_name["/camera/color/camera_info"] == "sensor_msgs/msg/CameraInfo"
    assert by_name["/joint_states"] == "sensor_msgs/msg/JointState"
    assert by_name["/tf"] == by_name["/tf_static"] == "tf2_msgs/msg/TFMessage"
    assert by_name["/detections"] == "vision_msgs/msg/Detection3DArray"
    assert by_name["/planned_trajectory"] == "trajectory_msgs/msg/JointTrajectory"


def test_latched_topics_are_transient_local_and_reliable() -> None:
    for spec in (topics.TF_STATIC, topics.ROBOT_DESCRIPTION):
        assert spec.qos.durability == QosDurability.TRANSIENT_LOCAL
        assert spec.qos.reliability == QosReliability.RELIABLE
        assert spec.qos.depth == 1
    assert topics.TF.qos.durability == QosDurability.VOLATILE


@pytest.mark.parametrize(
    ("topic", "msgtype", "bad"),
    [
        ("camera/image", "sensor_msgs/msg/Image", "'camera/image'"),
        ("/camera//image", "sensor_msgs/msg/Image", "'/camera//image'"),
        ("/camera/image/", "sensor_msgs/msg/Image", "'/camera/image/'"),
        ("/2d", "sensor_msgs/msg/Image", "'/2d'"),
        ("/camera/image", "sensor_msgs/Image", "'sensor_msgs/Image'"),
    ],
)
def test_malformed_topic_names_and_types_are_refused(topic: str, msgtype: str, bad: str) -> None:
    with pytest.raises(RecordError, match=bad):
        TopicSpec(topic, msgtype)


def test_qos_depth_must_be_positive() -> None:
    with pytest.raises(RecordError, match="got 0"):
        qos_profile(depth=0)
