"""The engine server's process: `python -m specforge.server.daemon SOCKET READY_FD`.

It listens on SOCKET, writes b"R" to READY_FD, imports the engine and compiles its templates,
and then forks a worker per connection (see `specforge.server`). It never runs the engine
itself: whatever a spec does happens in a worker.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import stat
import struct
import sys
import threading
import time

from specforge.server import IDLE_SECONDS, protocol

POLL_SECONDS = 1.0  # how often an idle server looks at its socket and reaps its workers
HEADER_SECONDS = 10.0  # a launcher sends its request at once; one that doesn't is dropped
WARM_MODULES = (
    "specforge.cli",
    "specforge.render.app",
    "specforge.render.clients",
    "specforge.render.domain",
    "specforge.render.events",
    "specforge.render.external",
    "specforge.render.links",
    "specforge.render.schemas",
    "pydantic_core",
)
IDENTITY = protocol.identity()  # the engine this server runs (its workers serve no other)
SHARE_PER_REPORT = 2  # documents composed per worker's report, at most
MAX_REPORT = 8 << 20  # a worker's report of the documents it composed (JSON, ASCII-escaped)


def warm_up() -> None:
    """Import what engine runs import (`generate` imports its renderers and, for patterns,
    pydantic-core's validator lazily), find ruff, and compile every template, once."""
    import importlib

    for module in WARM_MODULES:
        importlib.import_module(module)
    from specforge.render import common

    common.ruff_binary()  # loads sysconfig's data, where ruff's path comes from
    common.preload_templates()
    # What the warm-up made lives as long as the server: out of the collector's sight, a
    # worker's collections do not walk it (a third of a run's time) nor copy its pages.
    gc.collect()
    gc.freeze()


def serve(path: str, ready_fd: int) -> None:
    # Listen first: a directory that cannot hold a socket fails the start at once, not after
    # the warm-up; launchers that connect meanwhile wait in the backlog.
    os.umask(0o077)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a dead server's (the launcher holds the start lock)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    listener.setblocking(False)
    inode = os.stat(path).st_ino
    os.write(ready_fd, b"R")
    os.close(ready_fd)
    warm_up()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    last = time.monotonic()
    while True:
        _reap()
        events = selector.select(POLL_SECONDS)
        if not events:
            if not _listening_at(path, inode) or time.monotonic() - last > IDLE_SECONDS:
                break
            continue
        for key, _ in events:
            if key.fileobj is listener:
                last = time.monotonic()
                _accept(listener, selector)
            else:
                _hear(key.fileobj, key.data, selector)  # type: ignore[arg-type]
    listener.close()
    if _listening_at(path, inode):
        with contextlib.suppress(OSError):
            os.unlink(path)


def _accept(listener: socket.socket, selector: selectors.BaseSelector) -> None:
    """Fork a worker for the next connection, with a channel back to this server."""
    try:
        conn, _ = listener.accept()
    except OSError:  # gone already, or the backlog was empty after all
        return
    if not _same_user(conn):
        conn.close()
        return
    ours, theirs = socket.socketpair()
    if os.fork() == 0:
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        selector.close()
        ours.close()
        _worker(conn, theirs)  # never returns
    conn.close()
    theirs.close()
    ours.setblocking(False)
    selector.register(ours, selectors.EVENT_READ, bytearray())


def _hear(channel: socket.socket, heard: bytearray, selector: selectors.BaseSelector) -> None:
    """Read what a worker reports; when it is done, share the documents it composed."""
    try:
        chunk = channel.recv(1 << 16)
    except BlockingIOError:
        return
    except OSError:
        chunk = b""
    if chunk and len(heard) + len(chunk) <= MAX_REPORT:
        heard += chunk
        return
    selector.unregister(channel)
    channel.close()
    if not chunk:  # the worker is done (a report too large is dropped)
        _share(bytes(heard))


def _share(report: bytes) -> None:
    """Compose the documents a worker reports, for the workers to come (see
    `specforge.yamlio.Documents`): at most `SHARE_PER_REPORT` of them, each bounded in nodes,
    so that no report holds up the server for long. A report that is not a list of
    [file, text] is ignored."""
    from specforge.yamlio import Documents

    try:
        documents = json.loads(report.decode("ascii")) if report else []
    except ValueError:
        return
    if not isinstance(documents, list):
        return
    for entry in documents[:SHARE_PER_REPORT]:
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry):
            try:
                shared = Documents.share(entry[0], entry[1])
            except Exception:  # a worker composed it; even so, it never stops the server
                continue
            if shared:
                print(f"shared {entry[0]!r}: {len(entry[1])} characters", file=sys.stderr)
    gc.freeze()


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _listening_at(path: str, inode: int) -> bool:
    """Whether `path` is still this server's socket (not removed, nor another server's)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISSOCK(st.st_mode) and st.st_ino == inode


def _same_user(conn: socket.socket) -> bool:
    option: int | None = getattr(socket, "SO_PEERCRED", None)
    if option is None:  # the socket's private directory is the only gate there
        return True
    uid: int = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, 12))[1]
    return uid == os.getuid()


def _worker(conn: socket.socket, channel: socket.socket) -> None:
    """Take over one run: its directory, streams and environment; run the engine; report the
    large documents it composed to the server, and its exit code to the launcher."""
    code = 1
    try:
        try:
            argv, env = _receive(conn)
        except (OSError, protocol.ProtocolError):
            os._exit(1)  # nothing ran: the launcher may run the engine itself
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["specforge", *argv]
        from specforge.yamlio import Documents

        Documents.note_composed = True  # reported to the server when the run is done
        conn.sendall(protocol.STARTED)
        finished = threading.Event()
        threading.Thread(target=_die_with_client, args=(conn, finished), daemon=True).start()
        code = _run(argv) & 0xFF  # what a process' exit status keeps of it
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        finished.set()
        conn.sendall(protocol.EXITED + code.to_bytes(protocol.EXIT_CODE_BYTES, "big"))
        _report(channel)  # after the launcher has its answer: it waits for nothing more
    finally:
        os._exit(code)


def _run(argv: list[str]) -> int:
    """The engine's run, ended as its own process would end: `sys.exit` (argparse's, say)
    gives the same exit code and message."""
    from specforge.launch import run_engine

    try:
        return run_engine(argv)
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1


def _report(channel: socket.socket) -> None:
    from specforge.yamlio import Documents

    composed = sorted(set(Documents.composed))
    with contextlib.suppress(OSError):
        if composed:
            channel.sendall(json.dumps(composed).encode("ascii"))
        channel.close()


def _receive(conn: socket.socket) -> tuple[list[str], dict[str, str]]:
    conn.settimeout(HEADER_SECONDS)
    head, fds, flags, _ = socket.recv_fds(conn, protocol.LENGTH_BYTES, protocol.FDS)
    try:
        if flags & getattr(socket, "MSG_CTRUNC", 0) or len(fds) != protocol.FDS:
            raise protocol.ProtocolError("the request does not carry its descriptors")
        head += _read(conn, protocol.LENGTH_BYTES - len(head))
        length = int.from_bytes(head, "big")
        if length > protocol.MAX_HEADER:
            raise protocol.ProtocolError(f"the request is larger than {protocol.MAX_HEADER} bytes")
        ident, umask, argv, env = protocol.decode_request(_read(conn, length))
        if ident != IDENTITY:
            raise protocol.ProtocolError("the request is for another engine")
        os.umask(umask)  # the launcher's, not the server's own 077
        cwd, stdout, stderr = fds
        os.fchdir(cwd)
        null = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((null, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
    conn.settimeout(None)
    return argv, env


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(min(size - len(data), 1 << 16))
        if not chunk:
            raise protocol.ProtocolError("the request ends early")
        data += chunk
    return data


def _die_with_client(conn: socket.socket, finished: threading.Event) -> None:
    """A launcher says nothing after its request: anything (its close) means it has gone, and
    the run with it, unless the run is over."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    if not finished.is_set():
        os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m specforge.server.daemon SOCKET READY_FD", file=sys.stderr)
        return 2
    serve(argv[0], int(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
