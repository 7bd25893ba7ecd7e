"""Shared fixtures of the engine tests: one generated tree for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.engine.generated import generate, importable

# Property-based tests draw the same examples on every CI run (a fixed seed), and keep no example
# database there; locally they explore, and replay what failed before.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def generated_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out)
    return out


@pytest.fixture
def generated(generated_tree: Path) -> Iterator[Path]:
    with importable(generated_tree):
        yield generated_tree


def require_service(host: str, port: int, what: str, how: str) -> None:
    """Skip (or, in CI, fail) when a local service the test needs is not reachable."""
    import socket

    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no {what} on {host}:{port}: {how}")
