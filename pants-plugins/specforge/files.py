"""Writing files into a tree, and showing paths: the one implementation that the engine (its
`--out` tree) and the Pants plugin (`generate`, `sync-services`, in the workspace) share.

Every write is atomic (a new temp file, created with `O_EXCL | O_NOFOLLOW`, renamed over the
file), creates the directories on the way, and never leaves the root: a path that is absolute or
has `..` is refused, every directory is entered one at a time with `O_NOFOLLOW` from a
descriptor of the one above, so a linked directory (a committed `generated -> ~/.ssh`) cannot
redirect a write, and a link where the file goes is replaced, not written through. Files get
0o666 minus the umask, as any file written into a tree (mkstemp's would be 0o600).

CPython 3.9-compatible and stdlib-only: the plugin imports it inside Pants.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import PurePosixPath

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)

# Characters that would let a file name forge or disguise output: control characters (a
# newline starts a new error line), line and paragraph separators, format characters (bidi
# overrides reorder what a terminal shows), and the surrogates that stand for bytes of a name
# that are not UTF-8 (they cannot even be printed).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def hidden(char: str) -> bool:
    """Whether `char` would forge or disguise printed output (see `_HIDDEN_CATEGORIES`)."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES


def shown(path: str) -> str:
    """`path` as it can be printed on one line: backslashes and the characters that would forge
    or disguise output are escaped (`\\n`, `\\x1b`, `\\u202e`; `\\xff` for a byte that is not
    UTF-8)."""
    if not any(c == "\\" or hidden(c) for c in path):
        return path
    out: list[str] = []
    for char in path:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif not hidden(char):
            out.append(char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
            out.append("\\x%02x" % (code - 0xDC00))
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


class OutputPathError(Exception):
    """A file that cannot be written where it should go: its path would leave the root
    (absolute, `..`, a linked directory below it), or the write failed. `link` is the linked
    directory, relative to the root, when that is why."""

    def __init__(self, rel: str, why: str, link: str | None = None) -> None:
        super().__init__(f"cannot write {shown(rel)}: {why}")
        self.rel = rel
        self.link = link


def write_tree(root: str, files: Mapping[str, bytes], *, root_name: str = "the root") -> None:
    """Write each `root/rel` of `files` (see the module docstring), creating `root` if needed.
    Raises OutputPathError, whose message calls the root `root_name`."""
    try:
        os.makedirs(root, exist_ok=True)
        root_fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as e:
        raise OutputPathError(root, f"the output directory: {e.strerror}") from None
    try:
        for rel, data in sorted(files.items()):
            parts = _parts(rel, root_name)
            dir_fd = _directory_beneath(root_fd, rel, parts[:-1])
            try:
                _replace_file(dir_fd, rel, parts[-1], data)
            finally:
                if dir_fd != root_fd:
                    os.close(dir_fd)
    finally:
        os.close(root_fd)


def write_beneath(root: str, rel: str, data: bytes) -> None:
    """Write one file `root/rel` (see `write_tree`)."""
    write_tree(root, {rel: data})


def _parts(rel: str, root_name: str) -> list[str]:
    path = PurePosixPath(rel)
    if "\x00" in rel or not rel:
        raise OutputPathError(rel, "not a file name")
    if path.is_absolute():
        raise OutputPathError(
            rel, f"the path is absolute; written paths are relative to {root_name}"
        )
    if ".." in path.parts:
        raise OutputPathError(rel, f"the path contains '..', which would leave {root_name}")
    parts = list(path.parts)
    if not parts or parts == ["."]:
        raise OutputPathError(rel, "not a file name")
    return parts


def _directory_beneath(root_fd: int, rel: str, parts: list[str]) -> int:
    """A descriptor of the directory `parts` below `root_fd`, created where missing, reached
    without following a link."""
    dir_fd = root_fd
    try:
        for i, part in enumerate(parts):
            where = "/".join(parts[: i + 1])
            try:
                os.mkdir(part, 0o777, dir_fd=dir_fd)
            except FileExistsError:
                pass
            except OSError as e:
                raise OutputPathError(rel, f"cannot create {where}: {e.strerror}") from None
            try:
                fd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
            except OSError as e:
                if stat.S_ISLNK(_lstat_mode(part, dir_fd)):
                    why = f"{where} is a symbolic link; specforge never writes through links"
                    raise OutputPathError(rel, why, link=where) from None
                raise OutputPathError(rel, f"{where}: {e.strerror}") from None
            if dir_fd != root_fd:
                os.close(dir_fd)
            dir_fd = fd
    except BaseException:
        if dir_fd != root_fd:
            os.close(dir_fd)
        raise
    return dir_fd


def _lstat_mode(name: str, dir_fd: int) -> int:
    try:
        return os.lstat(name, dir_fd=dir_fd).st_mode
    except OSError:
        return 0


def _replace_file(dir_fd: int, rel: str, name: str, data: bytes) -> None:
    """Write `name` in `dir_fd`: a new temp file (O_EXCL, never a link), renamed over it."""
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666, dir_fd=dir_fd
        )
    except OSError as e:
        raise OutputPathError(rel, str(e.strerror)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        if isinstance(e, OSError):
            raise OutputPathError(rel, str(e.strerror)) from None
        raise
