"""Static checks of the ROS layer that need no ROS: the node modules compile and have a
``main``, the console scripts point at them, every import resolves to a declared
dependency, and rclpy stays inside ``jazari.ros``'s rclpy modules.

Node modules import rclpy at their top (they only run on ROS), so they are compiled
and read here, never imported; ``test_nodes_*.py`` runs them on the rclpy double.
"""

from __future__ import annotations

import ast
import py_compile
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "jazari"
ROS = SRC / "ros"
NODES = ROS / "nodes"

# ROS package (package.xml) -> the Python modules it provides.
ROS_PACKAGES = {
    "rclpy": "rclpy",
    "rcl_interfaces": "rcl_interfaces",
    "message_filters": "message_filters",
    "tf2_ros_py": "tf2_ros",
    "ament_index_python": "ament_index_python",
    "launch": "launch",
    "launch_ros": "launch_ros",
    "lifecycle_msgs": "lifecycle_msgs",
    "xacro": "xacro",
    "python3-numpy": "numpy",
    "python3-scipy": "scipy",
    "python3-yaml": "yaml",
    "python3-opencv": "cv2",
    "python3-serial": "serial",
    "python3-transforms3d": "transforms3d",
}
# Imports with no rosdep key, installed from pyproject.toml's dependencies (pip) in
# docker/Dockerfile: import name -> distribution.
PIP_ONLY = {
    "mujoco": "mujoco",
    "open3d": "open3d",
    "rosbags": "rosbags",
    "mcap": "mcap",
    "foxglove": "foxglove-sdk",
}
# Modules of jazari.ros that run only on ROS (they import rclpy or ROS packages).
ROS_ONLY = {"parameters.py", "runtime.py", "drive_node.py", "frames.py"}
ROS_IMPORTS = {"rclpy", "rcl_interfaces", "message_filters", "tf2_ros", "launch", "launch_ros",
               "lifecycle_msgs", "ament_index_python"}  # fmt: skip


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _exec_depends() -> set[str]:
    root = ET.parse(ROOT / "package.xml").getroot()
    return {e.text or "" for e in root.findall("exec_depend")}


def _console_scripts() -> dict[str, str]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setup":
            for kw in node.keywords:
                if kw.arg == "entry_points":
                    scripts = ast.literal_eval(kw.value)["console_scripts"]
                    return dict(re.split(r"\s*=\s*", s, maxsplit=1) for s in scripts)
    raise AssertionError("setup.py has no console_scripts")


def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text())
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


NODE_MODULES = sorted(p for p in NODES.glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", NODE_MODULES, ids=lambda p: p.stem)
def test_node_module_compiles_and_has_a_main(path: Path, tmp_path: Path) -> None:
    py_compile.compile(str(path), cfile=str(tmp_path / "out.pyc"), doraise=True)
    main = _functions(path).get("main")
    assert main is not None, f"{path.name} has no main()"
    calls = {getattr(c.func, "id", "") for c in ast.walk(main) if isinstance(c, ast.Call)}
    assert "run_nodes" in calls, (
        f"{path.name}: main() must run through jazari.ros.runtime.run_nodes"
    )


def test_every_node_module_is_a_console_script_and_every_script_has_its_main() -> None:
    scripts = _console_scripts()
    for path in NODE_MODULES:
        assert scripts.get(path.stem) == f"jazari.ros.nodes.{path.stem}:main", path.stem
    for name, target in scripts.items():
        module, _, function = target.partition(":")
        file = SRC.parent / (module.replace(".", "/") + ".py")
        assert file.is_file(), f"console script {name}: {file} does not exist"
        assert function in _functions(file), f"console script {name}: {module} has no {function}()"


def test_setup_py_and_pyproject_list_the_same_scripts() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert _console_scripts() == pyproject


def test_the_runtime_main_is_the_canonical_one() -> None:
    run = _functions(ROS / "runtime.py")["run_nodes"]
    tries = [n for n in ast.walk(run) if isinstance(n, ast.Try)]
    assert len(tries) == 1
    handled = {ast.unparse(h.type) for h in tries[0].handlers if h.type is not None}
    assert {"KeyboardInterrupt", "ExternalShutdownException"} <= handled
    final = ast.unparse(ast.Module(body=tries[0].finalbody, type_ignores=[]))
    assert "destroy_node()" in final and "rclpy.try_shutdown()" in final
    assert "rclpy.init(args=args)" in ast.unparse(run)


@pytest.mark.parametrize("path", sorted(ROS.rglob("*.py")), ids=lambda p: str(p.relative_to(ROS)))
def test_every_import_of_jazari_ros_is_a_declared_dependency(path: Path) -> None:
    depends = _exec_depends()
    declared = {ROS_PACKAGES[d] for d in depends if d in ROS_PACKAGES}
    declared |= {d for d in depends if d.endswith(("_msgs", "_interfaces"))}
    declared |= {"std_srvs"} if "std_srvs" in depends else set()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pip = {re.split(r"[<>=!~ ]", d)[0].lower() for d in pyproject}
    for name in _imports(path) - {"jazari", "__future__"} - set(sys.stdlib_module_names):
        if name in PIP_ONLY:
            assert PIP_ONLY[name] in pip, f"{path.name}: {name} is not in pyproject dependencies"
        else:
            assert name in declared, f"{path.name} imports {name}, not declared in package.xml"


def test_only_the_ros_modules_import_ros() -> None:
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        ros_only = rel.parts[:2] == ("ros", "nodes") or (
            rel.parts[0] == "ros" and rel.name in ROS_ONLY
        )
        if not ros_only:
            assert not _imports(path) & ROS_IMPORTS, f"{rel} imports ROS"


def test_ros_free_modules_of_jazari_ros_import_no_ros_module() -> None:
    for path in ROS.rglob("*.py"):
        rel = path.relative_to(ROS)
        if rel.parts[0] == "nodes" or rel.name in ROS_ONLY:
            continue
        local = {
            n.module
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.ImportFrom) and n.module
        }
        ros_modules = {f"jazari.ros.{Path(m).stem}" for m in ROS_ONLY} | {"jazari.ros.nodes"}
        assert not {m for m in local if m.split(".nodes")[0] in ros_modules or m in ros_modules}, (
            rel
        )
