"""The part detector: one RGB-D frame in, one :class:`Detection` per part out.

Stages (each on the image grid, numpy and OpenCV):

1. validate the frame (:func:`jazari.perception.camera_model.validate_frame`);
2. the table plane by RANSAC on a sparse pixel grid (:mod:`jazari.perception.plane`);
3. every pixel's height above it, and the foreground (high pixels, and pixels without
   depth whose colour is not the table's);
4. per foreground blob: top faces cut out along colour and depth edges, touching parts
   of one colour split by watershed (:mod:`jazari.perception.segmentation`);
5. per face: its depth pixels back-projected to the table frame, a box or cylinder fitted
   to them (:mod:`jazari.perception.fitting`), the pose composed in the base frame.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np
from numpy.typing import NDArray

from jazari.perception.camera_model import ray_grid, validate_frame
from jazari.perception.colorspace import image_to_lab
from jazari.perception.detection import Detection
from jazari.perception.fitting import FaceFit, fit_face
from jazari.perception.params import DetectorParams, load_detector_params
from jazari.perception.plane import Plane, fit_table_plane
from jazari.perception.segmentation import (
    TopFace,
    assign_pixels,
    fill_holes,
    foreground_mask,
    same_hue,
    top_faces,
)
from jazari.ports import RGBDFrame

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
_PAD_PX = 3
_NEAR_KERNEL = np.ones((5, 5), np.uint8)
_GROW_KERNEL = np.ones((3, 3), np.uint8)


def table_frame(plane_base: Plane, T_base_camera: FloatArray) -> FloatArray:
    """4×4 pose in the base frame of the table frame: z along the plane's normal, origin
    below the camera, x as close to the base x axis as the plane allows."""
    n = plane_base.normal
    cam = T_base_camera[:3, 3]
    origin = cam - plane_base.height(cam) * n
    x = np.array([1.0, 0.0, 0.0]) - n[0] * n
    if np.linalg.norm(x) < 1e-6:  # the table stands on its side: any x will do
        x = np.array([0.0, 1.0, 0.0]) - n[1] * n
    x /= np.linalg.norm(x)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = x, np.cross(n, x), n, origin
    return T


class PartDetector:
    """Finds, poses and measures the parts on the table in RGB-D frames.

    Args:
        params: settings (default: ``config/perception.yaml``).
    """

    def __init__(self, params: DetectorParams | None = None) -> None:
        self.params = params if params is not None else load_detector_params()
        self.last_plane_base: Plane | None = None

    def detect(self, frame: RGBDFrame) -> list[Detection]:
        """Every part in ``frame``, in no particular order.

        Raises:
            FrameError: for a malformed frame (see ``validate_frame``).
            TablePlaneError: when no table plane can be found.
        """
        p = self.params
        valid = validate_frame(frame, (p.depth_min_m, p.depth_max_m))
        k = frame.intrinsics
        rx, ry = ray_grid(k)
        plane_cam, table_rgb = self._table(frame, valid)
        T_base_camera = np.asarray(frame.T_base_camera, dtype=float)
        plane_base = plane_cam.transformed(T_base_camera)
        self.last_plane_base = plane_base
        n = plane_cam.normal.astype(np.float32)
        height = frame.depth_m * (n[0] * rx + n[1] * ry + n[2]) + np.float32(plane_cam.offset_m)
        height[~valid] = np.nan
        fg = foreground_mask(height, valid, frame.color, table_rgb, p.segmentation)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
        T_base_table = table_frame(plane_base, T_base_camera)
        T_table_camera = np.linalg.solve(T_base_table, T_base_camera)
        # Size of a pixel on the table: faces are closer, so their areas come out a bit small.
        pixel_m = plane_cam.offset_m / math.sqrt(k.fx * k.fy)
        ctx = _Frame(frame, valid, height, T_base_table, T_table_camera, pixel_m)
        out: list[Detection] = []
        for i in range(1, count):
            x, y, w, h, area = stats[i]
            if area < p.min_component_px:
                continue
            y0, x0 = max(y - _PAD_PX, 0), max(x - _PAD_PX, 0)
            window = (
                slice(y0, min(y + h + _PAD_PX, k.height)),
                slice(x0, min(x + w + _PAD_PX, k.width)),
            )
            out.extend(self._blob(ctx, labels[window] == i, window))
        return out

    def _table(self, frame: RGBDFrame, valid: NDArray[np.bool_]) -> tuple[Plane, NDArray[np.uint8]]:
        """The table plane in the camera frame and the table's median colour."""
        stride = self.params.plane.sample_stride_px
        rows, cols = np.nonzero(valid[::stride, ::stride])
        rows, cols = rows * stride, cols * stride
        rx, ry = ray_grid(frame.intrinsics)
        z = frame.depth_m[rows, cols].astype(float)
        pts = np.stack([rx[rows, cols] * z, ry[rows, cols] * z, z], axis=1)
        up_camera = frame.T_base_camera[2, :3]  # base z expressed in the camera frame
        plane = fit_table_plane(pts, up_camera, self.params.plane)
        on_table = np.abs(plane.height(pts)) < self.params.plane.inlier_threshold_m
        table_rgb = np.median(frame.color[rows[on_table], cols[on_table]], axis=0).astype(np.uint8)
        return plane, table_rgb

    def _blob(
        self, ctx: _Frame, blob: NDArray[np.bool_], window: tuple[slice, slice]
    ) -> list[Detection]:
        seg = self.params.segmentation
        color = ctx.frame.color[window]
        height = ctx.height[window]
        lab = image_to_lab(color)
        faces = top_faces(blob, lab, height, ctx.pixel_m, seg)
        if not faces:
            return []
        owner = assign_pixels(blob, faces)
        out = []
        for k, face in enumerate(faces, start=1):
            part = (owner == k) & same_hue(lab, face.core, seg.max_hue_difference_deg)
            det = self._measure(ctx, face, part, window, color)
            if det is not None:
                out.append(det)
        return out

    def _measure(
        self, ctx: _Frame, face: TopFace, part: NDArray[np.bool_], window: tuple[slice, slice],
        color: NDArray[np.uint8],
    ) -> Detection | None:  # fmt: skip
        p = self.params
        height, valid = ctx.height[window], ctx.valid[window]
        # The face's core lies one pixel inside its edge; two pixels of slack take in the
        # whole face and the top of its own sides, but not a touching part's side.
        near = cv2.dilate(face.filled.astype(np.uint8), _NEAR_KERNEL).astype(bool)
        with np.errstate(invalid="ignore"):
            top = part & near & (np.abs(height - face.level_m) < p.segmentation.level_tolerance_m)
        rows, cols = np.nonzero(top)
        if rows.size < 3:
            return None
        k = ctx.frame.intrinsics
        r0, c0 = window[0].start, window[1].start
        rx, ry = ray_grid(k)
        z = ctx.frame.depth_m[rows + r0, cols + c0].astype(float)
        pts_cam = np.stack([rx[rows + r0, cols + c0] * z, ry[rows + r0, cols + c0] * z, z], axis=1)
        pts = pts_cam @ ctx.T_table_camera[:3, :3].T + ctx.T_table_camera[:3, 3]
        pixel_m = float(np.median(z)) / math.sqrt(k.fx * k.fy)
        fit = fit_face(pts[:, :2], pixel_m, p.fit)
        if fit is None:
            return None
        T_base_part = ctx.T_base_table @ _pose_in_table(fit, face.level_m)
        xy = T_base_part[:2, 3]
        (x0, x1), (y0, y1) = p.work_area_x_m, p.work_area_y_m
        if not (x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1):
            return None
        n_part = max(int(np.count_nonzero(part)), 1)
        valid_fraction = int(np.count_nonzero(valid & part)) / n_part
        full_mask = np.zeros(ctx.valid.shape, bool)
        full_mask[window] = part
        top_full = np.zeros(ctx.valid.shape, bool)
        # The top face for inspection: the edge-free core grown back by the one pixel the
        # colour edge took (not the tops of the darker sides, which `top` holds).
        top_full[window] = fill_holes(
            cv2.dilate(face.filled.astype(np.uint8), _GROW_KERNEL).astype(bool) & part
        )
        mean_rgb = color[face.core].reshape(-1, 3).mean(axis=0) / 255.0
        dims = (*fit.size_m, face.level_m)
        return Detection(
            fit.shape, T_base_part, tuple(float(d) for d in dims),
            (float(mean_rgb[0]), float(mean_rgb[1]), float(mean_rgb[2])),
            float(np.clip(valid_fraction * fit.quality, 0.0, 1.0)), full_mask, top_full,
            valid_fraction,
        )  # fmt: skip


def _pose_in_table(fit: FaceFit, height_m: float) -> FloatArray:
    c, s = math.cos(fit.yaw_rad), math.sin(fit.yaw_rad)
    T = np.eye(4)
    T[:2, :2] = [[c, -s], [s, c]]
    T[:3, 3] = (fit.center_xy_m[0], fit.center_xy_m[1], height_m / 2.0)
    return T


class _Frame:
    """What every stage of one detection shares."""

    def __init__(
        self, frame: RGBDFrame, valid: NDArray[np.bool_], height: NDArray[np.float32],
        T_base_table: FloatArray, T_table_camera: FloatArray, pixel_m: float,
    ) -> None:  # fmt: skip
        self.frame, self.valid, self.height = frame, valid, height
        self.T_base_table, self.T_table_camera = T_base_table, T_table_camera
        self.pixel_m = pixel_m
