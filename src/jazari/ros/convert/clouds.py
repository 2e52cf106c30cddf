"""Point clouds: ``sensor_msgs/msg/PointCloud2`` from and to (N, 3) arrays.

Outgoing clouds are unorganised (height 1), little-endian, with float32 ``x, y, z`` [m]
and, when colours are given, PCL's packed ``rgb`` field: a FLOAT32-typed field whose
four bytes are the uint32 ``0xAARRGGBB`` (alpha 255), which RViz and Foxglove decode.
Packing writes whole columns of one preallocated buffer, a few vectorised copies
instead of a Python step per point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from jazari.geometry.transforms import FloatArray
from jazari.ros.convert.base import MessageTypes, byte_buffer, header_msg
from jazari.ros.errors import ConversionError

# PointField datatype codes (sensor_msgs/msg/PointField constants) and their dtypes.
_FLOAT32, _UINT32, _FLOAT64 = 7, 6, 8
_DATATYPE_CODES = {_FLOAT32: "f4", _FLOAT64: "f8", _UINT32: "u4"}

XYZ_DTYPE = np.dtype({"names": ["x", "y", "z"], "formats": ["<f4"] * 3, "offsets": [0, 4, 8]})
XYZRGB_DTYPE = np.dtype(
    {
        "names": ["x", "y", "z", "rgb"],
        "formats": ["<f4", "<f4", "<f4", "<u4"],
        "offsets": [0, 4, 8, 12],
        "itemsize": 16,
    }
)


def pointcloud2_msg(
    types: MessageTypes,
    xyz_m: NDArray[np.floating[Any]],
    rgb: NDArray[np.uint8] | None,
    stamp_s: float,
    frame_id: str,
) -> Any:
    """An unorganised ``PointCloud2`` of N points.

    Args:
        types: message classes.
        xyz_m: (N, 3) point coordinates [m] in ``frame_id``; NaN marks invalid points
            (the cloud is then not dense).
        rgb: (N, 3) uint8 colours, or None for a cloud without colour.
        stamp_s: capture time [s].
        frame_id: frame of the coordinates.
    """
    if xyz_m.ndim != 2 or xyz_m.shape[1] != 3 or not np.issubdtype(xyz_m.dtype, np.floating):
        raise ConversionError(
            f"xyz_m must be an (N, 3) float array, got {xyz_m.shape} {xyz_m.dtype}"
        )
    n = xyz_m.shape[0]
    if rgb is not None and (rgb.shape != (n, 3) or rgb.dtype != np.uint8):
        raise ConversionError(f"rgb must be an ({n}, 3) uint8 array, got {rgb.shape} {rgb.dtype}")
    dtype = XYZ_DTYPE if rgb is None else XYZRGB_DTYPE
    points = np.empty(n, dtype=dtype)
    # Fill unstructured views of the same bytes one column at a time: numpy's strided
    # copies of single columns are several times faster than a (N, 3) block assignment
    # into a wider row or than assigning the structured fields.
    floats = points.view(np.float32).reshape(n, dtype.itemsize // 4)
    for axis in range(3):
        floats[:, axis] = xyz_m[:, axis]
    if rgb is not None:
        # Little-endian 0xAARRGGBB is the bytes B, G, R, A.
        packed = points.view(np.uint8).reshape(n, dtype.itemsize)
        for offset, channel in ((12, 2), (13, 1), (14, 0)):
            packed[:, offset] = rgb[:, channel]
        packed[:, 15] = 255
    point_field = types.get("sensor_msgs/msg/PointField")
    fields = [
        point_field(name=name, offset=int(offset), datatype=_FLOAT32, count=1)
        for name, (_, offset, *_) in (dtype.fields or {}).items()
    ]
    return types.get("sensor_msgs/msg/PointCloud2")(
        header=header_msg(types, stamp_s, frame_id),
        height=1,
        width=n,
        fields=fields,
        is_bigendian=False,
        point_step=dtype.itemsize,
        row_step=dtype.itemsize * n,
        data=types.sequence(points.view(np.uint8).reshape(-1)),
        is_dense=bool(np.isfinite(xyz_m).all()),
    )


def arrays_from_pointcloud2(
    msg: Any, field: str = "cloud"
) -> tuple[FloatArray, NDArray[np.uint8] | None]:
    """Coordinates [m] and colours of every point of a ``PointCloud2``.

    Reads any layout that has FLOAT32/FLOAT64 ``x``, ``y``, ``z`` fields and optionally a
    packed ``rgb`` or ``rgba`` field (FLOAT32 or UINT32), in either byte order, with row
    padding; organised clouds are flattened row by row.

    Returns:
        ``(xyz_m, rgb)``: (N, 3) float64 and (N, 3) uint8, or None without a colour field.
    """
    points = _points_view(msg, _point_dtype(msg, field), field)
    xyz = np.empty((points.size, 3))
    for i, axis in enumerate("xyz"):
        xyz[:, i] = points[axis]
    if "rgb" not in (points.dtype.names or ()):
        return xyz, None
    bits = points["rgb"]
    rgb = np.empty((points.size, 3), dtype=np.uint8)
    for i, shift in enumerate((16, 8, 0)):
        rgb[:, i] = (bits >> shift) & 0xFF
    return xyz, rgb


def _point_dtype(msg: Any, field: str) -> np.dtype[Any]:
    """A structured dtype over one point's bytes: x, y, z and, if present, ``rgb`` (the
    packed colour, read as its uint32 bits whatever type it is declared as)."""
    order = ">" if bool(msg.is_bigendian) else "<"
    by_name = {str(f.name): f for f in msg.fields}
    names, formats, offsets = [], [], []
    for name in ("x", "y", "z", "rgb", "rgba"):
        f = by_name.get(name)
        if f is None:
            if name in "xyz":
                raise ConversionError(
                    f"{field}.fields has no {name!r} field (has {sorted(by_name)})"
                )
            continue
        allowed = (_FLOAT32, _FLOAT64) if name in "xyz" else (_FLOAT32, _UINT32)
        if int(f.datatype) not in allowed or int(f.count) != 1:
            raise ConversionError(
                f"{field}.fields[{name!r}] has datatype {int(f.datatype)} x {int(f.count)}; "
                f"expected one of {allowed} x 1"
            )
        colour = name.startswith("rgb")
        names.append("rgb" if colour else name)
        formats.append(order + ("u4" if colour else _DATATYPE_CODES[int(f.datatype)]))
        offsets.append(int(f.offset))
    end = max(o + np.dtype(f).itemsize for o, f in zip(offsets, formats, strict=True))
    point_step = int(msg.point_step)
    if point_step < end:
        raise ConversionError(
            f"{field}.point_step {point_step} is less than its fields' {end} bytes"
        )
    return np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": point_step}
    )


def _points_view(msg: Any, dtype: np.dtype[Any], field: str) -> NDArray[Any]:
    height, width = int(msg.height), int(msg.width)
    point_step, row_step = dtype.itemsize, int(msg.row_step)
    if row_step < width * point_step:
        raise ConversionError(
            f"{field}.row_step {row_step} is less than width x point_step = {width * point_step}"
        )
    data = byte_buffer(msg.data, f"{field}.data")
    if data.size != row_step * height:
        raise ConversionError(
            f"{field}.data has {data.size} bytes, expected row_step x height = {row_step * height}"
        )
    view = np.ndarray((height, width), dtype=dtype, buffer=data, strides=(row_step, point_step))
    return view.reshape(-1)
