"""Detections against the vision_msgs definitions registered from their .msg text."""

from __future__ import annotations

import numpy as np
import pytest
import transforms3d

from jazari.geometry.transforms import make_transform
from jazari.record.typestore import RosbagsMessageTypes
from jazari.ros.convert.detections import (
    PartDetection,
    detection3d_array_msg,
    detection_from_msg,
    detections_from_msg,
)
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip


def _detection(i: int, rng: np.random.Generator) -> PartDetection:
    R = transforms3d.euler.euler2mat(0.0, 0.0, rng.uniform(-np.pi, np.pi))
    return PartDetection(
        detection_id=f"part-{i}",
        class_id="red_box",
        score=float(rng.uniform(0.5, 1.0)),
        T_frame_part=make_transform(R, rng.uniform(-0.3, 0.3, 3)),
        size_m=np.array([0.06, 0.04, 0.035]),
    )


def test_detection_array_round_trips_through_cdr(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    sent = [_detection(i, rng) for i in range(4)]
    msg = cdr_round_trip(types.store, detection3d_array_msg(types, sent, 7.5, "world"))
    assert msg.header.frame_id == "world" and len(msg.detections) == 4
    assert msg.detections[0].results[0].hypothesis.class_id == "red_box"
    for got, want in zip(detections_from_msg(msg), sent, strict=True):
        assert (got.detection_id, got.class_id, got.score) == (
            want.detection_id,
            want.class_id,
            want.score,
        )
        np.testing.assert_allclose(got.T_frame_part, want.T_frame_part, atol=1e-12)
        np.testing.assert_array_equal(got.size_m, want.size_m)


def test_most_likely_hypothesis_gives_the_class(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    msg = detection3d_array_msg(types, [_detection(0, rng)], 0.0, "world").detections[0]
    other = cdr_round_trip(types.store, msg).results[0]
    other.hypothesis.class_id, other.hypothesis.score = "blue_box", 0.99
    msg.results = [msg.results[0], other]
    msg.results[0].hypothesis.score = 0.2
    assert detection_from_msg(msg).class_id == "blue_box"


def test_detection_without_hypotheses_is_refused(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    msg = detection3d_array_msg(types, [_detection(0, rng), _detection(1, rng)], 0.0, "world")
    msg.detections[1].results = []
    with pytest.raises(ConversionError, match=r"detections.detections\[1\].results is empty"):
        detections_from_msg(msg)


def test_bad_box_size_is_refused_naming_the_detection(
    types: RosbagsMessageTypes, rng: np.random.Generator
) -> None:
    msg = detection3d_array_msg(types, [_detection(0, rng)], 0.0, "world")
    msg.detections[0].bbox.size.y = 0.0
    with pytest.raises(ConversionError, match=r"detections\[0\]: size_m of 'part-0' must be > 0"):
        detections_from_msg(msg)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"score": 1.5}, r"score of 'p' must be in \[0, 1\], got 1.5"),
        ({"size_m": np.array([0.1, -0.1, 0.1])}, "size_m of 'p' must be > 0"),
        ({"size_m": np.array([0.1, 0.1])}, "size_m of 'p' must have 3 values"),
        ({"T_frame_part": np.diag([2.0, 1.0, 1.0, 1.0])}, "T_frame_part of 'p'"),
    ],
)
def test_part_detection_validates_its_values(changes: dict[str, object], match: str) -> None:
    values: dict[str, object] = {
        "detection_id": "p",
        "class_id": "red_box",
        "score": 0.9,
        "T_frame_part": np.eye(4),
        "size_m": np.array([0.1, 0.1, 0.1]),
    }
    values.update(changes)
    with pytest.raises(ConversionError, match=match):
        PartDetection(**values)  # type: ignore[arg-type]
