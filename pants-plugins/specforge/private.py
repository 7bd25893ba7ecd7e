"""Private directories: the user's own, that nobody else can read, write or swap.

Used where the engine keeps something between runs that it will trust when it reads it back:
the template bytecode cache (`render.template_cache`) and the engine server's sockets
(`server.protocol`). Standard library only, and cheap to import: the server's launcher runs it
on every engine run.
"""

from __future__ import annotations

import os
import stat

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)

PRIVATE = 0o077  # group and other permission bits: none may be set on the directory


def open_private_directory(path: str | os.PathLike[str]) -> int | None:
    """A descriptor of the directory `path`, created (mode 0700, parents too) when missing, if
    it is a directory and not a link, owned by this user, with no group or other permissions,
    in a directory of this user's (or root's) that nobody else may write to (so that nobody
    else can put another directory in its place); else None. The directories above may be
    links: they are the user's to arrange (Pants links its named caches in)."""
    if not hasattr(os, "getuid"):
        return None
    path = os.fspath(path)
    try:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, mode=0o700, exist_ok=True)
        above = os.stat(parent)
        if (
            not stat.S_ISDIR(above.st_mode)
            or above.st_uid not in (os.getuid(), 0)
            or above.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            return None
        try:  # noqa: SIM105 - contextlib would cost the server's launcher an import
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        fd = os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return None
    st = os.fstat(fd)
    if (
        not stat.S_ISDIR(st.st_mode)
        or st.st_uid != os.getuid()
        or stat.S_IMODE(st.st_mode) & PRIVATE
    ):
        os.close(fd)
        return None
    return fd
