"""Symbolic links in the repo: the plugin neither reads specs through them nor writes through
them.

Pants snapshots a source through its link: the sandbox gets the target's content as a regular
file, so the engine cannot tell (Pants itself refuses only links that leave the build root, or
are absolute). The plugin therefore refuses linked spec sources by their path, from the
workspace, before any process reads them, with the engine's own located message; and its goals
write into the tree one directory at a time with `O_NOFOLLOW`, so that a linked directory (a
committed `generated -> ~/.local/...`) cannot redirect a write.

A link whose target has the very content the file had before is seen only when Pants next
re-reads the file's directory (the check runs when the sources' digest changes).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import unicodedata
from typing import Dict, Iterable, List, Optional

# The engine's messages (specforge.sources), so that a refusal reads the same everywhere.
LINK = (
    "is a symbolic link; specforge reads spec files only as regular files inside the repo and "
    "never follows links: replace the link with the file itself"
)

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def shown(path: str) -> str:
    """`path` printable on one line (as `specforge.sources.shown`): backslashes and control,
    format and separator characters escaped."""
    out: List[str] = []
    for char in path:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) not in _HIDDEN_CATEGORIES:
            out.append(char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif 0xDC80 <= code <= 0xDCFF:
            out.append("\\x%02x" % (code - 0xDC00))
        elif code <= 0xFF:
            out.append("\\x%02x" % code)
        elif code <= 0xFFFF:
            out.append("\\u%04x" % code)
        else:
            out.append("\\U%08x" % code)
    return "".join(out)


def link_directory(directory: str) -> str:
    return (
        f"'{shown(directory)}' is a symbolic link; specforge never follows links in the repo: "
        "make it a real directory"
    )


class LinkedPaths:
    """Which repo paths lie at or below a symbolic link (below the build root), from lstat of
    each component, each looked up once."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._is_link: Dict[str, bool] = {}

    def is_link(self, rel: str) -> bool:
        if rel not in self._is_link:
            try:
                mode = os.lstat(os.path.join(self.root, rel)).st_mode
                self._is_link[rel] = stat.S_ISLNK(mode)
            except OSError:
                self._is_link[rel] = False
        return self._is_link[rel]

    def link_of(self, rel: str) -> Optional[str]:
        """The first component of `rel` (itself included) that is a link, or None."""
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if self.is_link(prefix):
                return prefix
        return None


def linked_spec_errors(root: str, paths: Iterable[str]) -> List[str]:
    """The engine's located error for each spec source that is a link or lies below one."""
    links = LinkedPaths(root)
    errors: List[str] = []
    for path in sorted(set(paths)):
        link = links.link_of(path)
        if link is not None:
            message = LINK if link == path else link_directory(link)
            errors.append(f"{shown(path)}:1:1: error: {message}")
    return errors


class LinkedSpecsError(Exception):
    """Spec sources that are symbolic links: the located errors, one a line."""


class LinkedOutputError(Exception):
    def __init__(self, rel: str, link: str) -> None:
        super().__init__(
            f"did not write {shown(rel)}: {shown(link)} is a symbolic link; specforge never "
            "writes through links (make it a real directory)"
        )


def write_beneath(root: str, rel: str, content: bytes) -> None:
    """Write `root/rel` atomically (a new temp file, renamed into place), creating its
    directories, without following a link below `root`: raises LinkedOutputError for a linked
    directory on the way; a link where the file goes is replaced, not written through.

    Files get 0o666 minus the umask, as any file written into the tree (mkstemp's would be
    0o600, and the rename would keep that).
    """
    parts = rel.split("/")
    dir_fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for i, part in enumerate(parts[:-1]):
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=dir_fd)
            try:
                fd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
            except OSError:
                if stat.S_ISLNK(os.lstat(part, dir_fd=dir_fd).st_mode):
                    raise LinkedOutputError(rel, "/".join(parts[: i + 1])) from None
                raise
            os.close(dir_fd)
            dir_fd = fd
        name = parts[-1]
        tmp = f".{name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666, dir_fd=dir_fd
        )
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
    finally:
        os.close(dir_fd)
