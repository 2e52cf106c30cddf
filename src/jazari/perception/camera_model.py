"""The pinhole camera model on the image grid, and validation of incoming frames.

Pixel (u, v) (column, row; the top-left pixel's centre is (0, 0)) with depth z along
the optical axis is the point z · ((u − cx)/fx, (v − cy)/fy, 1) in the camera's optical
frame. The per-pixel ray factors are cached per intrinsics, so back-projection of a
whole frame is two multiplications per pixel.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from jazari.perception.errors import FrameError
from jazari.ports import CameraIntrinsics, RGBDFrame

FloatArray = NDArray[np.float64]
Float32Image = NDArray[np.float32]

_ROTATION_TOLERANCE = 1e-4


@functools.lru_cache(maxsize=8)
def ray_grid(intrinsics: CameraIntrinsics) -> tuple[Float32Image, Float32Image]:
    """((u − cx)/fx, (v − cy)/fy) for every pixel, each H×W float32 (read-only)."""
    k = intrinsics
    u = (np.arange(k.width, dtype=np.float32) - np.float32(k.cx)) / np.float32(k.fx)
    v = (np.arange(k.height, dtype=np.float32) - np.float32(k.cy)) / np.float32(k.fy)
    rx = np.broadcast_to(u[None, :], (k.height, k.width)).copy()
    ry = np.broadcast_to(v[:, None], (k.height, k.width)).copy()
    rx.setflags(write=False)
    ry.setflags(write=False)
    return rx, ry


def backproject(
    depth_m: NDArray[np.floating], rows: NDArray[np.intp], cols: NDArray[np.intp],
    intrinsics: CameraIntrinsics,
) -> FloatArray:  # fmt: skip
    """Points (N, 3) in the optical frame [m] of the pixels (rows, cols) at their depth."""
    rx, ry = ray_grid(intrinsics)
    z = depth_m[rows, cols].astype(float)
    return np.stack([rx[rows, cols] * z, ry[rows, cols] * z, z], axis=-1)


def valid_depth(depth_m: Float32Image, min_m: float, max_m: float) -> NDArray[np.bool_]:
    """Pixels with a usable return: finite, inside the sensor's range [m]."""
    with np.errstate(invalid="ignore"):
        return np.asarray((depth_m >= min_m) & (depth_m <= max_m))


def validate_frame(frame: RGBDFrame, depth_range_m: tuple[float, float]) -> NDArray[np.bool_]:
    """Check a frame's images, intrinsics and pose; return its valid-depth mask.

    Raises:
        FrameError: naming the bad value: colour not HxWx3 uint8, depth not H×W float32,
            sizes that differ from each other or from the intrinsics, a principal point
            outside the image, a non-rigid or non-finite camera pose, negative depth, or
            no pixel with usable depth (all NaN, all zero, all out of range).
    """
    k = frame.intrinsics
    color, depth = frame.color, frame.depth_m
    if not isinstance(k, CameraIntrinsics):
        raise FrameError(f"intrinsics must be CameraIntrinsics, got {type(k).__name__}")
    if not isinstance(color, np.ndarray) or color.ndim != 3 or color.shape[2] != 3:
        raise FrameError(f"color must be an HxWx3 array, got {_describe(color)}")
    if color.dtype != np.uint8:
        raise FrameError(f"color must be uint8, got dtype {color.dtype}")
    if not isinstance(depth, np.ndarray) or depth.ndim != 2:
        raise FrameError(f"depth_m must be an HxW array, got {_describe(depth)}")
    if depth.dtype != np.float32:
        raise FrameError(f"depth_m must be float32 metres, got dtype {depth.dtype}")
    if color.shape[:2] != depth.shape:
        raise FrameError(f"color is {color.shape[:2]} but depth_m is {depth.shape} (H, W)")
    if depth.shape != (k.height, k.width):
        raise FrameError(
            f"intrinsics are for {k.width}x{k.height} images, the frame is "
            f"{depth.shape[1]}x{depth.shape[0]}"
        )
    if not (0.0 <= k.cx <= k.width - 1 and 0.0 <= k.cy <= k.height - 1):
        raise FrameError(
            f"principal point ({k.cx}, {k.cy}) lies outside the {k.width}x{k.height} image"
        )
    _check_pose(frame.T_base_camera)
    with np.errstate(invalid="ignore"):
        if np.any(depth < 0.0):
            raise FrameError(f"depth_m has negative values (min {np.nanmin(depth)} m)")
    valid = valid_depth(depth, *depth_range_m)
    if not valid.any():
        finite = np.isfinite(depth)
        what = "all NaN" if not finite.any() else "all zero" if not depth[finite].any() else None
        raise FrameError(
            f"depth_m has no usable pixel ({what or 'none in the range'} "
            f"{depth_range_m[0]}..{depth_range_m[1]} m)"
        )
    return valid


def _check_pose(T: object) -> None:
    if not isinstance(T, np.ndarray) or T.shape != (4, 4):
        raise FrameError(f"T_base_camera must be a 4x4 array, got {_describe(T)}")
    if not np.all(np.isfinite(T)):
        raise FrameError("T_base_camera has non-finite entries")
    R = T[:3, :3]
    err = float(np.max(np.abs(R.T @ R - np.eye(3))))
    if err > _ROTATION_TOLERANCE or not np.allclose(T[3], [0, 0, 0, 1]) or np.linalg.det(R) < 0:
        raise FrameError(f"T_base_camera is not a rigid transform (|R^T R - I| = {err:.2e})")


def _describe(x: object) -> str:
    if isinstance(x, np.ndarray):
        return f"shape {x.shape} dtype {x.dtype}"
    return type(x).__name__
