"""Parameter schemas of the ROS nodes: one declaration per parameter, used twice.

A node declares its ROS parameters from its :class:`NodeSchema` (type, description,
range, whether it may change at run time), and the tests check every key of the
``config/*.yaml`` files the node is given against the same schema. The YAML files stay
the only source of the values: parameters they hold have no default here, so a node
started without its parameter file fails at start-up and names what is missing.

This module is ROS-free (the rclpy side is :mod:`jazari.ros.parameters`), so the launch
file and the tests can read the schemas without ROS.

Names are ROS's dotted names (``plane.iterations`` for ``plane: {iterations: ...}``). A
``*`` segment stands for any one name, for maps keyed by user-chosen names such as the
part types of ``config/parts.yaml`` (``types.*.shape``).
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jazari.errors import ConfigError

#: Parameters every rclpy node may receive without declaring them in a schema.
ROS_PARAMETERS = frozenset({"use_sim_time", "start_type_description_service"})

_NAME_SEGMENT = re.compile(r"^(\*|[A-Za-z][A-Za-z0-9_]*)$")


class ParameterSchemaError(ConfigError):
    """A parameter value, a parameter file or a schema is wrong; the message names the
    parameter and the value."""


class ParamType(enum.IntEnum):
    """ROS 2 parameter types (the values of ``rcl_interfaces/msg/ParameterType``)."""

    BOOL = 1
    INTEGER = 2
    DOUBLE = 3
    STRING = 4
    BOOL_ARRAY = 6
    INTEGER_ARRAY = 7
    DOUBLE_ARRAY = 8
    STRING_ARRAY = 9

    @property
    def is_array(self) -> bool:
        """True for the array types."""
        return self >= ParamType.BOOL_ARRAY

    @property
    def element(self) -> ParamType:
        """The scalar type of an array type's elements (a scalar type itself)."""
        return ParamType(self - 5) if self.is_array else self


def _scalar_type(value: Any) -> ParamType | None:
    # bool first: Python's bool is an int.
    if isinstance(value, bool):
        return ParamType.BOOL
    if isinstance(value, int):
        return ParamType.INTEGER
    if isinstance(value, float):
        return ParamType.DOUBLE
    if isinstance(value, str):
        return ParamType.STRING
    return None


def value_type(value: Any, name: str) -> ParamType:
    """The ROS type of a parameter value as ``rcl_yaml_param_parser`` loads it.

    ROS types a YAML ``1`` as an integer and ``1.0`` as a double, and a double parameter
    refuses an integer value at declaration, so the literal's form matters. Sequences must
    be non-empty and of one scalar type.

    Raises:
        ParameterSchemaError: for a value ROS cannot hold (null, a mapping, an empty,
            nested or mixed-type sequence), naming ``name``.
    """
    scalar = _scalar_type(value)
    if scalar is not None:
        return scalar
    if isinstance(value, list | tuple):
        if not value:
            raise ParameterSchemaError(f"{name}: ROS parameter files cannot hold an empty list")
        kinds = {_scalar_type(v) for v in value}
        if None in kinds or len(kinds) != 1:
            found = sorted({type(v).__name__ for v in value})
            raise ParameterSchemaError(
                f"{name}: a list parameter holds values of one scalar type, got {found} "
                f"in {list(value)!r}"
            )
        (kind,) = kinds
        assert kind is not None  # excluded above
        return ParamType(kind + 5)
    raise ParameterSchemaError(
        f"{name}: {value!r} ({type(value).__name__}) is not a ROS parameter value"
    )


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a node.

    Attributes:
        name: dotted name; a ``*`` segment matches any one name.
        type: the ROS type.
        description: what it is and its unit (shown by ``ros2 param describe``).
        lo, hi: inclusive bounds of a number or of every element of a number array.
        choices: allowed values of a string or of every element of a string array.
        length: required number of elements of an array (None: any).
        default: value when no parameter file sets it; None for parameters whose value
            comes from a ``config/*.yaml`` file (missing is then an error).
        dynamic: may change while the node runs; False makes the parameter read-only.
    """

    name: str
    type: ParamType
    description: str
    lo: float = -math.inf
    hi: float = math.inf
    choices: tuple[str, ...] = ()
    length: int | None = None
    default: Any = None
    dynamic: bool = False

    def __post_init__(self) -> None:
        segments = self.name.split(".")
        if not all(_NAME_SEGMENT.match(s) for s in segments):
            raise ParameterSchemaError(f"parameter name {self.name!r} is not a dotted name")
        if not self.description.strip():
            raise ParameterSchemaError(f"parameter {self.name!r} needs a description")
        if not self.lo <= self.hi:
            raise ParameterSchemaError(f"parameter {self.name!r}: lo {self.lo} > hi {self.hi}")
        if self.default is not None:
            self.check(self.name, self.default)

    @property
    def is_template(self) -> bool:
        """True when the name has a ``*`` segment."""
        return "*" in self.name.split(".")

    def matches(self, name: str) -> bool:
        """Whether the concrete dotted ``name`` is this parameter."""
        mine, theirs = self.name.split("."), name.split(".")
        return len(mine) == len(theirs) and all(
            m in ("*", t) and bool(t) for m, t in zip(mine, theirs, strict=True)
        )

    def constraints(self) -> str:
        """The bounds and choices in words (``ParameterDescriptor.additional_constraints``)."""
        parts = []
        each = "each value " if self.type.is_array else ""
        if self.lo > -math.inf or self.hi < math.inf:
            parts.append(f"{each}in [{self.lo:g}, {self.hi:g}]")
        if self.choices:
            parts.append(f"{each}one of {', '.join(self.choices)}")
        if self.length is not None:
            parts.append(f"{self.length} values")
        return "; ".join(parts)

    def check(self, name: str, value: Any) -> Any:
        """``value`` for the concrete parameter ``name`` as a plain Python value (arrays
        as lists), after checking its type, length, bounds and choices.

        Raises:
            ParameterSchemaError: naming the parameter and the bad value.
        """
        if isinstance(value, Sequence) and not isinstance(value, str):
            value = list(value)  # rclpy hands arrays over as array.array
        actual = value_type(value, name)
        if actual is not self.type:
            raise ParameterSchemaError(
                f"{name} must be of type {self.type.name.lower()}, got {value!r} "
                f"({actual.name.lower()})"
            )
        items = value if self.type.is_array else [value]
        if self.length is not None and len(items) != self.length:
            raise ParameterSchemaError(f"{name} needs {self.length} values, got {value!r}")
        for i, item in enumerate(items):
            where = f"{name}[{i}]" if self.type.is_array else name
            numeric = self.type.element in (ParamType.INTEGER, ParamType.DOUBLE)
            if numeric and not (math.isfinite(item) and self.lo <= item <= self.hi):
                raise ParameterSchemaError(
                    f"{where} must be a finite number in [{self.lo:g}, {self.hi:g}], got {item}"
                )
            if self.choices and item not in self.choices:
                raise ParameterSchemaError(f"{where} must be one of {self.choices}, got {item!r}")
        return value


def flatten(params: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The dotted names and values of a nested ``ros__parameters`` mapping."""
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{name}.")
        else:
            yield name, value


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """A nested mapping (as the YAML holds it) from dotted names and values."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        *path, last = name.split(".")
        level = out
        for key in path:
            child = level.setdefault(key, {})
            if not isinstance(child, dict):
                raise ParameterSchemaError(f"{name}: {key!r} is both a value and a group")
            level = child
        if isinstance(level.get(last), dict):
            raise ParameterSchemaError(f"{name} is both a value and a group")
        level[last] = value
    return out


@dataclass(frozen=True)
class NodeSchema:
    """Every parameter of one node.

    Attributes:
        node: the node's default name.
        files: the ``config/<name>.yaml`` files the node is given (launch passes them
            with ``--params-file``), without the extension.
        specs: its parameters.
    """

    node: str
    files: tuple[str, ...]
    specs: tuple[ParamSpec, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [s.name for s in self.specs]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ParameterSchemaError(f"{self.node}: parameters declared twice: {repeated}")

    def spec(self, name: str) -> ParamSpec:
        """The spec of the concrete parameter ``name`` (exact names win over templates).

        Raises:
            ParameterSchemaError: when ``name`` is not a parameter of this node.
        """
        exact = [s for s in self.specs if s.name == name]
        if exact:
            return exact[0]
        for s in self.specs:
            if s.is_template and s.matches(name):
                return s
        raise ParameterSchemaError(f"{name!r} is not a parameter of {self.node}")

    def fixed(self) -> tuple[ParamSpec, ...]:
        """The specs without ``*`` (declared whatever the parameter files hold)."""
        return tuple(s for s in self.specs if not s.is_template)

    def instances(self, names: Iterable[str]) -> list[tuple[str, ParamSpec]]:
        """The concrete template parameters among ``names`` with their specs, e.g. the
        ``types.red_box.shape`` a parameter file holds."""
        out = []
        for name in names:
            for s in self.specs:
                if s.is_template and s.matches(name):
                    out.append((name, s))
                    break
        return out

    def check_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Checked plain values of concrete parameters (see :meth:`ParamSpec.check`)."""
        return {name: self.spec(name).check(name, v) for name, v in values.items()}

    def check_file_params(self, params: Mapping[str, Any], where: str) -> list[str]:
        """What is wrong with a parameter file's ``ros__parameters`` for this node: keys
        it does not declare, and values of the wrong ROS type, length or range."""
        problems = []
        for name, value in flatten(params):
            try:
                self.spec(name).check(name, value)
            except ParameterSchemaError as exc:
                problems.append(f"{where}: {exc}")
        return problems

    def missing(self, values: Mapping[str, Any]) -> list[str]:
        """The fixed parameters without a default that ``values`` leaves unset."""
        return sorted(s.name for s in self.fixed() if s.default is None and s.name not in values)


def group_values(values: Mapping[str, Any], specs: Iterable[ParamSpec]) -> dict[str, Any]:
    """The values of the parameters ``specs`` declare (one file's group), nested: what a
    core ``from_params`` that refuses unknown keys expects."""
    group = tuple(specs)
    return nest({n: v for n, v in values.items() if any(s.matches(n) for s in group)})


def merge_specs(*groups: Sequence[ParamSpec]) -> tuple[ParamSpec, ...]:
    """Specs of several groups; a name in two groups must be the same spec.

    Raises:
        ParameterSchemaError: when two groups declare one name differently.
    """
    out: dict[str, ParamSpec] = {}
    for group in groups:
        for spec in group:
            known = out.get(spec.name)
            if known is not None and known != spec:
                raise ParameterSchemaError(
                    f"parameter {spec.name!r} is declared differently by two groups: "
                    f"{known} and {spec}"
                )
            out[spec.name] = spec
    return tuple(out.values())
