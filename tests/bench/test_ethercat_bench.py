"""``jazari bench ethercat``: a quick run over the emulated wire gives the bench JSON
shape of ARCHITECTURE.md (needs root for the network namespace)."""

from __future__ import annotations

import json
import math

import pytest

from jazari.cli import main
from jazari.sim.ethercat_slave.netns import unavailable_reason


@pytest.mark.root
@pytest.mark.slow
def test_quick_run_reports_period_error_cycle_cpu_and_wkc_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"EtherCAT bench: {reason}")
    assert main(["bench", "ethercat", "--json", "--quick"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"bench", "params", "results", "ratios"}
    assert result["bench"] == "ethercat"
    assert result["params"]["drives"] == 6
    ours = result["results"]["jazari"]
    assert set(ours["period_error_us"]) == {"p50", "p99", "max"}
    assert set(ours["cycle_cpu_us"]) == {"median", "p99"}
    assert isinstance(ours["wkc_errors"], int)
    assert ours["cycles"] > 0
    peer = result["results"]["pysoem_loop"]
    assert set(peer["period_error_us"]) == {"p50", "p99", "max"}
    assert all(math.isfinite(v) and v > 0 for v in result["ratios"].values())
