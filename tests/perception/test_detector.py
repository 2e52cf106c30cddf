"""The part detector on frames rendered by the digital twin, against its ground truth."""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import pytest

from jazari.bench.perception import TwinScenes, match, run, true_dimensions, yaw_error_deg
from jazari.perception.detector import PartDetector
from jazari.perception.errors import FrameError
from jazari.perception.open3d_peer import Open3DPeer


@pytest.fixture(scope="module")
def detector() -> PartDetector:
    return PartDetector()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_detect_finds_every_part_with_pose_and_size_within_tolerance(
    scenes: TwinScenes, detector: PartDetector, seed: int
) -> None:
    frame, truth = scenes.spawn(seed, n_parts=6)
    dets = detector.detect(frame)
    assert len(dets) == len(truth.parts)
    for pt, j in match(dets, truth):
        assert j is not None, f"part {pt.part_id} ({pt.part.spec.name}) not found"
        det, T = dets[j], truth.T_base_part(pt.part_id)
        assert det.shape == pt.part.spec.shape
        assert np.linalg.norm(det.position_m - T[:3, 3]) < 0.003
        np.testing.assert_allclose(det.dimensions_m, true_dimensions(pt.part), atol=0.0025)
        if det.shape == "box":
            assert yaw_error_deg(det, T, pt.part) < 2.0
        assert det.mask[det.top_mask].all()
        assert 0.3 < det.confidence <= 1.0


def test_detect_separates_touching_parts(scenes: TwinScenes, detector: PartDetector) -> None:
    frame, truth = scenes.spawn(21, n_parts=6, touch_probability=1.0)
    assert sum(len(p.touching) for p in truth.parts) >= 6  # every part touches another
    dets = detector.detect(frame)
    assert len(dets) == len(truth.parts)
    assert all(j is not None for _, j in match(dets, truth))


def test_empty_table_gives_no_detections(scenes: TwinScenes, detector: PartDetector) -> None:
    frame, _ = scenes.render(())
    assert detector.detect(frame) == []


def test_dropout_holes_lower_confidence_without_losing_the_part(
    scenes: TwinScenes, detector: PartDetector, rng: np.random.Generator
) -> None:
    frame, _ = scenes.spawn(31, n_parts=3)
    before = detector.detect(frame)
    depth = frame.depth_m.copy()
    target = before[0]
    rows, cols = np.nonzero(target.mask)
    drop = rng.uniform(size=rows.size) < 0.4
    depth[rows[drop], cols[drop]] = 0.0
    after = detector.detect(replace(frame, depth_m=depth))
    moved = min(after, key=lambda d: float(np.linalg.norm(d.position_m - target.position_m)))
    assert np.linalg.norm(moved.position_m - target.position_m) < 0.003
    assert moved.valid_depth_fraction < target.valid_depth_fraction - 0.3
    assert moved.confidence < target.confidence


def test_detect_raises_frame_error_on_depth_without_returns(
    scenes: TwinScenes, detector: PartDetector
) -> None:
    frame, _ = scenes.spawn(41, n_parts=3)
    with pytest.raises(FrameError, match="all NaN"):
        detector.detect(replace(frame, depth_m=np.full_like(frame.depth_m, np.nan)))
    with pytest.raises(FrameError, match="all zero"):
        detector.detect(replace(frame, depth_m=np.zeros_like(frame.depth_m)))


def test_detect_is_deterministic(scenes: TwinScenes, detector: PartDetector) -> None:
    frame, _ = scenes.spawn(51, n_parts=5)
    a, b = detector.detect(frame), detector.detect(frame)
    assert [d.T_base_part.tolist() for d in a] == [d.T_base_part.tolist() for d in b]


def test_open3d_peer_finds_separate_parts(scenes: TwinScenes) -> None:
    frame, truth = scenes.spawn(61, n_parts=4, touch_probability=0.0)
    dets = Open3DPeer().detect(frame)
    found = [j for _, j in match(dets, truth) if j is not None]
    assert len(found) >= 3


@pytest.mark.slow
def test_bench_quick_run_has_the_documented_shape() -> None:
    args = argparse.Namespace(scenes=3, seed=5, quick=True, no_noise=False, refine=None)
    out = run(args)
    assert out["bench"] == "perception"
    for impl in ("jazari", "open3d"):
        r = out["results"][impl]
        for key in ("position_error_mm", "yaw_error_deg", "dimension_error_mm", "latency_ms"):
            assert set(r[key]) == {"median", "p95"}
        assert 0.0 <= r["recall"] <= 1.0 and 0.0 <= r["precision"] <= 1.0
    assert 0.0 <= out["results"]["jazari"]["inspection_accuracy"] <= 1.0
    assert out["ratios"]["open3d_vs_jazari"] > 0
