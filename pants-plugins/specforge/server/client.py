"""The launcher's side: hand a run to this engine build's server, starting one if need be.

It runs once per engine process, before the engine is imported (or instead of importing it),
so it uses `_socket`, the C module under `socket`: the wrapper's imports (enum, selectors)
would cost more than everything else the launcher does.
"""

from __future__ import annotations

import _socket
import os
import struct
import sys

from specforge.server import protocol

ACK_SECONDS = 30.0  # a server that has not taken the run by then (warm-up included) is not used
START_SECONDS = 60.0  # a server that is not listening by then is not used
# The server's command: the launcher's import path (JSON), then the daemon's own arguments.
_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv.pop(1)); "
    "from specforge.server.daemon import main; sys.exit(main(sys.argv[1:]))"
)
WORKER_DIED = 70
_RETRY = -1  # the server went away before it took the run: nothing ran


def run_on_server(argv: list[str], parent: str) -> int | None:
    """Run the engine's CLI on `argv` in a worker of the server below `parent`: its exit code,
    or None when no server could take the run (the caller then runs the engine itself)."""
    ident = protocol.identity()
    path = protocol.socket_path(parent, ident)
    if path is None:
        return None
    umask = os.umask(0o022)  # read it (only by setting it), and put it back
    os.umask(umask)
    try:
        header = protocol.encode_request(ident, umask, argv, dict(os.environ))
    except protocol.ProtocolError:
        return None
    for _ in range(2):
        sock = _connect(path) or _start(path)
        if sock is None:
            return None
        try:
            code = _request(sock, header, path)
        finally:
            sock.close()
        if code != _RETRY:
            return code
    return None


def _connect(path: str) -> _socket.socket | None:
    """A connection to the server at `path`, if one listens there and runs as this user."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
        option = getattr(_socket, "SO_PEERCRED", None)
        if option is not None:
            creds = sock.getsockopt(_socket.SOL_SOCKET, option, struct.calcsize("3i"))
            if struct.unpack("3i", creds)[1] != os.getuid():
                raise PermissionError("the server runs as another user")
    except OSError:
        sock.close()
        return None
    return sock


def _start(path: str) -> _socket.socket | None:
    """Start the server (one launcher at a time: the others wait on the lock, then connect),
    or give up after `START_SECONDS`. It runs as Pants runs the engine (`-sE`: no user site,
    no PYTHON* variables) on the launcher's import path, so it imports the engine the
    launcher would."""
    import fcntl
    import json
    import select
    import subprocess
    import time

    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    stem = path[: -len(".sock")]
    deadline = time.monotonic() + START_SECONDS
    try:
        lock = os.open(stem + ".lock", flags, 0o600)
    except OSError:
        return None
    try:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.01)
        sock = _connect(path)
        if sock is not None:
            return sock
        import_path = json.dumps([os.path.abspath(p) for p in sys.path if p])
        log = os.open(stem + ".log", flags | os.O_TRUNC, 0o600)
        ready, ready_w = os.pipe()
        try:
            subprocess.Popen(
                [sys.executable, "-sE", "-c", _BOOT, import_path, path, str(ready_w)],
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
            wait = max(0.0, deadline - time.monotonic())
            started = bool(select.select([pipe], [], [], wait)[0]) and pipe.read(1) == b"R"
        return _connect(path) if started else None
    except OSError:
        return None
    finally:
        os.close(lock)


def _request(sock: _socket.socket, header: bytes, path: str) -> int:
    try:
        cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fds = struct.pack(f"{protocol.FDS}i", cwd, 1, 2)
            length = len(header).to_bytes(protocol.LENGTH_BYTES, "big")
            sock.sendmsg([length], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        finally:
            os.close(cwd)
        sock.sendall(header)
        sock.settimeout(ACK_SECONDS)
        if sock.recv(1) != protocol.STARTED:
            return _RETRY
    except OSError:  # the server went away, or did not answer in time (TimeoutError)
        return _RETRY
    sock.settimeout(None)
    tail = b""
    want = 1 + protocol.EXIT_CODE_BYTES
    try:
        while len(tail) < want:
            chunk = sock.recv(want - len(tail))
            if not chunk:
                break
            tail += chunk
    except OSError:
        pass
    if len(tail) != want or tail[:1] != protocol.EXITED:
        print(
            "specforge: the engine server's worker died before it finished this run (the "
            f"server's log: {path[: -len('.sock')]}.log)",
            file=sys.stderr,
        )
        return WORKER_DIED
    return int.from_bytes(tail[1:], "big", signed=True)
