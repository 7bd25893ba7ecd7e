"""The shallow index of a models or events file: its names without its fields (pass 1, for
files a code generation target only depends on), but for the models it is asked to read in full
(those a target's routes answer with)."""

from __future__ import annotations

from specforge import ir
from specforge.errors import Diagnostics, Location
from specforge.frontend.raw import LocatedName, RawEnum, RawEvent, RawModel, RawSpecs, RawVariant
from specforge.frontend.read_models import read_model
from specforge.layout import SpecFile, SpecKind, inline_enum_name
from specforge.reader import Reader
from specforge.yamlio import Mapping, Node, Scalar, Sequence


def index_file(
    raw: RawSpecs, spec: SpecFile, text: str, full: frozenset[str] = frozenset()
) -> bool:
    """Define the names of a models or events file without building its fields, but for the
    models named in `full`, read as a full load reads them; False (and nothing defined) when
    the file is not a well-formed spec, which a full load then reports. The file is read by
    `load_yaml`, within the same limits as any other."""

    class Malformed(Exception):
        """Not the shape of a spec: the full load says why."""

    def named(node: Node | None) -> list[tuple[str, Scalar, Node]]:
        """(name, key, value) of a mapping keyed by names; absent or null: none."""
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return []
        if not isinstance(node, Mapping):
            raise Malformed
        out: list[tuple[str, Scalar, Node]] = []
        for key, value in node.items:
            if not isinstance(key.value, str):
                raise Malformed
            out.append((key.value, key, value))
        return out

    def mapping(node: Node | None) -> Mapping:
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return Mapping(Location(spec.path), ())
        if not isinstance(node, Mapping):
            raise Malformed
        return node

    def string(node: Node | None) -> str | None:
        if node is None:
            return None
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            raise Malformed
        return node.value

    def enum_values(node: Node | None) -> tuple[str, ...]:
        if not isinstance(node, Sequence):
            raise Malformed
        values: list[str] = []
        for item in node.items:
            if not isinstance(item, Scalar) or item.value is None:
                raise Malformed
            values.append(item.value if isinstance(item.value, str) else item.text)
        return tuple(values)

    def flag(node: Node | None) -> bool:
        return isinstance(node, Scalar) and node.value is True

    diags = Diagnostics()  # the full load reports the problems, if any
    doc = raw.documents.load(text, spec.path, diags)
    if diags or not isinstance(doc, Mapping):
        return False
    origin = ir.Origin(spec.path, spec.service or ir.SHARED)
    events: list[RawEvent] = []
    enums: list[RawEnum] = []
    models: list[RawModel | tuple[Scalar, Node]] = []  # a model in `full`: its entry
    try:
        if spec.kind is SpecKind.EVENTS:
            for name, key, e in named(doc.get("events")):
                e = mapping(e)
                message = string(e.get("message"))
                if not message:
                    raise Malformed
                path = f"events.{name}"
                events.append(
                    RawEvent(
                        name=name,
                        loc=key.loc,
                        path=path,
                        file=spec.path,
                        message=LocatedName(message, key.loc, f"{path}.message"),
                        publish=flag(e.get("publish")),
                        subscribe=flag(e.get("subscribe")),
                        channel=string(e.get("channel")) or name,
                        channel_loc=key.loc,
                        description=None,
                    )
                )
        else:
            for name, key, e in named(doc.get("enums")):
                values = enum_values(mapping(e).get("values"))
                enums.append(RawEnum(name, values, None, key.loc, origin))
            for name, key, m in named(doc.get("models")):
                if name in full:
                    models.append((key, m))
                    continue
                m = mapping(m)
                model = RawModel(name, key.loc, f"models.{name}", origin, None, shallow=True)
                for variant, vkey, _ in named(m.get("variants")):
                    path = f"models.{name}.variants.{variant}"
                    model.variants.append(RawVariant(variant, vkey.loc, path, [], []))
                for fname, fkey, f in named(m.get("fields")):
                    if isinstance(f, Mapping) and string(f.get("type")) == "enum":
                        values = enum_values(f.get("values"))
                        enum_name = inline_enum_name(name, fname)
                        enums.append(RawEnum(enum_name, values, None, fkey.loc, origin))
                models.append(model)
    except Malformed:
        return False  # nothing defined: the full load reports why
    raw.events += events
    raw.enums += enums
    # In the file's order, as a full load defines them; the full ones report their problems
    # (the run's, not the index's) and define their inline enums themselves.
    focused = any(isinstance(entry, tuple) for entry in models)
    parent = Reader(doc, "", raw.diags, doc.loc).mapping("models") if focused else None
    for entry in models:
        if isinstance(entry, RawModel):
            raw.models.append(entry)
        elif parent is not None:  # `named` found the models a mapping
            read_model(raw, entry[0], entry[1], parent, origin)
    return True
