"""What the launcher and the server say to each other, over a Unix socket.

    launcher -> server   the header's length (4 bytes, big-endian) with three descriptors
                         attached (the working directory, stdout, stderr), then the header:
                         ASCII JSON, {"argv": [...], "env": {...}}
    server -> launcher   b"S" once the worker has taken over the run, then b"X" and the exit
                         code (4 bytes, signed, big-endian) when it is done

A launcher that sees the connection close before b"S" may run the engine itself: nothing has
run. After b"S" the run is the worker's; a close without an exit code means it died.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import struct
import sys

VERSION = 1
MAX_HEADER = 4 << 20  # argv of a few thousand spec paths fits many times over
FDS = 3  # the working directory, stdout, stderr (a worker's stdin is /dev/null)
LENGTH = struct.Struct("!I")
STARTED = b"S"
EXITED = b"X"
EXIT_CODE = struct.Struct("!i")
# sockaddr_un holds 108 bytes on Linux, 104 on macOS, a terminating NUL included.
MAX_SOCKET_PATH = 100

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class ProtocolError(Exception):
    """A message that is not what the protocol says."""


def server_key() -> str:
    """Names this engine build's server: the venv (or source tree) the engine runs from, and
    the Python running it."""
    import specforge

    where = os.path.realpath(os.path.dirname(specforge.__file__))
    text = f"{VERSION}\0{os.path.realpath(sys.prefix)}\0{where}\0{sys.version}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def private_directory(parent: str) -> str | None:
    """`<parent>/<uid>`, created (mode 0700) when missing, as a real path, if it is a real
    directory owned by this user with no group or other permissions; else None."""
    if not hasattr(os, "getuid"):
        return None
    try:
        base = os.path.realpath(parent)
        if not os.path.isdir(base):
            return None
        path = os.path.join(base, str(os.getuid()))
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        fd = os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return path


def socket_path(parent: str) -> str | None:
    """Where this engine build's server listens, below `parent`; None when that cannot be."""
    directory = private_directory(parent)
    if directory is None:
        return None
    path = os.path.join(directory, server_key() + ".sock")
    return path if len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def encode_request(argv: list[str], env: dict[str, str]) -> bytes:
    # ASCII JSON: every string round-trips exactly, undecodable bytes (as surrogates) too.
    raw = json.dumps({"argv": argv, "env": env}, separators=(",", ":")).encode("ascii")
    if len(raw) > MAX_HEADER:
        raise ProtocolError(f"the request is larger than {MAX_HEADER} bytes")
    return raw


def decode_request(raw: bytes) -> tuple[list[str], dict[str, str]]:
    try:
        data = json.loads(raw.decode("ascii"))
    except ValueError as e:
        raise ProtocolError(f"the request is not JSON: {e}") from None
    if not isinstance(data, dict):
        raise ProtocolError("the request is not a JSON object")
    argv, env = data.get("argv"), data.get("env")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ProtocolError("the request's argv is not a list of strings")
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and "=" not in k and "\0" not in k + v
        for k, v in env.items()
    ):
        raise ProtocolError("the request's env is not a map of names to strings")
    return argv, env
