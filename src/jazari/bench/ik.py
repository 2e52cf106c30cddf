"""Inverse kinematics: Jazari's analytic and numeric solvers against ikpy and a
Pinocchio damped-least-squares loop, on the cell's arm.

Protocol (the TRAC-IK paper's): random joint configurations inside the limits from a
seeded generator, their FK poses of ``tcp`` as targets, success when the returned
configuration reaches the target within 1e-5 m and 1e-5 rad; numeric solvers start at
mid-range. Every solver is timed per single-pose call.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from jazari.bench.report import BenchResult, ratio, summarize
from jazari.geometry.transforms import FloatArray, pose_error
from jazari.robot.chain import KinematicChain
from jazari.robot.errors import IKError
from jazari.robot.ik_analytic import AnalyticIK
from jazari.robot.ik_numeric import NumericIK
from jazari.robot.model import RobotModel, load_cell_model
from jazari.robot.urdf import Joint

TOL = 1e-5
Solver = Callable[[FloatArray], "FloatArray | None"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench ik``."""
    parser.add_argument("--poses", type=int, default=10000, help="targets for the analytic solver")
    parser.add_argument(
        "--numeric-poses", type=int, default=1000, help="targets for Jazari's numeric solver"
    )
    parser.add_argument(
        "--peer-poses",
        type=int,
        default=300,
        help="targets for each peer (>= 200 per the protocol)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the target generator")


def chain_urdf(model: RobotModel) -> tuple[str, list[bool]]:
    """URDF text of the arm chain alone (base to tip), for peers that follow one chain,
    and which joints along it (base to tip) are actuated."""
    root = ET.fromstring(model.urdf_text)
    path: list[Joint] = []
    link = model.chain.tip
    while link != model.chain.base:
        joint = model.urdf.parent_joint(link)
        if joint is None:
            raise IKError(f"{model.chain.tip!r} does not descend from {model.chain.base!r}")
        path.insert(0, joint)
        link = joint.parent
    keep_links = {model.chain.base} | {j.child for j in path}
    keep_joints = {j.name for j in path}
    for elem in list(root):
        if (elem.tag == "link" and elem.get("name") not in keep_links) or (
            elem.tag == "joint" and elem.get("name") not in keep_joints
        ):
            root.remove(elem)
    return ET.tostring(root, encoding="unicode"), [j.type != "fixed" for j in path]


def _reaches(chain: KinematicChain, q: FloatArray | None, T_target: FloatArray) -> bool:
    if q is None or not np.all(np.isfinite(q)) or not chain.within_limits(q, tol=1e-9):
        return False
    dp, dw = pose_error(chain.fk(q), T_target)
    return bool(np.linalg.norm(dp) <= TOL and np.linalg.norm(dw) <= TOL)


def _measure(chain: KinematicChain, solve: Solver, targets: FloatArray) -> dict[str, Any]:
    times_us, successes = [], 0
    for T in targets:
        t0 = time.perf_counter_ns()
        q = solve(T)
        times_us.append((time.perf_counter_ns() - t0) / 1e3)
        successes += _reaches(chain, q, T)
    return {
        "success_rate": successes / len(targets),
        "samples": len(targets),
        "solve_us": summarize(times_us, ("median", "mean", "p99")),
    }


def _jazari_solvers(model: RobotModel, seed: int) -> tuple[Solver, Solver]:
    analytic = AnalyticIK.from_model(model)
    numeric = NumericIK(model.chain)
    mid = model.chain.mid_range()
    rng = np.random.default_rng(seed + 1)

    def solve_analytic(T: FloatArray) -> FloatArray | None:
        sols = analytic.solve(T, mid)
        return sols[0] if len(sols) else None

    def solve_numeric(T: FloatArray) -> FloatArray | None:
        try:
            return numeric.solve(T, mid, rng)
        except IKError:
            return None

    return solve_analytic, solve_numeric


def _ikpy_solver(urdf_path: Path, chain: KinematicChain, actuated: list[bool]) -> Solver:
    import ikpy.chain

    mask = [False, *actuated]
    peer = ikpy.chain.Chain.from_urdf_file(
        str(urdf_path), base_elements=[chain.base], active_links_mask=mask
    )
    index = np.flatnonzero(mask)
    start = np.zeros(len(mask))
    start[index] = chain.mid_range()

    def solve(T: FloatArray) -> FloatArray | None:
        q = peer.inverse_kinematics_frame(T, initial_position=start, orientation_mode="all")
        return np.asarray(q, dtype=float)[index]

    return solve


def _pinocchio_solver(urdf_text: str, chain: KinematicChain, seed: int) -> Solver:
    """The classic Pinocchio CLIK loop (damped least squares on the SE(3) log error),
    with the same restart budget as Jazari's numeric solver."""
    import pinocchio as pin

    model = pin.buildModelFromXML(urdf_text)
    data = model.createData()
    frame = model.getFrameId(chain.tip)
    mid = chain.mid_range()
    rng = np.random.default_rng(seed + 2)
    damping, dt, iterations, attempts = 1e-6, 1.0, 200, 25

    def attempt(target: Any, q: FloatArray) -> FloatArray | None:
        for _ in range(iterations):
            pin.forwardKinematics(model, data, q)
            pin.updateFramePlacement(model, data, frame)
            dMi = target.actInv(data.oMf[frame])
            err = pin.log(dMi).vector
            if np.linalg.norm(err[:3]) < TOL * 0.5 and np.linalg.norm(err[3:]) < TOL * 0.5:
                return q
            J = pin.computeFrameJacobian(model, data, q, frame)
            J = pin.Jlog6(dMi) @ J
            v = -J.T @ np.linalg.solve(J @ J.T + damping * np.eye(6), err)
            q = np.clip(
                pin.integrate(model, q, v * dt), model.lowerPositionLimit, model.upperPositionLimit
            )
        return None

    def solve(T: FloatArray) -> FloatArray | None:
        target = pin.SE3(T[:3, :3].copy(), T[:3, 3].copy())
        for k in range(attempts):
            q = attempt(target, mid if k == 0 else chain.sample(rng, 1)[0])
            if q is not None:
                return q
        return None

    return solve


def _batched(model: RobotModel, targets: FloatArray) -> dict[str, Any]:
    analytic = AnalyticIK.from_model(model)
    per_pose_us = []
    for _ in range(5):
        t0 = time.perf_counter_ns()
        q, valid = analytic.solve_batch(targets, model.chain.mid_range())
        per_pose_us.append((time.perf_counter_ns() - t0) / 1e3 / len(targets))
    best = np.where(valid[:, :, None], q, np.nan)
    first = np.array(
        [b[v][0] if v.any() else np.full(6, np.nan) for b, v in zip(best, valid, strict=True)]
    )
    ok = sum(
        _reaches(model.chain, qi if np.all(np.isfinite(qi)) else None, T)
        for qi, T in zip(first, targets, strict=True)
    )
    median = float(np.median(per_pose_us))
    return {
        "success_rate": ok / len(targets),
        "samples": len(targets),
        "solve_us": summarize(per_pose_us, ("median", "mean", "p99")),
        "poses_per_s": 1e6 / median if median > 0 else math.nan,
    }


def run(args: argparse.Namespace) -> BenchResult:
    """Run the benchmark; see the module docstring."""
    model = load_cell_model()
    chain = model.chain
    rng = np.random.default_rng(args.seed)
    n = max(args.poses, args.numeric_poses, args.peer_poses)
    targets = chain.fk(chain.sample(rng, n))
    solve_analytic, solve_numeric = _jazari_solvers(model, args.seed)
    results: dict[str, Any] = {
        "jazari_analytic": _measure(chain, solve_analytic, targets[: args.poses]),
        "jazari_analytic_batched": _batched(model, targets[: args.poses]),
        "jazari_numeric": _measure(chain, solve_numeric, targets[: args.numeric_poses]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        urdf_text, actuated = chain_urdf(model)
        path = Path(tmp) / "arm.urdf"
        path.write_text(urdf_text)
        peers = {
            "ikpy": _ikpy_solver(path, chain, actuated),
            "pinocchio_dls": _pinocchio_solver(urdf_text, chain, args.seed),
        }
        for name, solver in peers.items():
            results[name] = _measure(chain, solver, targets[: args.peer_poses])
    ref = results["jazari_analytic"]["solve_us"]["median"]
    return {
        "bench": "ik",
        "params": {
            "robot": "ur5e (cell tcp)",
            "tolerance_m": TOL,
            "tolerance_rad": TOL,
            "seed": args.seed,
            "poses": args.poses,
            "numeric_poses": args.numeric_poses,
            "peer_poses": args.peer_poses,
        },
        "results": results,
        "ratios": {
            f"{peer}_vs_jazari_analytic": ratio(results[peer]["solve_us"]["median"], ref)
            for peer in peers
        },
    }
