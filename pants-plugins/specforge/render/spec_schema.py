"""JSON Schemas (draft-07, what yaml-language-server validates) of the spec files, rendered from
the readers' own shapes (`specforge.frontend.shapes`): one document per kind of spec file.

They give editors completion, hover text and validation of keys and value types. The engine
stays the authority: names, cross-references and semantics are checked by `specforge check`,
with located errors.
"""

from __future__ import annotations

import json
from typing import Any

from specforge.frontend import shapes
from specforge.frontend.shapes import FILE_SHAPES, SHAPES, Shape

DRAFT = "http://json-schema.org/draft-07/schema#"
# Where the documents live in a repo, and the file name of each kind's.
SCHEMA_DIR = "shared/schemas"


def schema_file(kind: str) -> str:
    return f"{SCHEMA_DIR}/{kind}.schema.json"


def value_schema(value: shapes.Value) -> dict[str, Any]:
    match value:
        case shapes.Text(number=number, pattern=pattern, boolean=boolean):
            types = ["string", *(["number"] if number else []), *(["boolean"] if boolean else [])]
            out: dict[str, Any] = {"type": types if len(types) > 1 else "string"}
            if pattern is not None:
                out["pattern"] = pattern
            return out
        case shapes.Choice(values=values):
            return {"enum": list(values)}
        case shapes.Boolean():
            return {"type": "boolean"}
        case shapes.Integer(minimum=minimum, maximum=maximum):
            out = {"type": "integer"}
            if minimum is not None:
                out["minimum"] = minimum
            if maximum is not None:
                out["maximum"] = maximum
            return out
        case shapes.Number():
            return {"type": "number"}
        case shapes.Anything(list_only=list_only):
            return {"type": "array", "minItems": 1} if list_only else {}
        case shapes.ListOf(item=item, min_items=min_items):
            out = {"type": "array", "items": value_schema(item)}
            if min_items:
                out["minItems"] = min_items
            return out
        case shapes.MapOf(value=inner, key_pattern=key_pattern):
            out = {"type": "object", "additionalProperties": value_schema(inner)}
            if key_pattern is not None:
                out["propertyNames"] = {"pattern": key_pattern}
            return out
        case shapes.OneOf(options=options):
            return {"anyOf": [value_schema(o) for o in options]}
        case shapes.Ref(shape=name):
            return {"$ref": f"#/definitions/{name}"}
    raise AssertionError(f"unknown value description {value!r}")


def shape_schema(shape: Shape) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for key in shape.keys:
        schema = value_schema(key.value)
        # Next to `$ref`, draft-07 ignores other keywords: the shape carries its own text.
        properties[key.name] = schema if "$ref" in schema else {"description": key.doc, **schema}
    out: dict[str, Any] = {
        "type": "object",
        "description": shape.doc,
        "properties": properties,
        "additionalProperties": False,
    }
    required = [k.name for k in shape.keys if k.required or k.also_required]
    if required:
        out["required"] = required
    return out


def referenced(value: shapes.Value) -> list[str]:
    match value:
        case shapes.Ref(shape=name):
            return [name]
        case shapes.ListOf(item=item):
            return referenced(item)
        case shapes.MapOf(value=inner):
            return referenced(inner)
        case shapes.OneOf(options=options):
            return [name for o in options for name in referenced(o)]
    return []


def reachable(top: str) -> list[str]:
    """The shapes a file's top shape reaches, in first-reached order."""
    order: list[str] = []
    pending = [top]
    while pending:
        name = pending.pop(0)
        if name in order:
            continue
        order.append(name)
        for key in SHAPES[name].keys:
            pending.extend(referenced(key.value))
    return order


def spec_schema(kind: str) -> dict[str, Any]:
    top = FILE_SHAPES[kind]
    names = reachable(top)
    document: dict[str, Any] = {
        "$schema": DRAFT,
        "title": f"specforge {kind} spec",
        **shape_schema(SHAPES[top]),
    }
    others = [n for n in names if n != top]
    if others:
        document["definitions"] = {n: shape_schema(SHAPES[n]) for n in others}
    return document


def render_spec_schemas() -> dict[str, str]:
    """Every kind's document, by its path in a repo."""
    return {
        schema_file(kind): json.dumps(spec_schema(kind), indent=2) + "\n" for kind in FILE_SHAPES
    }
