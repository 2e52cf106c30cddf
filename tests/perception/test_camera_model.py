"""Frame validation and back-projection."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazari.perception.camera_model import backproject, ray_grid, validate_frame
from jazari.perception.errors import FrameError
from jazari.ports import CameraIntrinsics, RGBDFrame

K = CameraIntrinsics(64, 48, 60.0, 60.0, 31.5, 23.5)
RANGE = (0.2, 2.0)


def frame(**changes: object) -> RGBDFrame:
    base = RGBDFrame(
        np.zeros((48, 64, 3), np.uint8), np.full((48, 64), 0.9, np.float32), K, np.eye(4), 0.0
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_validate_frame_returns_valid_depth_mask() -> None:
    depth = np.full((48, 64), 0.9, np.float32)
    depth[0, 0], depth[1, 1], depth[2, 2] = 0.0, np.nan, 5.0
    valid = validate_frame(frame(depth_m=depth), RANGE)
    assert valid.sum() == 48 * 64 - 3
    assert not valid[0, 0] and not valid[1, 1] and not valid[2, 2]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"color": np.zeros((48, 64), np.uint8)}, "HxWx3"),
        ({"color": np.zeros((48, 64, 3), np.float32)}, "uint8"),
        ({"depth_m": np.full((48, 64), 0.9, np.float64)}, "float32"),
        ({"depth_m": np.full((48, 64, 1), 0.9, np.float32)}, "HxW array"),
        ({"depth_m": np.full((40, 64), 0.9, np.float32)}, "color is"),
        ({"intrinsics": CameraIntrinsics(640, 480, 600.0, 600.0, 319.5, 239.5)}, "640x480"),
        ({"intrinsics": CameraIntrinsics(64, 48, 60.0, 60.0, 100.0, 23.5)}, "principal point"),
        ({"depth_m": np.full((48, 64), np.nan, np.float32)}, "all NaN"),
        ({"depth_m": np.zeros((48, 64), np.float32)}, "all zero"),
        ({"depth_m": np.full((48, 64), -1.0, np.float32)}, "negative"),
        ({"T_base_camera": np.eye(3)}, "4x4"),
        ({"T_base_camera": np.diag([2.0, 1.0, 1.0, 1.0])}, "rigid"),
        ({"T_base_camera": np.full((4, 4), np.nan)}, "non-finite"),
    ],
)
def test_validate_frame_raises_on_malformed_input(changes: dict[str, object], message: str) -> None:
    with pytest.raises(FrameError, match=message):
        validate_frame(frame(**changes), RANGE)


@given(u=st.integers(0, 63), v=st.integers(0, 47), z=st.floats(0.2, 2.0, allow_nan=False))
def test_backproject_projects_back_to_the_same_pixel(u: int, v: int, z: float) -> None:
    depth = np.full((48, 64), z, np.float32)
    p = backproject(depth, np.array([v]), np.array([u]), K)[0]
    assert p[0] * K.fx / p[2] + K.cx == pytest.approx(u, abs=1e-4)
    assert p[1] * K.fy / p[2] + K.cy == pytest.approx(v, abs=1e-4)
    assert p[2] == pytest.approx(z, rel=1e-6)


def test_ray_grid_is_cached_and_read_only() -> None:
    rx, ry = ray_grid(K)
    assert ray_grid(K)[0] is rx
    assert not rx.flags.writeable and not ry.flags.writeable
    assert rx.shape == (48, 64)
