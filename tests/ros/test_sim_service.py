"""The simulator node's core without ROS: the port link, the shadow twin the camera
renders, the mirrored arm, and the point cloud and OEE the nodes publish."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jazari.cell.events import CellEvent, EventKind
from jazari.config import load_params
from jazari.ports import CameraIntrinsics, RGBDFrame
from jazari.ros.cell_adapters import run_oee
from jazari.ros.display import frame_cloud
from jazari.ros.sim_service import SimCell, SimServiceError, copy_state, link_port
from jazari.sim.twin import CellTwin


def test_the_port_link_replaces_an_old_link_but_never_a_file(tmp_path: Path) -> None:
    link = tmp_path / "dev" / "ttyDXL"
    link_port("/dev/pts/77", str(link))
    link_port("/dev/pts/78", str(link))
    assert link.readlink() == Path("/dev/pts/78")
    real = tmp_path / "ttyUSB0"
    real.write_text("")
    with pytest.raises(SimServiceError, match="not a symbolic link"):
        link_port("/dev/pts/79", str(real))


def test_the_shadow_twin_takes_the_live_twins_joints_and_time() -> None:
    live, shadow = CellTwin(), CellTwin()
    q = np.array(live.joint_state()[0]) + 0.2
    live.set_joint_targets(q)
    live.advance(0.5)
    copy_state(live, shadow)
    np.testing.assert_allclose(shadow.joint_state()[0], live.joint_state()[0])
    assert shadow.now() == pytest.approx(live.now())
    # The live twin's body poses date from its last step's start: one step behind qpos.
    np.testing.assert_allclose(shadow.body_pose("tool0"), live.body_pose("tool0"), atol=1e-5)


def _params(**over: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in ("sim", "camera", "parts", "serial_driver"):
        params.update(load_params(name))
    params.update({"n_parts": 2, "layout_seed": 3, "drives": "mirror", **over})
    return params


def test_a_mirrored_twin_follows_measured_joints_and_films_them() -> None:
    frames: list[RGBDFrame] = []
    got = threading.Event()

    def on_frame(frame: RGBDFrame) -> None:
        frames.append(frame)
        if len(frames) >= 2:
            got.set()

    cell = SimCell(_params(), on_frame, 10.0)
    try:
        q = np.array(cell.arm_state()[0])
        q[0] += 0.3
        cell.mirror(cell.arm_joints[:1], q[:1])
        time.sleep(1.0)
        assert cell.arm_state()[0][0] == pytest.approx(q[0], abs=0.02)
        assert got.wait(20.0), cell.camera_error
        assert frames[-1].stamp_s > frames[0].stamp_s
        with pytest.raises(SimServiceError, match="no joints"):
            cell.mirror(("elbow",), np.zeros(1))
    finally:
        cell.close()


def test_a_serial_twin_is_not_mirrored_and_modes_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SimServiceError, match="drives must be one of"):
        SimCell(_params(drives="ethercat"), lambda f: None, 5.0)
    cell = SimCell(_params(drives="serial", port=str(tmp_path / "tty")), lambda f: None, 1.0)
    try:
        assert (tmp_path / "tty").is_symlink()
        with pytest.raises(SimServiceError, match="moved by its emulated servos"):
            cell.mirror(cell.arm_joints, np.zeros(6))
    finally:
        cell.close()
    assert not (tmp_path / "tty").exists()


def test_the_cloud_is_every_strided_pixel_with_depth_in_the_base_frame() -> None:
    k = CameraIntrinsics(4, 2, 2.0, 2.0, 1.5, 0.5)
    depth = np.array([[1.0, 0.0, 2.0, 2.0], [1.0, 1.0, np.nan, 1.0]], np.float32)
    color = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    T = np.eye(4)
    T[:3, 3] = [0.0, 0.0, 1.0]
    xyz, rgb = frame_cloud(RGBDFrame(color, depth, k, T, 0.0), 2)
    np.testing.assert_allclose(xyz, [[-0.75, -0.25, 2.0], [0.5, -0.5, 3.0]])
    np.testing.assert_array_equal(rgb, [color[0, 0], color[0, 2]])
    with pytest.raises(ValueError, match="stride_px"):
        frame_cloud(RGBDFrame(color, depth, k, T, 0.0), 0)


def test_oee_so_far_closes_the_run_at_now() -> None:
    events = [
        CellEvent(0.0, EventKind.RUN_START),
        CellEvent(5.0, EventKind.PLACED, 1, "verify", "accepted", good=True),
    ]
    oee = run_oee(events, 10.0, 4.0)
    assert oee is not None and oee.planned_time_s == 10.0 and oee.quality == 1.0
    assert oee.performance == pytest.approx(0.4)
    assert run_oee([], 10.0, 4.0) is None
