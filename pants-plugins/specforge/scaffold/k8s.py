"""Kubernetes manifests from the service registry, the managed part of `infra/k8s/services.yaml`.

For each service: a Deployment of the image Pants builds (`specforge/<name>:latest`), with the
environment compose gives it (the broker, where it listens, where the services it calls
answer), and, for a service that serves HTTP, readiness and liveness probes on `/health` and a
Service in front of it. Containers run as the images' non-root user, on a read-only root
filesystem with a writable `/tmp`, without privilege escalation or capabilities.

Every document is built as data and written by a YAML emitter, so no text of the registry (a
description, say) can change a manifest's shape. Names become DNS-1123 labels (`tg_bot` is
`tg-bot`). They are validated against the Kubernetes schemas of `KUBERNETES_VERSION` in the
tests (kubernetes-validate, offline).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import yaml

from specforge import ir
from specforge.scaffold.env import http_port, needs_postgres, service_env
from specforge.scaffold.managed import joined, replace_block

KUBERNETES_VERSION = "1.35.0"
BEGIN = "# >>> services.yml (managed by `./pants sync-services`; edits here are replaced) >>>"
END = "# <<< services.yml <<<"
PART_OF = "specforge"
UID = 10001  # the `app` user of every service image (see the scaffolds' Dockerfiles)
# Where DATABASE_URL comes from for a service that depends on postgres: a Secret, never text.
POSTGRES_SECRET = ("postgres", "database-url")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

DEFAULT_K8S = """\
# The services of services.yml on Kubernetes: `kubectl apply -f infra/k8s/services.yaml`.
# They expect, in the same namespace, a Service `redis` (port 6379), and for services that
# depend on postgres a Secret `postgres` with the key `database-url`; see the README's
# "Kubernetes". Everything outside the managed block is yours to edit; `./pants sync-services`
# keeps the block in step with services.yml.
{managed}
"""


def k8s_name(service: str) -> str:
    """A DNS-1123 label for a service name: `_` becomes `-`; a name that would still not be one
    (a trailing `_`, more than 63 characters) gets a digest of the name instead of its tail."""
    name = service.replace("_", "-")
    if DNS_LABEL.match(name) and len(name) <= 63:
        return name
    digest = hashlib.sha256(service.encode()).hexdigest()[:10]
    return f"{name[:52].rstrip('-')}-{digest}"


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF}


def _probe(**timing: int) -> dict[str, Any]:
    """GET /health on the container's HTTP port (a new mapping each time: the emitter would
    otherwise write one as a YAML alias of the other)."""
    return {"httpGet": {"path": "/health", "port": "http"}, "timeoutSeconds": 3, **timing}


def _container(s: ir.ServiceEntry, env: dict[str, str], port: int | None) -> dict[str, Any]:
    variables: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in env.items()]
    if needs_postgres(s):
        secret, key = POSTGRES_SECRET
        variables.append(
            {
                "name": "DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": secret, "key": key}},
            }
        )
    container: dict[str, Any] = {
        "name": k8s_name(s.name),
        "image": f"specforge/{s.name}:latest",
        "imagePullPolicy": "IfNotPresent",
    }
    if variables:
        container["env"] = variables
    if port is not None:
        container["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        container["readinessProbe"] = _probe(periodSeconds=5, failureThreshold=3)
        container["livenessProbe"] = _probe(
            initialDelaySeconds=10, periodSeconds=10, failureThreshold=3
        )
    container["resources"] = {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    container["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    container["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    return container


def manifests(project: ir.Project) -> list[dict[str, Any]]:
    """The Deployment (and Service, for HTTP) of every registered service, in registry order."""
    assert project.registry is not None
    producers: dict[str, list[str]] = {m.service: list(m.services()) for m in project.manifests}
    out: list[dict[str, Any]] = []
    for s in project.registry.services:
        name = k8s_name(s.name)
        port = http_port(s)
        env = service_env(s, producers.get(s.name, []), k8s_name)
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": name,
                    "labels": _labels(name),
                    "annotations": {"specforge/description": s.description},
                },
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "template": {
                        "metadata": {"labels": _labels(name)},
                        "spec": {
                            "securityContext": {
                                "runAsNonRoot": True,
                                "runAsUser": UID,
                                "runAsGroup": UID,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "containers": [_container(s, env, port)],
                            "volumes": [{"name": "tmp", "emptyDir": {}}],
                        },
                    },
                },
            }
        )
        if port is not None:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": name, "labels": _labels(name)},
                    "spec": {
                        "selector": {"app.kubernetes.io/name": name},
                        # Callers use the port compose uses: http://<name>:8000.
                        "ports": [
                            {"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}
                        ],
                    },
                }
            )
    return out


def managed_block(project: ir.Project) -> list[str]:
    lines = [BEGIN]
    for document in manifests(project):
        emitted = yaml.safe_dump(
            document, sort_keys=False, default_flow_style=False, allow_unicode=False, width=10**9
        )
        body = emitted.splitlines()
        # The emitter indents every line of a value, so none can pose as a marker.
        assert BEGIN not in body and END not in body
        lines += ["---", *body]
    lines.append(END)
    return lines


def merge_k8s(current: str | None, block: list[str]) -> str:
    """`current` with its managed block replaced (or appended)."""
    managed = "\n".join(block)
    if current is None:
        return DEFAULT_K8S.format(managed=managed)
    lines = current.splitlines()
    return joined(replace_block(lines, block) or [*lines, *block])
