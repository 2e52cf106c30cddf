"""The ports through which the cell talks to the world (ARCHITECTURE.md, "Ports").

The cell sequence, the follower and the ROS nodes use only these protocols, so the same
code runs against the MuJoCo twin, the emulated drives and real hardware. Values that
cross a port are frozen dataclasses in SI units; arrays are numpy float64 unless said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from jazari.errors import JazariError

FloatArray = NDArray[np.float64]


class PortValueError(JazariError, ValueError):
    """A value handed across a port is malformed (wrong shape, dtype or range)."""


@dataclass(frozen=True)
class CameraIntrinsics:
    """Pinhole intrinsics of a camera image (no distortion: images are rectified).

    Attributes:
        width, height: image size [px].
        fx, fy: focal lengths [px].
        cx, cy: principal point [px], in pixel indices: the centre of the top-left
            pixel is (0, 0), as in OpenCV and ROS camera_info.
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise PortValueError(f"image size must be positive, got {self.width}x{self.height}")
        for name in ("fx", "fy"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise PortValueError(f"{name} must be a positive number of pixels, got {value}")
        for name in ("cx", "cy"):
            if not np.isfinite(getattr(self, name)):
                raise PortValueError(f"{name} must be finite, got {getattr(self, name)}")

    def matrix(self) -> FloatArray:
        """The 3×3 camera matrix K."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])


@dataclass(frozen=True, eq=False)
class RGBDFrame:
    """One aligned colour + depth frame.

    Attributes:
        color: H×W×3 uint8, RGB order.
        depth_m: H×W float32 depth along the optical axis [m]; 0 or NaN where the sensor
            has no return.
        intrinsics: the shared intrinsics of both images.
        T_base_camera: 4×4 pose of ``camera_color_optical_frame`` in the robot base frame
            (REP 103 optical convention: z forward, x right, y down).
        stamp_s: capture time on the cell's clock [s].
    """

    color: NDArray[np.uint8]
    depth_m: NDArray[np.float32]
    intrinsics: CameraIntrinsics
    T_base_camera: FloatArray
    stamp_s: float


class DriveTelemetry(NamedTuple):
    """What one drive reports in one cycle (a named tuple: a bus builds one per axis
    every control cycle, and a tuple is several times cheaper to make than a frozen
    dataclass).

    Attributes:
        position_rad, velocity_rad_s: measured joint position [rad] and velocity [rad/s].
        current_a: motor current [A].
        temperature_c: drive or motor temperature [°C].
        status: the drive's state in words (for example ``"enabled"``, ``"fault"``).
        fault_code: the drive's error register (0 when healthy); protocol specific.
        stale: True when this cycle brought no fresh reading and the values are the last
            known ones.
    """

    position_rad: float
    velocity_rad_s: float
    current_a: float
    temperature_c: float
    status: str
    fault_code: int = 0
    stale: bool = False


@dataclass(frozen=True, eq=False)
class DriveState:
    """The state of every axis on a bus at one instant.

    Attributes:
        stamp_s: time of the reading on the cell's clock [s].
        joint_names: axis names, in bus order.
        position_rad, velocity_rad_s, effort: per-axis arrays [rad], [rad/s], [N·m].
        telemetry: per-axis drive telemetry, same order.
    """

    stamp_s: float
    joint_names: tuple[str, ...]
    position_rad: FloatArray
    velocity_rad_s: FloatArray
    effort: FloatArray
    telemetry: tuple[DriveTelemetry, ...] = field(default=())


@runtime_checkable
class Clock(Protocol):
    """Simulated or wall time. Nothing in Jazari reads ``time.time()`` directly."""

    def now(self) -> float:
        """Current time [s] (monotonic)."""
        ...

    def sleep(self, duration_s: float) -> None:
        """Let ``duration_s`` seconds pass on this clock."""
        ...


@runtime_checkable
class Camera(Protocol):
    """A source of timestamped RGB-D frames."""

    @property
    def intrinsics(self) -> CameraIntrinsics:
        """Intrinsics of the frames this camera produces."""
        ...

    def capture(self) -> RGBDFrame:
        """Take one aligned colour + depth frame."""
        ...


@runtime_checkable
class DriveBus(Protocol):
    """The drives that move the arm's joints (serial servo bus, EtherCAT, or a twin)."""

    @property
    def joint_names(self) -> tuple[str, ...]:
        """Names of the axes on this bus, in the order of every array it takes or gives."""
        ...

    def enable(self) -> None:
        """Power the drives and hold the current position."""
        ...

    def disable(self) -> None:
        """Remove drive power (the arm is held by its brakes, if any)."""
        ...

    def write_setpoints(self, q_rad: FloatArray) -> None:
        """Command joint positions [rad] for the next cycle, one per axis."""
        ...

    def read_state(self) -> DriveState:
        """Read positions, velocities, efforts and telemetry of every axis."""
        ...

    def close(self) -> None:
        """Release the bus (port, adapter); later calls raise."""
        ...


@runtime_checkable
class Gripper(Protocol):
    """A parallel gripper."""

    def open(self, width_m: float | None = None) -> None:
        """Open to ``width_m`` between the pads [m], or fully when None (a width beyond
        the stroke opens fully); returns when the fingers stop."""
        ...

    def close(self) -> None:
        """Close until the fingers stall on a part or meet."""
        ...

    def width_m(self) -> float:
        """Current opening between the fingers [m]."""
        ...

    def grasped(self) -> bool:
        """True when the fingers stalled on an object."""
        ...
