"""The cell's robot description: xacro expansion (no ROS needed) and loading.

``urdf/cell.urdf.xacro`` is the one description of the cell; kinematics, collision
checking, the MuJoCo twin and robot_state_publisher all read its expansion.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

import xacro

from jazari.resources import share_path
from jazari.robot.errors import RobotModelError

CELL_XACRO = ("urdf", "cell.urdf.xacro")


def expand_xacro(path: Path | str, mappings: Mapping[str, str] | None = None) -> str:
    """Expand a xacro file to URDF text.

    Args:
        path: the .xacro file; relative includes resolve from its folder.
        mappings: xacro arguments (``name:=value``).

    Raises:
        RobotModelError: when the file is missing or xacro rejects it (xacro's own
            message, which names the element, is kept).
    """
    p = Path(path)
    if not p.is_file():
        raise RobotModelError(f"xacro file not found: {p}")
    try:
        doc = xacro.process_file(str(p), mappings=dict(mappings or {}))
    except Exception as exc:  # xacro raises bare Exceptions and XacroException alike
        raise RobotModelError(f"xacro expansion of {p} failed: {exc}") from exc
    return str(doc.toprettyxml(indent="  "))


@functools.lru_cache(maxsize=4)
def cell_urdf_text() -> str:
    """The expanded URDF of the cell (cached)."""
    return expand_xacro(share_path(*CELL_XACRO))
