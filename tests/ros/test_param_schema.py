"""Parameter schemas: ROS's typing of parameter values, checks that name the parameter,
dotted names, templates, and one declaration per name."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.ros.param_schema import (
    NodeSchema,
    ParameterSchemaError,
    ParamSpec,
    ParamType,
    flatten,
    group_values,
    merge_specs,
    nest,
    value_type,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, ParamType.BOOL),
        (3, ParamType.INTEGER),
        (3.0, ParamType.DOUBLE),
        ("x", ParamType.STRING),
        ([True, False], ParamType.BOOL_ARRAY),
        ([1, 2], ParamType.INTEGER_ARRAY),
        ([1.0, 2.5], ParamType.DOUBLE_ARRAY),
        (["a", "b"], ParamType.STRING_ARRAY),
    ],
)
def test_value_type_follows_the_yaml_literal(value: object, expected: ParamType) -> None:
    assert value_type(value, "p") is expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([], "empty list"),
        ([1, 2.0], "one scalar type"),
        ([[1.0]], "one scalar type"),
        (None, "not a ROS parameter value"),
        ({"a": 1}, "not a ROS parameter value"),
    ],
)
def test_value_type_refuses_what_ros_cannot_hold(value: object, match: str) -> None:
    with pytest.raises(ParameterSchemaError, match=match):
        value_type(value, "plane.iterations")


def test_an_integer_literal_is_not_a_double() -> None:
    spec = ParamSpec("physics.impratio", ParamType.DOUBLE, "ratio", 1.0, 1000.0)
    with pytest.raises(ParameterSchemaError, match=r"physics\.impratio must be of type double"):
        spec.check("physics.impratio", 10)
    assert spec.check("physics.impratio", 10.0) == 10.0


def test_check_names_the_element_out_of_range() -> None:
    spec = ParamSpec("ids", ParamType.INTEGER_ARRAY, "servo ids", 0, 252)
    with pytest.raises(
        ParameterSchemaError, match=r"ids\[2\] must be a finite number in \[0, 252\]"
    ):
        spec.check("ids", [1, 2, 300])


def test_check_refuses_nan_and_wrong_length_and_choice() -> None:
    nan = ParamSpec("x", ParamType.DOUBLE, "x")
    with pytest.raises(ParameterSchemaError, match="finite"):
        nan.check("x", math.nan)
    triple = ParamSpec("xyz", ParamType.DOUBLE_ARRAY, "xyz", length=3)
    with pytest.raises(ParameterSchemaError, match="needs 3 values"):
        triple.check("xyz", [0.0, 1.0])
    choice = ParamSpec("fit.refine", ParamType.STRING, "r", choices=("none", "lsq"))
    with pytest.raises(ParameterSchemaError, match=r"fit\.refine must be one of"):
        choice.check("fit.refine", "ransac")


def test_arrays_come_back_as_lists_whatever_container_rclpy_used() -> None:
    import array

    spec = ParamSpec("gains", ParamType.DOUBLE_ARRAY, "gains")
    assert spec.check("gains", array.array("d", [1.0, 2.0])) == [1.0, 2.0]


def test_spec_needs_a_description_and_a_dotted_name() -> None:
    with pytest.raises(ParameterSchemaError, match="description"):
        ParamSpec("a", ParamType.BOOL, " ")
    with pytest.raises(ParameterSchemaError, match="dotted name"):
        ParamSpec("a..b", ParamType.BOOL, "x")


def test_a_default_is_checked_like_a_value() -> None:
    with pytest.raises(ParameterSchemaError, match="rate must be a finite number"):
        ParamSpec("rate", ParamType.DOUBLE, "rate", 1.0, 10.0, default=50.0)


def test_templates_match_one_name_segment() -> None:
    spec = ParamSpec("types.*.shape", ParamType.STRING, "shape")
    assert spec.matches("types.red_box.shape")
    assert not spec.matches("types.shape")
    assert not spec.matches("types.a.b.shape")


def test_exact_names_win_over_templates_and_unknown_names_are_refused() -> None:
    exact = ParamSpec("types.default.shape", ParamType.INTEGER, "n")
    template = ParamSpec("types.*.shape", ParamType.STRING, "shape")
    schema = NodeSchema("n", (), (template, exact))
    assert schema.spec("types.default.shape") is exact
    assert schema.spec("types.red_box.shape") is template
    with pytest.raises(ParameterSchemaError, match="'typo' is not a parameter of n"):
        schema.spec("typo")


def test_file_problems_name_the_file_and_parameter() -> None:
    schema = NodeSchema("n", ("f",), (ParamSpec("a.b", ParamType.DOUBLE, "b"),))
    problems = schema.check_file_params({"a": {"b": 1, "c": 2.0}}, "f.yaml")
    assert len(problems) == 2
    assert problems[0].startswith("f.yaml: a.b must be of type double")
    assert "'a.c' is not a parameter of n" in problems[1]


def test_missing_lists_unset_parameters_without_default() -> None:
    schema = NodeSchema(
        "n",
        (),
        (ParamSpec("a", ParamType.BOOL, "a"), ParamSpec("b", ParamType.BOOL, "b", default=True)),
    )
    assert schema.missing({}) == ["a"]
    assert schema.missing({"a": True}) == []


def test_a_schema_declares_each_name_once_and_groups_agree() -> None:
    a = ParamSpec("x", ParamType.BOOL, "x")
    with pytest.raises(ParameterSchemaError, match="declared twice"):
        NodeSchema("n", (), (a, a))
    assert merge_specs((a,), (a,)) == (a,)
    with pytest.raises(ParameterSchemaError, match="declared differently"):
        merge_specs((a,), (ParamSpec("x", ParamType.INTEGER, "x"),))


def test_group_values_keeps_one_files_parameters_nested() -> None:
    specs = (ParamSpec("plane.seed", ParamType.INTEGER, "s"),)
    values = {"plane.seed": 3, "color_metric": "cie76"}
    assert group_values(values, specs) == {"plane": {"seed": 3}}


def test_nest_refuses_a_name_that_is_also_a_group() -> None:
    with pytest.raises(ParameterSchemaError, match="both a value and a group"):
        nest({"a": 1, "a.b": 2})


_names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_tree = st.recursive(
    st.dictionaries(
        _names,
        st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
        min_size=1,
        max_size=3,
    ),
    lambda children: st.dictionaries(_names, children, min_size=1, max_size=3),
    max_leaves=12,
)


@given(_tree)
def test_nest_inverts_flatten(params: dict[str, object]) -> None:
    assert nest(dict(flatten(params))) == params
