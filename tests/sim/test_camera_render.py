"""The twin's RGB-D camera: geometry of depth, intrinsics, colours and marks."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from jazari.geometry.transforms import FloatArray, invert
from jazari.ports import Camera
from jazari.robot.description import cell_urdf_text
from jazari.robot.model import RobotModel
from jazari.sim.camera import TwinCamera, linear_depth
from jazari.sim.errors import RenderError
from jazari.sim.mjcf import static_link_pose
from jazari.sim.parts import Defect, PartInstance, SurfaceMark, load_catalogue, spawn_parts
from jazari.sim.twin import CellTwin

TABLE_RGB = np.array([0.82, 0.78, 0.70])


@pytest.fixture(scope="module")
def bare() -> Iterator[tuple[CellTwin, TwinCamera]]:
    twin = CellTwin()
    with TwinCamera(twin) as camera:
        yield twin, camera


def _table_depth(T_base_camera: FloatArray, K: FloatArray, u: float, v: float) -> float:
    """Depth along the optical axis of the plane z = 0 seen at pixel (u, v)."""
    ray = np.linalg.solve(K, [u, v, 1.0])  # z = 1 in the optical frame
    R, c = T_base_camera[:3, :3], T_base_camera[:3, 3]
    return float(-c[2] / (R @ ray)[2])


def _project(
    T_base_camera: FloatArray, K: FloatArray, p_base: FloatArray
) -> tuple[int, int, float]:
    p = invert(T_base_camera) @ np.append(p_base, 1.0)
    uvw = K @ p[:3]
    return round(uvw[0] / uvw[2]), round(uvw[1] / uvw[2]), float(p[2])


def test_camera_implements_the_port(bare: tuple[CellTwin, TwinCamera]) -> None:
    _, camera = bare
    assert isinstance(camera, Camera)
    assert camera.backend in ("egl", "osmesa")


def test_frames_have_the_configured_size_types_and_intrinsics(
    bare: tuple[CellTwin, TwinCamera],
) -> None:
    twin, camera = bare
    frame = camera.capture()
    k = camera.intrinsics
    assert (k.width, k.height, k.fx, k.fy, k.cx, k.cy) == (640, 480, 615.0, 615.0, 319.5, 239.5)
    assert frame.color.shape == (480, 640, 3) and frame.color.dtype == np.uint8
    assert frame.depth_m.shape == (480, 640) and frame.depth_m.dtype == np.float32
    assert frame.color.flags.c_contiguous and frame.depth_m.flags.c_contiguous
    assert frame.intrinsics == k
    assert frame.stamp_s == twin.now()


def test_pose_is_the_urdf_optical_frame(bare: tuple[CellTwin, TwinCamera]) -> None:
    twin, camera = bare
    expected = static_link_pose(twin.robot.urdf, "camera_color_optical_frame")
    np.testing.assert_allclose(camera.capture().T_base_camera, expected, atol=1e-12)
    # Looking straight down from 0.9 m, image right is world -y, image down world -x.
    np.testing.assert_allclose(expected[:3, 2], [0.0, 0.0, -1.0], atol=1e-12)
    np.testing.assert_allclose(expected[:3, 3], [0.55, 0.0, 0.9], atol=1e-12)


@pytest.mark.parametrize(
    ("u", "v"), [(0, 0), (639, 0), (320, 240), (100, 400), (600, 300), (10, 250), (320, 479)]
)
def test_bare_table_depth_matches_the_geometry_within_1mm(
    bare: tuple[CellTwin, TwinCamera], u: int, v: int
) -> None:
    _, camera = bare
    frame = camera.capture()
    expected = _table_depth(frame.T_base_camera, frame.intrinsics.matrix(), u, v)
    assert abs(float(frame.depth_m[v, u]) - expected) < 1e-3


def test_tilted_camera_depth_matches_the_plane_at_every_sampled_pixel() -> None:
    # A camera pitched off the vertical sees the table at depths from ~0.8 to ~1.2 m:
    # this checks the depth linearisation and the intrinsics, not only one distance.
    # Depth changes by ~0.7 mm per pixel here, so the 20 µm bound also pins the
    # principal point convention (pixel centres at integers) to well below a pixel.
    text = re.sub(
        r'(<joint name="camera_joint".*?<origin )rpy="[^"]*" xyz="[^"]*"',
        r'\1rpy="0.0 1.1 0.0" xyz="0.3 0.0 0.9"', cell_urdf_text(), count=1, flags=re.S,
    )  # fmt: skip
    twin = CellTwin(robot=RobotModel.from_urdf_text(text))
    with TwinCamera(twin) as camera:
        frame = camera.capture()
    K = frame.intrinsics.matrix()
    lo, hi = twin.table_bounds
    checked = 0
    for v in range(0, 480, 60):
        for u in range(0, 640, 80):
            z = _table_depth(frame.T_base_camera, K, u, v)
            p = frame.T_base_camera @ np.append(z * np.linalg.solve(K, [u, v, 1.0]), 1.0)
            if lo[0] < p[0] < hi[0] and lo[1] < p[1] < hi[1]:
                assert abs(float(frame.depth_m[v, u]) - z) < 2e-5, (u, v)
                checked += 1
    assert checked >= 30
    depths = frame.depth_m[frame.depth_m > 0]
    assert depths.max() - depths.min() > 0.25


def test_work_area_is_in_view(bare: tuple[CellTwin, TwinCamera]) -> None:
    _, camera = bare
    frame = camera.capture()
    sp = load_catalogue().spawn
    for x in sp.x_range_m:
        for y in sp.y_range_m:
            u, v, _ = _project(
                frame.T_base_camera, frame.intrinsics.matrix(), np.array([x, y, 0.0])
            )
            assert 0 <= u < 640 and 0 <= v < 480


def test_parts_appear_where_their_ground_truth_says() -> None:
    parts = spawn_parts(load_catalogue(), 6, np.random.default_rng(21), defect_probability=0.0)
    twin = CellTwin(parts)
    with TwinCamera(twin) as camera:
        frame = camera.capture()
    K = frame.intrinsics.matrix()
    for truth in twin.ground_truth().parts:
        part, T = truth.part, truth.T_world_part
        top = T[:3, 3] + T[:3, 2] * part.height_m / 2
        u, v, z = _project(frame.T_base_camera, K, top)
        assert abs(float(frame.depth_m[v, u]) - z) < 1e-3
        # A face turned to the light shows exactly the catalogue colour.
        np.testing.assert_allclose(frame.color[v, u] / 255.0, part.spec.color_rgb, atol=1.5 / 255)
        # Points 3 mm inside the top face's outline show the part too.
        half = np.array(part.dimensions_m[:2]) / 2 - 0.003
        if part.spec.shape == "cylinder":
            half = np.full(2, (part.dimensions_m[0] / 2 - 0.003) / math.sqrt(2))
        for sx in (-1, 1):
            for sy in (-1, 1):
                p = top + T[:3, 0] * sx * half[0] + T[:3, 1] * sy * half[1]
                u, v, _ = _project(frame.T_base_camera, K, p)
                np.testing.assert_allclose(
                    frame.color[v, u] / 255.0, part.color_rgb, atol=1.5 / 255
                )


def test_surface_mark_is_visible_on_the_top_face() -> None:
    cat = load_catalogue()
    spec = cat.spec("red_box")
    mark = SurfaceMark(0.005, -0.003, 0.4, 0.02, 0.005, 0.0003, cat.defects.mark_color_rgb)
    marked = PartInstance(
        0, spec, Defect.MARK, spec.dimensions_m, spec.color_rgb, mark, 0.55, 0.05, 0.3
    )
    twin = CellTwin([marked])
    with TwinCamera(twin) as camera:
        frame = camera.capture()
    T = marked.T_world_part()
    p = T @ np.array([mark.x_m, mark.y_m, spec.height_m / 2, 1.0])
    u, v, z = _project(frame.T_base_camera, frame.intrinsics.matrix(), p[:3])
    np.testing.assert_allclose(frame.color[v, u] / 255.0, mark.color_rgb, atol=1.5 / 255)
    # Paint-thin: the depth image does not show it.
    assert abs(float(frame.depth_m[v, u]) - z) < 1e-3
    dark = np.all(frame.color < 40, axis=2).sum()
    assert 30 < dark < 200  # about 14 x 3.5 px


def test_scene_reload_is_seen_by_an_existing_camera() -> None:
    twin = CellTwin()
    with TwinCamera(twin) as camera:
        empty = camera.capture()
        spec = load_catalogue().spec("blue_box")
        twin.load_parts([PartInstance.nominal(spec, 0, 0.55, 0.0)])
        with_part = camera.capture()
    assert float(empty.depth_m[240, 320]) == pytest.approx(0.9, abs=1e-3)
    assert float(with_part.depth_m[240, 320]) == pytest.approx(0.9 - spec.height_m, abs=1e-3)


def test_capture_after_close_raises() -> None:
    camera = TwinCamera(CellTwin())
    camera.close()
    with pytest.raises(RenderError, match="closed"):
        camera.capture()


def test_capture_from_another_thread_raises_a_clear_error(
    bare: tuple[CellTwin, TwinCamera],
) -> None:
    _, camera = bare
    errors: list[Exception] = []

    def capture() -> None:
        try:
            camera.capture()
        except RenderError as exc:
            errors.append(exc)

    worker = threading.Thread(target=capture)
    worker.start()
    worker.join()
    assert len(errors) == 1 and "capture from that thread" in str(errors[0])
    camera.capture()  # the owning thread still can


def test_linear_depth_inverts_the_reverse_z_projection() -> None:
    near, far = 0.05, 4.0
    z = np.array([0.05, 0.3, 0.9, 2.5, 3.9])
    buffer = (near * (far - z) / (z * (far - near))).astype(np.float32)
    np.testing.assert_allclose(linear_depth(buffer, near, far), z, rtol=1e-5)
    # The far plane is where nothing was drawn: no return.
    assert linear_depth(np.zeros((1, 1), np.float32), near, far)[0, 0] == 0.0
