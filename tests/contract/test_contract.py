"""schemathesis against every HTTP service (`python-fastapi` in services.yml), with its real
controllers and a SQLite database: no server error, and every answer's status code, content type,
headers and body as the service's OpenAPI document says (see runner.py for the runs and checks).

The runner is a PEX of the `contract` resolve; this test runs it on the service's code in this
sandbox, then reads its JSON report. The cases are the same on every run (fixed seeds)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

RUNNER = Path("tests.contract/runner.pex")  # this test's runtime package dependency


def http_services() -> list[str]:
    registry = yaml.safe_load(Path("services.yml").read_text())
    return [s["name"] for s in registry["services"] if s["type"] == "python-fastapi"]


def pins(path: str) -> dict[str, str]:
    found = {}
    for line in Path(path).read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(3)
    return found


def test_the_contract_resolve_runs_what_the_services_run() -> None:
    default, contract = (
        pins("3rdparty/python/requirements.txt"),
        pins("3rdparty/python/contract-requirements.txt"),
    )
    shared = set(default) & set(contract)
    assert {"fastapi", "pydantic", "sqlalchemy", "uvicorn"} <= shared
    assert {name: contract[name] for name in shared} == {name: default[name] for name in shared}


def run_contract(service: str, paths: list[str], tmp_path: Path) -> dict[str, Any]:
    """The runner's report on `service`, whose package is under one of `paths`."""
    report_path = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if "PEX" not in k and "PYTHON" not in k}
    argv = [sys.executable, str(RUNNER), "--service", service, "--report", str(report_path)]
    result = subprocess.run(
        [*argv, *(a for p in paths for a in ("--path", p))],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert report_path.exists(), result.stderr
    report: dict[str, Any] = json.loads(report_path.read_text())
    assert result.returncode == (1 if report["failures"] else 0), result.stderr
    return report


def test_the_runner_catches_a_broken_contract(tmp_path: Path) -> None:
    report = run_contract("broken", ["tests/contract"], tmp_path)
    errors = "\n".join(f["error"] for f in report["failures"])
    assert "Server error" in errors
    assert "Response violates schema" in errors


@pytest.mark.parametrize("service", http_services())
def test_schemathesis_finds_nothing(service: str, tmp_path: Path) -> None:
    # The service, the shared generated code, and the runtime library that generated code uses.
    report = run_contract(service, [f"services/{service}/src", ".", "pants-plugins"], tmp_path)
    print(f"{service}: {report['cases']} cases; answers {report['answers']}")
    assert report["failures"] == [], "\n\n".join(f["error"] for f in report["failures"])
    assert all(report["cases"][run] > 0 for run in ("positive", "negative", "stateful"))
    # The links take sequences past 404s: every operation on an existing resource (a path with
    # a param) answered with success at least once.
    answers = report["answers"]
    addressed = {k.rsplit(" ", 1)[0] for k in answers if k.startswith("stateful") and "{" in k}
    succeeded = {k.rsplit(" ", 1)[0] for k in answers if re.search(r" 2\d\d$", k)}
    assert addressed and addressed <= succeeded, sorted(addressed - succeeded)
