"""Reading a manifest (`services/<svc>/spec/manifest.yaml`): what a service consumes (pass 1)."""

from __future__ import annotations

from specforge.errors import Location
from specforge.frontend.raw import (
    LocatedName,
    RawApiConsumption,
    RawConsumption,
    RawManifest,
    RawSpecs,
)
from specforge.frontend.shapes import check_shape
from specforge.layout import SpecFile
from specforge.reader import Reader
from specforge.yamlio import Mapping, kind_of


def read_manifest(raw: RawSpecs, spec: SpecFile, top: Reader) -> None:
    check_shape(top, "manifest_file")
    items = top.sequence("consumes")
    manifest = RawManifest(spec, [])
    for i, node in items or []:
        path = top.sub("consumes") + f"[{i}]"
        if not isinstance(node, Mapping):
            raw.diags.error(
                node.loc,
                path,
                "expected an entry such as {service: backend, domain: users, operations: "
                f"[get_user]}} or {{api: weather, operations: [get_forecast]}}, got "
                f"{kind_of(node)}",
            )
            continue
        c = Reader(node, path, raw.diags, node.loc)
        if c.has("api"):
            read_api_entry(raw, manifest, c, node.loc, path)
            continue
        if not check_shape(c, "consumption") and not all(
            c.has(k) for k in ("service", "domain", "operations")
        ):
            continue
        service = c.string("service", allow_empty=False)
        domain = c.string("domain", allow_empty=False)
        ops = c.names("operations", "an operation name")
        if service is None or domain is None or ops is None:
            continue
        if not ops:
            c.error("operations", "list at least one operation to consume")
        manifest.consumes.append(
            RawConsumption(
                LocatedName(service, c.loc("service"), c.sub("service")),
                LocatedName(domain, c.loc("domain"), c.sub("domain")),
                [LocatedName(*o) for o in ops],
                node.loc,
                path,
            )
        )
    raw.manifests.append(manifest)


def read_api_entry(
    raw: RawSpecs, manifest: RawManifest, c: Reader, loc: Location, path: str
) -> None:
    """`{api: weather, operations: [get_forecast]}`: operations of the external API described
    by `services/<svc>/spec/weather.openapi.yaml`."""
    if not check_shape(c, "api_consumption"):
        return
    api = c.string("api", allow_empty=False)
    ops = c.names("operations", "an operationId")
    if api is None or ops is None:
        return
    if not ops:
        c.error("operations", "list at least one operation to consume")
    manifest.apis.append(
        RawApiConsumption(
            LocatedName(api, c.loc("api"), c.sub("api")), [LocatedName(*o) for o in ops], loc, path
        )
    )
