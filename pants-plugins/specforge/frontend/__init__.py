"""The frontend: from spec files to the IR.

Pass 1 (`read.py` and `read_<kind>.py`) reads each file into raw, located structures
(`raw.py`), checking what one file can tell. Pass 2 resolves them, stage by stage in the order
of `_resolve` below, into the frozen IR (`specforge.ir`), checking what needs several files.
Every problem is collected; the IR is returned only when there are none.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as MappingABC

from specforge import ir
from specforge.errors import Diagnostics, SpecError, SpecErrors, start_suggestion_budget
from specforge.frontend import (
    events,
    generated_names,
    manifests,
    models,
    operations,
    registry,
    scope,
)
from specforge.frontend.context import Resolution
from specforge.frontend.raw import RawSpecs
from specforge.frontend.read import read_file
from specforge.layout import classify
from specforge.sources import without_duplicates
from specforge.yamlio import Documents


def load_project(sources: MappingABC[str, str]) -> ir.Project:
    """Build the IR from spec files given as {repo-relative path: text}.

    Raises SpecErrors with every problem found, sorted, when the specs are invalid.
    """
    project, errors = check_sources(sources)
    if errors:
        raise SpecErrors(errors)
    assert project is not None
    return project


def check_sources(
    sources: MappingABC[str, str],
    *,
    shallow: Iterable[str] = (),
    full: MappingABC[str, frozenset[str]] | None = None,
    documents: Documents | None = None,
) -> tuple[ir.Project | None, list[SpecError]]:
    """Like load_project, but returns (project or None, sorted errors) instead of raising.

    Models and events files named in `shallow` are only indexed: their names (models,
    variants, enums, events) are defined and resolvable, but their fields are neither built nor
    validated, except for the models that `full` names for the file. Code generation uses this
    for the files a target merely depends on (each is fully checked by its own target);
    `check` never does. `documents` lets several calls compose each text once.
    """
    start_suggestion_budget()
    diags = Diagnostics()
    sources = without_duplicates(sources, diags)
    raw = RawSpecs(diags, documents or Documents())
    shallow = frozenset(shallow)
    full = full or {}
    for path in sorted(sources):
        read_file(
            raw,
            classify(path),
            sources[path],
            shallow=path in shallow,
            full=full.get(path, frozenset()),
        )
    project = _resolve(Resolution(raw))
    errors = diags.sorted()
    return (None if errors else project), errors


def check_targets(
    sources: MappingABC[str, str], targets: Iterable[str]
) -> tuple[ir.Project | None, list[SpecError]]:
    """`check_sources` for code generation: the targets in full, the files they merely use
    indexed, but for the models that the targets' routes answer with (their OpenAPI links name
    the answers' fields), which are read in full too. Each file is composed once."""
    documents = Documents()
    shallow = set(sources) - set(targets)
    project, errors = check_sources(sources, shallow=shallow, documents=documents)
    answers = {} if project is None else _answer_models(project, targets, shallow)
    if answers:
        project, errors = check_sources(sources, shallow=shallow, full=answers, documents=documents)
    return project, errors


def _answer_models(
    project: ir.Project, targets: Iterable[str], shallow: set[str]
) -> dict[str, frozenset[str]]:
    """{file: names} of the models, in files read shallowly, that the routes of the target
    domains answer with (a variant's: the model it is a variant of)."""
    names: dict[str, set[str]] = {}
    for target in targets:
        domain = project.domain_in(target)
        for op in domain.operations if domain is not None else ():
            if op.rest is not None and isinstance(op.output, ir.ModelType):
                model = op.output.model
                if model.origin.file in shallow:
                    names.setdefault(model.origin.file, set()).add(model.variant_of or model.name)
    return {file: frozenset(models) for file, models in names.items()}


def _resolve(ctx: Resolution) -> ir.Project:
    """Pass 2, in dependency order: names, then types, then what refers to them."""
    scope.define_names(ctx)
    models.build_enums(ctx)
    models.build_models(ctx)
    built_events = events.build_events(ctx)
    domains = operations.build_domains(ctx, built_events)
    built_manifests = manifests.build_manifests(ctx, domains)
    registry.check_registry_references(ctx)
    registry.check_service_directories(ctx)
    models.check_model_depth(ctx)
    generated_names.check_generated_names(ctx, built_manifests)
    return ir.Project(
        files=tuple(sorted(ctx.raw.files)),
        models=tuple(ctx.ir_models[k] for k in ctx.model_order),
        enums=tuple(
            ctx.ir_enums[(e.origin.scope, e.name)]
            for e in ctx.raw.enums
            if (e.origin.scope, e.name) in ctx.ir_enums
        ),
        events=tuple(built_events.values()),
        domains=tuple(domains),
        manifests=tuple(built_manifests),
        registry=ctx.raw.registry,
        external_apis=tuple(
            ir.ExternalApi(d.name, d.spec.service or "", d.spec.path, d.text)
            for d in ctx.raw.api_documents
        ),
    )


__all__ = ["check_sources", "load_project"]
