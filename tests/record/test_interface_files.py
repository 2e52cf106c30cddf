"""Parsing interface files with rosidl's rules: sections, names, references."""

from __future__ import annotations

from pathlib import Path

import pytest
from rosbags.interfaces import Nodetype

from jazari.record.errors import InterfaceDefinitionError
from jazari.record.interfaces import (
    check_references,
    load_interface_package,
    parse_interface,
    split_sections,
)


def test_action_parts_get_rosidl_names_and_relative_types_resolve_to_msg() -> None:
    text = "Thing goal_thing\n---\nint32 OK=0\nint32 code\n---\nfloat64 progress\n"
    types = parse_interface(text, "demo_pkg", "action", "DoIt")
    assert sorted(types) == [
        "demo_pkg/action/DoIt_Feedback",
        "demo_pkg/action/DoIt_Goal",
        "demo_pkg/action/DoIt_Result",
    ]
    (_, fields) = types["demo_pkg/action/DoIt_Goal"]
    assert fields == [("goal_thing", (Nodetype.NAME, "demo_pkg/msg/Thing"))]
    consts, _ = types["demo_pkg/action/DoIt_Result"]
    assert consts == [("OK", "int32", 0)]


def test_service_parts_are_request_and_response() -> None:
    types = parse_interface("---\nbool success\nstring message\n", "demo_pkg", "srv", "Arm")
    assert types["demo_pkg/srv/Arm_Request"] == ([], [])
    assert [f for f, _ in types["demo_pkg/srv/Arm_Response"][1]] == ["success", "message"]


@pytest.mark.parametrize(("kind", "text"), [("msg", "a\n---\nb\n"), ("action", "int32 a\n---\n")])
def test_wrong_number_of_sections_is_refused(kind: str, text: str) -> None:
    with pytest.raises(InterfaceDefinitionError, match="section"):
        split_sections(text, kind, "demo_pkg/x/Y")


def test_unknown_interface_kind_is_refused() -> None:
    with pytest.raises(InterfaceDefinitionError, match="'idl'"):
        split_sections("", "idl", "demo_pkg/idl/Y")


@pytest.mark.parametrize(
    ("text", "package", "name", "bad"),
    [
        ("float64 Width\n", "demo_pkg", "Box", "'Width'"),
        ("float64 wid__th\n", "demo_pkg", "Box", "'wid__th'"),
        ("float64 width_\n", "demo_pkg", "Box", "'width_'"),
        ("int32 Max=3\n", "demo_pkg", "Box", "syntax error"),
        ("float64 width\n", "DemoPkg", "Box", "'DemoPkg'"),
        ("float64 width\n", "demo_pkg", "box", "'box'"),
    ],
)
def test_names_rosidl_rejects_are_refused_with_the_name(
    text: str, package: str, name: str, bad: str
) -> None:
    with pytest.raises(InterfaceDefinitionError, match=bad):
        parse_interface(text, package, "msg", name)


def test_syntax_error_names_the_type() -> None:
    with pytest.raises(InterfaceDefinitionError, match="demo_pkg/msg/Box: syntax error"):
        parse_interface("float64[ width\n", "demo_pkg", "msg", "Box")


def test_dangling_type_reference_is_refused_with_field_and_type() -> None:
    types = parse_interface("geometry_msgs/Poze pose\n", "demo_pkg", "msg", "Box")
    with pytest.raises(
        InterfaceDefinitionError, match=r"'pose' refers to unknown type 'geometry_msgs/msg/Poze'"
    ):
        check_references(types, {"geometry_msgs/msg/Pose"})


def test_misspelt_base_type_is_caught_as_an_unknown_type() -> None:
    # rosbags reads an unknown lower-case word as a message of the same package.
    types = parse_interface("flot64 width\n", "demo_pkg", "msg", "Box")
    with pytest.raises(InterfaceDefinitionError, match="'demo_pkg/msg/flot64'"):
        check_references(types, set())


def test_references_to_sequence_elements_are_checked_too() -> None:
    types = parse_interface("Part[] parts\n", "demo_pkg", "msg", "Tray")
    with pytest.raises(InterfaceDefinitionError, match="demo_pkg/msg/Part"):
        check_references(types, set())
    check_references({**types, **parse_interface("string id\n", "demo_pkg", "msg", "Part")}, set())


def test_package_folder_is_read_by_kind_and_needs_interface_files(tmp_path: Path) -> None:
    (tmp_path / "msg").mkdir()
    (tmp_path / "msg" / "Part.msg").write_text("string id\n")
    (tmp_path / "msg" / "notes.txt").write_text("not an interface\n")
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "Count.srv").write_text("---\nuint32 count\n")
    types = load_interface_package(tmp_path, "demo_pkg")
    assert sorted(types) == [
        "demo_pkg/msg/Part",
        "demo_pkg/srv/Count_Request",
        "demo_pkg/srv/Count_Response",
    ]
    with pytest.raises(InterfaceDefinitionError, match="no msg/"):
        load_interface_package(tmp_path / "msg", "demo_pkg")
