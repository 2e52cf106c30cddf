"""The ``jazari`` command.

``jazari demo`` sorts parts in the simulated cell (:mod:`jazari.demo`); ``jazari bench
NAME [--json]`` runs one benchmark from :mod:`jazari.bench`; ``jazari bench --list``
names them. Benchmarks are discovered from the modules of that package,
so adding one needs no change here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Callable, Sequence

import jazari.bench
from jazari import __version__
from jazari.bench.report import to_json, to_table

_NOT_BENCHES = {"report"}


def bench_names() -> list[str]:
    """Names of the available benchmarks (the modules of :mod:`jazari.bench`)."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules(jazari.bench.__path__)
        if m.name not in _NOT_BENCHES and not m.name.startswith("_")
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jazari", description="Jazari manufacturing-cell stack")
    parser.add_argument("--version", action="version", version=f"jazari {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True)
    bench = sub.add_parser("bench", help="run a benchmark against its peers")
    bench.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    sub_benches = bench.add_subparsers(dest="bench", metavar="NAME")
    for name in bench_names():
        module = importlib.import_module(f"jazari.bench.{name}")
        p = sub_benches.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        p.add_argument(
            "--json", action="store_true", help="print one JSON object instead of a table"
        )
        module.add_arguments(p)
    demo = sub.add_parser("demo", help="sort parts end to end in the simulated cell")
    importlib.import_module("jazari.demo").add_arguments(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jazari`` console script; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    commands: dict[str, Callable[[argparse.ArgumentParser, argparse.Namespace], int]] = {
        "bench": _bench,
        "demo": _demo,
    }
    return commands[args.command](parser, args)


def _demo(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    status: int = importlib.import_module("jazari.demo").main(args)
    return status


def _bench(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.list:
        print("\n".join(bench_names()))
        return 0
    if args.bench is None:
        parser.error("bench needs a NAME (see jazari bench --list)")
    module = importlib.import_module(f"jazari.bench.{args.bench}")
    result = module.run(args)
    print(to_json(result) if args.json else to_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
