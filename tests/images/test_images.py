"""Each service's image, built from its Dockerfile around the pex Pants builds, runs as a
non-root user and does its job: backend answers HTTP on a loopback port, the notifications
worker consumes events from the host's Redis, the node frontend answers /health.

`./pants package ::` builds the same images with Pants' docker backend (CI runs it too).
Without a Docker engine these tests skip, except under CI=true, where they fail:
`infra/docker/ensure-engine.sh` starts one.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
import redis

from shared.generated.events import make_broker, publish_user_registered
from shared.generated.schemas import UserRead

SERVICES = {"backend": "python", "notifications": "python", "tg_bot": "python", "frontend": "node"}
REDIS_DB = 12
RUN_ID = uuid.uuid4().hex[:8]


def docker(
    *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


@pytest.fixture(scope="module")
def engine() -> None:
    problem = None
    if shutil.which("docker") is None:
        problem = "no `docker` command on PATH"
    elif docker("version", check=False, timeout=20).returncode != 0:
        problem = "no Docker engine answers"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem} (CI=true): run infra/docker/ensure-engine.sh first")
        pytest.skip(f"{problem}: start one with `sudo infra/docker/ensure-engine.sh`")


@pytest.fixture(scope="module")
def images(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Build every service image the way the docker_image targets do: the Dockerfile with a
    context holding the service's pex (python) or its files (node)."""
    built: dict[str, str] = {}
    sandbox = Path.cwd()
    for name, kind in SERVICES.items():
        context = tmp_path_factory.mktemp(f"context-{name}")
        if kind == "python":
            pex = f"services.{name}/{name}.pex"
            (context / pex).parent.mkdir(parents=True)
            shutil.copy(sandbox / pex, context / pex)
        else:
            for f in ("package.json", "server.js"):
                (context / "services" / name).mkdir(parents=True, exist_ok=True)
                shutil.copy(sandbox / "services" / name / f, context / "services" / name / f)
        tag = f"specforge-test/{name}:{RUN_ID}"
        docker(
            "build",
            "--quiet",
            "-t",
            tag,
            "-f",
            str(sandbox / "services" / name / "Dockerfile"),
            str(context),
        )
        built[name] = tag
    yield built
    docker("rmi", "--force", *built.values(), check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Container:
    def __init__(self, image: str, env: dict[str, str]) -> None:
        args = ["run", "-d", "--rm", "--network", "host"]
        for k, v in env.items():
            args += ["-e", f"{k}={v}"]
        self.id = docker(*args, image).stdout.strip()

    def logs(self) -> str:
        r = docker("logs", self.id, check=False)
        return r.stdout + r.stderr

    def wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx2.get(url, timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"{url} did not answer:\n{self.logs()}")

    def stop(self) -> None:
        docker("rm", "--force", self.id, check=False)

    def assert_non_root(self) -> None:
        user = docker("inspect", "-f", "{{.Config.User}}", self.id).stdout.strip()
        assert user and user not in ("root", "0"), user
        uid = docker("exec", self.id, "id", "-u").stdout.strip()
        assert uid != "0" and int(uid) >= 1000, uid


def test_backend_container_serves_http(images: dict[str, str]) -> None:
    port = free_port()
    c = Container(
        images["backend"],
        {"HOST": "127.0.0.1", "PORT": str(port), "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        c.wait_http(f"{url}/health")
        assert httpx2.get(f"{url}/health").json() == {"status": "ok", "service": "backend"}
        created = httpx2.post(f"{url}/users", json={"name": "Ada", "email": "ada@example.com"})
        assert created.status_code == 201, created.text
        assert httpx2.get(f"{url}/users/{created.json()['id']}").json() == created.json()
        assert httpx2.get(f"{url}/docs").status_code == 200
        c.assert_non_root()
        health = docker("inspect", "-f", "{{json .Config.Healthcheck}}", c.id).stdout
        assert "/health" in health
    finally:
        c.stop()


def test_worker_container_consumes_from_the_host_redis(images: dict[str, str]) -> None:
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    r = redis.Redis.from_url(url)
    try:
        r.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    key = f"welcomes-{RUN_ID}"
    event_id = ""
    c = Container(images["notifications"], {"REDIS_URL": url, "NOTIFICATIONS_KEY": key})
    try:
        deadline = time.monotonic() + 60
        while "started" not in c.logs():
            assert time.monotonic() < deadline, c.logs()
            time.sleep(0.2)
        user = UserRead(id=77, name="Grace", created_at=datetime.now(UTC))

        async def publish() -> str:
            broker = make_broker(url)
            await broker.connect()
            event = await publish_user_registered(broker, user)
            await broker.stop()
            return event.id

        event_id = asyncio.run(publish())
        while not r.hexists(key, "77"):
            assert time.monotonic() < deadline, c.logs()
            time.sleep(0.2)
        assert json.loads(r.hget(key, "77") or b"{}") == {
            "user_id": 77,
            "text": "Welcome, Grace!",
            "event_id": event_id,
        }
        c.assert_non_root()
    finally:
        c.stop()
        r.delete(key, f"{key}:event:{event_id}")


def test_tg_bot_and_frontend_containers_start_as_non_root(images: dict[str, str]) -> None:
    port = free_port()
    bot = Container(
        images["tg_bot"],
        {"REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}", "BACKEND_URL": "http://127.0.0.1:9"},
    )
    front = Container(images["frontend"], {"HOST": "127.0.0.1", "PORT": str(port)})
    try:
        front.wait_http(f"http://127.0.0.1:{port}/health")
        assert httpx2.get(f"http://127.0.0.1:{port}/health").json()["service"] == "frontend"
        front.assert_non_root()
        bot.assert_non_root()
    finally:
        bot.stop()
        front.stop()
