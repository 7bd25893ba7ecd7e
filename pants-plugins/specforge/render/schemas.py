"""Pydantic v2 models for the models and enums of one models.yaml.

Each model is a `BaseModel`, each variant a model of its own, each enum a `StrEnum`, each
discriminated union a `RootModel` whose root validates on the discriminator. Models come out
in dependency order, so that a module reads top-down. A field whose wire name cannot be its
Python name (see `specforge.namespace`) gets an alias, and its model validates and serializes
by alias while also accepting the Python name.
"""

from __future__ import annotations

from dataclasses import dataclass

from specforge import ir, layout, namespace
from specforge.emit.code import Ident, Python, py, py_join, py_str
from specforge.emit.escape import docstring_is_exact
from specforge.render.common import Imports, TypeNamer, constraint_args, header, render


@dataclass(frozen=True)
class FieldView:
    name: Ident
    annotation: Python
    value: Python | None  # what follows `=`, if anything


@dataclass(frozen=True)
class ModelView:
    name: Ident
    description: str | None
    fields: tuple[FieldView, ...] = ()
    config: Python | None = None  # model_config = ...
    union_base: Python | None = None  # RootModel[A | B]
    union_root: Python | None = None  # the root's annotation, with the discriminator


@dataclass(frozen=True)
class EnumView:
    name: Ident
    description: str | None
    members: tuple[tuple[Ident, str], ...]  # (Python name, wire value)
    # The JSON schema hook's types, when the docstring cannot carry the description exactly.
    schema_hook: tuple[Ident, Ident, Ident] | None = None


def exact_description(text: str | None) -> str | None:
    """A description that a docstring would not give back exactly (Pydantic reads docstrings
    through `inspect.cleandoc`), so that the JSON schema must be told it; else None."""
    return text if text and not docstring_is_exact(text) else None


def render_schemas(project: ir.Project, file: str) -> tuple[str, str]:
    """(path, source) of the schemas module of one models file."""
    service = layout.classify(file).service
    module = layout.schemas_module(service)
    models = order_by_dependencies(project.models_in(file))
    enums = project.enums_in(file)
    imports = Imports(reserved=frozenset([*(m.name for m in models), *(e.name for e in enums)]))
    namer = TypeNamer(imports, local_module=module)
    base_model = imports.add("pydantic", "BaseModel")
    views = [model_view(m, namer) for m in models]
    enum_views = [
        EnumView(
            Ident(e.name),
            e.description,
            tuple((Ident(e.member(v)), v) for v in e.values),
            (
                imports.add("pydantic_core", "CoreSchema"),
                imports.add("pydantic", "GetJsonSchemaHandler"),
                imports.add("pydantic.json_schema", "JsonSchemaValue"),
            )
            if exact_description(e.description)
            else None,
        )
        for e in enums
    ]
    plain = any(v.union_root is None for v in views)
    source = render(
        "schemas.py.j2",
        header=header(file),
        file=file,
        enums=enum_views,
        models=views,
        base_model=base_model,
        spec_model=Ident("_SpecModel") if plain else None,
        config_dict=imports.add("pydantic", "ConfigDict") if plain else None,
        str_enum=imports.add("enum", "StrEnum") if enum_views else None,
        imports=imports,
    )
    return layout.module_path(module, service), source


def model_view(m: ir.Model, namer: TypeNamer) -> ModelView:
    imports = namer.imports
    if m.is_union:
        members = py_join(" | ", (namer.annotation(ir.ModelType(u)) for u in m.union))
        assert m.discriminator is not None
        discriminator = namespace.discriminator_py_name(m.discriminator)
        annotated = imports.add("typing", "Annotated")
        root = imports.add("pydantic", "RootModel")
        return ModelView(
            Ident(m.name),
            m.description,
            config=model_config(m, namer),
            union_base=py("{}[{}]", root, members),
            union_root=py(
                "{}[{}, {}]",
                annotated,
                members,
                namer.field_call([py("discriminator={}", py_str(discriminator))]),
            ),
        )
    return ModelView(
        Ident(m.name),
        m.description,
        tuple(field_view(f, namer) for f in m.fields),
        model_config(m, namer),
    )


def model_config(m: ir.Model, namer: TypeNamer) -> Python | None:
    """`ConfigDict(...)` for a model that needs more than `_SpecModel`'s policy: a description
    that the docstring cannot carry exactly is given to the JSON schema."""
    args: list[Python] = []
    if any(f.py_name.startswith("model_") for f in m.fields):
        # A renamed `model_dump` is `model_dump_`: still in pydantic's protected namespaces.
        args.append(py("protected_namespaces=()"))
    exact = exact_description(m.description)
    if exact is not None:
        args.append(py('json_schema_extra={{"description": {}}}', py_str(exact)))
    if not args:
        return None
    return py("{}({})", namer.imports.add("pydantic", "ConfigDict"), py_join(", ", args))


def field_view(f: ir.Field, namer: TypeNamer) -> FieldView:
    kwargs: list[Python] = []
    if f.py_name != f.name:
        kwargs.append(py("alias={}", py_str(f.name)))
    if f.description:
        kwargs.append(py("description={}", py_str(f.description)))
    if f.deprecated:
        kwargs.append(py("deprecated=True"))
    if f.examples:
        kwargs.append(
            py("examples=[{}]", py_join(", ", [namer.default(v, f.type) for v in f.examples]))
        )
    # One `Field()` per field: when there is a `Field()` anyway, the constraints join it, unless
    # the field is nullable (they then stay on the non-null type, `Annotated[int, ...] | None`).
    constraints = constraint_args(f.constraints)
    if kwargs and constraints and not f.nullable:
        annotation = namer.annotation(f.type, f.constraints)
        kwargs += constraints
    else:
        annotation = namer.constrained(f.type, f.constraints)
    if f.nullable:
        annotation = py("{} | None", annotation)
    default = None
    if f.has_default:
        default = namer.default(f.default, f.type)
        if f.constraints.format == "uri" and isinstance(f.default, str):
            # An AnyUrl is not a str: the default is one, as validation would make it.
            default = py("{}({})", namer.imports.add("pydantic", "AnyUrl"), default)
    if not kwargs:
        return FieldView(Ident(f.py_name), annotation, default)
    if default is not None:
        kwargs.insert(0, py("default={}", default))
    return FieldView(Ident(f.py_name), annotation, namer.field_call(kwargs))


def order_by_dependencies(models: tuple[ir.Model, ...]) -> list[ir.Model]:
    """Declaration order, except that a model comes after the models of this file it uses
    (cycles, which need forward references anyway, keep declaration order). Iterative: a chain
    of thousands of models needs no deep recursion."""
    local = {m.name: m for m in models}
    done: list[ir.Model] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done

    def uses(m: ir.Model) -> list[ir.Model]:
        names = [member.name for member in m.union]
        for f in m.fields:
            names.extend(_model_names(f.type))
        return [local[n] for n in names if n in local]

    for start in models:
        if start.name in state:
            continue
        state[start.name] = 1
        stack = [(start, iter(uses(start)))]
        while stack:
            model, pending = stack[-1]
            for dep in pending:
                if dep.name not in state:
                    state[dep.name] = 1
                    stack.append((dep, iter(uses(dep))))
                    break
            else:
                stack.pop()
                state[model.name] = 2
                done.append(model)
    return done


def _model_names(t: ir.TypeRef) -> list[str]:
    while isinstance(t, ir.ListType | ir.DictType):
        t = t.item if isinstance(t, ir.ListType) else t.value
    return [t.model.name] if isinstance(t, ir.ModelType) else []
