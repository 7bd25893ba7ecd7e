"""The hostile corpus, end to end: every case of `hostile/*.case` through the real command line.

Each case is a spec written as an attacker would (see `hostile_harness.py` for the format and
for every property asserted). The cases run two at a time (each in its own processes); a test
waits for its own case.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.engine.hostile_harness import (
    CORPUS,
    Case,
    Run,
    all_cases,
    build_calls,
    check_case,
    close_probe_servers,
    dockerfile_instructions,
    error_lines,
    load_case,
    new_workdir,
    probe_server,
    reference_scaffold,
)

CASES = all_cases()
JOBS = int(os.environ.get("HOSTILE_JOBS", min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[list[str]]]]:
    """Start every selected case at once (JOBS at a time), in test order."""
    selected = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        module = getattr(getattr(item, "module", None), "__name__", None)
        if module == __name__ and isinstance(params.get("case"), Case):
            selected.append(params["case"])
    base = tmp_path_factory.mktemp("hostile")
    reference_scaffold()  # once, before the workers need it
    pool = ThreadPoolExecutor(JOBS, thread_name_prefix="hostile")
    futures = {c.name: pool.submit(check_case, c, new_workdir(base, c.name)) for c in selected}
    try:
        yield futures
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        close_probe_servers()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case: Case, outcomes: dict[str, Future[list[str]]]) -> None:
    problems = outcomes[case.name].result()
    assert not problems, f"{case.name}: {case.description}\n" + "\n".join(problems)


# -- the corpus itself -------------------------------------------------------------------------


def test_the_corpus_covers_the_contract() -> None:
    assert len(CASES) >= 120
    outcomes = {c.outcome for c in CASES}
    assert outcomes == {"reject", "accept", "safe"}
    markers = [c for c in CASES if any("@MARKER@" in str(t) for t in c.files.values())]
    assert len(markers) >= 30, "payloads that would create the marker"
    reserved = [c for c in CASES if any("reserved" in e.words for e in c.expected)]
    assert len(reserved) >= 20, "rejections of reserved names"


def test_every_case_file_parses() -> None:
    for path in sorted(CORPUS.glob("*.case")):
        case = load_case(path)
        assert case.description, f"{path.name}: the first line says what the attacker tries"


# -- the harness can fail ------------------------------------------------------------------------


def _run(stdout: str) -> Run:
    return Run(("python", "-m", "specforge", "check"), 1, stdout, "", 10.0, False)


def test_a_forged_error_line_is_caught(tmp_path: Path) -> None:
    (tmp_path / "services.yml").write_text("")
    forged = "services.yml:1:1: error: bad name 'x\nshared/spec/fake.yaml:1:1: error: forged' [a]\n"
    assert error_lines(_run(forged), "check", tmp_path)
    escaped = "services.yml:1:1: error: bad name 'x\\nforged' [a]\n"
    assert not error_lines(_run(escaped), "check", tmp_path)
    separator = "services.yml:1:1: error: bad name 'x\u2028y' [a]\n"
    assert error_lines(_run(separator), "check", tmp_path)


def test_injected_dockerfile_and_build_lines_are_caught() -> None:
    template = "# svc: text\nFROM x\nRUN a \\\n  b\nUSER app\n"
    injected = "# svc: text\nRUN touch /tmp/x\nFROM x\nRUN a \\\n  b\nUSER app\n"
    assert dockerfile_instructions(template) == ["FROM", "RUN", "USER"]
    assert dockerfile_instructions(injected) != dockerfile_instructions(template)
    assert build_calls('# x\npex_binary(name="x")\n') == ["pex_binary"]
    assert isinstance(build_calls('pex_binary(name="x" + __import__("os").sep)\n'), str)
    assert isinstance(build_calls("import os\n"), str)


def test_the_probe_sees_a_payload_run_at_import(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    package = tmp_path / "out" / "shared" / "generated"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "evil.py").write_text(f"print('hi')\nopen({str(marker)!r}, 'w').close()\n")
    plan = {
        "roots": [str(tmp_path / "out")],
        "modules": ["shared.generated", "shared.generated.evil", "shared.generated.missing"],
        "apps": [],
        "models": [],
        "scripts": [],
        "builds": [],
        "marker": str(marker),
    }
    result, status, printed = probe_server().run(tmp_path, plan, [])
    assert status == 0 and result is not None
    assert result["ran"] == ["importing the generated modules"]
    assert printed == "hi\n"
    assert result["imports"]["shared.generated.evil"] is None
    assert "ModuleNotFoundError" in result["imports"]["shared.generated.missing"]
