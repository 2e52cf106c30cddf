"""Message classes shaped like rosidl_generator_py's, built from the real Jazzy
definitions in a rosbags type store.

Like the generated classes, every field has a default (``0``, ``""``, empty sequences,
nested defaults), keyword arguments set fields and unknown ones are refused, numeric
sequences hold ``array.array`` and fixed-size numeric arrays numpy arrays. Every message
crossing the double's middleware is serialised to CDR by rosbags and read back, so a
field of the wrong type, length or range fails there as it would in rclpy.
"""

from __future__ import annotations

import array
import types
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from rosbags.interfaces import Nodetype

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore

_NUMPY = {
    "bool": np.bool_, "byte": np.uint8, "char": np.uint8, "int8": np.int8, "uint8": np.uint8,
    "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32,
    "int64": np.int64, "uint64": np.uint64, "float32": np.float32, "float64": np.float64,
}  # fmt: skip
_TYPECODE = {
    "byte": "B", "char": "B", "int8": "b", "uint8": "B", "int16": "h", "uint16": "H",
    "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q", "float32": "f", "float64": "d",
}  # fmt: skip


class Message:
    """Base of the generated classes."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value (as rosidl's)
    _type: str = ""
    _fields: tuple[tuple[str, Any], ...] = ()
    _factory: MessageFactory

    def __init__(self, **kwargs: Any) -> None:
        names = {name for name, _ in self._fields}
        unknown = sorted(set(kwargs) - names)
        # rosidl_generator_py asserts the same.
        assert not unknown, f"Invalid arguments passed to constructor: {', '.join(unknown)}"
        for name, desc in self._fields:
            value = kwargs[name] if name in kwargs else self._factory.default(desc)
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        return all(_equal(getattr(self, n), getattr(other, n)) for n, _ in self._fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r:.60}" for n, _ in self._fields)
        return f"{self._type}({inner})"


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray | array.array) or isinstance(b, np.ndarray | array.array):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return bool(a == b)


class MessageFactory:
    """Generated classes for every type of a store, and conversion to and from rosbags."""

    def __init__(self, store: Typestore) -> None:
        self.store = store
        self._classes: dict[str, type[Message]] = {}

    def cls(self, name: str) -> type[Message]:
        """The class of type ``name`` (``sensor_msgs/msg/Image``)."""
        if name not in self._classes:
            consts, fields = self.store.fielddefs[name]
            namespace: dict[str, Any] = {
                "__slots__": tuple(f for f, _ in fields),
                "_type": name,
                "_fields": tuple(fields),
                "_factory": self,
            }
            for const, _kind, value in consts:
                namespace[const] = value
            self._classes[name] = cast(
                "type[Message]", type(name.rsplit("/", maxsplit=1)[-1], (Message,), namespace)
            )
        return self._classes[name]

    def default(self, desc: Any) -> Any:  # noqa: PLR0911
        """The default value of a field."""
        kind, arg = desc
        if kind == Nodetype.BASE:
            base = arg[0]
            return (
                ""
                if base == "string"
                else False
                if base == "bool"
                else 0.0
                if base.startswith("float")
                else 0
            )
        if kind == Nodetype.NAME:
            return self.cls(arg)()
        (sub_kind, sub_arg), size = arg
        if kind == Nodetype.ARRAY:
            if sub_kind == Nodetype.NAME:
                return [self.cls(sub_arg)() for _ in range(size)]
            if sub_arg[0] == "string":
                return [""] * size
            return np.zeros(size, dtype=_NUMPY[sub_arg[0]])
        if sub_kind == Nodetype.BASE and sub_arg[0] in _TYPECODE:
            return array.array(_TYPECODE[sub_arg[0]])
        return []

    # -- rosbags round trip ------------------------------------------------------------

    def to_rosbags(self, msg: Message) -> Any:
        """The rosbags dataclass of a generated message."""
        values = {name: self._out(getattr(msg, name), desc) for name, desc in msg._fields}
        return self.store.types[msg._type](**values)

    def _out(self, value: Any, desc: Any) -> Any:
        kind, arg = desc
        if kind == Nodetype.BASE:
            return value
        if kind == Nodetype.NAME:
            if not isinstance(value, Message) or value._type != arg:
                raise TypeError(f"expected a {arg} message, got {type(value).__name__}")
            return self.to_rosbags(value)
        (sub_kind, sub_arg), _ = arg
        if sub_kind == Nodetype.NAME:
            return [self._out(v, (sub_kind, sub_arg)) for v in value]
        if sub_arg[0] == "string":
            return list(value)
        return np.asarray(value, dtype=_NUMPY[sub_arg[0]])

    def from_rosbags(self, obj: Any, name: str) -> Message:
        """A generated message from a rosbags dataclass of type ``name``."""
        cls = self.cls(name)
        values = {}
        for field, (kind, arg) in cls._fields:
            value = getattr(obj, field)
            if kind == Nodetype.NAME:
                value = self.from_rosbags(value, arg)
            elif kind in (Nodetype.ARRAY, Nodetype.SEQUENCE):
                (sub_kind, sub_arg), _ = arg
                if sub_kind == Nodetype.NAME:
                    value = [self.from_rosbags(v, sub_arg) for v in value]
                elif sub_arg[0] == "string":
                    value = list(value)
                elif kind == Nodetype.ARRAY:
                    value = np.array(value)
                else:
                    value = array.array(_TYPECODE.get(sub_arg[0], "B"), np.asarray(value).tobytes())
            values[field] = value
        return cls(**values)

    def round_trip(self, msg: Message) -> Message:
        """``msg`` serialised to CDR and read back: a validated, independent copy."""
        data = self.store.serialize_cdr(self.to_rosbags(msg), msg._type)
        return self.from_rosbags(self.store.deserialize_cdr(data, msg._type), msg._type)

    # -- modules -------------------------------------------------------------------------

    def modules(self) -> dict[str, types.ModuleType]:
        """``pkg``, ``pkg.msg``, ``pkg.srv`` and ``pkg.action`` modules of every package."""
        out: dict[str, types.ModuleType] = {}
        interfaces: dict[tuple[str, str, str], dict[str, type[Message]]] = {}
        for name in self.store.fielddefs:
            package, kind, type_name = name.split("/")
            if kind == "msg":
                module = out.setdefault(f"{package}.msg", types.ModuleType(f"{package}.msg"))
                setattr(module, type_name, self.cls(name))
                continue
            base, _, part = type_name.rpartition("_")
            interfaces.setdefault((package, kind, base), {})[part] = self.cls(name)
        for (package, kind, base), parts in interfaces.items():
            module = out.setdefault(f"{package}.{kind}", types.ModuleType(f"{package}.{kind}"))
            setattr(module, base, type(base, (), {**parts, "_type": f"{package}/{kind}/{base}"}))
        for name in list(out):
            package, kind = name.split(".")
            root = out.setdefault(package, types.ModuleType(package))
            root.__path__ = []  # a package, so "import pkg.msg" works
            setattr(root, kind, out[name])
        return out
