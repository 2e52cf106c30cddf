"""The overhead RGB-D camera's settings from ``config/camera.yaml``.

The same file feeds the URDF (the camera's mount), perception and the twin, so the
rendered images have exactly the intrinsics every other component assumes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jazari.config import ParamReader, load_params, load_params_file
from jazari.ports import CameraIntrinsics
from jazari.sim.errors import SimConfigError


@dataclass(frozen=True)
class CameraConfig:
    """The camera as configured.

    Attributes:
        frame_id: the URDF link of the optical frame (z forward, x right, y down).
        intrinsics: pinhole intrinsics of the aligned colour and depth images; the
            principal point follows OpenCV (the top-left pixel's centre is (0, 0)).
        depth_min_m, depth_max_m: the depth sensor's valid range [m].
    """

    frame_id: str
    intrinsics: CameraIntrinsics
    depth_min_m: float
    depth_max_m: float

    def __post_init__(self) -> None:
        if not 0 < self.depth_min_m < self.depth_max_m:
            raise SimConfigError(
                f"camera depth range must satisfy 0 < depth_min_m < depth_max_m, "
                f"got {self.depth_min_m}, {self.depth_max_m}"
            )

    def fovy_deg(self) -> float:
        """Vertical field of view [deg] of a symmetric pinhole with these intrinsics.

        MuJoCo renders symmetric frusta with square pixels, so the twin needs fx = fy and
        the principal point at the image centre.

        Raises:
            SimConfigError: naming the intrinsic the twin cannot render.
        """
        k = self.intrinsics
        if not math.isclose(k.fx, k.fy, rel_tol=1e-9):
            raise SimConfigError(f"the twin renders square pixels only: fx {k.fx} != fy {k.fy}")
        for name, value, centre in (
            ("cx", k.cx, (k.width - 1) / 2),
            ("cy", k.cy, (k.height - 1) / 2),
        ):
            if not math.isclose(value, centre, abs_tol=1e-6):
                raise SimConfigError(
                    f"the twin renders a centred principal point: {name} must be {centre}, "
                    f"got {value}"
                )
        return math.degrees(2.0 * math.atan(k.height / 2.0 / k.fy))

    @classmethod
    def from_params(cls, params: Mapping[str, Any], where: str = "camera.yaml") -> CameraConfig:
        """From the ``ros__parameters`` of ``config/camera.yaml``."""
        r = ParamReader(params, where, SimConfigError)
        intr = CameraIntrinsics(
            r.integer("width", 1), r.integer("height", 1), r.positive("fx"), r.positive("fy"),
            r.number("cx"), r.number("cy"),
        )  # fmt: skip
        frame = params.get("frame_id")
        if not isinstance(frame, str) or not frame:
            raise SimConfigError(f"{where}.frame_id must be a link name, got {frame!r}")
        return cls(frame, intr, r.positive("depth_min_m"), r.positive("depth_max_m"))


def load_camera_config(path: Path | str | None = None) -> CameraConfig:
    """Camera settings from ``path`` (default: the packaged ``config/camera.yaml``)."""
    params = load_params("camera") if path is None else load_params_file(path)
    return CameraConfig.from_params(params, "camera.yaml" if path is None else str(path))
