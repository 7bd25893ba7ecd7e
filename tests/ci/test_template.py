"""The product template (copier.yml, template/, infra/template/sync_framework.py), end to end, as a
user meets it: `copier copy` from a tag of the framework's repo makes a product whose `./pants
test ::` passes; the user writes a spec and a controller; a new tag changes the engine; `copier
update` brings the change and leaves the user's files byte for byte as they were.

The framework's repo is a scratch git repo made from this repo's files (//:repo-files), tagged
as a release would be.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ci.scratch import copy_repo, scratch_env

GIT_ENV = {
    "GIT_AUTHOR_NAME": "ci",
    "GIT_AUTHOR_EMAIL": "ci@example.com",
    "GIT_COMMITTER_NAME": "ci",
    "GIT_COMMITTER_EMAIL": "ci@example.com",
}
SERVICES = [
    {"name": "api", "type": "python-fastapi", "description": "The shop's HTTP API."},
    {"name": "worker", "type": "python-faststream", "description": "Handles the shop's events."},
]
ORDERS = """\
# yaml-language-server: $schema=../../../shared/schemas/domain.schema.json
domain: orders
config: {rest: {prefix: /orders}}
operations:
  get_status:
    output: Health
    rest: {method: GET, path: /status}
"""
ENGINE_CHANGE = '\n# The engine of v1.1.0.\nENGINE_RELEASE = "v1.1.0"\n'


def run(cmd: list[str], cwd: Path) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env=scratch_env(**GIT_ENV), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{' '.join(cmd)} in {cwd}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def copier(*args: str, cwd: Path) -> str:
    return run([sys.executable, "-m", "copier", *args], cwd)


def git(*args: str, cwd: Path) -> str:
    return run(["git", *args], cwd)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def framework(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed")
    root = copy_repo(tmp_path_factory.mktemp("framework"))
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "framework v1.0.0", cwd=root)
    git("tag", "v1.0.0", cwd=root)
    return root


def test_copy_then_update_keeps_the_users_files(
    framework: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    product = tmp_path_factory.mktemp("shop")
    answers = ["-d", "project_name=shop", "-d", f"services={yaml.safe_dump(SERVICES)}"]
    copier("copy", "--trust", "--defaults", "--vcs-ref", "v1.0.0", *answers,
           str(framework), str(product), cwd=product.parent)  # fmt: skip

    # The product: the framework, the registry from the answers, every service scaffolded.
    registry = yaml.safe_load((product / "services.yml").read_text())
    assert registry == {"services": SERVICES}
    for rel in (
        "pants",
        "pants.toml",
        ".ci/run",
        "3rdparty/python/default.lock",
        "pants-plugins/specforge/cli.py",
        "shared/schemas/domain.schema.json",
        "infra/remote-cache/start",
        "services/api/src/api/main.py",
        "services/worker/tests/test_smoke.py",
        "infra/compose.yml",
        "infra/k8s/services.yaml",
    ):
        assert (product / rel).is_file(), rel
    assert (product / "pants").stat().st_mode & 0o111, "the launcher stays executable"
    assert not (product / "tests").exists() and not (product / "services/backend").exists()
    answers_file = yaml.safe_load((product / ".copier-answers.yml").read_text())
    assert answers_file["_commit"] == "v1.0.0"
    pants = ["./pants", "--no-pantsd"]
    run([*pants, "test", "::"], product)

    # The user's work: a spec, its controller (implemented), committed.
    (product / "services/api/spec/orders.yaml").write_text(ORDERS)
    run([*pants, "sync-services"], product)
    controller = product / "services/api/src/api/controllers/orders.py"
    stub = controller.read_text()
    raise_line = '        raise NotImplementedError("api: orders.get_status")'
    assert raise_line in stub
    controller.write_text(stub.replace(raise_line, '        return Health(status="ok")'))
    main = product / "services/api/src/api/main.py"  # wired in, as sync-services says
    main.write_text(
        main.read_text()
        .replace("from api.generated.app import create_app\n",
                 "from api.controllers.orders import Orders\nfrom api.generated.app import create_app\n")
        .replace("    return create_app()\n", "    return create_app(orders=Orders())\n")
    )  # fmt: skip
    git("init", "-q", "-b", "main", cwd=product)
    git("add", "-A", cwd=product)
    git("commit", "-qm", "the shop", cwd=product)
    mine = [controller, main, product / "services/api/spec/orders.yaml", product / "services.yml"]
    before = {p: digest(p) for p in mine}

    # A new release of the framework changes the engine.
    engine = framework / "pants-plugins/specforge/__init__.py"
    engine.write_text(engine.read_text() + ENGINE_CHANGE)
    git("commit", "-qam", "framework v1.1.0", cwd=framework)
    git("tag", "v1.1.0", cwd=framework)

    copier("update", "--trust", "--defaults", "--vcs-ref", "v1.1.0", cwd=product)
    updated = (product / "pants-plugins/specforge/__init__.py").read_text()
    assert updated.endswith(ENGINE_CHANGE)
    assert {p: digest(p) for p in mine} == before
    answers_file = yaml.safe_load((product / ".copier-answers.yml").read_text())
    assert answers_file["_commit"] == "v1.1.0"
    changed = git("status", "--porcelain", cwd=product).split("\n")
    assert sorted(line[3:] for line in changed if line) == [
        ".copier-answers.yml",
        "pants-plugins/specforge/__init__.py",
    ]
    # The user's service still builds and passes on the new framework.
    run([*pants, "lint", "check", "test", "services/api::"], product)
