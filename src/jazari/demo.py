"""``jazari demo``: the cell sorts parts end to end in the simulated cell.

Writes to ``--out`` (default ``./jazari-demo``):

* ``report.json`` — parts, how many were sorted correctly (against the twin's ground
  truth), accepted and rejected counts, failures, per-pick times and OEE;
* ``cell.mcap`` — a rosbag2-compatible recording (ROS 2 Jazzy encodings) of the camera,
  joint states, TF, detections, inspections, planned trajectories, cell state and drive
  diagnostics;
* ``summary.png`` — the first frame with detections and verdicts over a timeline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from jazari.cell.events import CellEvent, EventKind
from jazari.cell.kpi import compute_oee
from jazari.cell.runner import SIMULATED_DRIVES, RunOptions, RunResult, sim_cell
from jazari.cell.sequence import Hooks, combine_hooks
from jazari.cell.summary import write_summary
from jazari.cell.vision import SeenPart
from jazari.config import load_params
from jazari.errors import ConfigError
from jazari.ports import RGBDFrame
from jazari.record.recorder import McapRecorder
from jazari.ros.cell_recording import DEMO_TOPICS, CellRecording, MessageSink, Tee
from jazari.ros.live import FoxgloveLive

OUTPUTS = ("report.json", "cell.mcap", "summary.png")
BIN_OF = {False: "bin_accepted", True: "bin_rejected"}  # by "is defective"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``jazari demo``."""
    parser.add_argument("--parts", type=int, default=6, help="parts on the table (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the scene and the planner")
    parser.add_argument(
        "--drives",
        choices=sorted(SIMULATED_DRIVES),
        default="serial",
        help="drive backend (ethercat: real frames over a veth pair, needs root)",
    )
    parser.add_argument("--out", type=Path, default=Path("jazari-demo"), help="output folder")
    parser.add_argument(
        "--live", action="store_true", help="serve the run to Foxglove on 127.0.0.1"
    )
    parser.add_argument("--live-port", type=int, default=8765, help="WebSocket port of --live")
    parser.add_argument("--no-noise", action="store_true", help="render depth without sensor noise")


class Progress:
    """A one-line progress bar on stderr, updated on every placed or abandoned part."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width, self.done = total, width, 0

    def event(self, event: CellEvent) -> None:
        """Advance on PLACED and GAVE_UP; redraw."""
        if event.kind in (EventKind.PLACED, EventKind.GAVE_UP):
            self.done += 1
        if event.kind in (EventKind.PLACED, EventKind.GAVE_UP, EventKind.RUN_END, EventKind.FAULT):
            filled = int(self.width * min(self.done, self.total) / self.total)
            bar = "#" * filled + "." * (self.width - filled)
            end = "\n" if event.kind is EventKind.RUN_END else ""
            print(
                f"\r[{bar}] {self.done}/{self.total} parts  t = {event.t_s:6.1f} s",
                end=end,
                file=sys.stderr,
                flush=True,
            )


class FirstFrame:
    """Keeps the first frame and what was seen in it, for the summary picture."""

    def __init__(self) -> None:
        self.frame: RGBDFrame | None = None
        self.seen: list[SeenPart] = []

    def on_frame(self, frame: RGBDFrame, seen: list[SeenPart]) -> None:
        """Remember the first call only."""
        if self.frame is None:
            self.frame, self.seen = frame, list(seen)


def build_report(
    options: RunOptions, result: RunResult, ideal_cycle_time_s: float
) -> dict[str, Any]:
    """The run report (see the module docstring)."""
    seq = result.sequence
    sorted_ok = sum(1 for p in result.truth.parts if p.bin == BIN_OF[p.is_defective])
    return {
        "parts": options.parts,
        "sorted_correctly": sorted_ok,
        "accepted": sum(1 for p in seq.picks if p.bin == "accepted"),
        "rejected": sum(1 for p in seq.picks if p.bin == "rejected"),
        "final_state": result.state.value,
        "failures": [{"part": f.part, "stage": f.stage, "reason": f.reason} for f in seq.failures],
        "picks": [
            {"part": p.part, "software_ms": p.software_ms, "cycle_s": p.cycle_s} for p in seq.picks
        ],
        "oee": compute_oee(seq.events.events, ideal_cycle_time_s).as_dict(),
    }


def summary_table(report: dict[str, Any]) -> str:
    """The report's main figures as a short table."""
    picks = report["picks"]
    sw = statistics.median(p["software_ms"] for p in picks) if picks else float("nan")
    cycle = statistics.median(p["cycle_s"] for p in picks) if picks else float("nan")
    oee = report["oee"]
    a, p, q = oee["availability"], oee["performance"], oee["quality"]
    rows = [
        ("parts on the table", f"{report['parts']}"),
        ("sorted correctly", f"{report['sorted_correctly']}"),
        ("placed: accepted / rejected", f"{report['accepted']} / {report['rejected']}"),
        ("failures", f"{len(report['failures'])}"),
        ("software per pick, median", f"{sw:.1f} ms"),
        ("cycle per pick, median", f"{cycle:.2f} s"),
        ("OEE", f"{oee['oee']:.3f}"),
        ("availability x performance x quality", f"{a:.3f} x {p:.3f} x {q:.3f}"),
        ("final state", report["final_state"]),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def run_demo(
    options: RunOptions,
    out: Path,
    *,
    live: bool = False,
    live_port: int = 8765,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the demo and write its outputs to ``out``; returns the report.

    With ``live`` the run is also served to Foxglove on ``ws://127.0.0.1:<live_port>``.
    """
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        (out / name).unlink(missing_ok=True)
    ideal = float(load_params("cell")["ideal_cycle_time_s"])
    first = FirstFrame()
    with contextlib.ExitStack() as stack:
        cell = stack.enter_context(sim_cell(options))
        recorder = stack.enter_context(McapRecorder(out / "cell.mcap", DEMO_TOPICS))
        sink: MessageSink = recorder
        if live:
            view = stack.enter_context(
                FoxgloveLive(DEMO_TOPICS, recorder.typestore, port=live_port)
            )
            print(f"live view: open ws://127.0.0.1:{view.port} in Foxglove", file=sys.stderr)
            sink = Tee(recorder, view)
        twin = cell.twin
        recording = CellRecording(
            sink,
            recorder.typestore,
            twin.robot,
            twin,
            twin.gripper_width_m,
            ideal_cycle_time_s=ideal,
        )
        hooks = [recording.hooks(), Hooks(on_frame=first.on_frame)]
        if progress:
            hooks.append(Hooks(on_event=Progress(options.parts).event))
        cell.attach(combine_hooks(*hooks))
        recording.start()
        state = cell.sequence.run()
        result = RunResult(state, cell.sequence, cell.truth())
    report = build_report(options, result, ideal)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    if first.frame is not None:
        write_summary(out / "summary.png", first.frame, first.seen, result.sequence.events.events)
    return report


def main(args: argparse.Namespace) -> int:
    """``jazari demo``; exit status 0 when every part was sorted correctly, 2 when the
    demo cannot run as configured (the reason goes to stderr)."""
    try:
        options = RunOptions(
            parts=args.parts, seed=args.seed, drives=args.drives, depth_noise=not args.no_noise
        )
        report = run_demo(options, args.out, live=args.live, live_port=args.live_port)
    except ConfigError as exc:  # e.g. --drives ethercat without root: say why, no traceback
        print(f"jazari demo: {exc}", file=sys.stderr)
        return 2
    print(summary_table(report))
    print(f"  outputs in {args.out}/: {', '.join(OUTPUTS)}")
    return 0 if report["sorted_correctly"] == report["parts"] else 1
