"""What the launcher and the server say to each other, over a Unix socket.

    launcher -> server   the header's length (4 bytes, big-endian) with three descriptors
                         attached (the working directory, stdout, stderr), then the header:
                         NUL-separated fields, the protocol's tag, the launcher's engine
                         (`identity()`), its umask (octal), the number of arguments, the
                         arguments, and the environment as NAME=VALUE
    server -> launcher   b"S" once the worker has taken over the run, then b"X" and the exit
                         code (4 bytes, signed, big-endian) when it is done

Arguments and environment travel as the bytes the OS gave (`os.fsencode`), so they arrive
exactly. A worker serves only a launcher of its own engine (the identities match); a
launcher that sees the connection close before b"S" may run the engine itself: nothing ran.
After b"S" the run is the worker's; a close without an exit code means it died.

The launcher imports this module on every engine run, so it sticks to the cheapest modules
(no `socket`, `json` or `hashlib`: they would double the launcher's start-up).
"""

from __future__ import annotations

import os
import sys
import zlib

from specforge.private import open_private_directory

TAG = b"specforge-server/3"
MAX_HEADER = 4 << 20  # argv of a few thousand spec paths fits many times over
FDS = 3  # the working directory, stdout, stderr (a worker's stdin is /dev/null)
LENGTH_BYTES = 4
STARTED = b"S"
EXITED = b"X"
EXIT_CODE_BYTES = 4
# sockaddr_un holds 108 bytes on Linux, 104 on macOS, a terminating NUL included.
MAX_SOCKET_PATH = 100


class ProtocolError(Exception):
    """A message that is not what the protocol says."""


def identity() -> str:
    """This engine build: the venv (or source tree) it runs from, and the Python running it."""
    import specforge

    where = os.path.realpath(os.path.dirname(specforge.__file__))
    return f"{os.path.realpath(sys.prefix)}|{where}|{sys.version}"


def server_key(ident: str) -> str:
    """The name of the socket of the server of `ident` (two checksums: a collision only
    costs time, as a worker refuses a launcher of another engine)."""
    data = ident.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def private_directory(parent: str) -> str | None:
    """`<parent>/<uid>` as a real path, a private directory (`specforge.private`), if `parent`
    is an existing directory; else None (a missing parent is not made: under remote execution,
    say, there is no named cache to hold a server)."""
    base = os.path.realpath(parent)
    if not hasattr(os, "getuid") or not os.path.isdir(base):
        return None
    path = os.path.join(base, str(os.getuid()))
    fd = open_private_directory(path)
    if fd is None:
        return None
    os.close(fd)
    return path


def socket_path(parent: str, ident: str) -> str | None:
    """Where the server of `ident` listens, below `parent`; None when that cannot be."""
    directory = private_directory(parent)
    if directory is None:
        return None
    path = os.path.join(directory, server_key(ident) + ".sock")
    return path if len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def encode_request(ident: str, umask: int, argv: list[str], env: dict[str, str]) -> bytes:
    fields = [ident, f"{umask:o}", str(len(argv)), *argv, *(f"{k}={v}" for k, v in env.items())]
    try:
        raw = [TAG, *(os.fsencode(f) for f in fields)]
    except UnicodeError:
        raise ProtocolError("an argument is not text the OS can pass on") from None
    if any(b"\0" in f for f in raw):
        raise ProtocolError("an argument holds a NUL character")
    header = b"\0".join(raw)
    if len(header) > MAX_HEADER:
        raise ProtocolError(f"the request is larger than {MAX_HEADER} bytes")
    return header


def decode_request(header: bytes) -> tuple[str, int, list[str], dict[str, str]]:
    """(identity, umask, argv, env) of a request's header."""
    fields = header.split(b"\0")
    if len(fields) < 4 or fields[0] != TAG:
        raise ProtocolError("the request is not of this protocol")
    umask = fields[2]
    if not umask or len(umask) > 4 or umask.strip(b"01234567"):
        raise ProtocolError("the request's umask is not an octal mode")
    if not fields[3].isdigit() or int(fields[3]) > len(fields) - 4:
        raise ProtocolError("the request's argument count is wrong")
    argc = int(fields[3])
    argv = [os.fsdecode(f) for f in fields[4 : 4 + argc]]
    env: dict[str, str] = {}
    for item in fields[4 + argc :]:
        name, eq, value = item.partition(b"=")
        if not eq or not name:
            raise ProtocolError("the request's environment is not NAME=VALUE")
        env[os.fsdecode(name)] = os.fsdecode(value)
    return os.fsdecode(fields[1]), int(umask, 8) & 0o777, argv, env
