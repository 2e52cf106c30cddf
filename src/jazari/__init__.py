"""Jazari: a ROS 2 application stack for robotic manufacturing cells.

The core (every subpackage but :mod:`jazari.ros`) runs without ROS; see ARCHITECTURE.md.
"""

__version__ = "0.1.0"
