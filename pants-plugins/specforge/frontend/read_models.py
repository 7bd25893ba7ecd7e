"""Reading `models.yaml` (shared or service-local): enums, models, fields and variants,
into raw, located structures (pass 1)."""

from __future__ import annotations

from specforge import ir
from specforge.errors import Diagnostics, Location
from specforge.frontend.keys import IDENTIFIER, PASCAL
from specforge.frontend.raw import LocatedName, RawEnum, RawField, RawModel, RawSpecs, RawVariant
from specforge.frontend.shapes import check_shape
from specforge.layout import BUILTIN_TYPE_NAMES, SpecFile, inline_enum_name
from specforge.numeric import shown
from specforge.reader import Reader
from specforge.typeexpr import TypeExpr, TypeSyntaxError, parse_type
from specforge.yamlio import Mapping, Node, Scalar, kind_of


def read_models(raw: RawSpecs, spec: SpecFile, top: Reader) -> None:
    check_shape(top, "models_file")
    origin = ir.Origin(spec.path, spec.service or ir.SHARED)
    enums = top.mapping("enums")
    if enums is not None:
        for key, value in enums.entries():
            read_enum(raw, key, value, enums, origin)
    models = top.mapping("models")
    if models is not None:
        for key, value in models.entries():
            read_model(raw, key, value, models, origin)


def read_enum(raw: RawSpecs, key: Scalar, value: Node, parent: Reader, origin: ir.Origin) -> None:
    name = str(key.value)
    r = parent.child(key, value, "an enum")
    if r is None:
        return
    if not check_type_name(raw.diags, name, key.loc, r.path, "enum"):
        return
    check_shape(r, "enum")
    values = read_enum_values(raw, r)
    raw.enums.append(RawEnum(name, values, r.text("description"), key.loc, origin, path=r.path))


def read_enum_values(raw: RawSpecs, r: Reader, key: str = "values") -> tuple[str, ...]:
    items = r.sequence(key)
    if items is None:
        if not r.has(key):
            r.diags.error(r.anchor, r.sub(key), f"missing required key '{key}'")
        return ()
    if not items:
        r.error(key, "an enum needs at least one value")
    values: list[str] = []
    seen: dict[str, Location] = {}
    for i, node in items:
        path = r.sub(key) + f"[{i}]"
        if not isinstance(node, Scalar) or node.value is None or isinstance(node, Mapping):
            raw.diags.error(node.loc, path, f"expected an enum value, got {kind_of(node)}")
            continue
        text = node.text if not isinstance(node.value, str) else node.value
        if not IDENTIFIER.match(text):
            raw.diags.error(
                node.loc,
                path,
                f"enum value '{text}' is not an identifier (letters, digits and '_', "
                "not starting with a digit)",
            )
            continue
        if text in seen:
            raw.diags.error(
                node.loc,
                path,
                f"duplicate enum value '{text}' (first at line {seen[text].line})",
            )
            continue
        seen[text] = node.loc
        values.append(text)
    return tuple(values)


def read_model(raw: RawSpecs, key: Scalar, value: Node, parent: Reader, origin: ir.Origin) -> None:
    name = str(key.value)
    r = parent.child(key, value, "a model")
    if r is None:
        return
    if not check_type_name(raw.diags, name, key.loc, r.path, "model"):
        return
    keys_ok = check_shape(r, "model")
    model = RawModel(name, key.loc, r.path, origin, r.text("description"))
    if r.has("union"):
        for bad in ("fields", "variants"):
            if r.has(bad):
                r.error(bad, f"a union model has no '{bad}'; give them to its members", at_key=True)
        members = r.names("union", "a model name")
        if members is not None:
            if len(members) < 2:
                r.error("union", "a union needs at least two member models")
            model.union = [LocatedName(*m) for m in members]
        disc = r.string("discriminator")
        if disc is not None:
            model.discriminator = LocatedName(disc, r.loc("discriminator"), r.sub("discriminator"))
        elif not r.has("discriminator"):
            r.diags.error(
                r.anchor,
                r.sub("discriminator"),
                "a union needs a 'discriminator': the literal field that tells members apart",
            )
    else:
        if r.has("discriminator"):
            r.error("discriminator", "'discriminator' only applies to a 'union'", at_key=True)
        fields = r.mapping("fields")
        if fields is None and not r.has("fields") and keys_ok:
            r.diags.error(r.anchor, r.sub("fields"), "a model needs 'fields' (or 'union')")
        if fields is not None:
            for fkey, fvalue in fields.entries():
                f = read_field(raw, fkey, fvalue, fields, name, origin)
                if f is not None:
                    model.fields.append(f)
        variants = r.mapping("variants")
        if variants is not None:
            for vkey, vvalue in variants.entries():
                v = read_variant(raw, vkey, vvalue, variants)
                if v is not None:
                    model.variants.append(v)
    raw.models.append(model)


def read_field(
    raw: RawSpecs, key: Scalar, value: Node, parent: Reader, model: str, origin: ir.Origin
) -> RawField | None:
    name = str(key.value)
    path = parent.sub(name)
    if not IDENTIFIER.match(name):
        raw.diags.error(
            key.loc,
            path,
            f"field name '{name}' is not an identifier (letters, digits and '_', "
            "not starting with a digit)",
        )
        return None
    if isinstance(value, Scalar) and isinstance(value.value, str):
        # Shorthand `name: int` is not part of the language; say what to write instead.
        raw.diags.error(
            value.loc,
            path,
            f"expected a field mapping such as {{type: {value.value}}}, got {kind_of(value)}",
        )
        return None
    r = parent.child(key, value, "a field")
    if r is None:
        return None
    check_shape(r, "field")
    type_text = r.string("type", allow_empty=False)
    if type_text is None:
        return None
    if type_text == "enum":
        enum_name = inline_enum_name(model, name)
        values = read_enum_values(raw, r)
        # The field carries the description (a JSON schema drops a field's description that
        # equals its type's), the enum says whose values it holds.
        doc = f"The values of {model}.{name}."
        raw.enums.append(RawEnum(enum_name, values, doc, key.loc, origin, path=path))
        return RawField(name, key.loc, r, TypeExpr(enum_name), r.loc("type"), enum_name)
    if r.has("values"):
        r.error("values", "'values' only applies to fields of type 'enum'", at_key=True)
    expr = type_expr(raw.diags, type_text, r.loc("type"), r.sub("type"))
    return RawField(name, key.loc, r, expr, r.loc("type"))


def read_variant(raw: RawSpecs, key: Scalar, value: Node, parent: Reader) -> RawVariant | None:
    name = str(key.value)
    r = parent.child(key, value, "a variant")
    if r is None:
        return None
    if not PASCAL.match(name):
        raw.diags.error(
            key.loc, r.path, f"variant name '{name}' must be PascalCase, like Create or Read"
        )
        return None
    check_shape(r, "variant")
    exclude = [LocatedName(*n) for n in (r.names("exclude", "a field name") or [])]
    optional = [LocatedName(*n) for n in (r.names("optional", "a field name") or [])]
    return RawVariant(name, key.loc, r.path, exclude, optional)


def check_type_name(diags: Diagnostics, name: str, loc: Location, path: str, what: str) -> bool:
    if not PASCAL.match(name):
        diags.error(
            loc,
            path,
            f"{what} name '{name}' must be PascalCase (a letter A-Z, then letters and digits)",
        )
        return False
    if name in BUILTIN_TYPE_NAMES:
        diags.error(loc, path, f"'{name}' is a built-in type name")
        return False
    return True


def type_expr(diags: Diagnostics, text: str, loc: Location, path: str) -> TypeExpr | None:
    try:
        return parse_type(text)
    except TypeSyntaxError as e:
        diags.error(loc, path, f"invalid type '{shown(text)}': {e}")
        return None
