"""infra/compose.yml describes the whole system of services.yml, and is valid compose."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

COMPOSE = Path("infra/compose.yml")
REGISTRY = Path("services.yml")
INFRA = {"redis", "postgres"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


@pytest.fixture(scope="module")
def registry() -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = yaml.safe_load(REGISTRY.read_text())["services"]
    return services


def test_every_registered_service_is_in_compose(
    compose: dict[str, Any], registry: list[dict[str, Any]]
) -> None:
    services = compose["services"]
    assert set(services) == {s["name"] for s in registry} | INFRA
    for entry in registry:
        block = services[entry["name"]]
        if entry["type"] == "default":
            assert block["build"] == f"../services/{entry['name']}"
        else:
            assert block["image"] == f"specforge/{entry['name']}:latest"
        for dep, condition in (entry.get("depends_on") or {}).items():
            assert block["depends_on"][dep] == {"condition": condition}
        assert block.get("profiles", []) == (entry.get("profiles") or [])
        if entry["type"].startswith("python-"):
            assert block["environment"]["REDIS_URL"] == "redis://redis:6379"


def test_references_resolve_and_ports_do_not_clash(compose: dict[str, Any]) -> None:
    services = compose["services"]
    host_ports: list[str] = []
    for name, block in services.items():
        for dep in block.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"
        for value in (block.get("environment") or {}).values():
            if isinstance(value, str) and value.startswith(
                ("http://", "redis://", "postgresql://")
            ):
                host = value.split("://", 1)[1].split("@")[-1].split(":")[0].split("/")[0]
                assert host in services, f"{name} points at unknown host {host}"
        host_ports += [p.split(":")[0] for p in block.get("ports", [])]
    assert len(host_ports) == len(set(host_ports))
    assert services["tg_bot"]["environment"]["BACKEND_URL"] == "http://backend:8000"
    assert services["backend"]["environment"]["DATABASE_URL"].startswith("postgresql://")


def test_docker_compose_accepts_it() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker command; the structural checks above still ran")
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed; the structural checks above ran")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
