#!/usr/bin/env python3
"""Benchmark of `./pants generate ::` on the shared synthetic workload.

For each N (default: 10 and 50) it builds a scratch repo from this repo's own Pants setup
(launcher, pants.toml, plugin, engine, 3rdparty) plus the specs that `make_workload.py`
writes, adds BUILD files with `./pants tailor ::`, and measures, in one run:

  list      warm `./pants list ::` (the baseline every other figure is divided by)
  cold      `./pants generate ::` with no generation result cached (each run's specs carry a
            unique comment), right after a new pantsd has loaded the graph (`list ::`), with
            the engine's environment already built (as the reference generator's environment
            was already installed)
  no-op     `./pants generate ::` again, nothing changed
  edit      `./pants generate ::` after `make_workload.py edit` (svc_001's domain spec changes:
            its router, protocol and app, and svc_002's client, really change)

plus the number of generation processes that ran after the edit (Pants' stats counters), and

  floor     the engine alone generating the whole workload in one process (its own PEX, built
            once, on the same specs): what Pants adds to, so `cold / floor` is Pants' overhead
            (sandboxes, one process per spec directory, caching)

Each figure is the median of --repeat runs; each cold run has a new pantsd and specs with a
comment no earlier run has seen.

    python3 tests/bench/generate_bench.py [--services 10 50] [--make-workload PATH]

Generation is timed without the API documents (`--no-generate-api-docs`): the reference
generator writes code only, and the documents come from running the generated apps, not from
generating code.

This is a script, not a test: timings belong in benchmarks, not in assertions.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATE = ["generate", "--no-generate-api-docs", "::"]
SETUP = ["pants", "pants.toml", "pyproject.toml", "3rdparty", "pants-plugins", ".gitignore"]
# Reference figures (median wall seconds) of a generator that regenerates everything on every
# run, from make_workload.py's docstring.
REFERENCE = {1: (0.91, 0.92, 0.91), 10: (3.29, 2.79, 3.00), 50: (13.88, 12.95, 13.49)}


def sh(cmd: list[str], cwd: Path, check: bool = True) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTS_")}
    env["PANTS_DYNAMIC_UI"] = "false"
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if check and result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout + result.stderr


def make_repo(n: int, workdir: Path, make_workload: Path) -> Path:
    repo = workdir / f"n{n}"
    sh(
        [sys.executable, str(make_workload), "create", "--services", str(n), "--out", str(repo)],
        workdir,
    )
    for name in SETUP:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(
                src, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*_test.py")
            )
        else:
            shutil.copy2(src, repo / name)
    (repo / "BUILD").write_text('spec_sources(name="registry", sources=["services.yml"])\n')
    new_nonce(repo)
    sh(["git", "init", "-q"], repo)
    sh(["./pants", "tailor", "::"], repo)
    return repo


def new_nonce(repo: Path) -> None:
    """Give every spec a comment no run has seen: no generation result is cached for them."""
    nonce = uuid.uuid4().hex
    for spec in repo.glob("**/spec/*.yaml"):
        text = re.sub(r"# benchmark run \w+\n\Z", "", spec.read_text())
        spec.write_text(text + f"# benchmark run {nonce}\n")


def stop_pantsd(repo: Path, timeout: float = 30.0) -> None:
    """Stop the pantsd of `repo`, if one runs. Pants 2.17 has no goal for it (`kill-pantsd` is
    not one): its pid is in `.pids/<fingerprint>/pantsd/pid`, and SIGTERM stops it."""
    for pid_file in repo.glob(".pids/*/pantsd/pid"):
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue  # gone already
        if b"pantsd" not in cmdline:
            continue  # the pid was reused by another process
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)


def floor_run(engine: Path, repo: Path, out: Path) -> float:
    """The engine generating every spec of `repo` and every service's app in one process."""
    services = re.findall(r"^\s*- name: (\S+)", (repo / "services.yml").read_text(), re.M)
    paths = [
        repo / "services.yml",
        *repo.glob("shared/spec/*.yaml"),
        *repo.glob("services/*/spec/*.yaml"),
    ]
    specs = sorted(p.relative_to(repo).as_posix() for p in paths)
    args = [a for spec in specs for a in ("--target", spec)]
    args += [a for name in services for a in ("--app", name)]
    return sh([str(engine), "generate", "--root", str(repo), "--out", str(out), *args], repo)[0]


def processes_run(output: str) -> int:
    m = re.search(r"local_execution_requests: (\d+)", output)
    return int(m.group(1)) if m else -1


def bench(
    n: int, workdir: Path, make_workload: Path, repeat: int, engine: Path
) -> dict[str, float]:
    repo = make_repo(n, workdir, make_workload)
    try:
        figures = measure(repo, make_workload, repeat)
    finally:
        stop_pantsd(repo)  # a benchmark leaves no pantsd behind to load the machine
    floors = []
    for k in range(repeat):
        floors.append(floor_run(engine, repo, workdir / f"floor-{n}-{k}"))
    figures["floor"] = statistics.median(floors)
    return figures


def measure(repo: Path, make_workload: Path, repeat: int) -> dict[str, float]:
    pants = ["./pants"]
    colds = []
    for k in range(repeat):
        if k:  # each cold run starts a new pantsd, on specs no run has generated
            stop_pantsd(repo)
            new_nonce(repo)
        sh([*pants, "list", "::"], repo)  # start pantsd, warm the graph
        list_times = [sh([*pants, "list", "::"], repo)[0] for _ in range(repeat)]
        colds.append(sh([*pants, *GENERATE], repo)[0])
    noop = [sh([*pants, *GENERATE], repo)[0] for _ in range(repeat)]
    edits, counts = [], []
    for _ in range(repeat):
        sh(
            [
                sys.executable,
                str(make_workload),
                "edit",
                "--out",
                str(repo),
                "--service",
                "svc_001",
            ],
            repo,
        )
        elapsed, out = sh([*pants, "--stats-log", *GENERATE], repo)
        edits.append(elapsed)
        counts.append(processes_run(out))
    return {
        "list": statistics.median(list_times),
        "cold": statistics.median(colds),
        "noop": statistics.median(noop),
        "edit": statistics.median(edits),
        "processes": statistics.median(counts),
        "files": len(list(repo.glob("**/generated/**/*.py"))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--make-workload",
        type=Path,
        default=REPO.parent / "shared" / "bench" / "make_workload.py",
        help="the shared workload generator (default: ../shared/bench/make_workload.py)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch repos")
    args = parser.parse_args()
    args.make_workload = args.make_workload.resolve()  # the runs happen in scratch directories
    if not args.make_workload.is_file():
        sys.exit(f"no workload generator at {args.make_workload}; pass --make-workload PATH")
    workdir = Path(tempfile.mkdtemp(prefix="specforge-bench-"))
    try:
        # Build the engine's environment once, on a 1-service workload, so that every
        # measured cold run starts with it (and with nothing else) cached.
        warm = make_repo(1, workdir, args.make_workload)
        try:
            sh(["./pants", *GENERATE], warm)
            # The engine's own PEX, for the single-process floor (run once untimed: a venv PEX
            # builds its venv on the first run).
            sh(["./pants", "package", "pants-plugins/specforge:specforge"], warm)
        finally:
            stop_pantsd(warm)
        engine = warm / "dist" / "pants-plugins.specforge" / "specforge.pex"
        floor_run(engine, warm, workdir / "w")
        rows = {
            n: bench(n, workdir, args.make_workload, args.repeat, engine) for n in args.services
        }
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"{'N':>3} {'list':>6} | {'cold':>14} {'no-op':>14} {'edit':>14} | "
        f"{'vs reference (cold/no-op/edit)':>31} | {'floor':>6} {'cold/floor':>10} | "
        "procs after edit | files"
    )
    for n, r in rows.items():
        ref = REFERENCE.get(n)
        vs = (
            f"{r['cold'] / ref[0]:.2f}x / {r['noop'] / ref[1]:.2f}x / {r['edit'] / ref[2]:.2f}x"
            if ref
            else "-"
        )
        cells = [f"{r[k]:5.2f}s ({r[k] / r['list']:4.1f}x)" for k in ("cold", "noop", "edit")]
        floor = f"{r['floor']:5.2f}s {r['cold'] / r['floor']:9.2f}x"
        print(
            f"{n:>3} {r['list']:5.2f}s | {' '.join(cells)} | {vs:>31} | {floor} | "
            f"{r['processes']:>16} | {r['files']}"
        )
    print("(x) after a figure: ratio to the warm `./pants list ::` of the same N, in the same run")


if __name__ == "__main__":
    main()
