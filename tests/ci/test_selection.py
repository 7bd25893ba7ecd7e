"""Incremental CI selects exactly what a change reaches.

On a scratch git repo made from this repo, each scenario commits one edit and asks Pants for
the tests that `--changed-since=HEAD~1 --changed-dependents=transitive` selects, which is
what `.ci/run` runs on a branch.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

BACKEND = {
    "services/backend/tests/test_openapi.py",
    "services/backend/tests/test_smoke.py",
    "services/backend/tests/test_users.py",
}
NOTIFICATIONS = {
    "services/notifications/tests/test_smoke.py",
    "services/notifications/tests/test_welcome.py",
}
TG_BOT = {"services/tg_bot/tests/test_commands.py", "services/tg_bot/tests/test_smoke.py"}
# Cross-service tests run every service's code, so any service change selects them.
SYSTEM = {"tests/integration/test_system.py:tests", "tests/images/test_images.py:tests"}
# The golden record holds the example system's generated code, so any example spec selects it.
GOLDEN = {"tests/engine/test_golden.py:tests"}


def run(cmd: list[str], cwd: Path) -> str:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env["PANTS_DYNAMIC_UI"] = "false"
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed")
    root = tmp_path_factory.mktemp("repo")
    sandbox = Path.cwd()
    for path in sandbox.rglob("*"):
        rel = path.relative_to(sandbox)
        if path.is_file() and rel.parts[:2] != ("tests", "ci") and rel.parts[0] != ".pants.d":
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, root / rel)
    build = (root / "BUILD").read_text()
    (root / "BUILD").write_text(build[: build.index("# The repo's own files")])
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "add", "-A"], root)
    run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "base"],
        root,
    )
    return root


def selected_tests(repo: Path, path: str, edit: str) -> set[str]:
    target = repo / path
    original = target.read_text()
    target.write_text(original + edit)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    run([*git, "commit", "-qam", f"edit {path}"], repo)
    try:
        out = run(
            [
                "./pants",
                "--no-pantsd",
                "--changed-since=HEAD~1",
                "--changed-dependents=transitive",
                "--filter-target-type=python_test",
                "list",
            ],
            repo,
        )
    finally:
        run([*git, "reset", "-q", "--hard", "HEAD~1"], repo)
    return set(out.split())


def test_a_producer_spec_selects_the_producer_and_its_consumer(repo: Path) -> None:
    selected = selected_tests(repo, "services/backend/spec/users.yaml", "# a comment\n")
    assert selected == BACKEND | TG_BOT | SYSTEM | GOLDEN
    assert not selected & NOTIFICATIONS


def test_the_events_spec_selects_every_event_user(repo: Path) -> None:
    selected = selected_tests(repo, "shared/spec/events.yaml", "# a comment\n")
    assert selected == BACKEND | NOTIFICATIONS | TG_BOT | SYSTEM | GOLDEN


def test_a_backend_controller_selects_only_backend(repo: Path) -> None:
    selected = selected_tests(
        repo, "services/backend/src/backend/controllers/users.py", "# a comment\n"
    )
    assert selected == BACKEND | SYSTEM
    assert not selected & (TG_BOT | NOTIFICATIONS)
