"""On a scratch copy of this repo: the README's "Add a new service, spec first" walkthrough
(specs written before the service exists are reported, not skipped, until `sync-services`
scaffolds the service around them; then lint, check and test pass, and the service's worker
handles its event with the generated controller wired in), `./pants check` reporting an
error in generated code (a deliberately wrong template), naming the generated file, and the
plugin's ruff backend in `lint`, `fix` and `fmt`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ci.scratch import copy_repo, scratch_env

TRAIL = """\
domain: trail
operations:
  record_user:
    input: UserRead
    events: {subscribe: user_registered}
"""
MANIFEST = """\
consumes:
  - service: backend
    domain: users
    operations: [get_user, list_users]
"""
REGISTRATION = """\
  - name: audit
    type: python-faststream
    description: Keeps an audit trail of new users.
"""
CONTROLLER = '''\
"""Keeps an audit trail of new users."""

from __future__ import annotations

from audit.generated.trail.protocol import TrailController
from shared.generated.schemas import UserRead
from specforge_runtime.events import EventInfo

TRAIL: list[str] = []


class Trail(TrailController):
    async def record_user(self, payload: UserRead, *, event: EventInfo) -> None:
        TRAIL.append(payload.name)
'''
TEST = '''\
"""The audit worker records each registered user."""

from __future__ import annotations

import datetime as dt

from faststream.redis import RedisBroker, TestRedisBroker

from audit.controllers.trail import TRAIL
from audit.main import build_worker
from shared.generated.events import publish_user_registered
from shared.generated.schemas import UserRead


async def test_records_registered_users() -> None:
    broker = build_worker().broker
    assert isinstance(broker, RedisBroker)
    user = UserRead(id=1, name="Ada", created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    async with TestRedisBroker(broker) as test_broker:
        await publish_user_registered(test_broker, user)
    assert TRAIL == ["Ada"]
'''


def pants(root: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = scratch_env()
    result = subprocess.run(
        ["./pants", "--no-pantsd", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if ok:
        assert result.returncode == 0, (
            f"./pants {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("onboarding")
    copy_repo(root)
    return root


def test_spec_first_onboarding(repo: Path) -> None:
    spec = repo / "services/audit/spec"
    spec.mkdir(parents=True)
    (spec / "trail.yaml").write_text(TRAIL)
    (spec / "manifest.yaml").write_text(MANIFEST)

    # 1. Before the service has targets, its specs are reported, with the fix.
    for goal in ("lint", "check"):
        result = pants(repo, goal, "services/backend::", "shared/spec:", ok=False)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert (
            "services/audit/spec/manifest.yaml" in output
            and "services/audit/spec/trail.yaml" in output
        )
        assert "./pants sync-services" in output

    # 2-3. Registered, then scaffolded around its specs.
    with (repo / "services.yml").open("a") as registry:
        registry.write(REGISTRATION)
    assert pants(repo, "sync-services", "--check", ok=False).returncode == 1
    created = pants(repo, "sync-services").stdout
    for rel in (
        "services/audit/spec/BUILD",
        "services/audit/src/audit/main.py",
        "services/audit/src/audit/controllers/trail.py",
        "services/audit/tests/test_smoke.py",
    ):
        assert f"created {rel}" in created
    assert "trail=Trail()" in (repo / "services/audit/src/audit/main.py").read_text()
    pants(repo, "sync-services", "--check")
    pants(repo, "lint", "check", "test", "services/audit::")

    # 4. The controller, implemented, handles the event through the generated subscriber.
    (repo / "services/audit/src/audit/controllers/trail.py").write_text(CONTROLLER)
    (repo / "services/audit/tests/test_trail.py").write_text(TEST)
    pants(repo, "check", "test", "services/audit::")

    # 5. Its API documents: packaged, and written into its generated package by `generate`.
    pants(repo, "package", "services/audit:api-docs")
    packaged = repo / "dist/services.audit/api-docs/asyncapi.json"
    asyncapi = json.loads(packaged.read_text())
    assert asyncapi["asyncapi"] == "3.0.0"
    (channel,) = asyncapi["channels"].values()
    assert channel["address"] == "users.registered"
    assert channel["bindings"]["redis"]["groupName"] == "audit"
    pants(repo, "generate", "services/audit::", "shared/spec:")
    generated = repo / "services/audit/src/audit/generated"
    assert (generated / "asyncapi.json").read_bytes() == packaged.read_bytes()
    openapi = json.loads((generated / "openapi.json").read_text())
    assert list(openapi["paths"]) == ["/health"]


def test_check_reports_errors_in_generated_code(repo: Path) -> None:
    template = repo / "pants-plugins/specforge/render/templates/app.py.j2"
    original = template.read_text()
    anchor = "SERVICE = {{ service | literal }}\n"
    assert anchor in original
    template.write_text(original.replace(anchor, anchor + 'BROKEN: int = "not an int"\n'))
    try:
        result = pants(repo, "check", "services/notifications::", ok=False)
    finally:
        template.write_text(original)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert (
        "services/notifications/src/notifications/generated/app.py:" in output
        and "Incompatible types in assignment" in output
    ), output


def test_the_ruff_backend_lints_fixes_and_formats(repo: Path) -> None:
    """The plugin's ruff backend (`ruff check` for lint, `--fix` for fix, `ruff format` for fmt):
    a file with unsorted imports, an unused one and bad formatting fails `lint`, naming the
    rule and the file; `fix` and `fmt` repair it; then `lint` passes."""
    path = repo / "services/tg_bot/src/tg_bot/untidy.py"
    path.write_text(
        '"""Untidy on purpose."""\n\nimport sys\nimport os\nimport json\n\n\n'
        "def cwd( ) -> str :\n    return os.getcwd()+sys.prefix\n"
    )
    try:
        result = pants(repo, "lint", "services/tg_bot/src/tg_bot/untidy.py", ok=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert "untidy.py" in output and "I001" in output and "F401" in output, output
        assert "✕ ruff format failed." in output and "Run `pants fmt` to fix." in output, output
        pants(repo, "fix", "fmt", "services/tg_bot/src/tg_bot/untidy.py")
        assert path.read_text() == (
            '"""Untidy on purpose."""\n\nimport os\nimport sys\n\n\n'
            "def cwd() -> str:\n    return os.getcwd() + sys.prefix\n"
        )
        pants(repo, "lint", "services/tg_bot/src/tg_bot/untidy.py")
    finally:
        path.unlink()


def test_codegen_through_pants_is_what_the_engine_generates(repo: Path) -> None:
    """The plugin's codegen runs the real engine per spec directory and keeps, per target, the
    files `layout` says the target owns. Together, the targets must own exactly what the engine
    generates for the whole repo at once, byte for byte: a module the engine writes that no
    target owns (or the other way round) is a file that imports, checks and images lack."""
    exported = repo / "dist/codegen"
    shutil.rmtree(exported, ignore_errors=True)
    pants(repo, "export-codegen", "::")
    specs = sorted(
        p.relative_to(repo).as_posix()
        for pattern in ("shared/spec/*.y*ml", "services/*/spec/*.y*ml", "services.y*ml")
        for p in repo.glob(pattern)
    )
    apps = sorted(p.parent.name for p in repo.glob("services/*/spec") if any(p.glob("*.y*ml")))
    direct = repo / "dist/engine-direct"
    shutil.rmtree(direct, ignore_errors=True)
    pants(
        repo,
        "run",
        "pants-plugins/specforge:specforge",
        "--",
        "generate",
        "--root",
        str(repo),
        "--out",
        str(direct),
        *(arg for spec in specs for arg in ("--target", spec)),
        *(arg for app in apps for arg in ("--app", app)),
        *specs,
    )

    def tree(root: Path) -> dict[str, bytes]:
        """The generated modules under `root` (export-codegen also exports other targets')."""
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for pattern in ("shared/generated/**/*.py", "services/*/src/*/generated/**/*.py")
            for p in root.glob(pattern)
        }

    through_pants, from_engine = tree(exported), tree(direct)
    assert "services/backend/src/backend/generated/users/router.py" in from_engine
    assert "services/notifications/src/notifications/generated/welcome/subscribers.py" in (
        from_engine
    )
    assert sorted(through_pants) == sorted(from_engine)
    assert [p for p in from_engine if through_pants[p] != from_engine[p]] == []
