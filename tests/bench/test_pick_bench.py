"""``jazari bench pick`` prints the bench shape (quick run: one scene of two parts), over
either simulated drive backend."""

from __future__ import annotations

import json

import pytest

from jazari.cli import main
from jazari.sim.ethercat_plant import unavailable_ethercat_reason

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("drives", ["serial", "ethercat"])
def test_quick_pick_bench_reports_sorting_time_and_rate(
    capsys: pytest.CaptureFixture[str], drives: str
) -> None:
    if drives == "ethercat" and (reason := unavailable_ethercat_reason()) is not None:
        pytest.skip(f"emulated EtherCAT drives: {reason}")
    assert main(["bench", "pick", "--json", "--quick", "--drives", drives]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bench"] == "pick" and out["params"]["drives"] == drives
    jazari = out["results"]["jazari"]
    assert jazari["parts"] == 2
    assert 0.0 <= jazari["sorted_fraction"] <= 1.0
    assert set(jazari["software_ms_per_pick"]) == {"median", "p95", "max"}
    assert jazari["picks_per_min_sim"] > 0
