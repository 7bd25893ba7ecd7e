"""The OpenAPI 3.1 and AsyncAPI 3.0 documents of every Python service, as `pants package` builds
them: valid by the official validators, carrying the spec's descriptions and declared errors, and
the same bytes whatever the environment they were built in."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.api_docs.documents import asyncapi_errors, link_problems

PYTHON_TYPES = ("python-fastapi", "python-faststream")


def python_services() -> list[str]:
    registry = yaml.safe_load(Path("services.yml").read_text())
    return [s["name"] for s in registry["services"] if s["type"] in PYTHON_TYPES]


def packaged(service: str, name: str) -> dict[str, Any]:
    """A document from `pants package services/<service>:api-docs` (this test's runtime package)."""
    document: dict[str, Any] = json.loads(Path(f"services.{service}/api-docs/{name}").read_text())
    return document


SERVICES = python_services()


def test_every_python_service_has_its_documents() -> None:
    assert SERVICES == ["backend", "notifications", "tg_bot"]
    for service in SERVICES:
        assert packaged(service, "openapi.json")["openapi"] == "3.1.0"
        assert packaged(service, "asyncapi.json")["asyncapi"] == "3.0.0"


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_validates(service: str) -> None:
    validate(packaged(service, "openapi.json"))


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_validates_against_the_official_schema(service: str) -> None:
    assert asyncapi_errors(packaged(service, "asyncapi.json")) == []


@pytest.mark.parametrize("service", SERVICES)
def test_links_can_be_followed(service: str) -> None:
    assert link_problems(packaged(service, "openapi.json")) == []


def test_the_validators_reject_broken_documents() -> None:
    """Neither check passes everything: each rejects a document one edit away from a valid one."""
    openapi = copy.deepcopy(packaged("backend", "openapi.json"))
    openapi["paths"]["/users/{user_id}"]["get"]["parameters"][0]["in"] = "body"
    with pytest.raises(OpenAPIValidationError):
        validate(openapi)
    asyncapi = copy.deepcopy(packaged("backend", "asyncapi.json"))
    operation = next(iter(asyncapi["operations"].values()))
    operation["action"] = "publish"  # AsyncAPI 2's verb: 3.0 has send and receive
    assert asyncapi_errors(asyncapi), "the AsyncAPI schema accepted the action `publish`"
    links = copy.deepcopy(packaged("backend", "openapi.json"))
    create = links["paths"]["/users"]["post"]["responses"]["201"]["links"]
    create["get_user"]["parameters"] = {"user_id": "$response.body#/email"}  # not required
    create["delete_user"]["operationId"] = "remove_user"
    assert link_problems(links) == [
        "create_user 201 link get_user: the answer has no required field email",
        "create_user 201 link delete_user: no operation remove_user",
    ]


def test_openapi_carries_descriptions_and_declared_errors() -> None:
    doc = packaged("backend", "openapi.json")
    create = doc["paths"]["/users"]["post"]
    assert create["summary"] == "Register a user."
    assert create["operationId"] == "create_user"
    assert set(create["responses"]) == {"201", "400", "409", "422"}
    assert create["responses"]["201"]["links"]["get_user"] == {
        "operationId": "get_user",
        "parameters": {"user_id": "$response.body#/id"},
    }
    assert create["responses"]["409"] == {
        "description": "e-mail or Telegram account already registered",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    get_user = doc["paths"]["/users/{user_id}"]["get"]
    assert get_user["responses"]["404"]["description"] == "no such user"
    user_id = get_user["parameters"][0]
    assert (user_id["name"], user_id["in"], user_id["required"]) == ("user_id", "path", True)
    assert user_id["schema"]["minimum"] == 1
    # The spec's examples, for fields and params.
    prefix = next(
        p for p in doc["paths"]["/users"]["get"]["parameters"] if p["name"] == "name_prefix"
    )
    assert prefix["schema"]["examples"] == ["Ad"]
    schemas = doc["components"]["schemas"]
    assert schemas["UserCreate"]["properties"]["name"]["examples"] == ["Ada Lovelace"]
    assert schemas["UserCreate"]["properties"]["email"]["examples"] == ["ada@example.com"]
    assert schemas["UserRead"]["description"] == "A registered user."
    assert schemas["UserRead"]["properties"]["id"]["description"] == "Assigned by backend."
    assert schemas["Role"]["enum"] == ["admin", "member", "guest"]


def _operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (op["action"], doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"])
        for op in doc["operations"].values()
    }


def test_asyncapi_lists_what_each_service_publishes_and_subscribes() -> None:
    backend = packaged("backend", "asyncapi.json")
    assert _operations(backend) == {("send", "users.registered")}
    (channel,) = backend["channels"].values()
    assert channel["description"] == "A user was created."
    (message,) = backend["components"]["messages"].values()
    assert message["payload"] == {"$ref": "#/components/schemas/UserRead"}
    assert backend["components"]["schemas"]["UserRead"]["required"] == ["id", "name", "created_at"]
    notifications = packaged("notifications", "asyncapi.json")
    # One receive per consumer group: the reclaiming subscriber is not a second channel.
    assert _operations(notifications) == {("receive", "users.registered")}
    (channel,) = notifications["channels"].values()
    assert channel["description"] == "A user was created."
    assert channel["bindings"]["redis"]["groupName"] == "notifications"
    assert _operations(packaged("tg_bot", "asyncapi.json")) == {("receive", "chat.commands")}


def test_documents_do_not_depend_on_the_environment(tmp_path: Path) -> None:
    """Extracted again in processes with another broker URL, consumer name and working
    directory, the documents are the packaged bytes."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(os.path.abspath(p) for p in sys.path if p),
        "REDIS_URL": "redis://elsewhere.invalid:6380/3",
        "EVENTS_CONSUMER": "somebody-else-1234",
    }
    for service in SERVICES:
        out = tmp_path / service
        subprocess.run(
            [sys.executable, "-m", "specforge_docs.extract", service, str(out)],
            env=env,
            cwd=tmp_path,
            check=True,
        )
        for name in ("openapi.json", "asyncapi.json"):
            assert (out / name).read_bytes() == Path(
                f"services.{service}/api-docs/{name}"
            ).read_bytes()
