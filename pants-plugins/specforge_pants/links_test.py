from __future__ import annotations

import os
from pathlib import Path

import pytest

from specforge.files import shown
from specforge_pants.links import (
    LINK,
    LinkedOutputError,
    LinkedPaths,
    linked_spec_errors,
    write_beneath,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "services/backend/spec").mkdir(parents=True)
    (root / "services/backend/spec/users.yaml").write_text("domain: users\n")
    (root / "shared/spec").mkdir(parents=True)
    (root / "shared/spec/models.yaml").write_text("models: {}\n")
    (tmp_path / "secret").write_text("secret\n")
    return root


def test_linked_spec_files_and_directories_get_the_engines_located_error(repo: Path) -> None:
    (repo / "services/backend/spec/alias.yaml").symlink_to("users.yaml")
    (repo / "services/backend/spec/evil.yaml").symlink_to(repo.parent / "secret")
    (repo / "services/mirror").symlink_to("backend")
    paths = [
        "services/backend/spec/users.yaml",
        "services/backend/spec/alias.yaml",
        "services/backend/spec/evil.yaml",
        "services/mirror/spec/users.yaml",
        "shared/spec/models.yaml",
    ]
    assert linked_spec_errors(str(repo), paths) == [
        f"services/backend/spec/alias.yaml:1:1: error: {LINK}",
        f"services/backend/spec/evil.yaml:1:1: error: {LINK}",
        "services/mirror/spec/users.yaml:1:1: error: 'services/mirror' is a symbolic link; "
        "specforge never follows links in the repo: make it a real directory",
    ]
    assert linked_spec_errors(str(repo), [paths[0], paths[-1]]) == []


def test_a_root_reached_through_a_link_is_fine(repo: Path) -> None:
    alias = repo.parent / "alias"
    alias.symlink_to(repo)
    assert linked_spec_errors(str(alias), ["services/backend/spec/users.yaml"]) == []


def test_paths_are_shown_on_one_line(repo: Path) -> None:
    (repo / "services/a\nb").symlink_to("backend")
    assert linked_spec_errors(str(repo), ["services/a\nb/spec/users.yaml"]) == [
        "services/a\\nb/spec/users.yaml:1:1: error: 'services/a\\nb' is a symbolic link; "
        "specforge never follows links in the repo: make it a real directory"
    ]
    assert shown("a\tb\x1b\u202e\\\udcff") == "a\\tb\\x1b\\u202e\\\\\\xff"


def test_linked_paths_finds_the_first_link(repo: Path) -> None:
    (repo / "services/mirror").symlink_to("backend")
    links = LinkedPaths(str(repo))
    assert links.link_of("services/mirror/spec/users.yaml") == "services/mirror"
    assert links.link_of("services/backend/spec/users.yaml") is None
    assert links.link_of("services/none/x") is None


def test_write_beneath_creates_directories_and_replaces_atomically(repo: Path) -> None:
    write_beneath(str(repo), "services/new/src/new/main.py", b"x = 1\n")
    assert (repo / "services/new/src/new/main.py").read_bytes() == b"x = 1\n"
    write_beneath(str(repo), "services/new/src/new/main.py", b"x = 2\n")
    assert (repo / "services/new/src/new/main.py").read_bytes() == b"x = 2\n"
    assert sorted(os.listdir(repo / "services/new/src/new")) == ["main.py"]
    umask = os.umask(0)
    os.umask(umask)
    assert (repo / "services/new/src/new/main.py").stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_beneath_never_writes_through_a_linked_directory(repo: Path) -> None:
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    (repo / "services/backend/src/backend").mkdir(parents=True)
    (repo / "services/backend/src/backend/generated").symlink_to(elsewhere)
    with pytest.raises(LinkedOutputError) as error:
        write_beneath(str(repo), "services/backend/src/backend/generated/schemas.py", b"x\n")
    assert str(error.value) == (
        "did not write services/backend/src/backend/generated/schemas.py: "
        "services/backend/src/backend/generated is a symbolic link; specforge never writes "
        "through links (make it a real directory)"
    )
    assert list(elsewhere.iterdir()) == []


def test_write_beneath_replaces_a_linked_file_instead_of_writing_through_it(repo: Path) -> None:
    (repo / "infra").mkdir()
    (repo / "infra/compose.yml").symlink_to(repo.parent / "secret")
    write_beneath(str(repo), "infra/compose.yml", b"services: {}\n")
    assert not (repo / "infra/compose.yml").is_symlink()
    assert (repo / "infra/compose.yml").read_bytes() == b"services: {}\n"
    assert (repo.parent / "secret").read_text() == "secret\n"
