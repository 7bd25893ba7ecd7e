from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest
from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from interpreter_search import rules as search_rules
from interpreter_search.rules import Interpreter, choose, no_interpreter_message


def fake_python(directory: Path, name: str, implementation: str, version: str) -> Path:
    """An executable that answers the probe's question as an interpreter would."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    major, minor, micro = version.split(".")
    path.write_text(
        f'#!/bin/sh\necho "{implementation} {major} {minor} {micro} $(readlink -f "$0")"\n'
    )
    path.chmod(0o755)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[
            *pex.rules(),
            *search_rules.rules(),
            QueryRule(PythonExecutable, [InterpreterConstraints]),
        ]
    )


def find(rule_runner: RuleRunner, search_path: list[Path], *constraints: str) -> PythonExecutable:
    paths = ", ".join(repr(str(p)) for p in search_path)
    rule_runner.set_options([f"--python-bootstrap-search-path=[{paths}]"], env_inherit={"PATH"})
    return rule_runner.request(PythonExecutable, [InterpreterConstraints(constraints)])


def test_lowest_compatible_minor_and_its_highest_patch(
    rule_runner: RuleRunner, tmp_path: Path
) -> None:
    fake_python(tmp_path / "a", "python3.12", "CPython", "3.12.1")
    older = fake_python(tmp_path / "a", "python3.11", "CPython", "3.11.2")
    newest = fake_python(tmp_path / "b", "python3.11", "CPython", "3.11.9")
    fake_python(tmp_path / "b", "python3.10", "CPython", "3.10.4")
    fake_python(tmp_path / "b", "pypy3.11", "PyPy", "3.11.0")  # not a `python*` name
    (tmp_path / "b" / "python3.9").write_text("not executable")

    found = find(rule_runner, [tmp_path / "a", tmp_path / "b"], "CPython>=3.11")
    assert found.path == str(newest)
    assert found.fingerprint == sha256(newest)
    found = find(rule_runner, [tmp_path / "a"], "CPython==3.11.*")
    assert found.path == str(older)


def test_reports_the_real_interpreter_behind_a_link(
    rule_runner: RuleRunner, tmp_path: Path
) -> None:
    real = fake_python(tmp_path / "versions" / "3.11.7" / "bin", "python3.11", "CPython", "3.11.7")
    (tmp_path / "bin").mkdir()
    os.symlink(real, tmp_path / "bin" / "python3")
    found = find(rule_runner, [tmp_path / "bin"], "CPython==3.11.*")
    assert found.path == str(real)
    assert found.fingerprint == sha256(real)


def test_the_real_interpreter_running_pants(rule_runner: RuleRunner, tmp_path: Path) -> None:
    link = tmp_path / "bin" / "python3"
    link.parent.mkdir()
    os.symlink(sys.executable, link)
    major, minor = sys.version_info[:2]
    found = find(rule_runner, [link.parent], f"CPython=={major}.{minor}.*")
    assert found.path == os.path.realpath(sys.executable)
    assert found.fingerprint == sha256(Path(os.path.realpath(sys.executable)))


def test_no_match_names_what_was_searched_and_found(
    rule_runner: RuleRunner, tmp_path: Path
) -> None:
    fake_python(tmp_path / "a", "python3.10", "CPython", "3.10.4")
    with pytest.raises(ExecutionError) as e:
        find(rule_runner, [tmp_path / "a", tmp_path / "missing"], "CPython==3.11.*")
    message = str(e.value)
    assert "No Python interpreter on [python-bootstrap].search_path satisfies CPython==3.11.*" in (
        message
    )
    assert str(tmp_path / "missing") in message
    assert f"CPython 3.10.4 at {tmp_path / 'a' / 'python3.10'}" in message


def test_choose_is_pexs_choice() -> None:
    def interp(version: str, path: str, impl: str = "CPython") -> Interpreter:
        major, minor, micro = (int(v) for v in version.split("."))
        return Interpreter(impl, (major, minor, micro), path, "0" * 64)

    found = [
        interp("3.12.0", "/a"),
        interp("3.11.2", "/b"),
        interp("3.11.8", "/c"),
        interp("3.11.8", "/d"),
        interp("3.9.1", "/e", "PyPy"),
    ]
    assert choose(InterpreterConstraints(["CPython>=3.9"]), found) == found[2]
    assert choose(InterpreterConstraints(["CPython==3.12.*"]), found) == found[0]
    assert choose(InterpreterConstraints(["PyPy==3.9.*", "CPython==3.12.*"]), found) == found[4]
    assert choose(InterpreterConstraints(["CPython==3.13.*"]), found) is None


def test_message_without_search_path() -> None:
    message = no_interpreter_message(InterpreterConstraints(["CPython==3.11.*"]), [], [])
    assert "the search path is empty" in message
    assert "(no interpreters)" in message
