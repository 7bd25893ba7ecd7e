"""The scaffold (what `sync-services` writes), the compose file's managed block, and the exits of
the engine's command line: 0 and 1 for specs, 70 only for a bug, never a traceback otherwise."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from specforge import cli
from specforge.frontend import check_sources
from specforge.layout import COMPOSE_PATH
from specforge.render.common import ruff_binary, ruff_config_args
from specforge.scaffold import BEGIN, END, merge_compose, scaffold

SERVICES = """\
services:
  - {name: api, type: python-fastapi, description: "Serves things."}
  - {name: worker, type: python-faststream, description: "Handles things."}
  - {name: web, type: node, description: "A front end."}
  - {name: ops, type: default, description: "Anything else."}
"""
MODELS = """\
models:
  Thing:
    fields:
      id: {type: int}
      name: {type: string}
"""
EVENTS = """\
events:
  thing_made: {message: Thing, publish: true, subscribe: true}
"""
API_THINGS = """\
domain: things
operations:
  make_thing:
    input: Thing
    output: Thing
    rest: {method: POST, path: /things}
    errors: [{status: 409, description: taken}]
    events: {publish_on_success: thing_made}
"""
WORKER_AUDIT = """\
domain: audit
operations:
  on_thing_made:
    input: Thing
    events: {subscribe: thing_made}
"""


def sources() -> dict[str, str]:
    return {
        "services.yml": SERVICES,
        "shared/spec/models.yaml": MODELS,
        "shared/spec/events.yaml": EVENTS,
        "services/api/spec/things.yaml": API_THINGS,
        "services/worker/spec/audit.yaml": WORKER_AUDIT,
    }


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    project, errors = check_sources(sources())
    assert not errors and project is not None, [e.format() for e in errors]
    return scaffold(project, None)


def test_each_service_type_gets_its_files(files: dict[str, str]) -> None:
    by_service: dict[str, set[str]] = {}
    for path in files:
        if path.startswith("services/"):
            service, rest = path.split("/", 2)[1:]
            by_service.setdefault(service, set()).add(rest)
    python = {
        "BUILD",
        "Dockerfile",
        "spec/BUILD",
        "tests/BUILD",
        "tests/test_smoke.py",
    }
    assert (
        python
        | {
            "src/api/BUILD",
            "src/api/__init__.py",
            "src/api/main.py",
            "src/api/controllers/__init__.py",
            "src/api/controllers/things.py",
        }
        == by_service["api"]
    )
    assert (
        python
        | {
            "src/worker/BUILD",
            "src/worker/__init__.py",
            "src/worker/main.py",
            "src/worker/controllers/__init__.py",
            "src/worker/controllers/audit.py",
        }
        == by_service["worker"]
    )
    assert by_service["web"] == {
        "BUILD",
        "Dockerfile",
        "package.json",
        "server.js",
        "server.test.js",
    }
    assert by_service["ops"] == {"Dockerfile", "README.md"}
    assert COMPOSE_PATH in files


def test_main_modules_wire_every_domain_controller(files: dict[str, str]) -> None:
    api = files["services/api/src/api/main.py"]
    assert "create_app(things=Things())" in api
    assert "from api.controllers.things import Things" in api
    worker = files["services/worker/src/worker/main.py"]
    assert "create_worker(audit=Audit()" in worker


def test_stub_controllers_implement_every_operation(files: dict[str, str]) -> None:
    tree = ast.parse(files["services/api/src/api/controllers/things.py"])
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert cls.name == "Things"
    assert [ast.unparse(b) for b in cls.bases] == ["ThingsController"]
    methods = {f.name: f for f in cls.body if isinstance(f, ast.AsyncFunctionDef)}
    assert set(methods) == {"make_thing"}
    (statement,) = methods["make_thing"].body
    assert isinstance(statement, ast.Raise)
    assert "NotImplementedError" in ast.unparse(statement)


def test_scaffolded_python_is_ruff_clean(files: dict[str, str], tmp_path: Path) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
        if rel.endswith(".py"):
            compile(text, rel, "exec")
    config = ruff_config_args(["api", "worker"])
    for argv in (["check", *config, "."], ["format", "--check", *config, "."]):
        result = subprocess.run(
            [ruff_binary(), *argv], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_spec_text_reaches_scaffold_files_only_as_data(tmp_path: Path) -> None:
    hostile = 'Says "hi"\nRUN rm -rf / # {{ x }} \\'
    src = sources()
    src["services.yml"] = SERVICES.replace('"Serves things."', json.dumps(hostile))
    project, errors = check_sources(src)
    assert not errors and project is not None, [e.format() for e in errors]
    out = scaffold(project, None)
    dockerfile = out["services/api/Dockerfile"]
    assert not any(line.startswith("RUN rm") for line in dockerfile.splitlines())
    module = ast.parse(out["services/api/src/api/__init__.py"])
    assert hostile in (ast.get_docstring(module, clean=False) or "")


# -- the compose file ---------------------------------------------------------------------------


def test_compose_is_created_with_its_managed_block(files: dict[str, str]) -> None:
    compose = files[COMPOSE_PATH]
    lines = compose.splitlines()
    block = lines[lines.index(BEGIN) : lines.index(END) + 1]
    assert any(line.strip() == "api:" for line in block)
    assert any(line.strip() == "worker:" for line in block)
    assert any(line.strip() == "redis:" for line in lines[: lines.index(BEGIN)])


def test_external_apis_are_not_compose_services() -> None:
    """tg_bot of the spec-language examples calls backend and an external API, weather: it
    starts after backend and gets BACKEND_URL; weather is no service of the compose file."""
    from specforge.frontend import load_project
    from specforge.scaffold import managed_block
    from tests.engine.cases import SPEC_LANGUAGE, spec_language_files

    assert (SPEC_LANGUAGE / "services/tg_bot/spec/weather.openapi.yaml").is_file()
    block = "\n".join(managed_block(load_project(spec_language_files())))
    assert "BACKEND_URL" in block and "backend: {condition:" in block
    assert "weather" not in block.lower()


def test_compose_merge_keeps_hand_edits_and_is_idempotent() -> None:
    block = [BEGIN, "  api:", "    image: specforge/api:latest", END]
    mine = "\n".join(
        [
            "# my comment",
            "name: mine",
            "services:",
            "  cache:",
            "    image: memcached  # mine",
            BEGIN,
            "  old:",
            "    image: specforge/old:latest",
            END,
            "  after:",
            "    image: mine/after",
            "volumes:",
            "  data: {}",
            "",
        ]
    )
    merged = merge_compose(mine, block)
    assert "  old:" not in merged
    assert "    image: specforge/api:latest" in merged
    for kept in ("# my comment", "name: mine", "memcached  # mine", "mine/after", "  data: {}"):
        assert kept in merged
    assert merged.index("memcached") < merged.index(BEGIN) < merged.index("mine/after")
    assert merge_compose(merged, block) == merged


def test_compose_without_a_block_gets_one_under_services() -> None:
    block = [BEGIN, "  api:", "    image: specforge/api:latest", END]
    merged = merge_compose("name: x\nservices:\n  cache:\n    image: memcached\n", block)
    lines = merged.splitlines()
    assert lines[:3] == ["name: x", "services:", BEGIN]
    assert "    image: memcached" in lines
    assert merge_compose("name: x\n", block).splitlines()[-len(block) - 1 :] == [
        "services:",
        *block,
    ]


# -- the command line ---------------------------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return sorted(files)


def test_check_exits_0_on_valid_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, sources())
    assert cli.main(["check", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr() == ("", "")


def test_check_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, sources())
    assert cli.main(["check", "--root", str(tmp_path), "services/api/spec/nope.yaml"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("services/api/spec/nope.yaml")
    assert "Traceback" not in out


def test_generate_rejects_a_target_that_is_not_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write(tmp_path, sources())
    code = cli.main(
        [
            "generate",
            "--root",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            "--target",
            "services/api/spec/other.yaml",
            *files,
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "--target" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_scaffold_without_a_registry_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = {k: v for k, v in sources().items() if k != "services.yml"}
    src = {k: v for k, v in src.items() if not k.startswith("services/")}
    files = write(tmp_path, src)
    code = cli.main(["scaffold", "--root", str(tmp_path), "--out", str(tmp_path / "o"), *files])
    assert code == 1
    assert "services.yml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("raised", "code"),
    [(RuntimeError("boom"), 70), (KeyboardInterrupt(), 130), (BrokenPipeError(), 1)],
)
def test_exit_codes_of_the_unexpected(
    raised: BaseException,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """70 is a bug in specforge, said as such with its traceback; an interrupt is 130 and a
    closed pipe (`check | head`) is 1, both without a traceback."""

    def broken(*_: Any, **__: Any) -> Any:
        raise raised

    write(tmp_path, sources())
    monkeypatch.setattr(cli, "check_sources", broken)
    assert cli.main(["check", "--root", str(tmp_path)]) == code
    err = capsys.readouterr().err
    if code == 70:
        assert "Traceback" in err and "RuntimeError: boom" in err
        assert "internal error" in err and "bug in specforge" in err
    else:
        assert err == ""
