"""Spec files are read as untrusted input: never through a link, never from outside the repo,
never more than 1 MiB, nothing but regular files; every refusal is a located error that does
not echo the file. And one spec is one file: `users.yml` next to `users.yaml` is an error."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from specforge.cli import main
from specforge.errors import Location, SpecError
from specforge.files import shown
from specforge.frontend import check_sources
from specforge.sources import (
    DIRECTORY,
    HIDDEN,
    LINK,
    MAX_SPEC_BYTES,
    MISSING,
    OUTSIDE,
    PARENT,
    SPECIAL,
    TOO_LARGE,
    find_spec_files,
    iter_spec_files,
    read_sources,
    read_spec,
)
from tests.engine.cases import spec_language_files

SECRET = "s3cr3t-content-that-must-never-be-printed"
USERS = "services/backend/spec/users.yaml"


def link_dir(path: str) -> str:
    return (
        f"'{path}' is a symbolic link; specforge never follows links in the repo: make it a "
        "real directory"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The spec-language example repo, in `repo/`; `tmp_path` also holds `secret.yaml`, a file
    outside the repo that links point at."""
    root = tmp_path / "repo"
    for rel, text in spec_language_files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "secret.yaml").write_text(f"models:\n  {SECRET}: 1\n")
    return root


def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    code = main(list(argv))
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    assert "Traceback" not in out.out + out.err
    return code, out.out.splitlines(), out.err.splitlines()


def check(root: Path, *files: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run("check", "--root", str(root), *files, capsys=capsys)
    assert (code, err) == (1 if out else 0, [])
    return out


def refused(path: str, message: str) -> str:
    return f"{path}:1:1: error: {message}"


# -- reading ---------------------------------------------------------------------------------


def test_a_linked_spec_file_is_refused_without_reading_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = repo / "services/backend/spec"
    (spec / "outside.yaml").symlink_to(repo.parent / "secret.yaml")
    (spec / "inside.yaml").symlink_to("users.yaml")
    (spec / "dangling.yaml").symlink_to("nowhere.yaml")
    for name in ("outside", "inside", "dangling"):
        rel = f"services/backend/spec/{name}.yaml"
        assert check(repo, rel, capsys=capsys) == [refused(rel, LINK)]


def test_a_path_through_a_linked_directory_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = repo.parent / "elsewhere"
    (elsewhere / "spec").mkdir(parents=True)
    (elsewhere / "spec/users.yaml").write_text(f"domain: {SECRET}\n")
    (repo / "services/evil").symlink_to(elsewhere)
    (repo / "shared/link").symlink_to("spec")
    cases = {
        "services/evil/spec/users.yaml": link_dir("services/evil"),
        "shared/link/models.yaml": link_dir("shared/link"),
    }
    for rel, message in cases.items():
        assert check(repo, rel, capsys=capsys) == [refused(rel, message)]


def test_a_root_reached_through_a_link_is_fine(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only what is below --root is the spec repo's; the way to it is the user's own.
    alias = repo.parent / "alias"
    alias.symlink_to(repo)
    assert check(alias, USERS, capsys=capsys) == []
    assert check(alias, str(alias / USERS), str(repo / USERS), capsys=capsys) == []


def test_paths_outside_the_repo_are_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = str(repo.parent / "secret.yaml")
    escaping = str(repo / "services/../../secret.yaml")
    assert check(repo, outside, capsys=capsys) == [refused(outside, OUTSIDE)]
    assert check(repo, escaping, capsys=capsys) == [refused(escaping, PARENT)]
    assert check(repo, "../secret.yaml", capsys=capsys) == [refused("../secret.yaml", PARENT)]
    rel = "services/backend/../backend/spec/users.yaml"
    assert check(repo, rel, capsys=capsys) == [refused(rel, PARENT)]


def test_only_regular_files_are_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = repo / "services/backend/spec"
    os.mkfifo(spec / "fifo.yaml")  # reading it would block forever
    (spec / "dir.yaml").mkdir()
    assert check(repo, "services/backend/spec/fifo.yaml", capsys=capsys) == [
        refused("services/backend/spec/fifo.yaml", SPECIAL)
    ]
    assert check(repo, "services/backend/spec/dir.yaml", capsys=capsys) == [
        refused("services/backend/spec/dir.yaml", DIRECTORY)
    ]
    assert check(repo, "services/backend/spec/none.yaml", capsys=capsys) == [
        refused("services/backend/spec/none.yaml", MISSING)
    ]
    rel = "services/backend/spec/users.yaml/models.yaml"
    assert check(repo, rel, capsys=capsys) == [refused(rel, f"'{USERS}' is not a directory")]


def test_a_device_is_refused(repo: Path) -> None:
    # /dev/zero would never end; it is reached here as the repo's own path.
    sources_, problems = read_sources(Path("/"), ["dev/zero"])
    assert (sources_, problems) == ({}, [SpecError(Location("dev/zero"), "", SPECIAL)])


class CountingReads:
    """Wraps os.fdopen to count the bytes the reader asks for."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def __call__(self, fd: int, mode: str = "r") -> object:
        f = open(fd, mode)  # noqa: SIM115
        asked = self.asked

        class File:
            def __enter__(self) -> File:
                return self

            def __exit__(self, *_: object) -> None:
                f.close()

            def read(self, n: int = -1) -> bytes:
                asked.append(n)
                data: bytes = f.read(n)
                return data

        return File()


def test_files_over_one_mebibyte_are_refused_after_reading_one_byte_more(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    big = repo / "shared/spec/models.yaml"
    fits = f"# {SECRET}\n".encode()
    padding = b"#" * (MAX_SPEC_BYTES - len(fits) - len(b"models: {}\n") - 1) + b"\n"
    big.write_bytes(fits + padding + b"models: {}\n")
    assert big.stat().st_size == MAX_SPEC_BYTES
    assert check(repo, "shared/spec/models.yaml", capsys=capsys) == []
    with big.open("ab") as f:
        f.truncate(50 * MAX_SPEC_BYTES)  # sparse: 50 MiB that would all be read
    assert check(repo, "shared/spec/models.yaml", capsys=capsys) == [
        refused("shared/spec/models.yaml", TOO_LARGE)
    ]
    counting = CountingReads()
    monkeypatch.setattr(os, "fdopen", counting)
    assert read_spec(repo, "shared/spec/models.yaml") == SpecError(
        Location("shared/spec/models.yaml"), "", TOO_LARGE
    )
    assert counting.asked == [MAX_SPEC_BYTES + 1]


def test_text_that_is_not_utf8_is_located_at_its_first_bad_byte(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / USERS).write_bytes(b"domain: users\noperations:\n  caf\xe9: {}\n")
    assert check(repo, USERS, capsys=capsys) == [
        f"{USERS}:3:6: error: the file is not UTF-8 text (invalid continuation byte)"
    ]


def test_paths_are_printed_escaped_and_names_that_hide_characters_are_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = "a:1:1: error: forged\nb"
    spec = repo / "services" / forged / "spec"
    spec.mkdir(parents=True)
    (spec / "users.yaml").write_text("domain: users\noperations: {}\n")
    rel = f"services/{forged}/spec/users.yaml"
    escaped = "services/a:1:1: error: forged\\nb/spec/users.yaml"
    assert check(repo, rel, capsys=capsys) == [refused(escaped, HIDDEN)]
    # Discovery meets it too: still one line, escaped.
    assert check(repo, capsys=capsys) == [refused(escaped, HIDDEN)]


def test_names_that_are_not_utf8_are_shown_by_their_bytes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = os.path.join(os.fsencode(repo), b"services", b"caf\xe9", b"spec")
    os.makedirs(spec)
    with open(os.path.join(spec, b"users.yaml"), "wb") as f:
        f.write(b"domain: users\noperations: {}\n")
    assert check(repo, capsys=capsys) == [refused("services/caf\\xe9/spec/users.yaml", HIDDEN)]


def test_shown() -> None:
    assert shown("services/backend/spec/users.yaml") == "services/backend/spec/users.yaml"
    assert shown("a\nb\tc\x1b[31m\x7f\u2028\u202e\\\udcff") == (
        "a\\nb\\tc\\x1b[31m\\x7f\\u2028\\u202e\\\\\\xff"
    )


# -- discovery -------------------------------------------------------------------------------


def test_discovery_lists_the_spec_files() -> None:
    from tests.engine.cases import SPEC_LANGUAGE

    assert iter_spec_files(SPEC_LANGUAGE) == [
        "services.yml",
        USERS,
        "services/tg_bot/spec/manifest.yaml",
        "services/tg_bot/spec/weather.openapi.yaml",
        "shared/spec/events.yaml",
        "shared/spec/models.yaml",
    ]


def test_discovery_does_not_follow_links_and_reports_them(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "services/evil").symlink_to("/")
    (repo / "services/backend/spec/alias.yaml").symlink_to("users.yaml")
    (repo / "services/backend/spec/README.md").symlink_to("/etc/passwd")  # not a spec: ignored
    (repo / "services/tg_bot/spec").rename(repo / "tg_bot_spec")
    (repo / "services/tg_bot/spec").symlink_to("../../tg_bot_spec")
    (repo / "shared/spec/events.yaml").unlink()
    (repo / "shared/spec/events.yaml").symlink_to(repo.parent / "secret.yaml")
    found = find_spec_files(repo)
    assert found.files == ("services.yml", USERS, "shared/spec/models.yaml")
    expected = [
        refused("services/backend/spec/alias.yaml", LINK),
        refused("services/evil", link_dir("services/evil")),
        refused("services/tg_bot/spec", link_dir("services/tg_bot/spec")),
        refused("shared/spec/events.yaml", LINK),
    ]
    assert [e.format() for e in found.errors] == expected
    # `check` of the whole repo reports them (among what the missing files break).
    out = check(repo, capsys=capsys)
    assert [line for line in out if line in expected] == expected


def test_discovery_reports_linked_top_directories_and_registry(repo: Path) -> None:
    (repo / "services").rename(repo / "real_services")
    (repo / "services").symlink_to("real_services")
    (repo / "shared").rename(repo / "real_shared")
    (repo / "shared").symlink_to("real_shared")
    (repo / "services.yml").rename(repo / "registry.yml")
    (repo / "services.yml").symlink_to("registry.yml")
    found = find_spec_files(repo)
    assert found.files == ()
    assert [e.format() for e in found.errors] == [
        refused("services", link_dir("services")),
        refused("services.yml", LINK),
        refused("shared", link_dir("shared")),
    ]


# -- one spec, one file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (USERS, "services/backend/spec/users.yml"),
        ("shared/spec/models.yaml", "shared/spec/models.yml"),
        ("services/tg_bot/spec/manifest.yaml", "services/tg_bot/spec/manifest.yml"),
        ("services.yml", "services.yaml"),
    ],
)
def test_a_spec_in_two_files_is_an_error_on_the_second(first: str, second: str) -> None:
    files = spec_language_files()
    _, errors = check_sources({**files, second: files[first]})
    stem = first.rsplit("/", 1)[-1].split(".")[0]
    assert [e.format() for e in errors] == [
        f"{second}:1:1: error: a second file of the spec '{stem}': {first} is the first; merge "
        "this file into it and delete this one (one spec, one file: .yaml or .yml, not both)"
    ]


def test_same_names_in_different_directories_are_not_duplicates() -> None:
    files = spec_language_files()
    models = "models:\n  Invoice:\n    fields: {total: {type: int}}\n"
    _, errors = check_sources({**files, "services/backend/spec/models.yml": models})
    assert errors == []


def test_check_reports_duplicates_found_on_disk(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "services/backend/spec/users.yml").write_text((repo / USERS).read_text())
    message = (
        "services/backend/spec/users.yml:1:1: error: a second file of the spec 'users': "
        f"{USERS} is the first; merge this file into it and delete this one (one spec, one "
        "file: .yaml or .yml, not both)"
    )
    assert check(repo, capsys=capsys) == [message]
    assert check(repo, "services/backend/spec/users.yml", capsys=capsys) == [message]


# -- the CLI's arguments ---------------------------------------------------------------------


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def generate(
    repo: Path, out: Path, *argv: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    code, stdout, err = run(
        "generate", "--root", str(repo), "--out", str(out), *argv, capsys=capsys
    )
    assert stdout == []
    return code, err


def test_a_target_that_is_not_given_is_an_error(
    repo: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for target in ("shared/spec/modles.yaml", "services/tg_bot/spec/manifest.yaml"):
        assert generate(
            repo, out, "--target", target, "shared/spec/models.yaml", capsys=capsys
        ) == (
            1,
            [
                f"specforge generate: --target {target} is not one of the spec files given; "
                "pass it as a spec file (FILE argument) too"
            ],
        )
    assert not out.exists()
    code, _ = generate(
        repo,
        out,
        "--target",
        str(repo / "shared/spec/models.yaml"),
        "shared/spec/models.yaml",
        capsys=capsys,
    )
    assert code == 0
    assert (out / "shared/generated/schemas.py").is_file()


def test_an_app_that_names_no_service_is_an_error(
    repo: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    everything = iter_spec_files(repo)
    assert generate(repo, out, "--app", "backedn", *everything, capsys=capsys) == (
        1,
        [
            "specforge generate: --app backedn names no known service (did you mean "
            "'backend'?): no spec file given is under services/backedn/spec/ and services.yml "
            "does not list it"
        ],
    )
    backend = [USERS, "shared/spec/models.yaml", "shared/spec/events.yaml"]
    assert generate(repo, out, "--app", "tg_bot", *backend, capsys=capsys) == (
        1,
        [
            "specforge generate: --app tg_bot names no known service: no spec file given is "
            "under services/tg_bot/spec/ and no services.yml is given"
        ],
    )
    assert generate(repo, out, "--app", "../../x", USERS, capsys=capsys) == (
        1,
        [
            "specforge generate: --app ../../x is not a service name (lowercase letters, "
            "digits and '_', starting with a letter)"
        ],
    )
    assert not out.exists()
    # A registered service; and a service with no specs at all yet (just scaffolded).
    assert generate(repo, out, "--app", "tg_bot", *everything, capsys=capsys) == (0, [])
    empty = repo.parent / "empty"
    empty.mkdir()
    assert generate(empty, out, "--app", "audit", capsys=capsys) == (0, [])
    assert (out / "services/audit/src/audit/generated/app.py").is_file()


def test_generate_refuses_linked_specs_without_reading_them(
    repo: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "shared/spec/events.yaml").unlink()
    (repo / "shared/spec/events.yaml").symlink_to(repo.parent / "secret.yaml")
    code, err = generate(
        repo, out, "shared/spec/models.yaml", "shared/spec/events.yaml", capsys=capsys
    )
    assert (code, err) == (1, [refused("shared/spec/events.yaml", LINK)])
    assert not out.exists()


def test_generate_into_a_linked_directory_is_refused(
    repo: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "shared").symlink_to(elsewhere)
    code, err = generate(repo, out, "shared/spec/models.yaml", capsys=capsys)
    assert (code, err) == (
        1,
        [
            "specforge generate: cannot write shared/generated/__init__.py: shared is a "
            "symbolic link; specforge never writes through links"
        ],
    )
    assert list(elsewhere.iterdir()) == []


@pytest.fixture
def cwd(tmp_path: Path) -> Iterator[Path]:
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def test_relative_roots_and_files(
    repo: Path, cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(Path("repo"), USERS, f"./{USERS}", capsys=capsys) == []
    assert check(Path("repo"), "repo/" + USERS, capsys=capsys) == [
        refused("repo/" + USERS, "no such directory 'repo'")
    ]
    assert stat.S_ISDIR(os.lstat(cwd / "repo").st_mode)


def test_a_root_that_is_not_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing")
    assert check(Path(missing), capsys=capsys) == [refused(missing, "no such directory (--root)")]


def test_scaffold_reads_compose_under_the_same_rules(
    repo: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "infra").mkdir()
    (repo / "infra/compose.yml").symlink_to(repo.parent / "secret.yaml")
    code, stdout, err = run(
        "scaffold", "--root", str(repo), "--out", str(out), *iter_spec_files(repo), capsys=capsys
    )
    assert (code, stdout, err) == (1, [], [refused("infra/compose.yml", LINK)])
    assert not out.exists()
    (repo / "infra/compose.yml").unlink()  # missing: it is created
    code, stdout, err = run(
        "scaffold", "--root", str(repo), "--out", str(out), *iter_spec_files(repo), capsys=capsys
    )
    assert (code, stdout, err) == (0, [], [])
    assert (out / "infra/compose.yml").is_file()
