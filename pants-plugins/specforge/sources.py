"""Finding and reading spec files, as untrusted input: only regular files inside the repo, never
through a symbolic link, never more than `MAX_SPEC_BYTES`, and every refusal a located error
that says why and what to do, without reading (let alone echoing) the file.

Links are refused rather than resolved: a spec repo is cloned from people who need not be
trusted, git stores symlinks, and a link can point anywhere (`/etc/passwd`, `~/.ssh`) or turn
one spec into two. Reading walks the path one component at a time from the root, with
`O_NOFOLLOW` and directory file descriptors, so a link cannot slip in between a check and the
read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from specforge.errors import Diagnostics, Location, SpecError
from specforge.files import hidden, shown
from specforge.layout import REGISTRY_FILES, SPEC_SUFFIXES, SpecKind, classify

MAX_SPEC_BYTES = 1024 * 1024

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check must not block


def _refusal(path: str, message: str) -> SpecError:
    return SpecError(Location(shown(path)), "", message)


# -- why a path is refused -------------------------------------------------------------------

OUTSIDE = (
    "is outside the repo (--root); specforge reads spec files only from inside the repo: move "
    "the file into it, or run with the --root that holds it"
)
PARENT = (
    "the path contains '..'; name spec files by their path inside the repo (relative to "
    "--root), without '..'"
)
HIDDEN = (
    "the path contains a control character or a byte that is not UTF-8 (shown escaped); "
    "rename the file or directory"
)
LINK = (
    "is a symbolic link; specforge reads spec files only as regular files inside the repo and "
    "never follows links: replace the link with the file itself"
)
DIRECTORY = "is a directory, not a spec file"
SPECIAL = "is not a regular file (a FIFO, socket or device); a spec file must be a regular file"
TOO_LARGE = (
    f"the file is larger than {MAX_SPEC_BYTES // (1024 * 1024)} MiB, the limit for a spec "
    "file; split it into smaller files"
)
MISSING = "no such file"
MISSING_DIRECTORY = "no such directory"


def link_directory(directory: str) -> str:
    return (
        f"'{shown(directory)}' is a symbolic link; specforge never follows links in the repo: "
        "make it a real directory"
    )


def not_a_directory(directory: str) -> str:
    return f"'{shown(directory)}' is not a directory"


def _kind_problem(mode: int) -> str | None:
    """Why a file of this `lstat` mode is not a spec file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISDIR(mode):
        return DIRECTORY
    return SPECIAL


# -- discovery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """What discovery met: the spec files (regular files, not yet read) and, as located
    errors, the links and other non-files it met where spec files or their directories go."""

    files: tuple[str, ...]
    errors: tuple[SpecError, ...]


def find_spec_files(root: str | Path) -> Found:
    """Every spec file of the repo at `root` (`services.yml`, `shared/spec/*.yaml|yml`,
    `services/*/spec/*.yaml|yml`), relative to it and sorted. No link is followed: a link met
    as `services`, `services/<svc>`, a `spec` directory or a spec file is reported instead."""
    base = Path(root)
    files: list[str] = []
    errors: list[SpecError] = []

    def entries(rel: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(base / rel) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError:
            return []

    def directory(rel: str, entry: os.DirEntry[str] | None) -> bool:
        """Whether `rel` is a directory to descend into (a link there is reported)."""
        try:
            mode = entry.stat(follow_symlinks=False).st_mode if entry else _lstat_mode(base, rel)
        except OSError:
            return False
        if stat.S_ISLNK(mode):
            errors.append(_refusal(rel, link_directory(rel)))
            return False
        return stat.S_ISDIR(mode)

    def spec_file(rel: str, entry: os.DirEntry[str] | None) -> None:
        try:
            mode = entry.stat(follow_symlinks=False).st_mode if entry else _lstat_mode(base, rel)
        except OSError:
            return
        problem = _kind_problem(mode)
        if problem is None:
            files.append(rel)
        else:
            errors.append(_refusal(rel, problem))

    for name in REGISTRY_FILES:
        if os.path.lexists(base / name):
            spec_file(name, None)
    if directory("shared", None) and directory("shared/spec", None):
        for entry in entries("shared/spec"):
            if Path(entry.name).suffix in SPEC_SUFFIXES:
                spec_file(f"shared/spec/{entry.name}", entry)
    if directory("services", None):
        for service in entries("services"):
            rel = f"services/{service.name}"
            if service.is_symlink():
                errors.append(_refusal(rel, link_directory(rel)))
            elif service.is_dir(follow_symlinks=False) and directory(f"{rel}/spec", None):
                for entry in entries(f"{rel}/spec"):
                    if Path(entry.name).suffix in SPEC_SUFFIXES:
                        spec_file(f"{rel}/spec/{entry.name}", entry)
    return Found(tuple(sorted(files)), tuple(sorted(errors)))


def _lstat_mode(base: Path, rel: str) -> int:
    return os.lstat(base / rel).st_mode


def iter_spec_files(root: str | Path) -> list[str]:
    """The spec files of the repo at `root` (see `find_spec_files`, which also reports the links
    it refused)."""
    return list(find_spec_files(root).files)


# -- reading -------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def repo_path(root: Path, given: str) -> str | SpecError:
    """The repo-relative POSIX path of a spec file given on the command line (relative to
    `root`, or absolute inside it), or why it is refused."""
    if "\x00" in given or any(hidden(c) for c in given):
        return _refusal(given, HIDDEN)
    path = PurePosixPath(given)
    if path.is_absolute():
        for base in (os.path.abspath(root), os.path.realpath(root)):
            try:
                path = path.relative_to(base)
                break
            except ValueError:
                continue
        else:
            return _refusal(given, OUTSIDE)
    if ".." in path.parts:
        return _refusal(given, PARENT)
    rel = path.as_posix()
    if rel in ("", "."):
        return _refusal(given, DIRECTORY)
    return rel


def read_spec(root: Path, rel: str) -> str | SpecError:
    """The text of the spec file at the repo-relative `rel` (as `repo_path` gives it), or why
    it is refused. Reads at most `MAX_SPEC_BYTES` + 1 bytes, and nothing at all from anything
    but a regular file reached without a link."""
    if any(hidden(c) for c in rel) or "\x00" in rel:
        return _refusal(rel, HIDDEN)
    try:
        fd = _open_beneath(root, rel.split("/"))
    except _Refused as refused:
        return _refusal(rel, refused.message)
    try:
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        return _refusal(rel, f"cannot read the file: {e.strerror}")
    if len(data) > MAX_SPEC_BYTES:
        return _refusal(rel, TOO_LARGE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        return SpecError(
            Location(rel, line, column), "", f"the file is not UTF-8 text ({e.reason})"
        )


def _why(e: OSError, rel: str, *, last: bool) -> str:
    if e.errno == errno.ENOENT:
        return MISSING if last else f"{MISSING_DIRECTORY} '{shown(rel)}'"
    if e.errno in (errno.ELOOP, errno.EMLINK):  # EMLINK: some BSDs, for O_NOFOLLOW
        return LINK if last else link_directory(rel)
    if e.errno == errno.ENOTDIR:
        return not_a_directory(rel)
    if e.errno == errno.EISDIR:
        return DIRECTORY
    return f"cannot read the file: {e.strerror}"


def _open_beneath(root: Path, parts: Sequence[str]) -> int:
    """A read-only descriptor of the regular file `root/parts...`, reached without following a
    link below `root` (each component is checked with lstat, then opened with O_NOFOLLOW
    relative to its checked parent); raises _Refused."""
    try:
        dir_fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as e:
        raise _Refused(f"cannot open the repo (--root): {e.strerror}") from None
    try:
        for i, part in enumerate(parts):
            rel = "/".join(parts[: i + 1])
            last = i == len(parts) - 1
            try:
                mode = os.lstat(part, dir_fd=dir_fd).st_mode
            except OSError as e:
                raise _Refused(_why(e, rel, last=last)) from None
            if not last:
                if stat.S_ISLNK(mode):
                    raise _Refused(link_directory(rel))
                if not stat.S_ISDIR(mode):
                    raise _Refused(not_a_directory(rel))
                flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
            else:
                problem = _kind_problem(mode)
                if problem is not None:
                    raise _Refused(problem)
                flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC
            try:
                fd = os.open(part, flags, dir_fd=dir_fd)
            except OSError as e:
                raise _Refused(_why(e, rel, last=last)) from None
            os.close(dir_fd)
            dir_fd = fd
        # Checked again on the open file: the entry may have been swapped since its lstat.
        if not stat.S_ISREG(os.fstat(dir_fd).st_mode):
            raise _Refused(SPECIAL)
        fd, dir_fd = dir_fd, -1
        return fd
    finally:
        if dir_fd >= 0:
            os.close(dir_fd)


def read_sources(root: Path, files: Sequence[str]) -> tuple[dict[str, str], list[SpecError]]:
    """{repo-relative path: text} of the given spec files (or, with none given, of every spec
    file of the repo), plus the located errors of those that are refused or unreadable."""
    problems: list[SpecError] = []
    rels: list[str] = []
    if files:
        for given in files:
            rel = repo_path(root, given)
            if isinstance(rel, SpecError):
                problems.append(rel)
            else:
                rels.append(rel)
    elif not root.is_dir():
        problems.append(_refusal(str(root), "no such directory (--root)"))
    else:
        found = find_spec_files(root)
        rels = list(found.files)
        problems.extend(found.errors)
    sources: dict[str, str] = {}
    for rel in dict.fromkeys(rels):
        text = read_spec(root, rel)
        if isinstance(text, SpecError):
            problems.append(text)
        else:
            sources[rel] = text
    return sources, problems


# -- one spec, one file --------------------------------------------------------------------


def _canonical_suffix(path: str) -> str:
    return ".yml" if classify(path).kind is SpecKind.REGISTRY else ".yaml"


def without_duplicates(sources: Mapping[str, str], diags: Diagnostics) -> dict[str, str]:
    """`sources` without the second spelling of a spec (`users.yml` next to `users.yaml`,
    `services.yaml` next to `services.yml`), which is reported where it is, naming the first.
    The spelling the README uses (`.yaml`, but `services.yml`) is the first."""

    def order(path: str) -> tuple[str, str, bool]:
        p = PurePosixPath(path)
        return (p.parent.as_posix(), p.stem, p.suffix != _canonical_suffix(path))

    first: dict[tuple[str, str], str] = {}
    kept: dict[str, str] = {}
    for path in sorted(sources, key=order):
        p = PurePosixPath(path)
        key = (p.parent.as_posix(), p.stem)
        if p.suffix in SPEC_SUFFIXES and key in first:
            diags.error(
                Location(path),
                "",
                f"a second file of the spec '{p.stem}': {first[key]} is the first; merge this "
                "file into it and delete this one (one spec, one file: .yaml or .yml, not both)",
            )
            continue
        if p.suffix in SPEC_SUFFIXES:
            first[key] = path
        kept[path] = sources[path]
    return {path: kept[path] for path in sorted(kept)}
