"""Nodes declare their parameters from their schema, on the rclpy double: values from
the parameter files with descriptors, and a bad or missing value stops the node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from node_harness import ROOT, Ros

from jazari.ros.param_schema import ParameterSchemaError


def _planner_files(tmp_path: Path, **changes: Any) -> list[str]:
    """Paths of the planner's parameter files, planner.yaml changed by ``changes``."""
    data = yaml.safe_load((ROOT / "config" / "planner.yaml").read_text())
    data["/**"]["ros__parameters"].update(changes)
    changed = tmp_path / "planner.yaml"
    changed.write_text(yaml.safe_dump(data))
    files = [str(changed)]
    files += [str(ROOT / "config" / f"{n}.yaml") for n in ("joint_limits", "parts")]
    return files


def _init(ros: Ros, files: list[str]) -> None:
    import rclpy

    rclpy.try_shutdown()
    args = ["--ros-args"]
    for f in files:
        args += ["--params-file", f]
    rclpy.init(args=args)


def test_values_come_from_the_files_with_descriptions_and_ranges(ros: Ros) -> None:
    from jazari.ros.nodes.planner_node import PlannerNode

    node = ros.node_for("planner_node", PlannerNode)
    assert node.get_parameter("grasp.max_candidates").value == 12
    assert node.get_parameter("types.red_box.shape").value == "box"
    descriptor = node.describe_parameter("time_budget_s")
    assert descriptor.description.startswith("planning gives up")
    assert descriptor.read_only
    assert descriptor.floating_point_range[0].to_value == 600.0
    assert node.get_parameter("base_frame").value == "base_link"  # a node default


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"time_budget_s": 1}, "time_budget_s must be of type double"),
        ({"time_budget_s": 5000.0}, r"time_budget_s must be a finite number in \[0.001, 600\]"),
        ({"time_budjet_s": 1.0}, "'time_budjet_s' is not a parameter of planner_node"),
    ],
)
def test_a_bad_parameter_file_stops_the_node_naming_the_parameter(
    ros: Ros, tmp_path: Path, changes: dict[str, Any], match: str
) -> None:
    from jazari.ros.nodes.planner_node import PlannerNode

    _init(ros, _planner_files(tmp_path, **changes))
    with pytest.raises(ParameterSchemaError, match=match):
        PlannerNode()


def test_a_node_without_its_files_lists_what_is_missing_and_where_it_lives(ros: Ros) -> None:
    from jazari.ros.nodes.planner_node import PlannerNode

    _init(ros, [])
    with pytest.raises(
        ParameterSchemaError,
        match=r"planner_node: parameters not set: .*"
        r"pass config/planner.yaml, config/joint_limits.yaml, config/parts.yaml",
    ):
        PlannerNode()  # fmt: skip


def test_drive_parameters_change_at_run_time_only_within_their_schema(ros: Ros) -> None:
    from jazari.ros.nodes.serial_driver_node import make_node

    node = ros.node_for("serial_driver_node", make_node)
    from rclpy.parameter import Parameter

    ok = node.set_parameters([Parameter("safety.max_following_error_rad", value=0.1)])
    assert ok[0].successful
    refused = node.set_parameters([Parameter("ids", value=[1, 2, 3, 4, 5, 300])])
    assert not refused[0].successful and "ids[5]" in refused[0].reason
    read_only = node.set_parameters([Parameter("state_rate_hz", value=10.0)])
    assert not read_only[0].successful
