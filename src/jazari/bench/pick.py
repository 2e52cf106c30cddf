"""Pick-and-place end to end: seeded scenes sorted by the simulated cell over the
emulated serial drives; sorting accuracy, software time per pick, and picks per minute
of simulated time.

Software time per pick is what the cell computes for it: perceive, inspect, plan and
time-parameterise (wall time). Cell time is the twin's simulated time, which the
emulated drives advance in real time. ``--drives ethercat`` runs the same scenes over
the EtherCAT master and emulated CiA 402 drives (root only).
"""

from __future__ import annotations

import argparse
from typing import Any

from jazari.bench.report import BenchResult, summarize
from jazari.cell.events import EventKind
from jazari.cell.runner import SIMULATED_DRIVES, RunOptions, run_cell
from jazari.demo import BIN_OF


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari bench pick``."""
    parser.add_argument("--scenes", type=int, default=20, help="seeded scenes (default 20)")
    parser.add_argument("--parts", type=int, default=6, help="parts per scene (default 6)")
    parser.add_argument("--seed", type=int, default=100, help="seed of the first scene")
    parser.add_argument(
        "--drives", choices=sorted(SIMULATED_DRIVES), default="serial", help="drive backend"
    )
    parser.add_argument("--quick", action="store_true", help="one scene of two parts (smoke test)")


def run(args: argparse.Namespace) -> BenchResult:
    """Run the benchmark; see the module docstring."""
    scenes, parts = (1, 2) if args.quick else (args.scenes, args.parts)
    sorted_ok = total = picks = 0
    software_ms: list[float] = []
    cycle_s: list[float] = []
    cell_time_s = 0.0
    stops: list[str] = []
    for k in range(scenes):
        result = run_cell(RunOptions(parts=parts, seed=args.seed + k, drives=args.drives))
        events = result.sequence.events.events
        start = next(e.t_s for e in events if e.kind is EventKind.RUN_START)
        end = next(e.t_s for e in events if e.kind is EventKind.RUN_END)
        cell_time_s += end - start
        total += len(result.truth.parts)
        sorted_ok += sum(1 for p in result.truth.parts if p.bin == BIN_OF[p.is_defective])
        picks += len(result.sequence.picks)
        software_ms += [p.software_ms for p in result.sequence.picks]
        cycle_s += [p.cycle_s for p in result.sequence.picks]
        if result.state.value != "done":
            stops.append(f"seed {args.seed + k}: {result.state.value}")
    jazari: dict[str, Any] = {
        "sorted_fraction": sorted_ok / total if total else 0.0,
        "software_ms_per_pick": summarize(software_ms, ("median", "p95", "max")),
        "picks_per_min_sim": 60.0 * picks / cell_time_s if cell_time_s > 0 else 0.0,
        "cycle_s": summarize(cycle_s, ("median", "p95")),
        "parts": total,
        "picks": picks,
        "cell_time_s": cell_time_s,
        "runs_not_done": stops,
    }
    return {
        "bench": "pick",
        "params": {
            "scenes": scenes,
            "parts_per_scene": parts,
            "seed": args.seed,
            "drives": args.drives,
        },
        "results": {"jazari": jazari},
        "ratios": {},
    }
