"""ARCHITECTURE.md's rule: conversions and recording need no rclpy or ROS packages."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "jazari"
ROS_PACKAGES = {
    "rclpy",
    "sensor_msgs",
    "geometry_msgs",
    "std_msgs",
    "trajectory_msgs",
    "control_msgs",
    "vision_msgs",
    "tf2_msgs",
    "diagnostic_msgs",
    "builtin_interfaces",
    "jazari_interfaces",
}


def _imported_top_level_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_convert_message_types_and_record_modules_import_no_ros_package() -> None:
    files = [
        *(SRC / "ros" / "convert").glob("*.py"),
        SRC / "ros" / "__init__.py",
        SRC / "ros" / "errors.py",
        SRC / "ros" / "message_types.py",
        *(SRC / "record").glob("*.py"),
    ]
    for path in files:
        assert not _imported_top_level_packages(path) & ROS_PACKAGES, path


def test_importing_the_conversions_loads_no_rclpy() -> None:
    code = "import sys, jazari.ros.convert, jazari.record.recorder; print('rclpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
