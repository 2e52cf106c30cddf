"""Poses, transforms and TF against the Jazzy geometry_msgs and tf2_msgs definitions."""

from __future__ import annotations

import numpy as np
import pytest
import transforms3d
from hypothesis import given, settings
from hypothesis import strategies as st

from jazari.geometry.transforms import make_transform
from jazari.record.typestore import RosbagsMessageTypes, cell_typestore
from jazari.ros.convert.geometry import (
    matrix_from_pose,
    matrix_from_transform,
    pose_msg,
    tf_message,
    transform_stamped_msg,
)
from jazari.ros.errors import ConversionError
from message_testing import cdr_round_trip

TYPES = RosbagsMessageTypes(cell_typestore())
unit = st.floats(-1.0, 1.0, allow_nan=False)


@st.composite
def rigid_transforms(draw: st.DrawFn) -> np.ndarray:
    axis = np.array([draw(unit), draw(unit), draw(unit)])
    if np.linalg.norm(axis) < 1e-3:
        axis = np.array([0.0, 0.0, 1.0])
    angle = draw(st.floats(-np.pi, np.pi, allow_nan=False))
    p = [draw(st.floats(-5.0, 5.0, allow_nan=False)) for _ in range(3)]
    return make_transform(transforms3d.axangles.axangle2mat(axis, angle), p)


@settings(max_examples=60, deadline=None)
@given(rigid_transforms())
def test_pose_round_trips_through_cdr(T: np.ndarray) -> None:
    msg = cdr_round_trip(TYPES.store, pose_msg(TYPES, T))
    np.testing.assert_allclose(matrix_from_pose(msg), T, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(rigid_transforms())
def test_transform_round_trips_through_cdr(T: np.ndarray) -> None:
    msg = cdr_round_trip(TYPES.store, transform_stamped_msg(TYPES, T, "world", "tool0", 5.0))
    assert (msg.header.frame_id, msg.child_frame_id) == ("world", "tool0")
    np.testing.assert_allclose(matrix_from_transform(msg.transform), T, atol=1e-12)


def test_quaternion_fields_are_in_ros_xyzw_order() -> None:
    Rz90 = transforms3d.axangles.axangle2mat([0, 0, 1], np.pi / 2)
    q = pose_msg(TYPES, make_transform(Rz90, [1, 2, 3])).orientation
    np.testing.assert_allclose([q.x, q.y, q.z, q.w], [0, 0, np.sqrt(0.5), np.sqrt(0.5)], atol=1e-12)


def test_tf_message_holds_the_transforms() -> None:
    frames = [transform_stamped_msg(TYPES, np.eye(4), "world", f"link{i}", 1.0) for i in range(3)]
    msg = cdr_round_trip(TYPES.store, tf_message(TYPES, frames))
    assert [t.child_frame_id for t in msg.transforms] == ["link0", "link1", "link2"]


@pytest.mark.parametrize(
    ("T", "match"),
    [
        (np.eye(3), "4x4"),
        (np.diag([1.0, 1.0, 2.0, 1.0]), "not a proper rotation"),
        (np.diag([1.0, 1.0, -1.0, 1.0]), "not a proper rotation"),
        (np.full((4, 4), np.nan), "finite"),
        (np.vstack([np.eye(4)[:3], [1.0, 0, 0, 1]]), "last row"),
    ],
)
def test_non_rigid_matrices_are_refused(T: np.ndarray, match: str) -> None:
    with pytest.raises(ConversionError, match=match):
        pose_msg(TYPES, T)


def test_unnormalised_quaternion_is_refused_naming_the_field() -> None:
    msg = pose_msg(TYPES, np.eye(4))
    msg.orientation.w = 0.0
    with pytest.raises(
        ConversionError,
        match=r"detection.bbox.center.orientation \(x, y, z, w\) = \(0.0, 0.0, 0.0, 0.0\) "
        r"has norm 0",
    ):
        matrix_from_pose(msg, "detection.bbox.center")


def test_slightly_unnormalised_quaternion_is_accepted() -> None:
    msg = pose_msg(TYPES, np.eye(4))
    msg.orientation.z, msg.orientation.w = 0.7071, 0.7071
    np.testing.assert_allclose(matrix_from_pose(msg)[:2, :2], [[0, -1], [1, 0]], atol=1e-9)


def test_non_finite_translation_is_refused_naming_the_component() -> None:
    msg = transform_stamped_msg(TYPES, np.eye(4), "a", "b", 0.0)
    msg.transform.translation.y = float("inf")
    with pytest.raises(ConversionError, match=r"transform.translation\[1\] must be finite"):
        matrix_from_transform(msg.transform)


@pytest.mark.parametrize(("parent", "child"), [("", "b"), ("a", ""), ("a", "a")])
def test_transform_needs_two_frame_names(parent: str, child: str) -> None:
    with pytest.raises(ConversionError, match="two different frame names"):
        transform_stamped_msg(TYPES, np.eye(4), parent, child, 0.0)
