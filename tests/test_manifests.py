"""The three manifests describe one package: same version, same console scripts."""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import tomllib

import jazari

ROOT = Path(__file__).resolve().parents[1]


def _setup_py_call() -> dict[str, ast.expr]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setup":
            return {kw.arg: kw.value for kw in node.keywords if kw.arg}
    raise AssertionError("setup.py has no setup() call")


def test_version_is_the_same_in_every_manifest() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    package_xml = ET.parse(ROOT / "package.xml").getroot().findtext("version")
    setup_py = ast.literal_eval(_setup_py_call()["version"])
    assert pyproject == package_xml == setup_py == jazari.__version__


def test_package_xml_is_format_3_ament_python_named_jazari() -> None:
    root = ET.parse(ROOT / "package.xml").getroot()
    assert root.get("format") == "3"
    assert root.findtext("name") == "jazari"
    assert root.findtext("export/build_type") == "ament_python"


def test_console_scripts_agree_between_setup_py_and_pyproject() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entry_points = ast.literal_eval(_setup_py_call()["entry_points"])
    from_setup = dict(re.split(r"\s*=\s*", s, maxsplit=1) for s in entry_points["console_scripts"])
    assert from_setup == scripts


def test_ros2_workspace_links_back_to_the_package() -> None:
    link = ROOT / "ros2_ws" / "src" / "jazari"
    assert link.is_symlink()
    assert link.resolve() == ROOT
