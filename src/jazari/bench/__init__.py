"""Benchmarks behind ``jazari bench NAME``.

Each module here is one benchmark. It defines ``add_arguments(parser)`` and
``run(args) -> dict``; the dict has the shape of ARCHITECTURE.md::

    {"bench": NAME, "params": {...}, "results": {IMPL: {METRIC: value | {stat: value}}},
     "ratios": {NAME: value}}

where each ratio is a peer's cost over Jazari's (above 1: Jazari is faster).
"""
