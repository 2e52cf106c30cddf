"""``jazari bench plan`` runs end to end and prints the shape ARCHITECTURE.md asks for."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jazari.bench.plan import make_query
from jazari.cli import main
from jazari.planning.scene import Scene


def test_quick_run_prints_results_for_jazari_and_every_peer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "plan", "--quick", "--json", "--no-exact-check"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bench"] == "plan"
    assert out["params"]["queries"] == 6
    results = out["results"]
    assert set(results) == {"jazari", "ompl", "ruckig", "toppra", "fcl"}
    jz = results["jazari"]
    for key in ("success_rate", "limit_violations", "collisions"):
        assert isinstance(jz[key], int | float)
    for key in ("plan_ms", "transfer_ms", "path_length_rad", "duration_s"):
        assert {"median", "p95"} <= set(jz[key])
    assert {"success_rate", "transfer_ms"} <= set(results["ompl"])
    assert set(out["ratios"]) == {
        "ompl_vs_jazari",
        "ruckig_vs_jazari_timing",
        "toppra_vs_jazari_timing",
        "fcl_vs_jazari_check",
    }


def test_queries_are_seeded_and_inside_the_table_area(cell_scene: Scene) -> None:
    a = make_query(cell_scene, np.random.default_rng(3), 2)
    b = make_query(cell_scene, np.random.default_rng(3), 2)
    np.testing.assert_array_equal(a.part.T_base_part, b.part.T_base_part)
    np.testing.assert_array_equal(a.place_pose, b.place_pose)
    for part in a.scene.parts:
        x, y = part.T_base_part[:2, 3]
        assert 0.35 <= x <= 0.75 and -0.25 <= y <= 0.25
    assert len(a.scene.parts) == 3
