"""The straightforward Open3D pipeline, the peer Jazari's detector is measured against.

Point cloud from the RGB-D frame (``create_from_rgbd_image``) in the base frame, voxel
down-sampling, RANSAC ``segment_plane`` for the table, the points well above it
clustered with ``cluster_dbscan``, and one oriented bounding box per cluster. Parts are
known to rest on the table, so each box is read as: centre and yaw from the box's
horizontal axes, height from the cluster's highest points over the plane. Shape is
told from how much of its bounding rectangle the cluster's footprint fills.

Parameters are the ones a careful user would pick for this camera (1.4 mm pixels at
0.9 m, 1–2 mm depth noise, parts ≥ 30 mm): 3 mm voxels, 4 mm plane threshold, 6 mm
DBSCAN radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import open3d as o3d
from numpy.typing import NDArray

from jazari.perception.camera_model import validate_frame
from jazari.perception.detection import Detection
from jazari.perception.fitting import wrap_half_turn
from jazari.ports import RGBDFrame

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Open3DPeerParams:
    """Settings of the Open3D pipeline (lengths in metres)."""

    voxel_m: float = 0.003
    plane_threshold_m: float = 0.004
    plane_iterations: int = 200
    min_height_m: float = 0.008
    dbscan_eps_m: float = 0.006
    dbscan_min_points: int = 15
    min_cluster_points: int = 40
    work_area_x_m: tuple[float, float] = (0.3, 0.8)
    work_area_y_m: tuple[float, float] = (-0.3, 0.3)
    box_min_fill: float = 0.89
    seed: int = 0


class Open3DPeer:
    """Detects parts with the plain Open3D pipeline (see the module docstring)."""

    def __init__(self, params: Open3DPeerParams | None = None) -> None:
        self.params = params if params is not None else Open3DPeerParams()

    def detect(self, frame: RGBDFrame) -> list[Detection]:
        """Every cluster above the table as a :class:`Detection` (masks are empty)."""
        p = self.params
        validate_frame(frame, (0.2, 2.0))
        k = frame.intrinsics
        intr = o3d.camera.PinholeCameraIntrinsic(k.width, k.height, k.fx, k.fy, k.cx, k.cy)
        rgbd = o3d.geometry.RGBDImage.create_from_color_and_depth(
            o3d.geometry.Image(np.ascontiguousarray(frame.color)),  # type: ignore[call-overload]
            o3d.geometry.Image(np.nan_to_num(frame.depth_m, nan=0.0)),  # type: ignore[call-overload]
            depth_scale=1.0, depth_trunc=2.0, convert_rgb_to_intensity=False,
        )  # fmt: skip
        pcd = o3d.geometry.PointCloud.create_from_rgbd_image(
            rgbd, intr, np.linalg.inv(frame.T_base_camera)
        )
        pcd = pcd.voxel_down_sample(p.voxel_m)
        o3d.utility.random.seed(p.seed)
        plane, _ = pcd.segment_plane(p.plane_threshold_m, 3, p.plane_iterations)
        n = np.asarray(plane[:3])
        d = float(plane[3])
        if n[2] < 0:
            n, d = -n, -d
        pts = np.asarray(pcd.points)
        height = pts @ n + d
        keep = height > p.min_height_m
        (x0, x1), (y0, y1) = p.work_area_x_m, p.work_area_y_m
        keep &= (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
        above = pcd.select_by_index(np.flatnonzero(keep).tolist())
        labels = np.asarray(above.cluster_dbscan(p.dbscan_eps_m, p.dbscan_min_points))
        colors = np.asarray(above.colors)
        h_above = height[keep]
        out = []
        shape_hw = (k.height, k.width)
        for label in range(int(labels.max(initial=-1)) + 1):
            idx = np.flatnonzero(labels == label)
            if idx.size < p.min_cluster_points:
                continue
            out.append(self._box(above.select_by_index(idx.tolist()), h_above[idx],
                                 colors[idx], shape_hw))  # fmt: skip
        return out

    def _box(
        self, cluster: o3d.geometry.PointCloud, height: FloatArray, colors: FloatArray,
        shape_hw: tuple[int, int],
    ) -> Detection:  # fmt: skip
        obb = cluster.get_oriented_bounding_box()
        R = np.asarray(obb.R)
        extent = np.asarray(obb.extent)
        up = int(np.argmax(np.abs(R[2])))
        horiz = [i for i in range(3) if i != up]
        i_long = max(horiz, key=lambda i: extent[i])
        i_short = min(horiz, key=lambda i: extent[i])
        axis = R[:, i_long]
        top = float(np.percentile(height, 98))
        pts = np.asarray(cluster.points)
        # Footprint fill: the cluster's cells over its bounding rectangle's area.
        local = pts[:, :2] @ np.array([R[:2, i_long], R[:2, i_short]]).T
        cells = {tuple(c) for c in np.floor(local / self.params.voxel_m).astype(int)}
        rect = extent[i_long] * extent[i_short]
        fill = len(cells) * self.params.voxel_m**2 / rect if rect > 0 else 0.0
        center = np.asarray(obb.center)
        T = np.eye(4)
        if fill >= self.params.box_min_fill:
            shape = "box"
            dims: tuple[float, ...] = (float(extent[i_long]), float(extent[i_short]), top)
            yaw = wrap_half_turn(math.atan2(axis[1], axis[0]))
        else:
            shape, dims = "cylinder", (float((extent[i_long] + extent[i_short]) / 2), top)
            yaw = 0.0
        T[:2, :2] = [[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]]
        T[:3, 3] = (center[0], center[1], top / 2.0)
        rgb = np.clip(colors.mean(axis=0), 0.0, 1.0)
        empty = np.zeros(shape_hw, bool)
        return Detection(shape, T, dims, (float(rgb[0]), float(rgb[1]), float(rgb[2])), 1.0,
                         empty, empty, 1.0)  # fmt: skip
