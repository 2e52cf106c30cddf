"""The cell's type store: Jazzy plus vision_msgs, control_msgs and jazari_interfaces."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from jazari.record.errors import InterfaceDefinitionError, RecordError, UnknownMessageTypeError
from jazari.record.typestore import (
    RosbagsMessageTypes,
    build_typestore,
    bundled_definitions,
    extension_types,
    interfaces_package_dir,
)
from message_testing import assert_same_message, example_message

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore

REPO = Path(__file__).resolve().parents[2]
INTERFACES = REPO / "ros2_ws" / "src" / "jazari_interfaces"
EXTENSION_TYPES = sorted(extension_types())


def test_jazari_interfaces_are_read_from_the_ros_package_in_the_workspace() -> None:
    assert interfaces_package_dir() == INTERFACES


def test_every_interface_file_of_jazari_interfaces_is_registered(store: Typestore) -> None:
    expected = {f"jazari_interfaces/msg/{p.stem}" for p in (INTERFACES / "msg").glob("*.msg")}
    for action in (INTERFACES / "action").glob("*.action"):
        expected |= {
            f"jazari_interfaces/action/{action.stem}_{s}" for s in ("Goal", "Result", "Feedback")
        }
    assert expected
    assert expected <= set(store.types)


@pytest.mark.parametrize(
    "name",
    [
        "vision_msgs/msg/Detection3DArray",
        "vision_msgs/msg/ObjectHypothesisWithPose",
        "control_msgs/msg/JointTolerance",
        "control_msgs/action/FollowJointTrajectory_Goal",
        "control_msgs/action/FollowJointTrajectory_Result",
        "control_msgs/action/FollowJointTrajectory_Feedback",
        "control_msgs/action/GripperCommand_Goal",
    ],
)
def test_upstream_types_missing_from_jazzy_store_are_added(store: Typestore, name: str) -> None:
    assert name in store.types


def test_follow_joint_trajectory_result_keeps_upstream_error_codes(store: Typestore) -> None:
    result: Any = store.types["control_msgs/action/FollowJointTrajectory_Result"]
    assert (result.SUCCESSFUL, result.INVALID_GOAL, result.GOAL_TOLERANCE_VIOLATED) == (0, -1, -5)
    goal_fields = [
        f for f, _ in store.fielddefs["control_msgs/action/FollowJointTrajectory_Goal"][1]
    ]
    assert goal_fields == [
        "trajectory",
        "multi_dof_trajectory",
        "path_tolerance",
        "component_path_tolerance",
        "goal_tolerance",
        "component_goal_tolerance",
        "goal_time_tolerance",
    ]


@pytest.mark.parametrize("name", EXTENSION_TYPES)
def test_every_added_type_serialises_and_reads_back_through_cdr(
    store: Typestore, name: str, rng: np.random.Generator
) -> None:
    message = example_message(store, name, rng)
    data = store.serialize_cdr(message, name)
    assert_same_message(store.deserialize_cdr(data, name), message)
    # What a bag writer needs for the type: its full definition text and type hash.
    definition, _ = store.generate_msgdef(name, ros_version=2)
    assert definition
    assert store.hash_rihs01(name).startswith("RIHS01_")


def test_a_broken_extra_package_fails_the_build_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "msg").mkdir()
    (tmp_path / "msg" / "Bad.msg").write_text("float64 BadName\n")
    with pytest.raises(InterfaceDefinitionError, match=r"demo_pkg/msg/Bad.*'BadName'"):
        build_typestore({"demo_pkg": tmp_path})


def test_redefining_a_jazzy_type_differently_is_refused(tmp_path: Path) -> None:
    (tmp_path / "msg").mkdir()
    (tmp_path / "msg" / "Header.msg").write_text("uint32 seq\n")
    with pytest.raises(InterfaceDefinitionError, match="std_msgs/msg/Header"):
        build_typestore({"std_msgs": tmp_path})


def test_only_bundled_packages_have_bundled_definitions() -> None:
    assert bundled_definitions("vision_msgs").joinpath("msg", "Detection3D.msg").is_file()
    with pytest.raises(RecordError, match="'nav_msgs'"):
        bundled_definitions("nav_msgs")


def test_interfaces_are_found_in_an_ament_prefix_when_not_in_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "install" / "share" / "jazari_interfaces"
    (installed / "msg").mkdir(parents=True)
    monkeypatch.setattr("jazari.record.typestore.share_path", _raise_not_found, raising=True)
    monkeypatch.setenv("AMENT_PREFIX_PATH", f"{tmp_path / 'elsewhere'}:{tmp_path / 'install'}")
    assert interfaces_package_dir() == installed
    monkeypatch.setenv("AMENT_PREFIX_PATH", "")
    with pytest.raises(RecordError, match="jazari_interfaces not found"):
        interfaces_package_dir()


def _raise_not_found(*parts: str) -> Path:
    from jazari.errors import ResourceNotFoundError

    raise ResourceNotFoundError(f"{'/'.join(parts)} not found")


def test_rosbags_message_types_name_unknown_types(store: Typestore) -> None:
    types = RosbagsMessageTypes(store)
    assert types.get("sensor_msgs/msg/Image").__msgtype__ == "sensor_msgs/msg/Image"
    with pytest.raises(UnknownMessageTypeError, match="'sensor_msgs/msg/Imag'"):
        types.get("sensor_msgs/msg/Imag")
    seq = types.sequence(np.arange(6, dtype=np.float64).reshape(2, 3))
    assert seq.shape == (6,) and seq.dtype == np.float64
