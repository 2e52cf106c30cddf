"""``jazari bench serial``: the JSON shape (not the speed)."""

from __future__ import annotations

import json
import math

import pytest

from jazari.bench import serial
from jazari.bench.report import to_json
from jazari.cli import _build_parser


@pytest.mark.slow
def test_serial_bench_quick_run_has_the_issue_metrics() -> None:
    args = _build_parser().parse_args(["bench", "serial", "--json", "--quick"])
    result = json.loads(to_json(serial.run(args)))
    assert result["bench"] == "serial"
    jazari, sdk = result["results"]["jazari"], result["results"]["dynamixel_sdk"]
    for cpu in (jazari["cycle_cpu_us"], sdk["cycle_cpu_us"]):
        assert set(cpu) == {"median", "p99"}
        assert cpu["median"] > 0
    for name in ("stream_500hz", "stream_1khz"):
        stream = jazari[name]
        assert stream["rate_hz"] > 0
        assert set(stream["period_error_us"]) == {"p50", "p99", "max"}
        assert stream["result"] == "SUCCESSFUL", stream["error"]
    ratio = result["ratios"]["dynamixel_sdk_vs_jazari"]
    assert math.isclose(ratio, sdk["cycle_cpu_us"]["median"] / jazari["cycle_cpu_us"]["median"])
