"""Images and camera info: ``sensor_msgs/msg/Image`` and ``sensor_msgs/msg/CameraInfo``.

Colour goes out as ``rgb8``; depth as ``32FC1`` in metres (REP 118). Coming in, colour
may be ``rgb8``, ``bgr8``, ``rgba8`` or ``bgra8``, and depth ``32FC1`` [m] or ``16UC1``
[mm] (what RealSense-class drivers publish), with any row padding and byte order.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from jazari.ports import CameraIntrinsics, PortValueError
from jazari.ros.convert.base import (
    MessageTypes,
    byte_buffer,
    header_msg,
    numbers,
)
from jazari.ros.errors import ConversionError

# encoding -> (channels, OpenCV conversion to RGB or None when already RGB)
_COLOR_ENCODINGS: dict[str, tuple[int, int | None]] = {
    "rgb8": (3, None),
    "bgr8": (3, cv2.COLOR_BGR2RGB),
    "rgba8": (4, cv2.COLOR_RGBA2RGB),
    "bgra8": (4, cv2.COLOR_BGRA2RGB),
}
# encoding -> (dtype without byte order, scale to metres)
_DEPTH_ENCODINGS: dict[str, tuple[str, float]] = {"32FC1": ("f4", 1.0), "16UC1": ("u2", 1e-3)}


def color_image_msg(
    types: MessageTypes, rgb: NDArray[np.uint8], stamp_s: float, frame_id: str
) -> Any:
    """An ``rgb8`` image from an H×W×3 uint8 RGB array."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ConversionError(
            f"colour image must be an HxWx3 uint8 array, got shape {rgb.shape} {rgb.dtype}"
        )
    return _image_msg(types, rgb, "rgb8", stamp_s, frame_id)


def depth_image_msg(
    types: MessageTypes, depth_m: NDArray[np.floating[Any]], stamp_s: float, frame_id: str
) -> Any:
    """A ``32FC1`` image from an H×W depth array [m] (0 or NaN where there is no return).

    Raises:
        ConversionError: for another shape, or a negative depth (naming its pixel).
    """
    if depth_m.ndim != 2 or not np.issubdtype(depth_m.dtype, np.floating):
        raise ConversionError(
            f"depth image must be an HxW float array [m], got shape {depth_m.shape} {depth_m.dtype}"
        )
    depth = np.asarray(depth_m, dtype=np.float32)
    if (depth < 0).any():
        row, col = np.argwhere(depth < 0)[0]
        raise ConversionError(
            f"depth must be >= 0 m, got {depth[row, col]} at pixel ({row}, {col})"
        )
    return _image_msg(types, depth, "32FC1", stamp_s, frame_id)


def _image_msg(
    types: MessageTypes, pixels: NDArray[Any], encoding: str, stamp_s: float, frame_id: str
) -> Any:
    height, width = pixels.shape[:2]
    if height == 0 or width == 0:
        raise ConversionError(f"image must not be empty, got {width}x{height}")
    # A copy (the message must not change when the caller reuses its frame buffer), in
    # little-endian byte order whatever the host's.
    little = pixels.dtype.newbyteorder("<")
    data = np.array(pixels, dtype=little, order="C", copy=True).view(np.uint8).reshape(-1)
    return types.get("sensor_msgs/msg/Image")(
        header=header_msg(types, stamp_s, frame_id),
        height=int(height),
        width=int(width),
        encoding=encoding,
        is_bigendian=0,
        step=int(data.size // height),
        data=types.sequence(data),
    )


def _pixels(msg: Any, dtype: np.dtype[Any], channels: int, field: str) -> NDArray[Any]:
    """The image's pixels as a (H, W, channels) view of its data, rows padding skipped."""
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0:
        raise ConversionError(f"{field} must not be empty, got {width}x{height}")
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ConversionError(
            f"{field}.step {step} is less than width x pixel size = {row_bytes} bytes"
        )
    data = byte_buffer(msg.data, f"{field}.data")
    if data.size != step * height:
        raise ConversionError(
            f"{field}.data has {data.size} bytes, expected step x height = {step * height}"
        )
    return np.ndarray(
        (height, width, channels),
        dtype=dtype,
        buffer=data,
        strides=(step, channels * dtype.itemsize, dtype.itemsize),
    )


def rgb_from_image_msg(msg: Any, field: str = "image") -> NDArray[np.uint8]:
    """An H×W×3 uint8 RGB array (a copy) from an rgb8/bgr8/rgba8/bgra8 image."""
    encoding = str(msg.encoding)
    if encoding not in _COLOR_ENCODINGS:
        raise ConversionError(
            f"{field}.encoding {encoding!r} is not a colour encoding; "
            f"expected one of {sorted(_COLOR_ENCODINGS)}"
        )
    channels, conversion = _COLOR_ENCODINGS[encoding]
    pixels = _pixels(msg, np.dtype(np.uint8), channels, field)
    if conversion is None:
        return np.array(pixels, order="C", copy=True)
    # OpenCV's vectorised channel shuffles beat numpy's strided copies about tenfold.
    return np.asarray(cv2.cvtColor(pixels, conversion), dtype=np.uint8)


def depth_m_from_image_msg(msg: Any, field: str = "depth") -> NDArray[np.float32]:
    """An H×W float32 depth array [m] (a copy) from a 32FC1 [m] or 16UC1 [mm] image.

    16UC1's 0 (no return) stays 0.
    """
    encoding = str(msg.encoding)
    if encoding not in _DEPTH_ENCODINGS:
        raise ConversionError(
            f"{field}.encoding {encoding!r} is not a depth encoding; "
            f"expected one of {sorted(_DEPTH_ENCODINGS)}"
        )
    code, scale = _DEPTH_ENCODINGS[encoding]
    dtype = np.dtype((">" if int(msg.is_bigendian) else "<") + code)
    pixels = _pixels(msg, dtype, 1, field)[:, :, 0]
    depth = pixels.astype(np.float32)
    if scale != 1.0:
        depth *= np.float32(scale)
    return depth


def camera_info_msg(
    types: MessageTypes, intrinsics: CameraIntrinsics, stamp_s: float, frame_id: str
) -> Any:
    """``CameraInfo`` of a rectified pinhole camera (``plumb_bob``, zero distortion)."""
    k = intrinsics.matrix()
    p = np.hstack([k, np.zeros((3, 1))])
    return types.get("sensor_msgs/msg/CameraInfo")(
        header=header_msg(types, stamp_s, frame_id),
        height=intrinsics.height,
        width=intrinsics.width,
        distortion_model="plumb_bob",
        d=types.sequence(np.zeros(5)),
        k=k.reshape(-1),
        r=np.eye(3).reshape(-1),
        p=p.reshape(-1),
        binning_x=0,
        binning_y=0,
        roi=types.get("sensor_msgs/msg/RegionOfInterest")(
            x_offset=0, y_offset=0, height=0, width=0, do_rectify=False
        ),
    )


def intrinsics_from_camera_info(msg: Any, field: str = "camera_info") -> CameraIntrinsics:
    """The intrinsics of a ``CameraInfo`` whose images are rectified.

    Raises:
        ConversionError: when K is malformed or skewed, the distortion is not zero (the
            images are not rectified: use the ``image_rect`` topics' camera info), or
            binning/ROI are set.
    """
    k = numbers(msg.k, f"{field}.k")
    if k.shape != (9,) or not np.all(np.isfinite(k)):
        raise ConversionError(f"{field}.k must be 9 finite values, got {k.tolist()}")
    if k[1] != 0.0 or k[3] != 0.0 or k[6] != 0.0 or k[7] != 0.0 or k[8] != 1.0:
        raise ConversionError(f"{field}.k is not a zero-skew pinhole matrix: {k.tolist()}")
    d = numbers(msg.d, f"{field}.d")
    if np.any(d != 0.0):
        raise ConversionError(
            f"{field}.d = {d.tolist()} is not zero: Jazari needs rectified images"
        )
    if (
        int(msg.binning_x) > 1
        or int(msg.binning_y) > 1
        or int(msg.roi.width)
        or int(msg.roi.height)
    ):
        raise ConversionError(f"{field}: binning and region of interest are not supported")
    try:
        return CameraIntrinsics(
            width=int(msg.width),
            height=int(msg.height),
            fx=float(k[0]),
            fy=float(k[4]),
            cx=float(k[2]),
            cy=float(k[5]),
        )
    except PortValueError as exc:
        raise ConversionError(f"{field}: {exc}") from None
