"""Scratch copies of this repo for the tests that run Pants on one (tests/ci)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# What Pants and its launcher need from the test's environment (the launcher's venv and the
# named caches live under HOME); nothing else leaks into the scratch runs.
PASSED_ENV = ("PATH", "HOME", "LANG")


def copy_repo(dest: Path) -> Path:
    """Copies the repo's files from the test sandbox (//:repo-files) into `dest`, without
    tests/ci itself and without the BUILD target that lists the repo's files."""
    sandbox = Path.cwd()
    for path in sandbox.rglob("*"):
        rel = path.relative_to(sandbox)
        if path.is_file() and rel.parts[:2] != ("tests", "ci") and rel.parts[0] != ".pants.d":
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
    build = (dest / "BUILD").read_text()
    (dest / "BUILD").write_text(build[: build.index("# The repo's own files")])
    return dest


def scratch_env(**extra: str) -> dict[str, str]:
    """The environment of a Pants run on a scratch copy."""
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env["PANTS_DYNAMIC_UI"] = "false"
    env.update(extra)
    return env
