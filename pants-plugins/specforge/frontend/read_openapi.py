"""Reading an external API's OpenAPI document (`services/<svc>/spec/<api>.openapi.yaml`, pass
1): its operations by operationId and its schema names. The document is untrusted like any spec:
it is read by the same bounded YAML loader, and only what the client needs is taken from it
(see `frontend/external.py`); its models are rendered by datamodel-code-generator."""

from __future__ import annotations

from specforge import layout, namespace
from specforge.frontend.keys import PACKAGE_NAME, PASCAL
from specforge.frontend.raw import RawApiDocument, RawApiOperation, RawSpecs
from specforge.layout import SpecFile
from specforge.reader import Reader
from specforge.yamlio import Mapping, Node, Scalar, Sequence

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def read_openapi(raw: RawSpecs, spec: SpecFile, top: Reader, text: str) -> None:
    name = layout.api_name(spec.path)
    if not PACKAGE_NAME.match(name):
        raw.diags.error(
            top.anchor,
            "",
            f"the API name '{name}' (from the file name) must be a package name: lowercase "
            "letters, digits and _, starting with a letter",
        )
        return
    if problem := namespace.api_name_problem(name):
        raw.diags.error(top.anchor, "", f"the API name (from the file name): {problem}")
        return
    version = top.string("openapi", allow_empty=False)
    if version is None:
        if not top.has("openapi"):
            raw.diags.error(top.anchor, "openapi", "an OpenAPI document needs 'openapi: 3.x.y'")
        return
    if not version.startswith("3."):
        top.error("openapi", f"only OpenAPI 3.x documents are supported, not {version!r}")
        return
    if not _local_refs_only(raw, top):
        return
    operations: dict[str, RawApiOperation] = {}
    paths = top.mapping("paths")
    for key, item in paths.entries() if paths is not None else ():
        if paths is None or not isinstance(key.value, str) or not isinstance(item, Mapping):
            continue  # not an operation the client can call; reported if consumed
        path_reader = paths.child(key, item, "a path item")
        if path_reader is None:
            continue
        for method in HTTP_METHODS:
            op = path_reader.mapping(method)
            if op is None:
                continue
            op_id = op.string("operationId", allow_empty=False)
            if op_id is None:
                continue  # an operation without an id cannot be named in a manifest
            if op_id in operations:
                op.error("operationId", f"operationId '{op_id}' is used twice")
                continue
            operations[op_id] = RawApiOperation(method.upper(), key.value, op)
    schemas: set[str] = set()
    components = top.mapping("components")
    found = components.mapping("schemas") if components is not None else None
    for key, _ in found.entries() if found is not None else ():
        if found is not None and isinstance(key.value, str):
            if not PASCAL.match(key.value):
                found.error(
                    key.value,
                    f"schema name '{key.value}' must be a class name (PascalCase letters and "
                    "digits): it names a generated model",
                    at_key=True,
                )
                continue
            schemas.add(key.value)
    raw.api_documents.append(RawApiDocument(spec, name, text, operations, frozenset(schemas)))


def _local_refs_only(raw: RawSpecs, top: Reader) -> bool:
    """Whether every `$ref` of the document points into the document itself (`#/...`). A
    reference to another file or a URL would make the model generator read outside the repo or
    from the network, so it is an error (bundle the document into one file)."""
    ok = True
    stack: list[tuple[Node, str]] = [(top.node, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items:
                where = f"{path}.{key.text}" if path else key.text
                if key.value == "$ref" and not (
                    isinstance(value, Scalar)
                    and isinstance(value.value, str)
                    and value.value.startswith("#/")
                ):
                    raw.diags.error(
                        value.loc,
                        where,
                        "only references into this document ('#/...') are followed: bundle "
                        "the schemas it refers to into it",
                    )
                    ok = False
                stack.append((value, where))
        elif isinstance(node, Sequence):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node.items))
    return ok
