"""Hypothesis strategies for *valid* spec projects across the spec language, and valid values
for their types.

A drawn `SpecProject` holds the spec files (JSON, which is YAML) of a whole system:

- shared models: every scalar, constraints, lists, dicts, optional and nullable fields,
  defaults, examples, named and inline enums, literals, references between models, variants, and
  discriminated unions;
- shared events, published and subscribed;
- one to three producer services, FastAPI or FastStream, each with one or two domains whose
  operations cover every HTTP method, path and query params (required, optional, defaulted),
  explicit and default statuses, declared errors, and event transports: subscribe-only,
  publish_on_success, REST-only and mixed domains;
- manifests: producers that consume some operations of the ones before them, and a consumer
  service whose manifest consumes every REST operation of every producer, so that a test can
  call each route through the generated client.

Names come from a plain vocabulary, with now and then one that Python reserves (`class`,
`type`, `json`, `from`), which the engine renames and keeps on the wire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

SCALARS = ("int", "float", "bool", "string", "decimal", "date", "datetime", "uuid", "bytes")
PARAM_SCALARS = ("int", "float", "bool", "string", "decimal", "date", "datetime", "uuid")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429, 500, 503)
# Field and param names: plain ones, and some that Python or the generated code reserve.
NAMES = ("name", "count", "size", "label", "note", "when", "ref", "amount", "flag", "items")
RESERVED = ("class", "type", "json", "from", "id", "schema", "self", "payload", "str")


@dataclass(frozen=True)
class Scope:
    """What a type can refer to: enum name -> values, model name -> its fields (wire name ->
    field spec), literal union members' discriminators."""

    enums: dict[str, list[str]]
    models: dict[str, dict[str, Any]]


@dataclass
class SpecProject:
    files: dict[str, str]
    services: list[str]  # the producers, in registry order
    consumer: str
    scope: Scope  # the shared enums and models, variants included
    spec: dict[str, Any] = field(default_factory=dict)  # path -> the document


# -- types and values -------------------------------------------------------------------------


def field_spec(
    draw: st.DrawFn, scope: Scope, *, allow_models: bool, depth: int = 0
) -> dict[str, Any]:
    kinds = ["scalar", "scalar", "scalar", "enum", "inline", "list", "dict"]
    if allow_models and scope.models:
        kinds.append("model")
    kind = draw(st.sampled_from(kinds))
    spec: dict[str, Any]
    if kind == "scalar":
        spec = scalar_spec(draw, draw(st.sampled_from(SCALARS)))
    elif kind == "enum" and scope.enums:
        spec = {"type": draw(st.sampled_from(sorted(scope.enums)))}
    elif kind in ("enum", "inline"):
        spec = {"type": "enum", "values": draw(enum_values())}
    elif kind == "model":
        spec = {"type": draw(st.sampled_from(sorted(scope.models)))}
    else:
        item = draw(
            st.sampled_from([*SCALARS[:4], *sorted(scope.enums)[:1], *sorted(scope.models)[:2]])
        )
        spec = {"type": f"list[{item}]" if kind == "list" else f"dict[string, {item}]"}
        if kind == "list" and draw(st.booleans()):
            spec.update(min_items=0, max_items=draw(st.integers(1, 5)))
    presence = draw(st.sampled_from(["required"] * 4 + ["optional"] * 2 + ["nullable", "default"]))
    if presence == "default" and kind in ("scalar", "enum", "inline", "list"):
        spec["default"] = [] if kind == "list" else valid_value(spec, scope)
    elif presence in ("optional", "nullable"):
        spec[presence] = True
    if draw(st.booleans()):
        spec["description"] = draw(st.sampled_from(["A value.", 'Said "twice".', "x = y"]))
    if draw(st.integers(0, 9)) == 0:
        spec["deprecated"] = True
    if kind in ("scalar", "enum", "inline") and draw(st.integers(0, 4)) == 0:
        spec["examples"] = [valid_value(spec, scope)]
    return spec


def scalar_spec(draw: st.DrawFn, scalar: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": scalar}
    bounds = draw(st.integers(0, 3)) if scalar in ("int", "float", "decimal") else 0
    low = draw(st.integers(-5, 5))
    if bounds == 1:
        spec.update(ge=low, le=low + draw(st.integers(0, 50)))
    elif bounds == 2:
        spec.update(gt=low, lt=low + draw(st.integers(2, 50)))
    elif bounds == 3:
        spec.update(gt=low)
    elif scalar == "string":
        choice = draw(st.integers(0, 4))
        if choice == 1:
            spec.update(min_length=1, max_length=draw(st.integers(3, 40)))
        elif choice == 2:
            spec["pattern"] = "^[a-z]+$"
        elif choice == 3:
            spec["format"] = draw(st.sampled_from(["email", "uri"]))
    return spec


def enum_values() -> st.SearchStrategy[list[str]]:
    return st.lists(
        st.sampled_from(["red", "green", "blue", "name", "value", "class", "count"]),
        min_size=1,
        max_size=4,
        unique=True,
    )


def valid_value(spec: dict[str, Any], scope: Scope, depth: int = 0) -> Any:
    """A JSON value that the field spec accepts (optional fields are given one too)."""
    t = spec["type"]
    if t == "enum":
        return spec["values"][0]
    if t.startswith("list["):
        item = {"type": t[5:-1]}
        return [valid_value(item, scope, depth + 1)] if depth < 3 else []
    if t.startswith("dict["):
        value = {"type": t[len("dict[string, ") : -1]}
        return {"k": valid_value(value, scope, depth + 1)} if depth < 3 else {}
    if t.startswith("literal["):
        return t[len("literal[") : -1]
    if t in scope.enums:
        return scope.enums[t][0]
    if t in scope.models:
        return model_value(t, scope, depth + 1)
    return scalar_value(spec)


def scalar_value(spec: dict[str, Any]) -> Any:
    t = spec["type"]
    if t in ("int", "float", "decimal"):
        value = spec["ge"] if "ge" in spec else spec["gt"] + 1 if "gt" in spec else 1
        return value if t == "int" else (float(value) if t == "float" else str(value))
    if t == "bool":
        return True
    if t in ("string", "str"):
        if spec.get("format") == "email":
            return "ada@example.com"
        if spec.get("format") == "uri":
            return "https://example.com/x"
        return "abc"
    return {
        "date": "2024-01-02",
        "datetime": "2024-01-02T03:04:05Z",
        "uuid": "12345678-1234-5678-1234-567812345678",
        "bytes": "abc",
    }[t]


def model_value(name: str, scope: Scope, depth: int = 0) -> dict[str, Any]:
    model = scope.models[name]
    if "union" in model:
        return model_value(model["union"][0], scope, depth)
    # Deep down, optional fields are left out and nullable ones are null, so that values of
    # recursive models end.
    return {
        fname: None if depth > 2 and fspec.get("nullable") else valid_value(fspec, scope, depth)
        for fname, fspec in model["fields"].items()
        if not (depth > 2 and fspec.get("optional"))
    }


def variant_fields(base: dict[str, Any], variant: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The fields of `<Base><Variant>` (as the spec language defines variants)."""
    fields = {}
    for name, f in base["fields"].items():
        if name in spec.get("exclude", ()):
            continue
        if variant in ("Create", "Update") and f.get("readonly"):
            continue
        f = dict(f)
        if name in spec.get("optional", ()):
            f["optional"] = True
            f.pop("nullable", None)
        fields[name] = f
    return {"fields": fields}


# -- the project ------------------------------------------------------------------------------


@st.composite
def shared_models(draw: st.DrawFn) -> tuple[dict[str, Any], Scope]:
    enums = {f"Color{i}": draw(enum_values()) for i in range(draw(st.integers(0, 2)))}
    scope = Scope(enums, {})
    models: dict[str, Any] = {}
    for i in range(draw(st.integers(1, 4))):
        name = f"Thing{i}"
        names = draw(
            st.lists(st.sampled_from([*NAMES, *RESERVED[:4]]), min_size=1, max_size=5, unique=True)
        )
        fields = {n: field_spec(draw, scope, allow_models=True) for n in names}
        if draw(st.booleans()):
            fields["key"] = {"type": "int", "readonly": True}
        if draw(st.integers(0, 3)) == 0:
            fields["created"] = {"type": "datetime", "readonly": True, "optional": True}
        model: dict[str, Any] = {"fields": fields}
        if draw(st.booleans()):
            model["description"] = "A thing."
        variants: dict[str, Any] = {}
        if draw(st.booleans()):
            variants["Create"] = {}
        if draw(st.booleans()):
            variants["Update"] = {"optional": names[:1]}
        if draw(st.booleans()):
            variants["Summary"] = {"exclude": names[1:2]}
        if draw(st.integers(0, 3)) == 0:
            variants["Read"] = {}
        if variants:
            model["variants"] = variants
        models[name] = model
        scope.models[name] = model
        for variant, vspec in variants.items():
            scope.models[name + variant] = variant_fields(model, variant, vspec)
    if draw(st.booleans()):
        kinds = ["cat", "dog"]
        for kind in kinds:
            member = {"fields": {"kind": {"type": f"literal[{kind}]"}, "size": {"type": "int"}}}
            models[f"Pet{kind.title()}"] = member
            scope.models[f"Pet{kind.title()}"] = member
        union = {"union": ["PetCat", "PetDog"], "discriminator": "kind"}
        models["Pet"] = union
        scope.models["Pet"] = union
    return {"enums": {k: {"values": v} for k, v in enums.items()}, "models": models}, scope


@st.composite
def params(draw: st.DrawFn, scope: Scope, path_names: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in path_names:
        out.append({"name": name, "type": draw(param_type(scope))})
    query_names = draw(
        st.lists(
            st.sampled_from([n for n in (*NAMES, *RESERVED) if n not in path_names]),
            max_size=3,
            unique=True,
        )
    )
    for name in query_names:
        p: dict[str, Any] = {"name": name, "type": draw(param_type(scope)), "source": "query"}
        if p["type"] in ("int", "float", "decimal") and draw(st.booleans()):
            p.update(ge=0, le=100)
        elif p["type"] in ("string", "str") and draw(st.booleans()):
            p.update(min_length=1, max_length=10)
        mode = draw(st.sampled_from(["required", "optional", "default"]))
        if mode == "optional":
            p["required"] = False
        elif mode == "default":
            p["default"] = valid_value({"type": p["type"]}, scope)
        if draw(st.integers(0, 4)) == 0:
            p["examples"] = [valid_value(p, scope)]
        out.append(p)
    return out


def param_type(scope: Scope) -> st.SearchStrategy[str]:
    # `str` is the seed's spelling of `string`.
    return st.sampled_from([*PARAM_SCALARS, "str", *sorted(scope.enums)])


@st.composite
def domain(
    draw: st.DrawFn,
    name: str,
    scope: Scope,
    events: dict[str, Any],
    taken_routes: set[tuple[str, str]],
    taken_ops: set[str],
) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    style = draw(st.sampled_from(["rest", "events", "subscribe", "publish", "mixed"]))
    count = draw(st.integers(1, 4))
    model_names = sorted(scope.models)
    for i in range(count):
        op_name = f"{name}_op{i}"
        if op_name in taken_ops:
            continue
        taken_ops.add(op_name)
        subscribable = [e for e, spec in events.items() if spec.get("subscribe")]
        if style in ("events", "subscribe") or (style == "mixed" and i == 0):
            if subscribable:
                event = draw(st.sampled_from(subscribable))
                operations[op_name] = {
                    "input": events[event]["message"],
                    "events": {"subscribe": event},
                }
                continue
        method = draw(st.sampled_from(METHODS))
        path_names = draw(
            st.lists(st.sampled_from(["item_id", "key", "class"]), max_size=2, unique=True)
        )
        path = f"/r{i}" + "".join(f"/{{{p}}}" for p in path_names)
        if (method, f"/{name}{path}") in taken_routes:
            continue
        taken_routes.add((method, f"/{name}{path}"))
        op: dict[str, Any] = {"rest": {"method": method, "path": path}}
        if draw(st.booleans()):
            op["summary"] = draw(st.sampled_from(["Do it.", 'Fetch "one".', "A { brace"]))
        op_params = draw(params(scope, path_names))
        if op_params:
            op["params"] = op_params
        if method != "GET" and model_names and draw(st.booleans()):
            op["input"] = draw(
                st.sampled_from(
                    [m for m in model_names if "union" not in scope.models[m]] or model_names
                )
            )
        publishable = [e for e, spec in events.items() if spec.get("publish")]
        if style in ("publish", "mixed") and publishable and draw(st.booleans()):
            event = draw(st.sampled_from(publishable))
            op["output"] = events[event]["message"]
            op["events"] = {"publish_on_success": event}
            if method == "DELETE":
                op["rest"]["status"] = 200
        elif method == "DELETE" and draw(st.booleans()):
            pass  # 204, no output
        else:
            outputs = ["int", "string", "bool", "list[string]", *model_names]
            outputs += [f"list[{m}]" for m in model_names[:1]]
            op["output"] = draw(st.sampled_from(outputs))
            if method == "DELETE":
                op["rest"]["status"] = 200
            elif draw(st.integers(0, 3)) == 0:
                op["rest"]["status"] = draw(st.sampled_from([200, 201, 202]))
        if draw(st.booleans()):
            statuses = draw(
                st.lists(st.sampled_from(ERROR_STATUSES), min_size=1, max_size=2, unique=True)
            )
            op["errors"] = [{"status": s, "description": f"error {s}"} for s in statuses]
        operations[op_name] = op
    if not operations:  # every draw collided: one plain route
        operations[f"{name}_ping"] = {"output": "int", "rest": {"method": "GET", "path": "/ping"}}
        taken_ops.add(f"{name}_ping")
    return {"domain": name, "config": {"rest": {"prefix": f"/{name}"}}, "operations": operations}


@st.composite
def spec_projects(draw: st.DrawFn) -> SpecProject:
    models, scope = draw(shared_models())
    messages = [m for m in sorted(scope.models) if "union" not in scope.models[m]]
    events: dict[str, Any] = {}
    for i in range(draw(st.integers(0, 3))):
        events[f"event{i}"] = {
            "message": draw(st.sampled_from(messages)),
            "publish": draw(st.booleans()),
            "subscribe": draw(st.booleans()),
        }
        if draw(st.booleans()):
            events[f"event{i}"]["channel"] = f"things.event{i}"
    files: dict[str, str] = {"shared/spec/models.yaml": json.dumps(models, indent=1)}
    if events:
        files["shared/spec/events.yaml"] = json.dumps({"events": events}, indent=1)
    services = [f"svc{i}" for i in range(draw(st.integers(1, 3)))]
    registry = []
    consumes: list[dict[str, Any]] = []
    taken_ops: dict[str, set[str]] = {}
    shared = dict(scope.models)  # what every service sees; `scope` gains the local models too
    for service in services:
        kind = draw(st.sampled_from(["python-fastapi", "python-faststream"]))
        registry.append({"name": service, "type": kind, "description": f"{service}, drawn."})
        routes: set[tuple[str, str]] = set()
        ops = taken_ops.setdefault(service, set())
        # Now and then models of the service's own, built on the shared ones.
        local = Scope(scope.enums, dict(shared))
        if draw(st.integers(0, 2)) == 0:
            name = f"{service.title()}Local"
            fields = {n: field_spec(draw, local, allow_models=True) for n in NAMES[:3]}
            local.models[name] = {"fields": fields}
            files[f"services/{service}/spec/models.yaml"] = json.dumps(
                {"models": {name: {"fields": fields}}}, indent=1
            )
            scope.models[name] = local.models[name]  # for values; no other service names it
        for d in range(draw(st.integers(1, 2))):
            name = f"{service}_d{d}"
            doc = draw(domain(name, local, events, routes, ops))
            files[f"services/{service}/spec/{name}.yaml"] = json.dumps(doc, indent=1)
            rest = [o for o, spec in doc["operations"].items() if "rest" in spec]
            if rest:
                consumes.append({"service": service, "domain": name, "operations": rest})
    # Producers call each other too: a later one consumes some operations of earlier ones.
    for i, service in enumerate(services[1:], 1):
        earlier = [c for c in consumes if c["service"] in services[:i]]
        if not earlier or not draw(st.booleans()):
            continue
        chosen = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique_by=id))
        part = [{**c, "operations": c["operations"][: draw(st.integers(1, 3))]} for c in chosen]
        files[f"services/{service}/spec/manifest.yaml"] = json.dumps({"consumes": part}, indent=1)
    consumer = "probe"
    registry.append({"name": consumer, "type": "python-faststream", "description": "Calls all."})
    if consumes:
        files[f"services/{consumer}/spec/manifest.yaml"] = json.dumps(
            {"consumes": consumes}, indent=1
        )
    files["services.yml"] = json.dumps({"services": registry}, indent=1)
    return SpecProject(
        files,
        services,
        consumer,
        scope,
        {path: json.loads(text) for path, text in files.items()},
    )


__all__ = ["Scope", "SpecProject", "model_value", "spec_projects", "valid_value"]
