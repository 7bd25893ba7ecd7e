"""Real processes for the cross-service tests: backend under uvicorn, notifications and tg_bot
as FastStream workers, against the machine's Redis and PostgreSQL.

A service these tests need and cannot reach fails them under CI=true, and skips them elsewhere
with a message saying how to start it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

REDIS = ("127.0.0.1", 6379)
POSTGRES = ("127.0.0.1", 5432)
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def require(address: tuple[str, int], what: str, how: str) -> None:
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not reachable on {address[0]}:{address[1]} (CI=true)")
        pytest.skip(f"no {what} on {address[0]}:{address[1]}: {how}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Process:
    """A service started as `python -c <code>`, with its output kept in a log file."""

    def __init__(self, name: str, code: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.code = code
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", self.code],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(15)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.output()}")
            try:
                if httpx2.get(url, timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not answer {url}:\n{self.output()}")

    def wait_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc is not None
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {text!r} in its output:\n{self.output()}")
            time.sleep(0.1)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for p in started:
        p.kill()


BACKEND = "from backend.main import main; main()"
NOTIFICATIONS = "from notifications.main import main; main()"
TG_BOT = "from tg_bot.main import main; main()"
