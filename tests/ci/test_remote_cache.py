"""A clean checkout with an empty local cache gets its codegen, lint, check and test results
from the remote cache that another checkout filled.

`infra/remote-cache/start` runs a private BuildGrid (its own state directory and ports, so the
cache starts empty and nothing else writes to it). Checkout A runs `lint check test` on one
service with `pants.remote-cache.toml` and an empty local store, which fills the remote cache;
checkout B, a new copy in A's place with another empty local store, runs the same goals. B's processes
must come from the remote cache (Pants' own "remote cache hit for" log lines and the
`(cached remotely)` test results), and what A uploaded must be what B read.

Needs CPython 3.13 (BuildGrid) and `redis-server` (its action cache): without them the test
skips, and under CI=true it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci.scratch import copy_repo, scratch_env

TARGETS = ("services/notifications::",)
GOALS = ("lint", "check", "test")
# The kinds of process that must be remote hits in B: (what, Pants' description of the process).
KINDS = {
    "codegen": re.compile(r"^Generate Python from the specs of "),
    "spec lint": re.compile(r"^Check \d+ spec files?$"),
    "ruff": re.compile(r"^Run ruff (check|format) on "),
    "mypy": re.compile(r"^Run MyPy on "),
    "generated-code check": re.compile(r"^Type-check \d+ generated modules?$"),
    "pytest": re.compile(r"^Run Pytest for "),
}
HIT = re.compile(r'remote cache hit for: "(?P<description>(?:[^"\\]|\\.)*)"')
MISS = re.compile(r'remote cache miss for: "(?P<description>(?:[^"\\]|\\.)*)"')


def needs(what: str, found: object) -> None:
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed for the remote cache (CI=true)")
    pytest.skip(f"{what} is needed for the remote cache")


def python313() -> str | None:
    on_path = shutil.which("python3.13")
    if on_path:
        return on_path
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob("3.13.*/bin/python3.13"))
    return str(found[-1]) if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private, empty BuildGrid; yields the environment that points Pants at it."""
    needs("redis-server", shutil.which("redis-server"))
    needs("CPython 3.13", python313())
    root = copy_repo(tmp_path_factory.mktemp("cache-infra"))
    state = tmp_path_factory.mktemp("cache-state")
    grpc_port, redis_port = free_port(), free_port()
    env = scratch_env(
        SPECFORGE_REMOTE_CACHE_DIR=str(state),
        SPECFORGE_REMOTE_CACHE_PORT=str(grpc_port),
        SPECFORGE_REMOTE_CACHE_REDIS_PORT=str(redis_port),
    )
    start = [str(root / "infra/remote-cache/start")]
    started = subprocess.run(start, env=env, capture_output=True, text=True, check=False)
    assert started.returncode == 0, started.stderr
    address = started.stdout.strip()
    assert address == f"grpc://127.0.0.1:{grpc_port}"
    # Idempotent: a second start finds it running and changes nothing.
    again = subprocess.run(start, env=env, capture_output=True, text=True, check=False)
    assert (again.returncode, again.stdout.strip()) == (0, address), again.stderr
    assert "already running" in again.stderr
    try:
        yield {
            "PANTS_CONFIG_FILES": "+['pants.remote-cache.toml']",
            "PANTS_REMOTE_STORE_ADDRESS": address,
        }
    finally:
        subprocess.run([*start, "--stop"], env=env, capture_output=True, check=False)


def run_checkout(root: Path, store: Path, cache: dict[str, str]) -> str:
    """`lint check test` on a clean checkout with an empty local store; Pants' log."""
    env = scratch_env(PANTS_LOCAL_STORE_DIR=str(store), **cache)
    cmd = [
        "./pants",
        "--no-pantsd",
        # Only the remote cache may answer: no local process cache at all.
        "--no-local-cache",
        "--log-levels-by-target={'remote::remote_cache': 'debug'}",
        *GOALS,
        *TARGETS,
    ]
    result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    return log


def kinds_in(descriptions: set[str]) -> dict[str, set[str]]:
    return {kind: {d for d in descriptions if pattern.search(d)} for kind, pattern in KINDS.items()}


def test_a_clean_checkout_reads_what_another_wrote(
    cache: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Both checkouts at one path, as a CI runner's workspace is: Pants 2.17 puts a hash of the
    # build root into its mypy process, so mypy results are shared only between checkouts at
    # the same path (every other kind is shared between any two).
    checkout = tmp_path_factory.mktemp("checkout")
    log_a = run_checkout(copy_repo(checkout), tmp_path_factory.mktemp("store-a"), cache)
    # The cache was empty: A read nothing from it.
    assert not HIT.findall(log_a), log_a
    ran_in_a = set(MISS.findall(log_a))

    shutil.rmtree(checkout)
    checkout.mkdir()
    log_b = run_checkout(copy_repo(checkout), tmp_path_factory.mktemp("store-b"), cache)
    hits = set(HIT.findall(log_b))
    misses = set(MISS.findall(log_b))

    hit_kinds = kinds_in(hits)
    missing = sorted(kind for kind, found in hit_kinds.items() if not found)
    assert not missing, f"no remote hit for {missing}; hits: {sorted(hits)}\n{log_b}"
    # Every process of those kinds that A ran, B found in the cache: none ran again.
    for kind, found in kinds_in(misses).items():
        assert not found, f"{kind} ran again in B: {sorted(found)}"
    # What B found is what A ran and uploaded.
    ran_kinds = kinds_in(ran_in_a)
    for kind, found in hit_kinds.items():
        assert found <= ran_kinds[kind], f"{kind}: {sorted(found - ran_kinds[kind])}"
    # And the test goal says so.
    assert "(cached remotely)" in log_b, log_b
