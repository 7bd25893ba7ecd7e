"""Reading the registry (`services.yml`): services, their types and `depends_on` (pass 1)."""

from __future__ import annotations

from specforge import ir, namespace
from specforge.errors import Location, suggest
from specforge.frontend.keys import COMPOSE_CONDITIONS, PACKAGE_NAME
from specforge.frontend.raw import RawSpecs
from specforge.frontend.shapes import check_shape
from specforge.layout import SpecFile
from specforge.reader import Reader
from specforge.yamlio import Mapping, Scalar, Sequence, kind_of


def read_registry(raw: RawSpecs, spec: SpecFile, top: Reader) -> None:
    before = len(raw.diags.errors)
    check_shape(top, "registry")
    items = top.sequence("services")
    entries: list[ir.ServiceEntry] = []
    seen: dict[str, Location] = {}
    for i, node in items or []:
        path = top.sub("services") + f"[{i}]"
        if not isinstance(node, Mapping):
            raw.diags.error(
                node.loc,
                path,
                f"expected a service such as {{name: backend, type: python-fastapi, "
                f"description: ...}}, got {kind_of(node)}",
            )
            continue
        s = Reader(node, path, raw.diags, node.loc)
        check_shape(s, "service")
        name = s.string("name", allow_empty=False)
        type_text = s.string("type", allow_empty=False)
        description = s.text("description")
        stype = None
        if type_text is not None:
            try:
                stype = ir.ServiceType(type_text)
            except ValueError:
                kinds = [t.value for t in ir.ServiceType]
                s.error(
                    "type",
                    f"unknown service type '{type_text}'{suggest(type_text, kinds)}; "
                    f"expected one of: {', '.join(kinds)}",
                )
        if name is not None:
            problem = namespace.service_name_problem(name)
            if not PACKAGE_NAME.match(name):
                s.error(
                    "name",
                    f"service name '{name}' is not a valid package name: use lowercase "
                    "letters, digits and '_', starting with a letter (e.g. tg_bot)",
                )
                name = None
            elif problem:
                s.error("name", f"service name {problem}; rename the service")
                name = None
            elif name in seen:
                s.error("name", f"duplicate service '{name}' (first at line {seen[name].line})")
                name = None
            else:
                seen[name] = s.loc("name")
        depends = read_depends_on(raw, s, name or "")
        profiles = tuple(p for p, _, _ in (s.names("profiles", "a profile name") or []))
        if name is not None and stype is not None and description is not None:
            entries.append(
                ir.ServiceEntry(name, stype, description, s.loc("name"), depends, profiles)
            )
    raw.registry = ir.Registry(spec.path, tuple(entries))
    # An invalid registry is reported in itself; it cannot tell which services exist.
    raw.registry_complete = len(raw.diags.errors) == before


def read_depends_on(raw: RawSpecs, s: Reader, service: str) -> tuple[tuple[str, str], ...]:
    node = s.get("depends_on")
    if node is None:
        return ()
    out: list[tuple[str, str]] = []
    pending = raw.pending_depends
    if isinstance(node, Sequence):
        for dep, loc, path in s.names("depends_on", "a service name") or []:
            out.append((dep, "service_started"))
            pending.append((service, dep, loc, path))
    elif isinstance(node, Mapping):
        d = s.mapping("depends_on")
        assert d is not None
        for key, value in d.entries():
            dep = str(key.value)
            path = d.sub(dep)
            if not (isinstance(value, Scalar) and isinstance(value.value, str)):
                raw.diags.error(
                    value.loc, path, f"expected a compose condition, got {kind_of(value)}"
                )
                continue
            if value.value not in COMPOSE_CONDITIONS:
                raw.diags.error(
                    value.loc,
                    path,
                    f"unknown condition '{value.value}'"
                    f"{suggest(value.value, COMPOSE_CONDITIONS)}; expected one of: "
                    f"{', '.join(COMPOSE_CONDITIONS)}",
                )
                continue
            out.append((dep, value.value))
            pending.append((service, dep, key.loc, path))
    else:
        s.error("depends_on", f"expected a mapping or a list of services, got {kind_of(node)}")
    return tuple(out)
