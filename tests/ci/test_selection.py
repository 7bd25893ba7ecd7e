"""Incremental CI selects exactly what a change reaches, and gates on the spec changes that
break a consumer.

On a scratch git repo made from this repo, each scenario commits one edit and asks Pants for
the tests that `--changed-since=HEAD~1 --changed-dependents=transitive` selects, which is
what `.ci/run` runs on a branch; and `./pants spec-diff` on a branch, as `.ci/run` runs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ci.scratch import copy_repo, scratch_env

BACKEND = {
    "services/backend/tests/test_openapi.py",
    "services/backend/tests/test_smoke.py",
    "services/backend/tests/test_users.py",
}
NOTIFICATIONS = {
    "services/notifications/tests/test_smoke.py",
    "services/notifications/tests/test_welcome.py",
}
TG_BOT = {
    "services/tg_bot/tests/test_commands.py",
    "services/tg_bot/tests/test_smoke.py",
    "services/tg_bot/tests/test_weather.py",
}
# Cross-service tests run every service's code, so any service change selects them.
SYSTEM = {"tests/integration/test_system.py:tests", "tests/images/test_images.py:tests"}
# The golden record holds the example system's generated code, and the spec schemas' test
# validates the example specs, so any example spec selects both.
GOLDEN = {"tests/engine/test_golden.py:tests", "tests/engine/test_spec_schema.py:tests"}
# The API documents of every service are built from its specs.
API_DOCS = {"tests/api_docs/test_documents.py:tests"}
# The contract tests run every HTTP service's code (backend's).
CONTRACT = {"tests/contract/test_contract.py:tests"}
# The acceptance tests of the events run backend and notifications (not tg_bot).
EVENTS = {"tests/events/test_events.py:tests"}


def run(cmd: list[str], cwd: Path) -> str:
    env = scratch_env()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed")
    root = tmp_path_factory.mktemp("repo")
    copy_repo(root)
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
    assert selected == BACKEND | TG_BOT | SYSTEM | GOLDEN | API_DOCS | CONTRACT | EVENTS
    assert not selected & NOTIFICATIONS


def test_the_events_spec_selects_every_event_user(repo: Path) -> None:
    selected = selected_tests(repo, "shared/spec/events.yaml", "# a comment\n")
    assert selected == (
        BACKEND | NOTIFICATIONS | TG_BOT | SYSTEM | GOLDEN | API_DOCS | CONTRACT | EVENTS
    )


def test_an_external_api_document_selects_its_consumer(repo: Path) -> None:
    """Editing the OpenAPI document of an API tg_bot calls regenerates tg_bot's client and
    models, so tg_bot's tests run (and the cross-service ones); nobody else's."""
    selected = selected_tests(repo, "services/tg_bot/spec/weather.openapi.yaml", "# a comment\n")
    assert selected == TG_BOT | SYSTEM | GOLDEN
    assert not selected & (BACKEND | NOTIFICATIONS | API_DOCS | CONTRACT)


def test_a_backend_controller_selects_only_backend(repo: Path) -> None:
    selected = selected_tests(
        repo, "services/backend/src/backend/controllers/users.py", "# a comment\n"
    )
    assert selected == BACKEND | SYSTEM | CONTRACT | EVENTS
    assert not selected & (TG_BOT | NOTIFICATIONS | API_DOCS)


def test_spec_diff_fails_a_branch_that_breaks_a_consumer_until_allowed(repo: Path) -> None:
    """What `.ci/run` gates on: on a branch, `./pants spec-diff` compares with the merge base
    and names who a change breaks; an allow-list entry with its reason lets it through."""
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    models = repo / "shared/spec/models.yaml"
    original = models.read_text()
    removed = "      created_at: {type: datetime, readonly: true}\n"
    assert removed in original
    run([*git, "checkout", "-q", "-b", "drop-created-at"], repo)
    try:
        models.write_text(original.replace(removed, ""))
        run([*git, "commit", "-qam", "drop created_at"], repo)
        env = scratch_env()
        cmd = ["./pants", "--no-pantsd", "spec-diff"]
        broken = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert (
            "BREAKING response-field-removed-required: backend/users.get_user: response: "
            "`UserRead.created_at` was removed; breaks tg_bot"
        ) in broken.stdout.splitlines()
        allow = "allow:\n" + "".join(
            f"  - {{rule: {rule}, subject: '{subject}', reason: nobody reads it}}\n"
            for rule, subject in (
                ("response-field-removed-required", "backend/users.create_user"),
                ("response-field-removed-required", "backend/users.get_user"),
                ("response-field-removed-required", "backend/users.list_users"),
                ("event-field-removed-required", "event user_registered"),
            )
        )
        (repo / "spec-diff-allow.yaml").write_text(allow)
        allowed = subprocess.run(
            cmd, cwd=repo, env=env, capture_output=True, text=True, check=False
        )
        assert allowed.returncode == 0, allowed.stdout + allowed.stderr
        assert "0 breaking a consumer, 4 allowed" in allowed.stdout
    finally:
        (repo / "spec-diff-allow.yaml").unlink(missing_ok=True)
        run([*git, "checkout", "-q", "-f", "main"], repo)
        run([*git, "branch", "-q", "-D", "drop-created-at"], repo)
