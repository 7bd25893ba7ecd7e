"""The launcher's side: hand a run to this engine build's server, starting one if need be.

Kept to the standard library's cheapest modules: it runs once per engine process, before the
engine is imported (or instead of importing it).
"""

from __future__ import annotations

import os
import socket
import sys

from specforge.server import protocol

ACK_SECONDS = 30.0  # a server that has not taken the run by then is not used
WORKER_DIED = 70
_RETRY = -1  # the server went away before it took the run: nothing ran


def run_on_server(argv: list[str], parent: str) -> int | None:
    """Run the engine's CLI on `argv` in a worker of the server below `parent`: its exit code,
    or None when no server could take the run (the caller then runs the engine itself)."""
    path = protocol.socket_path(parent)
    if path is None:
        return None
    for _ in range(2):
        sock = _connect(path) or _start(path)
        if sock is None:
            return None
        with sock:
            code = _request(sock, argv)
        if code != _RETRY:
            return code
    return None


def _connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    return sock


def _start(path: str) -> socket.socket | None:
    """Start the server (one launcher at a time: the others wait on the lock, then connect)."""
    import fcntl
    import subprocess

    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    stem = path[: -len(".sock")]
    try:
        lock = os.open(stem + ".lock", flags, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sock = _connect(path)
        if sock is not None:
            return sock
        log = os.open(stem + ".log", flags | os.O_TRUNC, 0o600)
        ready, ready_w = os.pipe()
        try:
            subprocess.Popen(
                [sys.executable, "-s", "-m", "specforge.server.daemon", path, str(ready_w)],
                pass_fds=(ready_w,),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=os.path.dirname(path),
                start_new_session=True,
            )
        finally:
            os.close(ready_w)
            os.close(log)
        with os.fdopen(ready, "rb") as pipe:
            started = pipe.read(1) == b"R"
        return _connect(path) if started else None
    except OSError:
        return None
    finally:
        os.close(lock)


def _request(sock: socket.socket, argv: list[str]) -> int:
    try:
        header = protocol.encode_request(argv, dict(os.environ))
        cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            socket.send_fds(sock, [protocol.LENGTH.pack(len(header))], [cwd, 1, 2])
        finally:
            os.close(cwd)
        sock.sendall(header)
        sock.settimeout(ACK_SECONDS)
        if sock.recv(1) != protocol.STARTED:
            return _RETRY
    except (OSError, protocol.ProtocolError):
        return _RETRY
    sock.settimeout(None)
    tail = b""
    try:
        while len(tail) < 1 + protocol.EXIT_CODE.size:
            chunk = sock.recv(16)
            if not chunk:
                break
            tail += chunk
    except OSError:
        pass
    if len(tail) != 1 + protocol.EXIT_CODE.size or tail[:1] != protocol.EXITED:
        print(
            "specforge: the engine server's worker died before it finished this run "
            f"(its server's log: {path_hint(sock)})",
            file=sys.stderr,
        )
        return WORKER_DIED
    return int(protocol.EXIT_CODE.unpack(tail[1:])[0])


def path_hint(sock: socket.socket) -> str:
    try:
        name = sock.getpeername()
    except OSError:
        return "unknown"
    return str(name)[: -len(".sock")] + ".log" if str(name).endswith(".sock") else "unknown"
