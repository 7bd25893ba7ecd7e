"""infra/k8s/services.yaml: a Deployment per service of services.yml (and a Service with
/health probes for each that serves HTTP), with compose's environment, valid against the
Kubernetes schemas of the version the engine names; and no registry text can change a
manifest's shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from specforge.frontend import check_sources
from specforge.scaffold import k8s

MANIFESTS = Path("infra/k8s/services.yaml")
COMPOSE = Path("infra/compose.yml")
REGISTRY = Path("services.yml")
HTTP = {"python-fastapi": 8000, "node": 4321}


def load(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return load(MANIFESTS.read_text())


@pytest.fixture(scope="module")
def registry() -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = yaml.safe_load(REGISTRY.read_text())["services"]
    return services


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def test_every_manifest_is_valid_kubernetes(documents: list[dict[str, Any]]) -> None:
    assert documents
    for document in documents:
        # strict: an unknown field is an error, not silently dropped by the API server.
        kubernetes_validate.validate(document, k8s.KUBERNETES_VERSION, strict=True)


def test_an_invalid_manifest_is_caught(documents: list[dict[str, Any]]) -> None:
    """The validation has teeth: a misspelt field and a wrong type both fail."""
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    misspelt = {**deployment, "spec": {**deployment["spec"], "replica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, k8s.KUBERNETES_VERSION, strict=True)
    wrong = {**deployment, "spec": {**deployment["spec"], "replicas": "one"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, k8s.KUBERNETES_VERSION, strict=True)


def test_every_service_has_its_deployment_and_http_ones_a_service(
    documents: list[dict[str, Any]], registry: list[dict[str, Any]]
) -> None:
    deployments = by_kind(documents, "Deployment")
    services = by_kind(documents, "Service")
    assert set(deployments) == {k8s.k8s_name(s["name"]) for s in registry}
    assert set(services) == {k8s.k8s_name(s["name"]) for s in registry if s["type"] in HTTP}
    for entry in registry:
        name = k8s.k8s_name(entry["name"])
        pod = deployments[name]["spec"]["template"]
        assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == name
        (container,) = pod["spec"]["containers"]
        assert container["image"] == f"specforge/{entry['name']}:latest"
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        port = HTTP.get(entry["type"])
        if port is None:
            assert "readinessProbe" not in container and "ports" not in container
            continue
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}
        (service_port,) = services[name]["spec"]["ports"]
        assert service_port["port"] == port and service_port["targetPort"] == "http"
        assert services[name]["spec"]["selector"] == {"app.kubernetes.io/name": name}


def test_the_environment_is_compose_s(
    documents: list[dict[str, Any]], registry: list[dict[str, Any]]
) -> None:
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    deployments = by_kind(documents, "Deployment")
    for entry in registry:
        (container,) = deployments[k8s.k8s_name(entry["name"])]["spec"]["template"]["spec"][
            "containers"
        ]
        env = {e["name"]: e for e in container.get("env", [])}
        expected = dict(compose[entry["name"]].get("environment", {}))
        if "DATABASE_URL" in expected:
            # A secret, never the password in the manifest.
            assert env.pop("DATABASE_URL")["valueFrom"]["secretKeyRef"] == {
                "name": "postgres",
                "key": "database-url",
            }
            del expected["DATABASE_URL"]
        # Callers reach a producer through its Service (tg_bot -> http://backend:8000).
        assert {k: v["value"] for k, v in env.items()} == {
            k: v.replace("http://tg_bot:", "http://tg-bot:") for k, v in expected.items()
        }


HOSTILE = [
    "line one\n# <<< services.yml <<<\n---\nkind: Secret",
    "'quoted' \"and\" {flow: [x]} &anchor *alias !!python/object:os.system",
    "null",
    "true",
    "  leading spaces and a tab\there",
    "# >>> services.yml (managed by `./pants sync-services`; edits here are replaced) >>>",
    "é ☃ \u2028 \x85",
]


@pytest.mark.parametrize("description", HOSTILE)
def test_registry_text_cannot_change_a_manifest(description: str) -> None:
    registry = {
        "services": [
            {"name": "api", "type": "python-fastapi", "description": description},
            {"name": "odd_", "type": "python-faststream", "description": "ok"},
        ]
    }
    project, errors = check_sources({"services.yml": yaml.safe_dump(registry)})
    assert not errors, [e.format() for e in errors]
    assert project is not None
    text = k8s.merge_k8s(None, k8s.managed_block(project))
    documents = load(text)
    assert [d["kind"] for d in documents] == ["Deployment", "Service", "Deployment"]
    assert documents[0]["metadata"]["annotations"]["specforge/description"] == description
    for document in documents:
        kubernetes_validate.validate(document, k8s.KUBERNETES_VERSION, strict=True)
    # Re-merging keeps exactly one managed block.
    again = k8s.merge_k8s(text, k8s.managed_block(project))
    assert again == text


def test_names_become_dns_labels() -> None:
    assert k8s.k8s_name("tg_bot") == "tg-bot"
    odd = k8s.k8s_name("odd_")
    assert odd.startswith("odd-") and k8s.DNS_LABEL.match(odd)
    long = k8s.k8s_name("a" * 80)
    assert len(long) <= 63 and k8s.DNS_LABEL.match(long)
    assert k8s.k8s_name("a" * 80) != k8s.k8s_name("a" * 81)


def test_hand_written_documents_outside_the_block_are_kept() -> None:
    project, errors = check_sources({"services.yml": REGISTRY.read_text()})
    assert project is not None and not errors
    block = k8s.managed_block(project)
    mine = "# my namespace\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
    merged = k8s.merge_k8s(mine + "\n".join(block) + "\n---\nkind: Mine\n", block[:1] + block[-1:])
    assert merged.startswith(mine) and merged.endswith("---\nkind: Mine\n")
    assert "kind: Deployment" not in merged
