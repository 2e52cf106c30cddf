"""The plant seen by emulated drives: something that moves joints in simulated time.

An emulated servo or EtherCAT drive either runs its own motor model or, when given a
:class:`JointPlant` (the MuJoCo twin), commands the plant's joints, so the twin moves
only through the drive protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from jazari.geometry.transforms import FloatArray


@runtime_checkable
class JointPlant(Protocol):
    """Joints driven by position targets in simulated time."""

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The plant's joints, in the order of every array it takes or gives."""
        ...

    def set_joint_targets(self, q_rad: FloatArray) -> None:
        """Position targets [rad] for every joint, applied until changed."""
        ...

    def advance(self, dt_s: float) -> None:
        """Step the plant forward by ``dt_s`` seconds of simulated time."""
        ...

    def joint_state(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Measured positions [rad], velocities [rad/s] and efforts [N·m] of every joint."""
        ...
