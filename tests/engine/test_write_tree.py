"""Generated files are written only below --out: never to an absolute path, never through
`..`, never through a link, each file atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specforge.render import OutputPathError, write_tree


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere"
    path.mkdir()
    (path / "victim.py").write_text("untouched\n")
    return path


def files_under(path: Path) -> dict[str, str]:
    return {
        p.relative_to(path).as_posix(): p.read_text()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_writes_the_files_with_the_usual_mode(out: Path) -> None:
    write_tree(out, {"a/b/c.py": "c\n", "a/d.py": "d\n", "e.py": "e\r\n"})
    assert files_under(out) == {"a/b/c.py": "c\n", "a/d.py": "d\n", "e.py": "e\n"}
    assert (out / "e.py").read_bytes() == b"e\r\n"  # written as given
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "a/b/c.py").stat().st_mode & 0o777 == 0o666 & ~umask
    write_tree(out, {"a/d.py": "D\n"})  # replaced, and no temp file left behind
    assert files_under(out) == {"a/b/c.py": "c\n", "a/d.py": "D\n", "e.py": "e\n"}
    assert sorted(p.name for p in out.rglob(".*")) == []


@pytest.mark.parametrize(
    ("rel", "why"),
    [
        ("/etc/x.py", "the path is absolute; written paths are relative to --out"),
        ("../x.py", "the path contains '..', which would leave --out"),
        ("a/../../x.py", "the path contains '..', which would leave --out"),
        ("", "not a file name"),
        (".", "not a file name"),
        ("a\x00b.py", "not a file name"),
    ],
)
def test_paths_that_leave_out_are_refused(out: Path, elsewhere: Path, rel: str, why: str) -> None:
    with pytest.raises(OutputPathError) as error:
        write_tree(out / "sub", {rel: "x\n"})
    shown = rel.replace("\x00", "\\x00")
    assert str(error.value) == f"cannot write {shown}: {why}"
    assert files_under(out.parent) == {"elsewhere/victim.py": "untouched\n"}


def test_a_linked_directory_in_out_is_not_written_through(out: Path, elsewhere: Path) -> None:
    (out / "services/backend").mkdir(parents=True)
    (out / "services/backend/src").symlink_to(elsewhere)
    with pytest.raises(OutputPathError) as error:
        write_tree(out, {"services/backend/src/backend/generated/schemas.py": "x\n"})
    assert str(error.value) == (
        "cannot write services/backend/src/backend/generated/schemas.py: services/backend/src "
        "is a symbolic link; specforge never writes through links"
    )
    assert files_under(elsewhere) == {"victim.py": "untouched\n"}


def test_a_linked_file_in_out_is_replaced_not_written_through(out: Path, elsewhere: Path) -> None:
    out.mkdir()
    (out / "victim.py").symlink_to(elsewhere / "victim.py")
    write_tree(out, {"victim.py": "generated\n"})
    assert not (out / "victim.py").is_symlink()
    assert (out / "victim.py").read_text() == "generated\n"
    assert files_under(elsewhere) == {"victim.py": "untouched\n"}


def test_out_itself_may_be_a_link(tmp_path: Path, elsewhere: Path) -> None:
    # --out is the caller's choice; only what is below it is confined.
    (tmp_path / "out").symlink_to(elsewhere)
    write_tree(tmp_path / "out", {"new.py": "n\n"})
    assert files_under(elsewhere) == {"new.py": "n\n", "victim.py": "untouched\n"}


def test_a_directory_where_a_file_goes_is_an_error(out: Path) -> None:
    (out / "a.py").mkdir(parents=True)
    with pytest.raises(OutputPathError) as error:
        write_tree(out, {"a.py": "x\n"})
    assert str(error.value) == "cannot write a.py: Is a directory"
    assert os.listdir(out) == ["a.py"]  # no temp file left behind


def test_a_file_where_a_directory_goes_is_an_error(out: Path) -> None:
    out.mkdir()
    (out / "a").write_text("file\n")
    with pytest.raises(OutputPathError) as error:
        write_tree(out, {"a/b.py": "x\n"})
    assert str(error.value) == "cannot write a/b.py: a: Not a directory"
