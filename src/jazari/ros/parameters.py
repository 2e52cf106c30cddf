"""Declaring a node's parameters from its schema (:mod:`jazari.ros.node_schemas`).

Nodes are created with ``automatically_declare_parameters_from_overrides=True``, so every
value of their ``--params-file`` files is declared when the node starts, including maps
keyed by user-chosen names (the part types of ``parts.yaml``) that a fixed list of
declarations cannot know. :func:`declare_from_schema` then checks each of those against
the schema (an unknown name, a wrong type or an out-of-range value stops the node with a
message naming it), gives it its descriptor (description, range, read-only), and
declares the schema's other parameters: with their default, or typed but unset, which
:func:`declare_from_schema` reports as missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.node import Node
from rclpy.parameter import Parameter

from jazari.ros.param_schema import (
    ROS_PARAMETERS,
    NodeSchema,
    ParameterSchemaError,
    ParamSpec,
    ParamType,
    nest,
)


def descriptor(spec: ParamSpec) -> ParameterDescriptor:
    """The ROS descriptor of ``spec``: type, description, bounds (as a range for scalar
    numbers with finite bounds, in words otherwise), read-only unless dynamic."""
    d = ParameterDescriptor(
        name=spec.name,
        type=int(spec.type),
        description=spec.description,
        additional_constraints=spec.constraints(),
        read_only=not spec.dynamic,
    )
    bounded = math.isfinite(spec.lo) and math.isfinite(spec.hi)
    if bounded and spec.type is ParamType.DOUBLE:
        d.floating_point_range = [
            FloatingPointRange(from_value=float(spec.lo), to_value=float(spec.hi), step=0.0)
        ]
    elif bounded and spec.type is ParamType.INTEGER:
        d.integer_range = [IntegerRange(from_value=int(spec.lo), to_value=int(spec.hi), step=0)]
    return d


def _declared_names(node: Node) -> list[str]:
    return [n for n in node.list_parameters([], 0).names if n not in ROS_PARAMETERS]


def declare_from_schema(node: Node, schema: NodeSchema) -> dict[str, Any]:
    """Declare ``schema`` on ``node``; the checked values of every set parameter.

    Raises:
        ParameterSchemaError: for a parameter the schema does not know, a value of the
            wrong type, length or range, or parameters left unset (named, with the
            parameter files that hold them).
    """
    values: dict[str, Any] = {}
    overridden = _declared_names(node)
    for name in overridden:
        spec = schema.spec(name)
        values[name] = spec.check(name, node.get_parameter(name).value)
        node.set_descriptor(name, descriptor(spec))
    for spec in schema.fixed():
        if spec.name in values:
            continue
        initial = Parameter.Type(int(spec.type)) if spec.default is None else spec.default
        node.declare_parameter(spec.name, initial, descriptor(spec))
        if spec.default is not None:
            values[spec.name] = spec.check(spec.name, node.get_parameter(spec.name).value)
    missing = schema.missing(values)
    if missing:
        files = ", ".join(f"config/{f}.yaml" for f in schema.files) or "the launch file"
        raise ParameterSchemaError(
            f"{schema.node}: parameters not set: {missing}; pass {files} with --params-file"
        )
    node.add_on_set_parameters_callback(lambda params: _validate_change(schema, params))
    return values


def _validate_change(schema: NodeSchema, params: list[Parameter]) -> SetParametersResult:
    """Refuse a run-time change the schema does not allow (types and ranges of arrays,
    choices, which the descriptor cannot express)."""
    for p in params:
        if p.name in ROS_PARAMETERS:
            continue
        try:
            schema.spec(p.name).check(p.name, p.value)
        except ParameterSchemaError as exc:
            return SetParametersResult(successful=False, reason=str(exc))
    return SetParametersResult(successful=True, reason="")


def current_values(node: Node, schema: NodeSchema, names: Iterable[str]) -> dict[str, Any]:
    """The present values of the parameters ``names`` (re-read after run-time changes),
    nested as the YAML files hold them."""
    return nest({n: schema.spec(n).check(n, node.get_parameter(n).value) for n in names})
