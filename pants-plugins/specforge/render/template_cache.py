"""The template bytecode cache: compiled Jinja2 templates kept between engine runs.

Loading a cached template unpickles and unmarshals its file, so whoever can write the cache can
run code as whoever runs the engine. The cache therefore lives only in a per-user directory
(`$XDG_CACHE_HOME/specforge/templates`, else `$HOME/.cache/specforge/templates`; never a shared
temp directory), and is used only if that directory is a real directory (not a link) owned by
the current user with no group or other permissions, and each file in it is a regular file
of the current user's that nobody else can write. Everything is opened relative to the
verified directory's descriptor, with `O_NOFOLLOW`, so nothing can be swapped in after the
check. When any of that fails, the engine runs without a cache (compiling the templates costs
about 70 ms per process; see the README).

Pants runs the engine without `HOME`; its codegen rule passes `XDG_CACHE_HOME` into the
sandbox, backed by a Pants named cache.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

import jinja2

from specforge.private import open_private_directory

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)

OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH  # nor these on a cached file


def cache_home(environ: Mapping[str, str]) -> Path | None:
    """The user's cache directory: `$XDG_CACHE_HOME`, else `$HOME/.cache` (absolute paths
    only, as the XDG spec says), else None: no guessing from the password database, so a
    sandbox without HOME writes nothing outside itself."""
    xdg = environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg)
    home = environ.get("HOME", "")
    if os.path.isabs(home):
        return Path(home) / ".cache"
    return None


class PrivateBytecodeCache(jinja2.BytecodeCache):
    """Jinja2's bytecode cache over a verified private directory (see the module docstring).
    Best effort: a file that cannot be read or written is a cache miss, never an error."""

    def __init__(self, dir_fd: int) -> None:
        self.dir_fd = dir_fd

    @staticmethod
    def file_name(bucket: jinja2.bccache.Bucket) -> str:
        return f"{bucket.key}.cache"  # the key is a SHA-1 hex digest

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            fd = os.open(
                self.file_name(bucket),
                os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC,
                dir_fd=self.dir_fd,
            )
        except OSError:
            return
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            if (
                stat.S_ISREG(st.st_mode)
                and st.st_uid == os.getuid()
                and not st.st_mode & OTHERS_WRITE
            ):
                bucket.load_bytecode(f)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = self.file_name(bucket)
        tmp = f".{name}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(
                tmp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                0o600,
                dir_fd=self.dir_fd,
            )
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                bucket.write_bytecode(f)
            os.replace(tmp, name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self.dir_fd)


def private_bytecode_cache(environ: Mapping[str, str]) -> PrivateBytecodeCache | None:
    """The user's template cache, or None (run without one) when there is no per-user cache
    directory or it fails verification."""
    home = cache_home(environ)
    if home is None:
        return None
    fd = open_private_directory(home / "specforge" / "templates")
    return None if fd is None else PrivateBytecodeCache(fd)
