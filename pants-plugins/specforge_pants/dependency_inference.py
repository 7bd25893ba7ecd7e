"""Dependency inference for spec targets.

- domain spec -> the models files that define the models and enums it uses, and events.yaml
  when it publishes or subscribes;
- models file -> the models files of the names it uses (a service's models -> shared ones);
- events.yaml -> the models files of its message models;
- manifest -> each consumed producer's domain spec, and the `services.yml` registry;
- a service's app target -> the service's domain specs;
- every spec target -> the engine (so an engine or template change reaches every output) and
  the runtime libraries its generated code imports (pydantic, fastapi, faststream, httpx2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Set, Tuple

from pants.backend.codegen.utils import find_python_runtime_library_or_raise_error
from pants.backend.python.dependency_inference.module_mapper import ThirdPartyPythonModuleMapping
from pants.backend.python.subsystems.setup import PythonSetup
from pants.build_graph.address import Address
from pants.engine.fs import DigestContents, PathGlobs
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import (
    FieldSet,
    InferDependenciesRequest,
    InferredDependencies,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from specforge import layout
from specforge.layout import SpecKind, classify
from specforge_pants.engine import SpecforgeEngineFiles, SpecforgeRuntime
from specforge_pants.scan import SpecScan, scan
from specforge_pants.subsystem import Specforge
from specforge_pants.target_types import (
    AllSpecTargets,
    SpecAppSourcesField,
    SpecDependenciesField,
    SpecPythonResolveField,
    SpecServiceField,
    SpecSourceField,
)

RUNTIME_LIBRARIES = {
    SpecKind.MODELS: ("pydantic",),
    SpecKind.EVENTS: ("pydantic", "faststream"),
    SpecKind.DOMAIN: ("pydantic", "fastapi"),
    SpecKind.MANIFEST: ("pydantic", "httpx2"),
    SpecKind.REGISTRY: (),
    SpecKind.OPENAPI: ("pydantic",),
}
APP_LIBRARIES = ("fastapi", "faststream")


@dataclass(frozen=True)
class SpecIndex:
    """Every spec file of the repo, scanned: what each defines, by scope."""

    by_path: FrozenDict[str, Tuple[Address, SpecScan]]
    # (scope, name) -> the models file defining it; scope is "shared" or a service.
    types: FrozenDict[Tuple[str, str], Address]
    events: FrozenDict[str, Address]
    registry: Tuple[Address, ...]


@rule(desc="Index spec files", level=LogLevel.DEBUG)
async def index_specs(targets: AllSpecTargets) -> SpecIndex:
    spec_targets = [t for t in targets if t.has_field(SpecSourceField)]
    paths = [t[SpecSourceField].file_path for t in spec_targets]
    contents = await Get(DigestContents, PathGlobs(paths))
    text = {c.path: c.content.decode("utf-8", errors="replace") for c in contents}
    by_path: Dict[str, Tuple[Address, SpecScan]] = {}
    types: Dict[Tuple[str, str], Address] = {}
    events: Dict[str, Address] = {}
    registry: List[Address] = []
    for tgt, path in zip(spec_targets, paths):
        spec = classify(path)
        result = scan(spec.kind, text.get(path, ""))
        by_path[path] = (tgt.address, result)
        scope = spec.service or "shared"
        for name in sorted(result.defines):
            types.setdefault((scope, name), tgt.address)
        for name in sorted(result.events_defined):
            events.setdefault(name, tgt.address)
        if spec.kind is SpecKind.REGISTRY:
            registry.append(tgt.address)
    return SpecIndex(FrozenDict(by_path), FrozenDict(types), FrozenDict(events), tuple(registry))


@dataclass(frozen=True)
class SpecInferenceFieldSet(FieldSet):
    required_fields = (SpecDependenciesField, SpecPythonResolveField)

    dependencies: SpecDependenciesField
    resolve: SpecPythonResolveField


class InferSpecDependencies(InferDependenciesRequest):
    infer_from = SpecInferenceFieldSet


def _type_deps(index: SpecIndex, scope: str, names: Iterable[str]) -> List[Address]:
    found = []
    for name in sorted(names):
        for s in (scope, "shared"):
            if (s, name) in index.types:
                found.append(index.types[(s, name)])
                break
    return found


def _domain_target(index: SpecIndex, service: str, domain: str) -> List[Address]:
    for suffix in layout.SPEC_SUFFIXES:
        entry = index.by_path.get(layout.domain_spec_path(service, domain, suffix))
        if entry is not None:
            return [entry[0]]
    return []


@rule(desc="Infer spec dependencies", level=LogLevel.DEBUG)
async def infer_spec_dependencies(
    request: InferSpecDependencies,
    index: SpecIndex,
    engine_files: SpecforgeEngineFiles,
    runtime: SpecforgeRuntime,
    specforge: Specforge,
    python_setup: PythonSetup,
    module_mapping: ThirdPartyPythonModuleMapping,
) -> InferredDependencies:
    address = request.field_set.address
    deps: List[Address] = [engine_files.address]
    wrapped = await Get(
        WrappedTarget,
        WrappedTargetRequest(address, description_of_origin="specforge dependency inference"),
    )
    tgt = wrapped.target
    if tgt.has_field(SpecAppSourcesField):
        service = tgt[SpecServiceField].value
        libraries: Tuple[str, ...] = APP_LIBRARIES
        uses_runtime = True  # the outbox
        published: Set[str] = set()
        for path, (addr, result) in sorted(index.by_path.items()):
            spec = classify(path)
            if spec.kind is SpecKind.DOMAIN and spec.service == service:
                deps.append(addr)
                published |= result.events_published
        # The app creates the consumer groups of what it publishes: the services whose domain
        # specs subscribe to it.
        for path, (addr, result) in sorted(index.by_path.items()):
            if classify(path).kind is SpecKind.DOMAIN and result.events_subscribed & published:
                deps.append(addr)
    else:
        path = tgt[SpecSourceField].file_path
        spec = classify(path)
        _, result = index.by_path.get(path, (address, SpecScan()))
        scope = spec.service or "shared"
        deps.extend(_type_deps(index, scope, result.type_refs))
        deps.extend(index.events[e] for e in sorted(result.event_refs) if e in index.events)
        if spec.kind is SpecKind.MANIFEST:
            for service, domain in result.consumes:
                deps.extend(_domain_target(index, service, domain))
            for api in result.apis:  # an external API's document, next to the manifest
                for suffix in layout.OPENAPI_SUFFIXES:
                    entry = index.by_path.get(f"{os.path.dirname(path)}/{api}{suffix}")
                    if entry is not None:
                        deps.append(entry[0])
            deps.extend(index.registry)
        libraries = RUNTIME_LIBRARIES[spec.kind]
        # Event code imports the runtime library: event identities, the outbox, dead letters.
        uses_runtime = spec.kind is SpecKind.EVENTS
        if spec.kind is SpecKind.DOMAIN and result.event_refs:
            libraries = (*libraries, "faststream")
            uses_runtime = True
        if result.mentions_email:
            libraries = (*libraries, "email_validator")
    if not specforge.infer_runtime_dependencies:
        libraries = ()
        uses_runtime = False
    if uses_runtime:
        deps.append(runtime.address)
    resolve = request.field_set.resolve.normalized_value(python_setup)
    for module in libraries:
        deps.append(
            find_python_runtime_library_or_raise_error(
                module_mapping,
                address,
                module,
                resolve=resolve,
                resolves_enabled=python_setup.enable_resolves,
                recommended_requirement_name=module.replace("_", "-"),
                recommended_requirement_url="its page on your package index",
                disable_inference_option=f"[{Specforge.options_scope}].infer_runtime_dependencies",
            )
        )
    return InferredDependencies(sorted(set(d for d in deps if d != address)))


def rules():
    return [*collect_rules(), UnionRule(InferDependenciesRequest, InferSpecDependencies)]
