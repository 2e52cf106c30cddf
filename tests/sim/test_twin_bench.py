"""``jazari bench sim``: a quick run gives the bench JSON shape of ARCHITECTURE.md."""

from __future__ import annotations

import json
import math

import pytest

from jazari.cli import main


def test_bench_sim_quick_prints_rgbd_fps_and_realtime_factor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "sim", "--json", "--quick", "--parts", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bench"] == "sim"
    assert result["params"]["parts"] == 3
    ours = result["results"]["jazari"]
    for metric in ("rgbd_fps", "realtime_factor"):
        assert math.isfinite(ours[metric]) and ours[metric] > 0
    assert set(ours["frame_ms"]) >= {"median", "p95"}
    assert ours["max_tracking_error_rad"] < 0.05
    assert result["results"]["mujoco_renderer"]["rgbd_fps"] > 0
    assert result["ratios"]["mujoco_renderer_vs_jazari"] > 0
