#!/usr/bin/env python3
"""Time and peak memory of the engine on each hostile-YAML resource case.

The cases are those of `tests/engine/test_yaml_limits.py` (which asserts their errors and a
memory bound, never time). For each it writes the spec repo, runs `python -m specforge check`
(or `generate`, for the case read shallowly by code generation) in a subprocess whose address
space is capped, and prints the wall time (the fastest of --repeat runs: the machine may be
shared), the peak RSS and the first line of output.

    PYTHONPATH=pants-plugins:. python tests/bench/yaml_bench.py [--engine DIR] [CASE ...]

`--engine DIR` runs another copy of the engine (a directory holding `specforge/`), e.g. an
older commit's `pants-plugins`, for before/after figures. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "pants-plugins")]

from tests.engine.test_yaml_limits import (  # noqa: E402
    RESOURCE_CASES,
    engine_argv,
    run_engine,
    write,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", type=Path, default=REPO / "pants-plugins")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    parser.add_argument("--cap", type=int, default=4096, help="address-space cap, in MiB")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (the fastest counts)")
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.engine.resolve())}
    print(f"{'case':<22} {'bytes':>9} {'seconds':>8} {'peak MiB':>9}  exit  first line")
    for case in RESOURCE_CASES:
        if args.cases and case.name not in args.cases:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "repo"
            files = case.files()
            write(root, files)
            size = max(len(text.encode()) for text in files.values())
            runs = [
                run_engine(
                    engine_argv(case, root, Path(tmp) / "out"),
                    env,
                    memory_cap=args.cap * 2**20,
                    timeout=args.timeout,
                )
                for _ in range(args.repeat)
            ]
        run = min(runs, key=lambda r: r.seconds)
        lines = run.output.splitlines()
        first = next((line for line in lines if "Error" in line), lines[0] if lines else "")
        if run.code not in (0, 1):
            first = (lines[-1] if lines else "") or first
        print(
            f"{case.name:<22} {size:>9} {run.seconds:>8.2f} {run.max_rss / 2**20:>9.0f}  "
            f"{run.code:>4}  {first[:110]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
