#!/usr/bin/env python3
"""Benchmark of the remote cache: `./pants test ::` from a clean checkout, cold and then warm.

In one run:

  1. starts a private BuildGrid with `infra/remote-cache/start` (its own state directory and
     ports: the cache starts empty, and nothing else writes to it);
  2. clones this repo's HEAD twice (two clean checkouts, A and B);
  3. cold: `./pants test ::` in A, with `pants.remote-cache.toml`, an empty local store
     (`PANTS_LOCAL_STORE_DIR`) and a new pantsd: everything runs, and every result is uploaded;
  4. warm: the same in B, with another empty local store and another new pantsd: every process
     that A ran is now a remote cache hit;
  5. reports both wall times, warm ÷ cold, and Pants' remote cache counters of each run; stops
     both pantsds and the BuildGrid.

Both runs share what no checkout owns: the `./pants` launcher's Pants installation and Pants'
named caches (downloaded wheels, the pex root), as two checkouts on one machine or two CI runs
with a kept `~/.cache` do. A Docker engine and the local services should be up, as for
`./pants test ::` itself (infra/docker/ensure-engine.sh).

    python3 tests/bench/remote_cache_bench.py [--targets ::] [--keep]

This is a script, not a test: timings belong in benchmarks, not in assertions.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_bench import stop_pantsd

REPO = Path(__file__).resolve().parents[2]
COUNTERS = (
    "remote_cache_requests",
    "remote_cache_requests_cached",
    "remote_cache_requests_uncached",
    "remote_cache_read_errors",
    "remote_cache_request_timeouts",
    "remote_cache_write_successes",
    "local_execution_requests",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_checkout(
    checkout: Path, store: Path, cache_env: dict[str, str], targets: list[str]
) -> tuple[float, dict[str, int], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTS_")}
    env.update(cache_env, PANTS_DYNAMIC_UI="false", PANTS_LOCAL_STORE_DIR=str(store))
    cmd = ["./pants", "--stats-log", "test", *targets]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=checkout, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    output = result.stdout + result.stderr
    stop_pantsd(checkout)
    if result.returncode != 0:
        sys.exit(f"./pants test failed in {checkout}:\n{output[-8000:]}")
    counters = {
        name: int(m.group(1)) if (m := re.search(rf"^\s*{name}: (\d+)$", output, re.M)) else -1
        for name in COUNTERS
    }
    return elapsed, counters, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", default=["::"])
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="remote-cache-bench-"))
    start_script = REPO / "infra/remote-cache/start"
    infra_env = {
        **os.environ,
        "SPECFORGE_REMOTE_CACHE_DIR": str(work / "cache"),
        "SPECFORGE_REMOTE_CACHE_PORT": str(free_port()),
        "SPECFORGE_REMOTE_CACHE_REDIS_PORT": str(free_port()),
    }
    try:
        started = subprocess.run(
            [str(start_script)], env=infra_env, capture_output=True, text=True, check=False
        )
        if started.returncode != 0:
            sys.exit(f"infra/remote-cache/start failed:\n{started.stderr}")
        cache_env = {
            "PANTS_CONFIG_FILES": "+['pants.remote-cache.toml']",
            "PANTS_REMOTE_STORE_ADDRESS": started.stdout.strip(),
        }
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(
            f"commit {head}, targets {' '.join(args.targets)}, cache {cache_env['PANTS_REMOTE_STORE_ADDRESS']}"
        )
        results = {}
        for name in ("cold", "warm"):
            checkout = work / f"checkout-{name}"
            subprocess.run(["git", "clone", "-q", str(REPO), str(checkout)], check=True)
            elapsed, counters, output = run_checkout(
                checkout, work / f"store-{name}", cache_env, args.targets
            )
            (work / f"{name}.log").write_text(output)  # kept with --keep
            results[name] = (elapsed, counters)
            print(
                f"{name:5} {elapsed:8.1f} s  " + "  ".join(f"{k}={v}" for k, v in counters.items()),
                flush=True,
            )
            # Why a lookup failed, in Pants' words (its warnings back off: the first few).
            for line in sorted(
                set(re.findall(r"^.*remote cache.*(?:error|[Ff]ailed).*$", output, re.M))
            )[:5]:
                print(f"      {line.strip()[:300]}")
        cold, warm = results["cold"][0], results["warm"][0]
        print(f"warm / cold = {warm / cold:.2f}")
    finally:
        subprocess.run(
            [str(start_script), "--stop"], env=infra_env, capture_output=True, check=False
        )
        for checkout in work.glob("checkout-*"):
            stop_pantsd(checkout)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
