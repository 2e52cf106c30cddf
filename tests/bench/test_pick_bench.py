"""``jazari bench pick`` prints the bench shape (quick run: one scene of two parts)."""

from __future__ import annotations

import json

import pytest

from jazari.cli import main

pytestmark = pytest.mark.slow


def test_quick_pick_bench_reports_sorting_time_and_rate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "pick", "--json", "--quick"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bench"] == "pick"
    jazari = out["results"]["jazari"]
    assert jazari["parts"] == 2
    assert 0.0 <= jazari["sorted_fraction"] <= 1.0
    assert set(jazari["software_ms_per_pick"]) == {"median", "p95", "max"}
    assert jazari["picks_per_min_sim"] > 0
