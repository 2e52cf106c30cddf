"""ament_python install of the ROS 2 package `jazari`.

colcon (ament_python) runs this file; pip reads pyproject.toml, which carries the same
name, version and console scripts (tests/test_manifests.py keeps them in step). The
data files (launch, urdf, config, rviz) install to share/jazari in both cases.
"""

from pathlib import Path

from setuptools import find_packages, setup

PACKAGE = "jazari"
HERE = Path(__file__).resolve().parent


def _share(folder: str) -> tuple[str, list[str]]:
    files = sorted(str(p.relative_to(HERE)) for p in (HERE / folder).glob("*") if p.is_file())
    return (f"share/{PACKAGE}/{folder}", files)


setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages("src"),
    package_dir={"": "src"},
    package_data={"jazari": ["py.typed"], "jazari.record": ["definitions/*/*/*"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        *(_share(d) for d in ("launch", "urdf", "config", "rviz") if (HERE / d).is_dir()),
        *(
            _share(f"ros2_ws/src/jazari_interfaces/{kind}")
            for kind in ("msg", "srv", "action")
            if (HERE / "ros2_ws/src/jazari_interfaces" / kind).is_dir()
        ),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    entry_points={
        "console_scripts": [
            "jazari = jazari.cli:main",
            "sim_node = jazari.ros.nodes.sim_node:main",
            "perception_node = jazari.ros.nodes.perception_node:main",
            "planner_node = jazari.ros.nodes.planner_node:main",
            "serial_driver_node = jazari.ros.nodes.serial_driver_node:main",
            "ethercat_driver_node = jazari.ros.nodes.ethercat_driver_node:main",
            "gazebo_driver_node = jazari.ros.nodes.gazebo_driver_node:main",
            "gripper_node = jazari.ros.nodes.gripper_node:main",
            "cell_node = jazari.ros.nodes.cell_node:main",
        ],
    },
)
