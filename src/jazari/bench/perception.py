"""Part detection and inspection on rendered twin scenes, against the plain Open3D pipeline.

Each scene is spawned from the parts catalogue with a seed: 3–8 parts, the catalogue's
chances of touching and defective parts, depth noise and dropout on. Both pipelines
see the same frames. Detections are matched to the ground truth by nearest centre
(within ``MATCH_DISTANCE_M``); errors are measured on the matched pairs:

* position: distance between centres [mm];
* yaw: for boxes only (cylinders have none), modulo the box's symmetry (180°, or 90° for
  a type with a square top) [deg];
* dimensions: every dimension, a box's sides compared longer to longer [mm];
* inspection (Jazari only): a part is judged right when its verdict's pass/fail equals
  "not defective"; a missed part counts as judged wrong.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from jazari.bench.report import BenchResult, ratio, summarize
from jazari.geometry.transforms import FloatArray
from jazari.perception.detection import Detection
from jazari.ports import RGBDFrame

MATCH_DISTANCE_M = 0.015
STATS = ("median", "p95")


@dataclass
class Tally:
    """Errors of one pipeline over a set of scenes."""

    truths: int = 0
    detections: int = 0
    matched: int = 0
    judged_right: int = 0
    position_mm: list[float] = field(default_factory=list)
    yaw_deg: list[float] = field(default_factory=list)
    dimension_mm: list[float] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    inspection_ms: list[float] = field(default_factory=list)


def true_dimensions(part: Any) -> tuple[float, ...]:
    """A spawned part's real dimensions in perception's order (box: long, short, height)."""
    d = part.dimensions_m
    if part.spec.shape == "box":
        return (max(d[0], d[1]), min(d[0], d[1]), d[2])
    return tuple(d)


def yaw_error_deg(det: Detection, T_base_part: FloatArray, part: Any) -> float:
    """Yaw error of a box modulo its symmetry [deg]."""
    true_yaw = math.atan2(T_base_part[1, 0], T_base_part[0, 0])
    if part.dimensions_m[1] > part.dimensions_m[0]:  # perception's x is the longer side
        true_yaw += math.pi / 2
    nominal = part.spec.dimensions_m
    period = math.pi / 2 if math.isclose(nominal[0], nominal[1]) else math.pi
    e = (det.yaw_rad - true_yaw) % period
    return math.degrees(min(e, period - e))


def match(detections: list[Detection], truth: Any) -> list[tuple[Any, int | None]]:
    """(part truth, index of its detection or None), greedy by distance of centres."""
    pairs = []
    for pt in truth.parts:
        p = truth.T_base_part(pt.part_id)[:2, 3]
        for j, d in enumerate(detections):
            e = float(np.linalg.norm(d.position_m[:2] - p))
            if e < MATCH_DISTANCE_M:
                pairs.append((e, pt.part_id, j))
    pairs.sort()
    used_t: dict[int, int] = {}
    used_d: set[int] = set()
    for _, pid, j in pairs:
        if pid not in used_t and j not in used_d:
            used_t[pid] = j
            used_d.add(j)
    return [(pt, used_t.get(pt.part_id)) for pt in truth.parts]


def score(
    tally: Tally, detections: list[Detection], truth: Any, verdicts: list[Any] | None
) -> None:
    """Add one scene's matches and errors to ``tally``."""
    tally.truths += len(truth.parts)
    tally.detections += len(detections)
    for pt, j in match(detections, truth):
        if j is None:
            continue
        det = detections[j]
        T = truth.T_base_part(pt.part_id)
        tally.matched += 1
        tally.position_mm.append(float(np.linalg.norm(det.position_m - T[:3, 3])) * 1e3)
        if pt.part.spec.shape == "box" and det.shape == "box":
            tally.yaw_deg.append(yaw_error_deg(det, T, pt.part))
        if det.shape == pt.part.spec.shape:
            err = np.abs(np.array(det.dimensions_m) - np.array(true_dimensions(pt.part)))
            tally.dimension_mm.extend((err * 1e3).tolist())
        if verdicts is not None and verdicts[j].passed != pt.is_defective:
            tally.judged_right += 1


class TwinScenes:
    """Seeded scenes rendered by the digital twin, with depth noise on or off."""

    def __init__(self, depth_noise: bool = True, noise_seed: int = 0) -> None:
        from jazari.sim.camera import TwinCamera
        from jazari.sim.parts import load_catalogue
        from jazari.sim.twin import CellTwin

        self.catalogue = load_catalogue()
        self.twin = CellTwin()
        noise = replace(self.twin.params.depth_noise, enabled=depth_noise)
        self.camera = TwinCamera(self.twin, depth_noise=noise, seed=noise_seed)

    def render(self, parts: Any) -> tuple[RGBDFrame, Any]:
        """Frame and ground truth of a scene holding ``parts``."""
        self.twin.load_parts(parts)
        return self.camera.capture(), self.twin.ground_truth()

    def spawn(self, seed: int, n_parts: int | None = None, **kwargs: Any) -> tuple[RGBDFrame, Any]:
        """Scene ``seed``: 3–8 parts (or ``n_parts``) spawned by the catalogue's rules."""
        from jazari.sim.parts import spawn_parts

        rng = np.random.default_rng(seed)
        n = int(rng.integers(3, 9)) if n_parts is None else n_parts
        return self.render(spawn_parts(self.catalogue, n, rng, **kwargs))

    def scenes(self, count: int, seed: int) -> Iterator[tuple[RGBDFrame, Any]]:
        """``count`` scenes with seeds ``seed``, ``seed + 1``, …"""
        for i in range(count):
            yield self.spawn(seed + i)

    def close(self) -> None:
        """Free the renderer."""
        self.camera.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench perception``."""
    parser.add_argument("--scenes", type=int, default=60, help="number of scenes (default 60)")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first scene")
    parser.add_argument("--quick", action="store_true", help="3 scenes, for a smoke test")
    parser.add_argument("--no-noise", action="store_true", help="render ideal depth")
    parser.add_argument("--refine", choices=("none", "lsq"), default=None,
                        help="override fit.refine of config/perception.yaml")  # fmt: skip


def _timed(
    fn: Callable[[RGBDFrame], list[Detection]], frame: RGBDFrame
) -> tuple[list[Detection], float]:
    t0 = time.perf_counter()
    out = fn(frame)
    return out, (time.perf_counter() - t0) * 1e3


def _metrics(t: Tally, inspection: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "recall": t.matched / t.truths if t.truths else math.nan,
        "precision": t.matched / t.detections if t.detections else math.nan,
        "position_error_mm": summarize(t.position_mm, STATS),
        "yaw_error_deg": summarize(t.yaw_deg, STATS),
        "dimension_error_mm": summarize(t.dimension_mm, STATS),
    }
    if inspection:
        out["inspection_accuracy"] = t.judged_right / t.truths if t.truths else math.nan
    out["latency_ms"] = summarize(t.latency_ms, STATS)
    if inspection:
        out["inspection_latency_ms"] = summarize(t.inspection_ms, STATS)
    return out


def run(args: argparse.Namespace) -> BenchResult:
    """Run both pipelines on the same rendered scenes."""
    from jazari.perception.detector import PartDetector
    from jazari.perception.open3d_peer import Open3DPeer
    from jazari.perception.params import load_detector_params
    from jazari.quality.inspector import Inspector

    n_scenes = 3 if args.quick else args.scenes
    params = load_detector_params()
    if args.refine is not None:
        params = replace(params, fit=replace(params.fit, refine=args.refine))
    jazari, peer, inspector = PartDetector(params), Open3DPeer(), Inspector()
    tallies = {"jazari": Tally(), "open3d": Tally()}
    scenes = TwinScenes(depth_noise=not args.no_noise)
    n_parts = 0
    try:
        for frame, truth in scenes.scenes(n_scenes, args.seed):
            n_parts += len(truth.parts)
            dets, ms = _timed(jazari.detect, frame)
            t0 = time.perf_counter()
            verdicts = [inspector.inspect(d, frame) for d in dets]
            tallies["jazari"].inspection_ms.append((time.perf_counter() - t0) * 1e3)
            tallies["jazari"].latency_ms.append(ms)
            score(tallies["jazari"], dets, truth, verdicts)
            peer_dets, ms = _timed(peer.detect, frame)
            tallies["open3d"].latency_ms.append(ms)
            score(tallies["open3d"], peer_dets, truth, None)
    finally:
        scenes.close()
    results = {
        "jazari": _metrics(tallies["jazari"], inspection=True),
        "open3d": _metrics(tallies["open3d"], inspection=False),
    }
    return {
        "bench": "perception",
        "params": {
            "scenes": n_scenes,
            "parts": n_parts,
            "seed": args.seed,
            "depth_noise": not args.no_noise,
            "refine": params.fit.refine,
            "image": f"{frame.intrinsics.width}x{frame.intrinsics.height}",
        },
        "results": results,
        "ratios": {
            "open3d_vs_jazari": ratio(
                results["open3d"]["latency_ms"]["median"], results["jazari"]["latency_ms"]["median"]
            )
        },
    }
