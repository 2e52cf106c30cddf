"""Static checks of ros2_ws/src/jazari_interfaces, the ROS package colcon builds.

ROS is not installable here, so what colcon and rosidl would check is checked here:
the manifest, that CMakeLists.txt lists every interface file, and that every package
the files refer to is declared as a dependency in both build files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jazari
from jazari.record.interfaces import load_interface_package, referenced_types

PACKAGE = Path(__file__).resolve().parents[2] / "ros2_ws" / "src" / "jazari_interfaces"
CMAKE = (PACKAGE / "CMakeLists.txt").read_text()
MANIFEST = ET.parse(PACKAGE / "package.xml").getroot()


def _cmake_list(name: str) -> list[str]:
    match = re.search(rf"set\({name}\s+(.*?)\)", CMAKE, re.DOTALL)
    assert match, f"CMakeLists.txt sets no {name}"
    return [item.strip('"') for item in match.group(1).split()]


def test_manifest_is_a_format_3_interface_package_with_jazaris_version() -> None:
    assert MANIFEST.get("format") == "3"
    assert MANIFEST.findtext("name") == "jazari_interfaces" == PACKAGE.name
    assert MANIFEST.findtext("version") == jazari.__version__
    assert MANIFEST.findtext("export/build_type") == "ament_cmake"
    assert MANIFEST.findtext("member_of_group") == "rosidl_interface_packages"
    assert {e.text for e in MANIFEST.findall("buildtool_depend")} == {
        "ament_cmake",
        "rosidl_default_generators",
    }
    assert "rosidl_default_runtime" in {e.text for e in MANIFEST.findall("exec_depend")}
    assert re.search(r"^project\(jazari_interfaces\)$", CMAKE, re.MULTILINE)


def test_cmakelists_lists_exactly_the_interface_files() -> None:
    on_disk = sorted(
        str(p.relative_to(PACKAGE))
        for kind in ("msg", "srv", "action")
        for p in (PACKAGE / kind).glob(f"*.{kind}")
    )
    listed = sorted(_cmake_list("msg_files") + _cmake_list("action_files"))
    assert listed == on_disk


def test_every_referenced_package_is_a_dependency_of_both_build_files() -> None:
    types = load_interface_package(PACKAGE, "jazari_interfaces")
    referenced = {
        ref.split("/")[0] for _, fields in types.values() for _, ref in referenced_types(fields)
    } - {"jazari_interfaces"}
    assert referenced
    assert referenced == set(_cmake_list("interface_dependencies"))
    depends = {e.text for e in MANIFEST.findall("depend")}
    assert referenced <= depends
    # Actions need action_msgs at build and run time.
    assert "action_msgs" in depends
