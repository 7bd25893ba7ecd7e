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

import os
import stat
from typing import Dict, Iterable, List, Optional

from specforge import files
from specforge.files import shown

# The engine's messages (specforge.sources), so that a refusal reads the same everywhere.
LINK = (
    "is a symbolic link; specforge reads spec files only as regular files inside the repo and "
    "never follows links: replace the link with the file itself"
)


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
    """Write `root/rel` atomically, creating its directories, without following a link below
    `root` (see `specforge.files`): raises LinkedOutputError for a linked directory on the
    way; a link where the file goes is replaced, not written through."""
    try:
        files.write_beneath(root, rel, content)
    except files.OutputPathError as e:
        if e.link is not None:
            raise LinkedOutputError(rel, e.link) from None
        raise
