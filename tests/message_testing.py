"""Helpers for tests on ROS messages: random example messages of any type in a rosbags
type store, field-by-field comparison, and CDR round trips."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
from rosbags.interfaces import Nodetype

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore

_DTYPES = {
    "bool": np.bool_,
    "byte": np.uint8,
    "char": np.uint8,
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
    "float32": np.float32,
    "float64": np.float64,
}


def _scalar(base: str, rng: np.random.Generator) -> Any:
    if base == "string":
        return f"s{int(rng.integers(1000))}"
    if base == "bool":
        return bool(rng.integers(2))
    if base.startswith("float"):
        return float(np.asarray(rng.normal(), dtype=_DTYPES[base]))
    return int(rng.integers(0, 100))


def example_message(store: Typestore, name: str, rng: np.random.Generator) -> Any:
    """A message of type ``name`` with every field filled with random values (sequences
    get two elements), to check that a definition serialises and deserialises."""
    cls = store.types[name]
    values: dict[str, Any] = {}
    for field, desc in store.fielddefs[name][1]:
        kind, arg = desc[0], cast("Any", desc[1])
        if kind == Nodetype.BASE:
            values[field] = _scalar(arg[0], rng)
        elif kind == Nodetype.NAME:
            values[field] = example_message(store, arg, rng)
        else:
            (sub_kind, sub_arg), size = arg
            count = size if kind == Nodetype.ARRAY else min(size or 2, 2)
            if sub_kind == Nodetype.NAME:
                values[field] = [example_message(store, sub_arg, rng) for _ in range(count)]
            elif sub_arg[0] == "string":
                values[field] = [_scalar("string", rng) for _ in range(count)]
            else:
                values[field] = np.array(
                    [_scalar(sub_arg[0], rng) for _ in range(count)], dtype=_DTYPES[sub_arg[0]]
                )
    return cls(**values)


def assert_same_message(a: Any, b: Any, path: str = "msg") -> None:
    """Field-by-field equality of two messages (numpy arrays compared by value)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=path)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_message(x, y, f"{path}[{i}]")
    elif hasattr(a, "__dataclass_fields__"):
        assert type(a).__msgtype__ == type(b).__msgtype__, path
        for field in a.__dataclass_fields__:
            if field != "__msgtype__":
                assert_same_message(getattr(a, field), getattr(b, field), f"{path}.{field}")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def cdr_round_trip(store: Typestore, message: Any) -> Any:
    """``message`` serialised to CDR with its type's Jazzy definition and read back."""
    msgtype = type(message).__msgtype__
    return store.deserialize_cdr(store.serialize_cdr(message, msgtype), msgtype)
