"""What the nodes compute only to show it (RViz, Foxglove): the camera's point cloud and
a plan's tool path."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from jazari.geometry.transforms import FloatArray
from jazari.perception.camera_model import backproject
from jazari.planning.plan import PickPlacePlan
from jazari.ports import RGBDFrame
from jazari.robot.chain import KinematicChain


def frame_cloud(frame: RGBDFrame, stride_px: int) -> tuple[FloatArray, NDArray[np.uint8]]:
    """Points of every ``stride_px``-th pixel with depth, in the base frame [m], and
    their colours.

    Raises:
        ValueError: for a stride < 1.
    """
    if stride_px < 1:
        raise ValueError(f"stride_px must be >= 1, got {stride_px}")
    depth = frame.depth_m[::stride_px, ::stride_px]
    rows, cols = np.nonzero(np.isfinite(depth) & (depth > 0))
    rows, cols = rows * stride_px, cols * stride_px
    p_camera = backproject(frame.depth_m, rows, cols, frame.intrinsics)
    T = np.asarray(frame.T_base_camera, dtype=float)
    p_base: FloatArray = p_camera @ T[:3, :3].T + T[:3, 3]
    return p_base, np.ascontiguousarray(frame.color[rows, cols])


def tool_path(plan: PickPlacePlan, chain: KinematicChain, stride: int = 5) -> FloatArray:
    """(K, 4, 4) tool poses in the base frame along every segment of ``plan``, one per
    ``stride`` trajectory samples (and each segment's last)."""
    q = np.concatenate(
        [np.vstack([s.trajectory.positions[::stride], s.trajectory.positions[-1:]])
         for s in plan.segments]
    )  # fmt: skip
    poses: FloatArray = chain.fk(q)
    return poses
