"""Every case of the malformed-spec corpus: `check` exits 1 and reports exactly the expected
errors, each at its exact file:line:column with its key path, and never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from specforge.cli import main
from tests.engine.cases import Case, all_cases

CASES = all_cases()
LINE = re.compile(r"^(?P<loc>[^:]+:\d+:\d+): error: (?P<message>.+?)(?: \[(?P<path>[^ ]*)\])?$")


def write_repo(root: Path, case: Case) -> list[str]:
    for rel, text in case.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted(case.files)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert all(case.expected for case in CASES), [c.name for c in CASES if not c.expected]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_check_reports_the_located_error(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_repo(tmp_path, case)
    code = main(["check", "--root", str(tmp_path), *files])
    out = capsys.readouterr()
    assert code == 1, out.out
    assert "Traceback" not in out.out + out.err
    lines = out.out.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), f"unformatted output: {lines}"
    reported = [(m["loc"], m["path"] or "", m["message"]) for m in parsed if m]
    assert len(reported) == len(case.expected), "\n".join(lines)
    for expected in case.expected:
        matches = [r for r in reported if r[0] == expected.location and r[1] == expected.path]
        assert matches, f"no error at {expected.location} [{expected.path}] in:\n" + "\n".join(
            lines
        )
        message = matches[0][2]
        for word in expected.words:
            assert word in message, f"{word!r} not in {message!r}"


def test_the_check_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    """The real `python -m specforge check` process, on a few cases at once."""
    picked = [c for c in CASES if c.name in ("yaml_tab_indent", "registry_unknown_type")]
    for case in picked:
        write_repo(tmp_path, case)
    result = subprocess.run(
        [sys.executable, "-m", "specforge", "check", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "services.yml:3:11: error: unknown service type 'python-fastap' (did you mean "
        "'python-fastapi'?); expected one of: python-fastapi, python-faststream, node, default "
        "[services[0].type]",
        "shared/spec/models.yaml:3:1: error: tab characters are not allowed here (YAML indents "
        "with spaces) [models.User]",
    ]
