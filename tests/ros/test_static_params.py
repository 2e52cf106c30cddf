"""Every config/*.yaml is some node's parameter file, and every key in it is declared by
that node's schema with the ROS type its YAML literal gets (a ``1`` where a double is
declared would stop the node at start-up)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from jazari.config import load_params_file
from jazari.ros import node_schemas
from jazari.ros.node_schemas import SCHEMAS, schema
from jazari.ros.param_schema import ParamType

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
NODES = ROOT / "src" / "jazari" / "ros"


def _parameter_files() -> list[Path]:
    out = []
    for path in sorted(CONFIG.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if isinstance(data, dict) and "/**" in data:
            out.append(path)
    return out


def test_every_config_file_is_a_nodes_parameter_file() -> None:
    given = {f for s in SCHEMAS.values() for f in s.files}
    files = {p.stem for p in _parameter_files()}
    assert files, "no parameter files found"
    assert files <= given, f"files no node is given: {sorted(files - given)}"
    assert given <= files, f"schemas name missing files: {sorted(given - files)}"


@pytest.mark.parametrize(("node", "name"), [(s.node, f) for s in SCHEMAS.values() for f in s.files])
def test_every_key_of_a_nodes_files_is_declared_with_a_compatible_type(
    node: str, name: str
) -> None:
    params = load_params_file(CONFIG / f"{name}.yaml")
    problems = schema(node).check_file_params(params, f"{name}.yaml")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("node", sorted(SCHEMAS))
def test_a_node_given_its_files_misses_no_parameter(node: str) -> None:
    s = schema(node)
    values: dict[str, object] = {}
    for name in s.files:
        from jazari.ros.param_schema import flatten

        values.update(flatten(load_params_file(CONFIG / f"{name}.yaml")))
    assert s.missing(values) == []


def test_a_node_without_its_files_names_what_is_missing() -> None:
    missing = schema("planner_node").missing({})
    assert "time_budget_s" in missing and "grasp.max_candidates" in missing


def test_every_node_module_uses_a_schema_that_exists() -> None:
    used = set()
    for path in NODES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "schema"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                used.add(node.args[0].value)
    assert used, "no node declares its parameters from a schema"
    assert used <= set(SCHEMAS), f"unknown schemas {sorted(used - set(SCHEMAS))}"


def test_schema_choices_are_what_the_core_accepts() -> None:
    from jazari.perception.colorspace import DELTA_E
    from jazari.sim.gl import BACKENDS
    from jazari.sim.params import CONES, INTEGRATORS
    from jazari.sim.parts import Defect

    def choices(name: str) -> set[str]:
        return set(schema("sim_node").spec(name).choices)

    assert choices("render.gl_backends") == set(BACKENDS)
    assert choices("physics.integrator") == set(INTEGRATORS)
    assert choices("physics.cone") == set(CONES)
    assert choices("defects.kinds") == {d.value for d in Defect} - {"none"}
    assert set(schema("perception_node").spec("color_metric").choices) == set(DELTA_E)


def test_drive_parameters_may_change_only_between_configures() -> None:
    dynamic = [s.name for s in node_schemas.SERIAL_BUS + node_schemas.SAFETY if s.dynamic]
    assert len(dynamic) == len(node_schemas.SERIAL_BUS) + len(node_schemas.SAFETY)
    assert all("next configure" in s.description for s in node_schemas.SERIAL_BUS)
    assert not any(s.dynamic for s in node_schemas.PLANNER)


def test_scalar_number_bounds_become_descriptor_ranges_and_arrays_keep_words() -> None:
    spec = schema("planner_node").spec("time_budget_s")
    assert spec.type is ParamType.DOUBLE and spec.constraints() == "in [0.001, 600]"
    ids = schema("serial_driver_node").spec("ids")
    assert ids.constraints() == "each value in [0, 252]"
