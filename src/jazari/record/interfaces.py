"""ROS 2 interface files (``.msg``, ``.srv``, ``.action``) as rosbags type definitions.

rosbags parses the message format but not services or actions, and it is more lenient
than rosidl about names. This module splits services and actions into their messages
with rosidl's type names (``pkg/srv/Name_Request``, ``pkg/action/Name_Goal``, ...) and
applies rosidl's naming rules, so a file that would fail ``colcon build`` fails here.

Only the messages a user writes are produced: an action's Goal, Result and Feedback, a
service's Request and Response. The wire types rosidl adds around them
(``Name_SendGoal_Request``, ``Name_FeedbackMessage``, ...) are not: nothing Jazari
records uses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rosbags.interfaces import Nodetype
from rosbags.typesys import TypesysError, get_types_from_msg

from jazari.record.errors import InterfaceDefinitionError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from rosbags.interfaces.typing import Fielddefs, Typesdict

# Message names each kind of interface file produces, one per ``---`` section.
SECTION_SUFFIXES: dict[str, tuple[str, ...]] = {
    "msg": ("",),
    "srv": ("_Request", "_Response"),
    "action": ("_Goal", "_Result", "_Feedback"),
}

# rosidl's rules (rosidl_adapter/parser.py): lower snake case without double or
# trailing underscores for packages and fields, upper camel case for types. (rosbags'
# parser already holds constants to rosidl's upper snake case; not so field names.)
_PACKAGE_NAME = re.compile(r"^(?!.*__)(?!.*_$)[a-z][a-z0-9_]*$")
_FIELD_NAME = _PACKAGE_NAME
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)


def split_sections(text: str, kind: str, where: str) -> list[str]:
    """The ``---``-separated sections of an interface file of ``kind`` (msg, srv, action).

    Raises:
        InterfaceDefinitionError: when the kind is unknown or the number of sections is
            wrong for it.
    """
    if kind not in SECTION_SUFFIXES:
        raise InterfaceDefinitionError(
            f"{where}: unknown interface kind {kind!r}; expected one of {sorted(SECTION_SUFFIXES)}"
        )
    sections = _SEPARATOR.split(text)
    expected = len(SECTION_SUFFIXES[kind])
    if len(sections) != expected:
        raise InterfaceDefinitionError(
            f"{where}: a .{kind} file has {expected} section(s) separated by '---', "
            f"found {len(sections)}"
        )
    return sections


def parse_interface(text: str, package: str, kind: str, name: str) -> Typesdict:
    """Type definitions of one interface file's text.

    Args:
        text: the file's content.
        package: the ROS package it belongs to, for example ``"jazari_interfaces"``.
        kind: ``"msg"``, ``"srv"`` or ``"action"``.
        name: the interface name (the file name without extension), e.g. ``"PickPlace"``.

    Returns:
        rosbags definitions keyed by full type name, one per section.

    Raises:
        InterfaceDefinitionError: on a syntax error or a name rosidl rejects; the message
            names the file, the type and the offending field or constant.
    """
    where = f"{package}/{kind}/{name}"
    if not _PACKAGE_NAME.match(package):
        raise InterfaceDefinitionError(f"{where}: package name {package!r} is not lower snake case")
    if not _TYPE_NAME.match(name):
        raise InterfaceDefinitionError(f"{where}: type name {name!r} is not upper camel case")
    types: Typesdict = {}
    for section, suffix in zip(
        split_sections(text, kind, where), SECTION_SUFFIXES[kind], strict=True
    ):
        # Parsed under the msg namespace so that relative references ("JointTolerance")
        # resolve to pkg/msg/..., as rosidl resolves them in every kind of file.
        parse_name = f"{package}/msg/{name}{suffix}"
        try:
            parsed = get_types_from_msg(section, parse_name)
        except TypesysError as exc:
            raise InterfaceDefinitionError(f"{where}{suffix}: syntax error: {exc}") from None
        consts, fields = parsed[parse_name]
        _check_field_names(f"{where}{suffix}", fields)
        types[f"{package}/{kind}/{name}{suffix}"] = (consts, fields)
    return types


def _check_field_names(where: str, fields: Fielddefs) -> None:
    for field_name, _ in fields:
        if not _FIELD_NAME.match(field_name):
            raise InterfaceDefinitionError(
                f"{where}: field name {field_name!r} is not lower snake case "
                "(no double or trailing underscore)"
            )


def parse_interface_file(path: Traversable, package: str) -> Typesdict:
    """Type definitions of one ``.msg``/``.srv``/``.action`` file of ``package``."""
    name, _, kind = path.name.rpartition(".")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InterfaceDefinitionError(f"cannot read interface file {path}: {exc}") from None
    return parse_interface(text, package, kind, name)


def load_interface_package(root: Traversable, package: str) -> Typesdict:
    """Type definitions of every interface file of a package directory.

    ``root`` holds ``msg/``, ``srv/`` and ``action/`` folders (any may be missing), as
    a ROS package's source folder or its installed ``share/<package>`` folder does.

    Raises:
        InterfaceDefinitionError: when a file is malformed or the package has none.
    """
    types: Typesdict = {}
    for kind in SECTION_SUFFIXES:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            if path.name.endswith(f".{kind}"):
                types.update(parse_interface_file(path, package))
    if not types:
        raise InterfaceDefinitionError(f"{root} holds no msg/, srv/ or action/ interface files")
    return types


def referenced_types(fields: Fielddefs) -> list[tuple[str, str]]:
    """``(field name, type name)`` of every field whose type is a message type."""
    refs = []
    for field_name, desc in fields:
        if desc[0] == Nodetype.NAME:
            refs.append((field_name, str(desc[1])))
        elif desc[0] in (Nodetype.ARRAY, Nodetype.SEQUENCE):
            sub = desc[1][0]
            if sub[0] == Nodetype.NAME:
                refs.append((field_name, str(sub[1])))
    return refs


def check_references(types: Typesdict, known: Iterable[str]) -> None:
    """Check that every message type ``types`` refers to is in ``types`` or ``known``.

    rosbags registers definitions with dangling references and fails only when such a
    message is serialised; rosidl fails at build time. This check fails at load time.

    Raises:
        InterfaceDefinitionError: naming the type, the field and the missing type.
    """
    available = set(known) | set(types)
    for type_name, (_, fields) in types.items():
        for field_name, ref in referenced_types(fields):
            if ref not in available:
                raise InterfaceDefinitionError(
                    f"{type_name}: field {field_name!r} refers to unknown type {ref!r}"
                )
