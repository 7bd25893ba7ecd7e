"""`pants spec-diff`: the old specs come from git at the merge base with main (or a given ref),
the new ones from the spec targets, and the engine (here a fake that lists what it was given)
compares them in one process; its exit code is the goal's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pants.testutil.rule_runner import GoalRuleResult, RuleRunner

from specforge_pants.spec_diff import SpecDiff
from specforge_pants.testutil import (
    ENV_INHERIT,
    FAKE_ENGINE_FILES,
    SPEC_REPO,
    engine_options,
    plugin_rule_runner,
)

MODELS = "shared/spec/models.yaml"


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    return plugin_rule_runner()


def git(root: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(root),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(rule_runner: RuleRunner) -> Path:
    root = Path(rule_runner.build_root)
    rule_runner.write_files({**SPEC_REPO, **FAKE_ENGINE_FILES})
    (root / ".gitignore").write_text(".pants.d/\n.pids/\n")
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "base")
    return root


def run(rule_runner: RuleRunner, *args: str) -> GoalRuleResult:
    return rule_runner.run_goal_rule(
        SpecDiff, global_args=engine_options(), args=args, env_inherit=ENV_INHERIT
    )


def first_line(text: str) -> str:
    return text.splitlines()[0].strip()


def test_compares_the_working_tree_with_the_merge_base(rule_runner: RuleRunner, repo: Path) -> None:
    git(repo, "checkout", "-q", "-B", "feature")
    rule_runner.write_files({MODELS: "# changed on the branch\n" + SPEC_REPO[MODELS]})
    git(repo, "commit", "-q", "-am", "feature")
    rule_runner.write_files({MODELS: "# and in the working tree\n" + SPEC_REPO[MODELS]})
    result = run(rule_runner)
    git(repo, "checkout", "-q", "-f", "main")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    # The old side is main's version (the merge base), the new one the working tree's.
    assert f"base: {MODELS} {first_line(SPEC_REPO[MODELS])}" in lines
    assert f"head: {MODELS} # and in the working tree" in lines
    assert {line.split()[1] for line in lines if line.startswith("base:")} == {
        p for p in SPEC_REPO if p.endswith((".yaml", ".yml"))
    }
    assert "format: text" in lines and "allow-list: no" in lines


def test_a_given_ref_the_format_and_the_allow_list(rule_runner: RuleRunner, repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    rule_runner.write_files(
        {MODELS: "# BREAK\n" + SPEC_REPO[MODELS], "spec-diff-allow.yaml": "allow: []\n"}
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "second")
    result = run(rule_runner, f"--spec-diff-base={first}", "--spec-diff-format=junit")
    git(repo, "reset", "-q", "--hard", first)
    # The fake engine fails on a `BREAK` in the new specs: so does the goal.
    assert result.exit_code == 1
    assert "format: junit" in result.stdout and "allow-list: yes" in result.stdout


def test_an_unknown_ref_is_an_error(rule_runner: RuleRunner, repo: Path) -> None:
    result = run(rule_runner, "--spec-diff-base=no-such-ref")
    assert result.exit_code == 1
    assert "spec-diff: no-such-ref is not a commit of this repository" in result.stderr


def test_a_ref_is_never_an_option_of_git(rule_runner: RuleRunner, repo: Path) -> None:
    result = run(rule_runner, "--spec-diff-base=--output=/tmp/x")
    assert result.exit_code == 1
    assert "spec-diff: --output=/tmp/x is not a commit of this repository" in result.stderr
