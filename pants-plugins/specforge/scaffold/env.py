"""What a service's container runs with, the same under compose and Kubernetes: the broker,
where it listens, and where each service it calls answers."""

from __future__ import annotations

from collections.abc import Callable

from specforge import ir

INFRA_ENV = {"redis": ("REDIS_URL", "redis://redis:6379")}


def http_port(s: ir.ServiceEntry) -> int | None:
    """The port a service serves HTTP on inside its container, if it serves HTTP."""
    if s.type is ir.ServiceType.FASTAPI:
        return 8000
    if s.type is ir.ServiceType.NODE:
        return 4321
    return None


def needs_postgres(s: ir.ServiceEntry) -> bool:
    return any(dep == "postgres" for dep, _ in s.depends_on)


def service_env(
    s: ir.ServiceEntry, producers: list[str], host: Callable[[str], str]
) -> dict[str, str]:
    """The environment of a service's container, DATABASE_URL aside (`host` names the host of a
    service it calls)."""
    env: dict[str, str] = {}
    if s.type.is_python:
        env["REDIS_URL"] = INFRA_ENV["redis"][1]
    port = http_port(s)
    if port is not None:
        env["HOST"] = "0.0.0.0"
        env["PORT"] = str(port)
    for producer in producers:
        env[f"{producer.upper()}_URL"] = f"http://{host(producer)}:8000"
    return env
