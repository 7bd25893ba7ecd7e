"""Pass 1: each spec file, by kind, to its reader; files a target only depends on to the
shallow index."""

from __future__ import annotations

from collections.abc import Callable

from specforge.frontend.index import index_file
from specforge.frontend.raw import RawSpecs
from specforge.frontend.read_domains import read_domain
from specforge.frontend.read_events import read_events
from specforge.frontend.read_manifests import read_manifest
from specforge.frontend.read_models import read_models
from specforge.frontend.read_openapi import read_openapi
from specforge.frontend.read_registry import read_registry
from specforge.layout import SpecFile, SpecKind
from specforge.reader import Reader, as_reader

READERS: dict[SpecKind, Callable[[RawSpecs, SpecFile, Reader], None]] = {
    SpecKind.MODELS: read_models,
    SpecKind.EVENTS: read_events,
    SpecKind.DOMAIN: read_domain,
    SpecKind.MANIFEST: read_manifest,
    SpecKind.REGISTRY: read_registry,
}
# What the top level of each kind holds, for the error when a file is not a mapping.
TOP_LEVEL = {
    SpecKind.MODELS: "'models' and/or 'enums'",
    SpecKind.EVENTS: "'events'",
    SpecKind.DOMAIN: "'domain' and 'operations'",
    SpecKind.MANIFEST: "'consumes'",
    SpecKind.REGISTRY: "'services'",
    SpecKind.OPENAPI: "'openapi', 'paths' and 'components'",
}

# (kind, outside services/<svc>/spec/) -> why such a file is in the wrong place.
MISPLACED = {
    (
        SpecKind.EVENTS,
        False,
    ): "events are declared once for all services, in shared/spec/events.yaml",
    (SpecKind.DOMAIN, True): "domain specs live in services/<service>/spec/<domain>.yaml",
    (SpecKind.MANIFEST, True): "manifests live in services/<service>/spec/manifest.yaml",
    (
        SpecKind.OPENAPI,
        True,
    ): "external APIs' OpenAPI documents live in services/<service>/spec/<api>.openapi.yaml",
}


def read_file(
    raw: RawSpecs,
    spec: SpecFile,
    text: str,
    *,
    shallow: bool = False,
    full: frozenset[str] = frozenset(),
) -> None:
    """Read one file into `raw`: in full, or (`shallow`, for a models or events file) only
    its names but for the models named in `full`, which are read in full."""
    raw.files.append(spec.path)
    if (
        shallow
        and spec.kind in (SpecKind.MODELS, SpecKind.EVENTS)
        and index_file(raw, spec, text, full)
    ):
        return
    before = len(raw.diags.errors)
    node = raw.documents.load(text, spec.path, raw.diags)
    if len(raw.diags.errors) > before:
        return
    top = as_reader(node, "", raw.diags, spec.path, TOP_LEVEL[spec.kind])
    if top is None:
        return
    misplaced = MISPLACED.get((spec.kind, spec.service is None))
    if misplaced:
        raw.diags.error(top.anchor, "", misplaced)
        return
    if spec.kind is SpecKind.OPENAPI:
        read_openapi(raw, spec, top, text)
        return
    READERS[spec.kind](raw, spec, top)
