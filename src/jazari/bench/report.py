"""Statistics and output of benchmark results in the shape of ARCHITECTURE.md."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

BenchResult = dict[str, Any]


def summarize(
    values: Iterable[float], stats: Sequence[str] = ("median", "mean", "p95", "p99")
) -> dict[str, float]:
    """Summary statistics of ``values``; NaN for every statistic when there are none.

    Args:
        values: samples, in the metric's unit.
        stats: which statistics to report: ``median``, ``mean``, ``max``, ``min`` or
            ``pNN`` for the NN-th percentile.
    """
    data = np.asarray(list(values), dtype=float)
    out: dict[str, float] = {}
    for stat in stats:
        if data.size == 0:
            out[stat] = math.nan
        elif stat == "median":
            out[stat] = float(np.median(data))
        elif stat == "mean":
            out[stat] = float(np.mean(data))
        elif stat == "max":
            out[stat] = float(np.max(data))
        elif stat == "min":
            out[stat] = float(np.min(data))
        elif stat.startswith("p") and stat[1:].isdigit():
            out[stat] = float(np.percentile(data, float(stat[1:])))
        else:
            raise ValueError(f"unknown statistic {stat!r}")
    return out


def ratio(peer_cost: float, jazari_cost: float) -> float:
    """Peer cost over Jazari cost (above 1: Jazari is faster); NaN when undefined."""
    if not (math.isfinite(peer_cost) and math.isfinite(jazari_cost)) or jazari_cost <= 0:
        return math.nan
    return peer_cost / jazari_cost


def _clean(value: Any) -> Any:
    """Replace NaN/inf by None so the output is strict JSON."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(result: BenchResult) -> str:
    """The result as one line of strict JSON."""
    return json.dumps(_clean(result), sort_keys=False)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "-"
    return str(value)


def to_table(result: BenchResult) -> str:
    """The same figures as :func:`to_json`, as a human-readable table."""
    lines = [
        f"bench {result['bench']}  "
        + " ".join(f"{k}={_fmt(v)}" for k, v in result["params"].items())
    ]
    for impl, metrics in result["results"].items():
        lines.append(f"  {impl}")
        for metric, value in metrics.items():
            if isinstance(value, dict):
                shown = "  ".join(f"{k} {_fmt(v)}" for k, v in value.items())
            else:
                shown = _fmt(value)
            lines.append(f"    {metric:<24} {shown}")
    if result.get("ratios"):
        lines.append("  ratios (peer cost / jazari cost)")
        lines.extend(f"    {name:<32} {_fmt(v)}" for name, v in result["ratios"].items())
    return "\n".join(lines)
