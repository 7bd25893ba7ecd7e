"""Checks of a service's API documents, shared by the tests of the example system's documents and
the generative tests (every drawn spec's documents): valid OpenAPI 3.1 (openapi-spec-validator),
valid AsyncAPI 3.0 (its official JSON Schema), and links that can be followed."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from openapi_spec_validator import validate

SCHEMA = Path(__file__).parent / "asyncapi-3.0.0.schema.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def asyncapi_validator() -> Any:
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def asyncapi_errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in asyncapi_validator().iter_errors(document)
    ]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for token in schema["$ref"].removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema


def link_problems(document: dict[str, Any]) -> list[str]:
    """What is wrong with the document's links: a target that is not an operation, a param the
    target does not have in its path, or an answer field that is not always there."""
    operations = {
        op["operationId"]: op
        for item in document.get("paths", {}).values()
        for method, op in item.items()
        if method in METHODS
    }
    problems: list[str] = []
    for source, op in operations.items():
        for status, answer in op.get("responses", {}).items():
            for name, link in answer.get("links", {}).items():
                where = f"{source} {status} link {name}"
                target = operations.get(link.get("operationId"))
                if target is None:
                    problems.append(f"{where}: no operation {link.get('operationId')}")
                    continue
                path_params = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                body = _resolve(document, answer["content"]["application/json"]["schema"])
                for param, expression in link.get("parameters", {}).items():
                    field = expression.removeprefix("$response.body#/")
                    if param not in path_params:
                        problems.append(
                            f"{where}: {target['operationId']} has no path param {param}"
                        )
                    if field not in body.get("required", ()) or field not in body.get(
                        "properties", {}
                    ):
                        problems.append(f"{where}: the answer has no required field {field}")
    return problems


def assert_valid(openapi: dict[str, Any], asyncapi: dict[str, Any]) -> None:
    validate(openapi)
    assert openapi["openapi"] == "3.1.0"
    assert asyncapi["asyncapi"] == "3.0.0"
    assert asyncapi_errors(asyncapi) == []
    assert link_problems(openapi) == []
