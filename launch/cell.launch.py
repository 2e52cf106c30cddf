"""The Jazari cell: ``ros2 launch jazari cell.launch.py [arguments]``.

Arguments:
    sim:=true|false         the MuJoCo twin plays the cell (camera, parts, emulated drives)
    drives:=serial|ethercat the arm's drive bus (real hardware, or emulated with sim:=true)
    rviz:=true|false        RViz with rviz/cell.rviz
    gazebo:=false|true      Gazebo Harmonic plays the cell instead (implies simulated time)
    namespace:=<ns>         the cell's namespace, for lines of several cells
    ethercat_netns:=<name>  with sim:=true drives:=ethercat: the network namespace holding
                            the veth pair ecm0/ecs0 (see docs/ros2.md); its emulator is started

Each node gets the ``config/*.yaml`` files its parameter schema names
(:mod:`jazari.ros.node_schemas`), so the launch file and the nodes cannot disagree on
them; every node of the cell is built by one function below, composed per arguments.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    ExecuteProcess,
    IncludeLaunchDescription,
    OpaqueFunction,
    RegisterEventHandler,
)
from launch.events import matches_action
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import Command, FindExecutable, LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.parameter_descriptions import ParameterValue
from lifecycle_msgs.msg import Transition

from jazari.ros.node_schemas import SCHEMAS

PACKAGE = "jazari"
XACRO = ("urdf", "cell.urdf.xacro")
RVIZ_CONFIG = ("rviz", "cell.rviz")
GAZEBO_WORLD = ("launch", "gazebo_world.sdf")
GAZEBO_BRIDGE = ("launch", "gazebo_bridge.yaml")
GZ_SIM_LAUNCH = ("ros_gz_sim", "launch", "gz_sim.launch.py")
ARGUMENTS = {
    "sim": ("true", "the MuJoCo twin plays the cell"),
    "drives": ("serial", "drive bus: serial | ethercat"),
    "rviz": ("true", "start RViz"),
    "gazebo": ("false", "Gazebo Harmonic plays the cell (instead of the MuJoCo twin)"),
    "namespace": ("", "namespace of the cell"),
    "ethercat_netns": ("", "sim + ethercat: network namespace of the emulator's veth pair"),
}
# TF lives in the cell's namespace, so cells of one line keep their trees apart.
TF_REMAPS = [("/tf", "tf"), ("/tf_static", "tf_static")]
DRIVES = ("serial", "ethercat")


def share(*parts: str) -> str:
    """A file of the installed jazari package."""
    return os.path.join(get_package_share_directory(PACKAGE), *parts)


def config_files(node: str) -> list[str]:
    """The parameter files of ``node`` (from its schema)."""
    return [share("config", f"{name}.yaml") for name in SCHEMAS[node].files]


def jazari_node(
    node: str, ns: str, overrides: dict[str, Any], remaps: tuple[tuple[str, str], ...] = ()
) -> Node:
    """A Jazari node with its parameter files, then ``overrides``."""
    return Node(
        package=PACKAGE, executable=node, name=node, namespace=ns, output="screen",
        parameters=[*config_files(node), overrides], remappings=[*TF_REMAPS, *remaps],
    )  # fmt: skip


def flag(context: LaunchContext, name: str) -> bool:
    """A true/false argument's value.

    Raises:
        ValueError: for anything but true or false.
    """
    value = LaunchConfiguration(name).perform(context).strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"launch argument {name}:={value!r} must be true or false")
    return value == "true"


def pty_link(ns: str) -> str:
    """Where the simulator links its emulated servo line (one per namespace)."""
    return f"/tmp/jazari{re.sub(r'[^A-Za-z0-9]+', '_', ns)}/ttyDXL"


def robot_state_publisher(ns: str, gazebo: bool, sim_time: bool) -> Node:
    """TF of the cell from the expanded xacro."""
    description = Command(
        [FindExecutable(name="xacro"), " ", share(*XACRO), " gazebo:=", str(gazebo).lower()]
    )
    return Node(
        package="robot_state_publisher", executable="robot_state_publisher", namespace=ns,
        output="screen", remappings=TF_REMAPS,
        parameters=[{"robot_description": ParameterValue(description, value_type=str),
                     "use_sim_time": sim_time}],
    )  # fmt: skip


def driver(kind: str, ns: str, overrides: dict[str, Any]) -> list[Any]:
    """A lifecycle drive node, configured then activated by launch events."""
    name = f"{kind}_driver_node"
    node = LifecycleNode(
        package=PACKAGE, executable=name, name=name, namespace=ns, output="screen",
        parameters=[*config_files(name), overrides], remappings=TF_REMAPS,
    )  # fmt: skip
    configure = EmitEvent(
        event=ChangeState(
            lifecycle_node_matcher=matches_action(node),
            transition_id=Transition.TRANSITION_CONFIGURE,
        )
    )
    activate = RegisterEventHandler(
        OnStateTransition(
            target_lifecycle_node=node,
            goal_state="inactive",
            entities=[
                EmitEvent(
                    event=ChangeState(
                        lifecycle_node_matcher=matches_action(node),
                        transition_id=Transition.TRANSITION_ACTIVATE,
                    )
                )
            ],
        )
    )
    return [node, activate, configure]


def mujoco_cell(ns: str, drives: str, netns: str) -> list[Any]:
    """The MuJoCo twin (and its gripper) and the drives it emulates or mirrors."""
    port = pty_link(ns)
    sim = {"drives": "serial" if drives == "serial" else "mirror", "port": port}
    actions: list[Any] = [jazari_node("sim_node", ns, sim)]
    drive_overrides: dict[str, Any] = {"use_sim_time": True, "arm_on_activate": True}
    if drives == "serial":
        drive_overrides["port"] = port
    elif netns:
        drive_overrides.update(interface="ecm0", network_namespace=netns)
        emulator = ["python3", "-m", "jazari.sim.ethercat_slave", "--interface", "ecs0"]
        emulator += ["--control", f"/tmp/jazari-ecat-{netns}.sock", "--slaves", "6"]
        actions.append(
            ExecuteProcess(cmd=["ip", "netns", "exec", netns, *emulator], output="screen")
        )
    return actions + driver(drives, ns, drive_overrides)


def gazebo_cell(ns: str) -> list[Any]:
    """Gazebo Harmonic with the world, the cell spawned from the xacro, the bridge, and
    the drive and gripper nodes on Gazebo's joint topics."""
    gz_sim = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            os.path.join(get_package_share_directory(GZ_SIM_LAUNCH[0]), *GZ_SIM_LAUNCH[1:])
        ),
        launch_arguments={"gz_args": f"-r {share(*GAZEBO_WORLD)}"}.items(),
    )
    spawn = Node(
        package="ros_gz_sim", executable="create", namespace=ns, output="screen",
        arguments=["-topic", "robot_description", "-name", "jazari_cell"],
    )  # fmt: skip
    bridge = Node(
        package="ros_gz_bridge", executable="parameter_bridge", namespace=ns, output="screen",
        parameters=[{"config_file": share(*GAZEBO_BRIDGE), "use_sim_time": True}],
    )  # fmt: skip
    gripper = jazari_node(
        "gripper_node", ns, {"use_sim_time": True},
        (("gripper/command", "gz/gripper/cmd_pos"), ("gripper/joint_states", "gz/joint_states")),
    )  # fmt: skip
    drives = driver("gazebo", ns, {"use_sim_time": True, "arm_on_activate": True})
    return [gz_sim, spawn, bridge, gripper, *drives]


def hardware_cell(ns: str, drives: str) -> list[Any]:
    """The real drives, and the gripper node on the gripper driver's topics
    (``gripper/command``, ``gripper/joint_states``; remap them to your driver's)."""
    return [jazari_node("gripper_node", ns, {}), *driver(drives, ns, {})]


def application(ns: str, sim_time: bool) -> list[Node]:
    """Perception, planning and the cell sequence (the same whatever plays the cell)."""
    overrides = {"use_sim_time": sim_time}
    return [jazari_node(name, ns, overrides) for name in ("perception_node", "planner_node",
                                                           "cell_node")]  # fmt: skip


def rviz(ns: str, sim_time: bool) -> Node:
    """RViz with the cell's displays."""
    return Node(
        package="rviz2", executable="rviz2", namespace=ns, output="screen",
        arguments=["-d", share(*RVIZ_CONFIG)], remappings=TF_REMAPS,
        parameters=[{"use_sim_time": sim_time}],
    )  # fmt: skip


def launch_setup(context: LaunchContext) -> list[Any]:
    """The cell's actions for the given arguments."""
    sim, gazebo, with_rviz = flag(context, "sim"), flag(context, "gazebo"), flag(context, "rviz")
    drives = LaunchConfiguration("drives").perform(context)
    if drives not in DRIVES:
        raise ValueError(f"launch argument drives:={drives!r} must be one of {DRIVES}")
    ns = LaunchConfiguration("namespace").perform(context)
    netns = LaunchConfiguration("ethercat_netns").perform(context)
    sim_time = sim or gazebo
    actions: list[Any] = [robot_state_publisher(ns, gazebo, sim_time)]
    if gazebo:
        actions += gazebo_cell(ns)
    elif sim:
        actions += mujoco_cell(ns, drives, netns)
    else:
        actions += hardware_cell(ns, drives)
    actions += application(ns, sim_time)
    if with_rviz:
        actions.append(rviz(ns, sim_time))
    return actions


def generate_launch_description() -> LaunchDescription:
    """Arguments, then the cell built from them."""
    return LaunchDescription(
        [
            *(DeclareLaunchArgument(name, default_value=default, description=text)
              for name, (default, text) in ARGUMENTS.items()),
            OpaqueFunction(function=launch_setup),
        ]
    )  # fmt: skip
