"""Digital twin: RGB-D frames per second and physics speed over real time.

The scene is the cell with parts spawned on the table. ``jazari`` renders colour and
depth of the overhead camera in one pass through a reused renderer (``TwinCamera``);
the peer ``mujoco_renderer`` is MuJoCo's own ``mujoco.Renderer`` used the documented way
(render colour, switch to depth, render again) on the same model. The realtime factor
is simulated time over wall time while the arm tracks a joint trajectory through
poses over the work area, with setpoints sent every control period as drives get them;
parts lying still sleep (MuJoCo's island sleeping), and ``realtime_factor_all_awake``
gives the same run with sleeping off.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from jazari.bench.report import BenchResult, ratio, summarize
from jazari.geometry.transforms import FloatArray, make_transform
from jazari.robot.ik_analytic import AnalyticIK
from jazari.robot.trajectory import JointTrajectory
from jazari.sim.camera import TwinCamera
from jazari.sim.mjcf import CAMERA_NAME
from jazari.sim.params import load_sim_params
from jazari.sim.twin import CellTwin


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench sim``."""
    parser.add_argument("--parts", type=int, default=6, help="parts on the table (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="scene seed (default 0)")
    parser.add_argument("--frames", type=int, default=200, help="frames rendered per renderer")
    parser.add_argument("--sim-seconds", type=float, default=20.0, help="simulated seconds tracked")
    parser.add_argument("--control-period", type=float, default=0.002, help="setpoint period [s]")
    parser.add_argument("--quick", action="store_true", help="a few frames and 1 s: smoke run")


def _tool_down(x: float, y: float, z: float, yaw: float) -> FloatArray:
    c, s = math.cos(yaw), math.sin(yaw)
    return make_transform(np.array([[c, s, 0.0], [s, -c, 0.0], [0.0, 0.0, -1.0]]), (x, y, z))


def tour_trajectory(twin: CellTwin) -> JointTrajectory:
    """A joint trajectory from home through tool-down poses over the work area and back.

    Waypoints are joined by cubic Hermite segments with velocities from central
    differences (zero at both ends), each segment long enough that no joint goes above
    half its speed limit on average.
    """
    ik = AnalyticIK.from_model(twin.robot)
    home, _, _ = twin.joint_state()
    # Seed the first pose with the shoulder turned toward +x, elbow up.
    seed = home + np.array([-math.pi / 2, 0.3, -0.3, 0.0, 0.0, 0.0])
    path = [home]
    for x, y, yaw in ((0.45, -0.2, 0.0), (0.7, -0.15, 0.8), (0.7, 0.2, -0.5), (0.4, 0.2, 1.2)):
        path.append(ik.solve_nearest(_tool_down(x, y, 0.25, yaw), seed))
        seed = path[-1]
    path.append(home)
    pos = np.array(path)
    v_limit = twin.robot.chain.velocity
    seg = np.maximum(0.5, np.max(np.abs(np.diff(pos, axis=0)) / (0.5 * v_limit), axis=1))
    t = np.concatenate([[0.0], np.cumsum(seg)])
    vel = np.zeros_like(pos)
    vel[1:-1] = (pos[2:] - pos[:-2]) / (t[2:] - t[:-2])[:, None]
    return JointTrajectory(twin.joint_names, t, pos, vel, np.zeros_like(pos))


def _track(twin: CellTwin, traj: JointTrajectory, sim_s: float, period_s: float) -> dict[str, Any]:
    """Send the tour's setpoints every ``period_s`` for ``sim_s`` simulated seconds.

    The setpoints of one tour are sampled before the clock starts: the timed loop is
    what a drive cycle costs the twin (setpoint in, physics step, state out).
    """
    per_tour = max(1, round(traj.duration_s / period_s))
    setpoints = [traj.sample(k * period_s)[0] for k in range(per_tour)]
    steps = max(1, round(sim_s / period_s))
    error = 0.0
    t0 = time.perf_counter()
    for k in range(1, steps + 1):
        q_des = setpoints[k % per_tour]
        twin.set_joint_targets(q_des)
        twin.advance(period_s)
        q, _, _ = twin.joint_state()
        error = max(error, float(np.max(np.abs(q - q_des))))
    wall = time.perf_counter() - t0
    return {"sim_s": steps * period_s, "wall_s": wall, "max_tracking_error_rad": error}


def _time_frames(render: Any, frames: int) -> list[float]:
    render()  # first frame builds buffers; not timed
    out = []
    for _ in range(frames):
        t0 = time.perf_counter()
        render()
        out.append(time.perf_counter() - t0)
    return out


def peer_worker() -> None:
    """Time ``mujoco.Renderer`` in this process (run with ``MUJOCO_GL`` set, as MuJoCo's
    documentation asks). Arguments: MJCF path, qpos JSON, frame count; prints the frame
    times [s] as JSON."""
    xml_path, qpos, frames = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    model = mujoco.MjModel.from_xml_path(xml_path)
    data = mujoco.MjData(model)
    data.qpos[:] = qpos
    mujoco.mj_forward(model, data)
    renderer = mujoco.Renderer(model, model.vis.global_.offheight, model.vis.global_.offwidth)

    def render() -> None:
        renderer.disable_depth_rendering()
        renderer.update_scene(data, CAMERA_NAME)
        renderer.render()
        renderer.enable_depth_rendering()
        renderer.update_scene(data, CAMERA_NAME)
        renderer.render()

    print(json.dumps(_time_frames(render, frames)))
    renderer.close()


def _peer_frames(twin: CellTwin, frames: int, backend: str) -> list[float]:
    """Frame times of the peer, in a fresh process (MuJoCo picks its GL backend at import)."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "cell.xml"
        xml.write_text(twin.mjcf_xml)
        qpos = json.dumps(twin.data.qpos.tolist())
        code = "from jazari.bench.sim import peer_worker; peer_worker()"
        env = {**os.environ, "MUJOCO_GL": backend}
        out = subprocess.run(
            [sys.executable, "-c", code, str(xml), qpos, str(frames)],
            capture_output=True, text=True, env=env, check=False, timeout=600,
        )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"peer renderer failed: {out.stderr.strip()[-2000:]}")
    times: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    return times


def run(args: argparse.Namespace) -> BenchResult:
    """Run the benchmark; returns the result in the shape of ARCHITECTURE.md."""
    frames = 5 if args.quick else args.frames
    sim_s = 1.0 if args.quick else args.sim_seconds
    # Parts at rest sleep (MuJoCo islands); the same run with every body awake shows
    # what the physics costs without that.
    params = load_sim_params()
    awake = CellTwin.with_random_parts(
        args.parts, args.seed, params=replace(params, physics=replace(params.physics, sleep=False))
    )
    tracking_awake = _track(awake, tour_trajectory(awake), sim_s, args.control_period)
    twin = CellTwin.with_random_parts(args.parts, args.seed, params=params)
    traj = tour_trajectory(twin)
    tracking = _track(twin, traj, sim_s, args.control_period)
    # Frames show the scene as the tour left it (the arm over the work area).
    with TwinCamera(twin) as camera:
        jazari_s = _time_frames(camera.capture, frames)
        backend = camera.backend
    peer_s = _peer_frames(twin, frames, backend)
    ours, theirs = summarize(jazari_s), summarize(peer_s)
    intr = twin.camera_config.intrinsics
    return {
        "bench": "sim",
        "params": {
            "parts": args.parts, "seed": args.seed, "frames": frames, "sim_seconds": sim_s,
            "control_period_s": args.control_period, "timestep_s": float(twin.model.opt.timestep),
            "image": f"{intr.width}x{intr.height}",
            "gl_backend": backend,
        },
        "results": {
            "jazari": {
                "rgbd_fps": 1.0 / ours["median"],
                "frame_ms": {k: v * 1e3 for k, v in ours.items()},
                "realtime_factor": tracking["sim_s"] / tracking["wall_s"],
                "realtime_factor_all_awake": tracking_awake["sim_s"] / tracking_awake["wall_s"],
                "max_tracking_error_rad": tracking["max_tracking_error_rad"],
            },
            "mujoco_renderer": {
                "rgbd_fps": 1.0 / theirs["median"],
                "frame_ms": {k: v * 1e3 for k, v in theirs.items()},
            },
        },
        "ratios": {"mujoco_renderer_vs_jazari": ratio(theirs["median"], ours["median"])},
    }  # fmt: skip
