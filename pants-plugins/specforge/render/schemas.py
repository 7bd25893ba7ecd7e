"""Pydantic v2 models for the models and enums of one models.yaml.

Each model is a `BaseModel`, each variant a model of its own, each enum a `StrEnum`, each
discriminated union a `RootModel` whose root validates on the discriminator. Models come out
in dependency order, so that a module reads top-down.
"""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout
from specforge.render.common import (
    Imports,
    TypeNamer,
    header,
    literal,
    py_field_name,
    render,
)


@dataclass(frozen=True)
class FieldView:
    name: str
    annotation: str
    value: str | None  # what follows `=`, if anything


@dataclass(frozen=True)
class ModelView:
    name: str
    description: str | None
    fields: tuple[FieldView, ...] = ()
    union_base: str | None = None  # RootModel[A | B]
    union_root: str | None = None  # the root's annotation, with the discriminator


@dataclass(frozen=True)
class EnumView:
    name: str
    description: str | None
    values: tuple[str, ...]


def render_schemas(project: ir.Project, file: str) -> tuple[str, str]:
    """(path, source) of the schemas module of one models file."""
    service = layout.classify(file).service
    module = layout.schemas_module(service)
    models = order_by_dependencies(project.models_in(file))
    enums = project.enums_in(file)
    field_names = {f.name for m in models for f in m.fields}
    imports = Imports(reserved=frozenset(field_names))
    namer = TypeNamer(imports, local_module=module)
    base_model = imports.add("pydantic", "BaseModel")
    views: list[ModelView] = []
    for m in models:
        if m.is_union:
            members = " | ".join(namer.annotation(ir.ModelType(u)) for u in m.union)
            annotated = imports.add("typing", "Annotated")
            field_ = imports.add("pydantic", "Field")
            root = imports.add("pydantic", "RootModel")
            views.append(
                ModelView(
                    m.name,
                    m.description,
                    union_base=f"{root}[{members}]",
                    union_root=(
                        f"{annotated}[{members}, {field_}(discriminator={literal(m.discriminator)})]"
                    ),
                )
            )
            continue
        views.append(
            ModelView(m.name, m.description, tuple(field_view(f, namer) for f in m.fields))
        )
    enum_views = [EnumView(e.name, e.description, e.values) for e in enums]
    if enum_views:
        imports.add("enum", "StrEnum")
    source = render(
        "schemas.py.j2",
        header=header(file),
        doc=f"Models of {file}.",
        imports=imports.lines(),
        enums=enum_views,
        models=views,
        base_model=base_model,
    )
    return layout.module_path(module, service), source


def field_view(f: ir.Field, namer: TypeNamer) -> FieldView:
    imports = namer.imports
    annotation = namer.constrained(f.type, f.constraints)
    if f.nullable:
        annotation = f"{annotation} | None"
    name = py_field_name(f.name)
    kwargs: list[str] = []
    if name != f.name:
        kwargs.append(f"alias={literal(f.name)}")
    if f.description:
        kwargs.append(f"description={literal(f.description)}")
    if f.deprecated:
        kwargs.append("deprecated=True")
    default = namer.default(f.default, f.type) if f.has_default else None
    if not kwargs:
        return FieldView(name, annotation, default)
    field_ = imports.add("pydantic", "Field")
    if default is not None:
        kwargs.insert(0, f"default={default}")
    return FieldView(name, annotation, f"{field_}({', '.join(kwargs)})")


def order_by_dependencies(models: tuple[ir.Model, ...]) -> list[ir.Model]:
    """Declaration order, except that a model comes after the models of this file it uses
    (cycles, which need forward references anyway, keep declaration order)."""
    local = {m.name: m for m in models}
    done: list[ir.Model] = []
    seen: set[str] = set()
    visiting: set[str] = set()

    def uses(m: ir.Model) -> list[str]:
        names: list[str] = []
        for member in m.union:
            names.append(member.name)
        for f in m.fields:
            names.extend(_model_names(f.type))
        return [n for n in names if n in local]

    def visit(m: ir.Model) -> None:
        if m.name in seen or m.name in visiting:
            return
        visiting.add(m.name)
        for name in uses(m):
            visit(local[name])
        visiting.discard(m.name)
        seen.add(m.name)
        done.append(m)

    for m in models:
        visit(m)
    return done


def _model_names(t: ir.TypeRef) -> list[str]:
    if isinstance(t, ir.ModelType):
        return [t.model.name]
    if isinstance(t, ir.ListType):
        return _model_names(t.item)
    if isinstance(t, ir.DictType):
        return _model_names(t.value)
    return []
