"""Fixtures of the event acceptance tests: `children`, every process a test starts (its private
redis-server included), stopped at the end of the test whatever happens, with their logs
attached to the report of a failed test."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.events.harness import Children


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    started = Children(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    started = getattr(item, "funcargs", {}).get("children")
    if report.when == "call" and report.failed and isinstance(started, Children):
        report.sections.append(("logs of the child processes", started.logs()))
