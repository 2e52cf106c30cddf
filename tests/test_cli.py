"""The jazari command and the benchmark output shape."""

from __future__ import annotations

import json

import pytest

from jazari.cli import bench_names, main


def test_bench_list_names_the_ik_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--list"]) == 0
    assert "ik" in capsys.readouterr().out.split()
    assert "report" not in bench_names()


def test_bench_ik_prints_one_json_object_of_the_architecture_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(
            ["bench", "ik", "--json", "--poses", "40", "--numeric-poses", "3", "--peer-poses", "2"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["bench"] == "ik"
    assert set(out) == {"bench", "params", "results", "ratios"}
    for impl in (
        "jazari_analytic",
        "jazari_analytic_batched",
        "jazari_numeric",
        "ikpy",
        "pinocchio_dls",
    ):
        result = out["results"][impl]
        assert {"success_rate", "samples", "solve_us"} <= set(result)
        assert set(result["solve_us"]) == {"median", "mean", "p99"}
    assert out["results"]["jazari_analytic"]["success_rate"] == 1.0
    assert set(out["ratios"]) == {"ikpy_vs_jazari_analytic", "pinocchio_dls_vs_jazari_analytic"}


def test_bench_table_output_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "ik", "--poses", "10", "--numeric-poses", "2", "--peer-poses", "2"]) == 0
    out = capsys.readouterr().out
    assert "jazari_analytic" in out and "ratios" in out


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit):
        main(["frobnicate"])
