"""The engine server (`specforge.server`): a run handed to it is the run the engine makes in a
process of its own (same exit code, output and files), on every kind of input; a server that
cannot be used costs nothing but time; and a server outlives neither its socket nor garbage.

Every run here is a real launcher process (`specforge.launch`, as Pants runs it) against a real
server that it starts itself."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specforge.cli import main as cli_main
from specforge.errors import Diagnostics
from specforge.server import ENV_VAR, daemon, protocol
from specforge.yamlio import Documents
from tests.engine.cases import all_cases, spec_language_files
from tests.engine.hostile_harness import child_env

LAUNCH = "import sys; from specforge.launch import main; sys.exit(main())"


def launch(
    args: list[str], cwd: Path, server_dir: Path | str | None
) -> subprocess.CompletedProcess[str]:
    env = child_env()
    env.pop(ENV_VAR, None)
    if server_dir is not None:
        env[ENV_VAR] = str(server_dir)
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def server_pid(path: str) -> int | None:
    """The pid of the server listening at `path` (its socket's peer credentials)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(path)
        except OSError:
            return None
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    return int(struct.unpack("3i", creds)[0])


def wait_until_gone(pid: int) -> None:
    """Bounded wait for a process to exit (a server polls its socket every second)."""
    deadline = time.monotonic() + 60
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid), f"server {pid} still runs"


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (not gone, nor a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1] not in "ZX"
    except (OSError, IndexError):
        return False


def stop_servers(root: Path) -> None:
    for sock in root.glob("*/*.sock"):
        pid = server_pid(str(sock))
        sock.unlink()
        if pid is not None:
            wait_until_gone(pid)


@pytest.fixture
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("srv")
    yield root
    stop_servers(root)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in spec_language_files().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


# -- a served run is the engine's own run ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "services.yml", "no/such/file.yaml"],
        ["--help"],
        ["generate", "--help"],
        ["generate"],  # argparse: --out is required (exit 2, usage on stderr)
        ["no-such-command"],
    ],
    ids=["check", "check-missing-file", "help", "generate-help", "usage-error", "bad-command"],
)
def test_a_served_run_prints_and_exits_as_its_own_process(
    args: list[str], repo: Path, server_dir: Path
) -> None:
    alone = launch(args, repo, None)
    served = launch(args, repo, server_dir)
    assert (served.returncode, served.stdout, served.stderr) == (
        alone.returncode,
        alone.stdout,
        alone.stderr,
    )
    assert list(server_dir.glob("*/*.sock")), "the run was not served"


def test_a_served_generate_writes_the_same_files(repo: Path, server_dir: Path) -> None:
    files = sorted(spec_language_files())
    args = ["generate", "--out", "{out}", *files]
    alone = launch([a.format(out="alone") for a in args], repo, None)
    served = launch([a.format(out="served") for a in args], repo, server_dir)
    assert alone.returncode == served.returncode == 0, alone.stderr + served.stderr
    assert tree(repo / "served") == tree(repo / "alone")
    assert len(tree(repo / "served")) > 10


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_a_served_run_writes_files_with_its_launchers_umask(
    repo: Path, server_dir: Path, umask: int
) -> None:
    files = sorted(spec_language_files())
    old = os.umask(umask)
    try:
        for out, where in (("alone", None), ("served", server_dir)):
            run = launch(["generate", "--out", out, *files], repo, where)
            assert run.returncode == 0, run.stderr
    finally:
        os.umask(old)
    modes = {
        out: {p.relative_to(repo / out): p.stat().st_mode for p in (repo / out).rglob("*")}
        for out in ("alone", "served")
    }
    assert modes["served"] == modes["alone"]
    assert {mode & 0o777 for mode in modes["served"].values()} <= {0o777 & ~umask, 0o666 & ~umask}


def test_every_malformed_case_is_reported_alike_when_served(
    tmp_path: Path, server_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The malformed-spec corpus, each case checked by a served worker and by the engine in
    this process: the same located errors, byte for byte."""
    for case in all_cases():
        name = case.name
        root = tmp_path / name
        for rel, text in case.files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        code = cli_main(["check", "--root", str(root), *sorted(case.files)])
        expected = capsys.readouterr()
        served = launch(["check", "--root", str(root), *sorted(case.files)], tmp_path, server_dir)
        assert (served.returncode, served.stdout, served.stderr) == (
            code,
            expected.out,
            expected.err,
        ), name


def test_shared_documents_give_the_same_files(tmp_path: Path, server_dir: Path) -> None:
    """A shared models file large enough for the server to compose once for every run: the
    runs after the first (which find it composed) generate what a run on its own does."""
    root = tmp_path / "repo"
    models = ["models:"]
    for i in range(400):
        models += [
            f"  Model{i}:",
            f"    description: Model number {i}, with a description long enough to count.",
            "    fields:",
            "      id: {type: uuid}",
            f"      name: {{type: string, max_length: {i + 1}}}",
        ]
    text = "\n".join(models) + "\n"
    assert len(text) >= Documents.SHARE_MIN_CHARS
    files = {
        "services.yml": "services:\n  - {name: shop, type: python-fastapi, description: Sells.}\n",
        "shared/spec/models.yaml": text,
        "services/shop/spec/items.yaml": (
            "domain: items\noperations:\n  get_item:\n    output: Model7\n"
            "    params: [{name: item_id, type: int}]\n"
            '    rest: {method: GET, path: "/{item_id}"}\n'
        ),
    }
    for rel, body in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body)
    args = ["generate", "--out", "{out}", "--app", "shop", *sorted(files)]
    alone = launch([a.format(out="alone") for a in args], root, None)
    assert alone.returncode == 0, alone.stderr
    for k in range(3):
        served = launch([a.format(out=f"served{k}") for a in args], root, server_dir)
        assert served.returncode == 0, served.stderr
        assert tree(root / f"served{k}") == tree(root / "alone")
    (log,) = server_dir.glob("*/*.log")
    assert log.read_text().splitlines() == [
        f"shared 'shared/spec/models.yaml': {len(text)} characters"
    ]


# -- one server, and only a usable one ------------------------------------------------------


def test_one_server_serves_every_run(repo: Path, server_dir: Path) -> None:
    launch(["check"], repo, server_dir)
    (sock,) = server_dir.glob("*/*.sock")
    pid = server_pid(str(sock))
    assert pid is not None
    for _ in range(3):
        assert launch(["check"], repo, server_dir).returncode == 0
    assert list(server_dir.glob("*/*.sock")) == [sock]
    assert server_pid(str(sock)) == pid


def test_a_dead_servers_socket_is_replaced(repo: Path, server_dir: Path) -> None:
    path = protocol.socket_path(str(server_dir), protocol.identity())
    assert path is not None
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()  # the file stays; nobody listens
    assert launch(["check"], repo, server_dir).returncode == 0
    assert server_pid(path) is not None


@pytest.mark.parametrize("how", ["missing", "open", "shared", "linked", "too-long"])
def test_without_a_usable_directory_the_engine_runs_in_its_own_process(
    how: str, repo: Path, tmp_path: Path
) -> None:
    parent = tmp_path / "servers"
    if how == "open":  # others may write into the parent (and swap the user's directory)
        parent.mkdir()
        parent.chmod(0o777)
    elif how == "shared":  # the user's directory is readable by others: not private
        (parent / str(os.getuid())).mkdir(parents=True, mode=0o755)
        (parent / str(os.getuid())).chmod(0o755)
    elif how == "linked":  # the user's directory is a link to one that would do
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        parent.mkdir()
        (parent / str(os.getuid())).symlink_to(tmp_path / "elsewhere")
    elif how == "too-long":  # a socket's path is limited to about 100 bytes
        parent = tmp_path / ("d" * 60) / ("e" * 60)
        parent.mkdir(parents=True)
    assert protocol.socket_path(str(parent), protocol.identity()) is None
    alone = launch(["check", "services.yml"], repo, None)
    run = launch(["check", "services.yml"], repo, parent)
    assert (run.returncode, run.stdout, run.stderr) == (alone.returncode, alone.stdout, "")
    assert not list(tmp_path.rglob("*.sock"))


def test_garbage_does_not_stop_the_server(repo: Path, server_dir: Path) -> None:
    assert launch(["check"], repo, server_dir).returncode == 0
    path = protocol.socket_path(str(server_dir), protocol.identity())
    assert path is not None
    pid = server_pid(path)
    request = protocol.encode_request(protocol.identity(), 0o022, ["check"], {})
    r, w = os.pipe()
    try:
        other = protocol.encode_request("another engine", 0o022, ["check"], {})
        for garbage in [
            (b"", []),  # connects, says nothing, leaves
            (b"\x00\x00", [r, r, r]),  # a length cut short
            (length(protocol.MAX_HEADER + 1), [r, r, r]),  # too long
            (length(5) + b"hello", [r, r, r]),  # not the protocol
            (length(len(other)) + other, [r, r, r]),  # for another engine
            (length(2) + b"{}", []),  # no descriptors
            (length(len(request)) + request, [r, r, r]),  # a pipe is no working directory
        ]:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(path)
                data, fds = garbage
                if fds:
                    socket.send_fds(sock, [data], fds)
                elif data:
                    sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                sock.settimeout(60)
                try:
                    answer = sock.recv(1)
                except ConnectionResetError:  # dropped with some of it unread
                    answer = b""
                assert answer == b"", garbage  # dropped, never started
    finally:
        os.close(r)
        os.close(w)
    run = launch(["check"], repo, server_dir)
    assert run.returncode == 0, run.stderr
    assert server_pid(path) == pid


def length(n: int) -> bytes:
    return n.to_bytes(protocol.LENGTH_BYTES, "big")


def test_a_server_exits_when_its_socket_is_removed(repo: Path, server_dir: Path) -> None:
    assert launch(["check"], repo, server_dir).returncode == 0
    (sock,) = server_dir.glob("*/*.sock")
    pid = server_pid(str(sock))
    assert pid is not None
    sock.unlink()
    wait_until_gone(pid)


# -- the protocol and the shared documents --------------------------------------------------


# What an OS passes as arguments and environment: no NUL, and bytes that are not UTF-8 as
# surrogate escapes (os.fsdecode).
_TEXT = st.binary(max_size=30).filter(lambda b: b"\0" not in b).map(os.fsdecode)


@given(
    _TEXT,
    st.integers(0, 0o777),
    st.lists(_TEXT, max_size=6),
    st.dictionaries(_TEXT.filter(lambda k: k != "" and "=" not in k), _TEXT, max_size=4),
)
def test_a_request_round_trips_exactly(
    ident: str, umask: int, argv: list[str], env: dict[str, str]
) -> None:
    header = protocol.encode_request(ident, umask, argv, env)
    assert protocol.decode_request(header) == (ident, umask, argv, env)


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["a\0b"], "NUL"), (["\ud800"], "not text the OS can pass on")],
)
def test_a_request_the_os_could_not_make_is_refused(argv: list[str], message: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=message):
        protocol.encode_request("engine", 0o022, argv, {})


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"", "not of this protocol"),
        (b"other-protocol\0x\x0022\x000", "not of this protocol"),
        (protocol.TAG + b"\0engine\x0022", "not of this protocol"),
        (protocol.TAG + b"\0engine\x0089\x000", "umask is not an octal mode"),
        (protocol.TAG + b"\0engine\0\x000", "umask is not an octal mode"),
        (protocol.TAG + b"\0engine\x0022\0two", "argument count is wrong"),
        (protocol.TAG + b"\0engine\x0022\x002\0check", "argument count is wrong"),
        (protocol.TAG + b"\0engine\x0022\x001\0check\0NOVALUE", "not NAME=VALUE"),
        (protocol.TAG + b"\0engine\x0022\x000\0=value", "not NAME=VALUE"),
    ],
)
def test_a_malformed_request_is_refused(header: bytes, message: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=message):
        protocol.decode_request(header)


@pytest.fixture
def shared_documents() -> Iterator[None]:
    saved = dict(Documents.shared), dict(Documents._shared_nodes), list(Documents.composed)
    Documents.shared.clear()
    Documents._shared_nodes.clear()
    Documents.composed.clear()
    Documents.note_composed = True  # as in a server's worker
    yield
    Documents.note_composed = False
    Documents.shared.clear()
    Documents.shared.update(saved[0])
    Documents._shared_nodes.clear()
    Documents._shared_nodes.update(saved[1])
    Documents.composed[:] = saved[2]


def big_models(n: int, tag: str = "") -> str:
    return "models:\n" + "".join(
        f"  M{tag}{i}:\n    fields:\n      name: {{type: string}}\n      n: {{type: int}}\n"
        for i in range(n)
    )


def test_only_a_worker_notes_what_it_composed() -> None:
    assert Documents.note_composed is False
    Documents().load(big_models(800), "models.yaml", Diagnostics())
    assert Documents.composed == []


def test_a_shared_document_is_composed_once(shared_documents: None) -> None:
    text = big_models(800)
    assert len(text) >= Documents.SHARE_MIN_CHARS
    Documents.share("shared/spec/models.yaml", text)
    root = Documents.shared[("shared/spec/models.yaml", text)][0]
    diags = Diagnostics()
    assert Documents().load(text, "shared/spec/models.yaml", diags) is root
    assert diags.errors == []
    assert Documents.composed == []  # found shared, not composed again
    # The same text under another name is another document (its locations name the file).
    assert Documents().load(text, "other.yaml", Diagnostics()) is not root
    assert Documents.composed == [("other.yaml", text)]


def test_only_large_clean_documents_are_shared(shared_documents: None) -> None:
    small = "models: {}\n"
    broken = big_models(800) + "  bad: [\n"
    for file, text in [("a.yaml", small), ("b.yaml", broken)]:
        Documents.share(file, text)
        Documents().load(text, file, Diagnostics())
    assert Documents.shared == {}
    assert Documents.composed == []


def test_the_shared_documents_are_bounded(
    shared_documents: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Documents, "SHARE_TOTAL_NODES", 20_000)
    texts = [big_models(700, tag=str(k)) for k in range(6)]  # 8,400 nodes each
    for k, text in enumerate(texts):
        assert Documents.share(f"m{k}.yaml", text) is True
    kept = [file for file, _ in Documents.shared]
    assert kept == ["m4.yaml", "m5.yaml"]  # the newest that fit
    assert sum(Documents._shared_nodes.values()) <= Documents.SHARE_TOTAL_NODES


def test_a_document_of_too_many_nodes_is_not_shared(
    shared_documents: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Documents, "SHARE_MAX_NODES", 5_000)
    dense = "x: [" + ",".join(["1"] * 20_000) + "]\n"  # 40 KB, 20,000 nodes
    assert Documents.share("dense.yaml", dense) is False
    Documents().load(dense, "dense.yaml", Diagnostics())  # a worker composes it ...
    assert Documents.shared == {}
    assert Documents.composed == []  # ... and does not report it


def test_a_report_is_composed_only_so_far(shared_documents: None) -> None:
    report = [[f"m{k}.yaml", big_models(800, tag=str(k))] for k in range(5)]
    daemon._share(json.dumps(report).encode("ascii"))
    assert [file for file, _ in Documents.shared] == ["m0.yaml", "m1.yaml"]


def test_suggestions_do_not_depend_on_what_was_shared(
    shared_documents: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A run spends one suggestion budget; composing a document (or finding it composed)
    neither spends nor renews it, so the same specs get the same hints either way."""
    root = tmp_path / "repo"
    files = {
        # Enough misspelled service types to spend the run's budget ...
        "services.yml": "services:\n  - {name: shop, type: python-fastapi, description: Sells.}\n"
        + "".join(
            f"  - {{name: s{i}, type: python-fastapx, description: X.}}\n" for i in range(1200)
        ),
        "shared/spec/models.yaml": big_models(800),
        # ... before this misspelled model, in a file large enough to be shared.
        "services/shop/spec/items.yaml": (
            "domain: items\noperations:\n  get_item:\n    output: M77x\n"
            "    params: [{name: item_id, type: int}]\n"
            '    rest: {method: GET, path: "/{item_id}"}\n' + "# padding\n" * 4000
        ),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    args = ["check", "--root", str(root), *sorted(files)]
    cli_main(args)
    composed = capsys.readouterr().out
    for rel in ("shared/spec/models.yaml", "services/shop/spec/items.yaml"):
        assert Documents.share(rel, files[rel])
    cli_main(args)
    assert capsys.readouterr().out == composed
    assert "unknown type 'M77x'" in composed


@pytest.mark.parametrize(
    "report",
    [b"", b"\xff", b"{}", b'"x"', b"[[1, 2]]", b'[["a.yaml"]]', b'[["a.yaml", "x", "y"]]'],
)
def test_a_bad_report_shares_nothing(report: bytes, shared_documents: None) -> None:
    daemon._share(report)
    assert Documents.shared == {}
