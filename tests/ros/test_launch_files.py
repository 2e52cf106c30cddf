"""The launch file and what it references, checked without ROS: it compiles, builds the
cell from functions, every file it names exists and is installed, the Gazebo bridge and
world agree with the xacro, and RViz shows topics the nodes publish."""

from __future__ import annotations

import ast
import py_compile
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from jazari.record.typestore import cell_typestore
from jazari.robot.description import expand_xacro
from jazari.robot.model import load_cell_model
from jazari.ros.node_schemas import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / "launch" / "cell.launch.py"
# Folders setup.py installs to share/jazari (its _share(...) calls).
INSTALLED = ("launch", "urdf", "config", "rviz")


def _tree() -> ast.Module:
    return ast.parse(LAUNCH.read_text())


def _module_constants() -> dict[str, object]:
    out = {}
    for node in _tree().body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    out[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return out


def _functions() -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in _tree().body if isinstance(n, ast.FunctionDef)}


def test_launch_file_compiles_and_describes_the_launch(tmp_path: Path) -> None:
    py_compile.compile(str(LAUNCH), cfile=str(tmp_path / "launch.pyc"), doraise=True)
    assert "generate_launch_description" in _functions()


def test_launch_arguments_are_the_documented_ones() -> None:
    arguments = _module_constants()["ARGUMENTS"]
    assert isinstance(arguments, dict)
    assert {"sim", "drives", "rviz", "gazebo", "namespace"} <= set(arguments)
    assert arguments["gazebo"][0] == "false" and arguments["drives"][0] == "serial"


def test_the_cell_is_composed_from_one_function_per_part() -> None:
    functions = _functions()
    for name in ("robot_state_publisher", "driver", "mujoco_cell", "gazebo_cell",
                 "hardware_cell", "application", "rviz", "launch_setup"):  # fmt: skip
        assert name in functions, name
    setup = ast.unparse(functions["launch_setup"])
    for call in ("robot_state_publisher(", "gazebo_cell(", "mujoco_cell(", "hardware_cell(",
                 "application(", "rviz("):  # fmt: skip
        assert call in setup, call
    # Nodes are created in exactly these places, never copied per mode.
    creations = [
        n for n in ast.walk(_tree())
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") in ("Node", "LifecycleNode")
    ]  # fmt: skip
    assert len(creations) <= 6


def test_every_shared_file_the_launch_file_names_exists_and_is_installed() -> None:
    constants = _module_constants()
    files = [constants[k] for k in ("XACRO", "RVIZ_CONFIG", "GAZEBO_WORLD", "GAZEBO_BRIDGE")]
    for parts in files:
        assert isinstance(parts, tuple)
        assert parts[0] in INSTALLED, f"{parts} is not in a folder setup.py installs"
        assert (ROOT.joinpath(*parts)).is_file(), parts
    for s in SCHEMAS.values():
        for name in s.files:
            assert (ROOT / "config" / f"{name}.yaml").is_file(), name


def test_every_executable_the_launch_file_starts_is_a_console_script() -> None:
    setup = (ROOT / "setup.py").read_text()
    text = LAUNCH.read_text()
    started = set(re.findall(r'jazari_node\(\s*"(\w+)"', text))
    started |= {f"{k}_driver_node" for k in ("serial", "ethercat", "gazebo")}
    started |= {n for n in re.findall(r'"(\w+_node)"', text) if n in SCHEMAS}
    for name in started:
        assert f'"{name} = jazari.ros.nodes.{name}:main"' in setup, name


def test_the_simulators_port_link_is_the_drivers_port() -> None:
    body = ast.unparse(_functions()["mujoco_cell"])
    assert "'port': port" in body and "drive_overrides['port'] = port" in body


# -- Gazebo ---------------------------------------------------------------------------


def _bridge() -> list[dict[str, str]]:
    entries = yaml.safe_load((ROOT / "launch" / "gazebo_bridge.yaml").read_text())
    assert isinstance(entries, list)
    return entries


def test_bridge_entries_are_complete_and_their_ros_types_exist() -> None:
    store = cell_typestore()
    for entry in _bridge():
        assert set(entry) == {"ros_topic_name", "gz_topic_name", "ros_type_name", "gz_type_name",
                              "direction"}, entry  # fmt: skip
        assert entry["direction"] in ("GZ_TO_ROS", "ROS_TO_GZ", "BIDIRECTIONAL")
        assert entry["ros_type_name"] in store.types, entry["ros_type_name"]


def test_bridge_commands_every_joint_gazebo_controls_and_what_the_nodes_publish() -> None:
    urdf = expand_xacro(ROOT / "urdf" / "cell.urdf.xacro", {"gazebo": "true"})
    gz_topics = set(re.findall(r"<topic>(/jazari/[\w/]+/cmd_pos)</topic>", urdf))
    bridged = {e["gz_topic_name"]: e["ros_topic_name"] for e in _bridge()
               if e["direction"] == "ROS_TO_GZ"}  # fmt: skip
    assert gz_topics == set(bridged)
    joints = load_cell_model().joint_names
    assert {f"gz/{j}/cmd_pos" for j in joints} | {"gz/gripper/cmd_pos"} == set(bridged.values())


def test_bridge_reads_the_world_the_world_file_defines() -> None:
    world = ET.parse(ROOT / "launch" / "gazebo_world.sdf").getroot().find("world")
    assert world is not None
    name = world.get("name")
    topics = {e["gz_topic_name"] for e in _bridge()}
    assert f"/world/{name}/model/jazari_cell/joint_state" in topics
    body = ast.unparse(_functions()["gazebo_cell"])
    assert "'-name', 'jazari_cell'" in body


# -- RViz -------------------------------------------------------------------------------


def test_rviz_shows_the_cell_on_topics_the_nodes_publish() -> None:
    config = yaml.safe_load((ROOT / "rviz" / "cell.rviz").read_text())
    displays = config["Visualization Manager"]["Displays"]
    by_class = {d["Class"].split("/")[-1]: d for d in displays}
    for kind in ("RobotModel", "TF", "Image", "PointCloud2", "MarkerArray", "Path"):
        assert kind in by_class, kind
    sources = "\n".join(p.read_text() for p in (ROOT / "src/jazari/ros").rglob("*.py"))
    for kind in ("Image", "PointCloud2", "MarkerArray", "Path"):
        topic = by_class[kind]["Topic"]["Value"]
        assert f'"{topic}"' in sources, f"{kind} shows {topic}, which no node publishes"
    assert config["Visualization Manager"]["Global Options"]["Fixed Frame"] == "world"


@pytest.mark.parametrize("name", ["Dockerfile", "compose.yaml", "entrypoint.sh"])
def test_docker_files_exist(name: str) -> None:
    assert (ROOT / "docker" / name).is_file()


def test_dockerfile_builds_and_tests_the_workspace_on_jazzy() -> None:
    text = (ROOT / "docker" / "Dockerfile").read_text()
    base = next(line for line in text.splitlines() if line.startswith("FROM"))
    assert base.startswith("FROM ros:jazzy")
    for step in ("rosdep install --from-paths src", "colcon build", "colcon test"):
        assert step in text, step
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    assert {"cell", "foxglove"} <= set(compose["services"])
