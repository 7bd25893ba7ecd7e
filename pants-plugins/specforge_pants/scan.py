"""A fast, lenient scan of spec files for dependency inference: which names a file defines and
which it uses. It never fails: a file that does not parse defines and uses nothing (the
engine's check reports its errors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Set, Tuple

import yaml

from specforge.layout import SpecKind, pascal

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LITERAL = re.compile(r"literal\s*\[[^\]]*\]")
_BUILTINS = frozenset(
    {
        "int",
        "float",
        "bool",
        "string",
        "str",
        "decimal",
        "date",
        "datetime",
        "uuid",
        "bytes",
        "list",
        "dict",
        "literal",
        "enum",
    }
)


@dataclass(frozen=True)
class SpecScan:
    defines: FrozenSet[str] = frozenset()  # models, variants and enums (models files)
    events_defined: FrozenSet[str] = frozenset()  # events (events files)
    type_refs: FrozenSet[str] = frozenset()  # model and enum names used
    event_refs: FrozenSet[str] = frozenset()  # events used
    consumes: Tuple[Tuple[str, str], ...] = ()  # (service, domain) pairs of a manifest
    mentions_email: bool = False


def type_names(expr: Any) -> Set[str]:
    if not isinstance(expr, str):
        return set()
    return {n for n in _NAME.findall(_LITERAL.sub("", expr)) if n not in _BUILTINS}


def _mapping(value: Any) -> Dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _seq(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


# Deeper than any spec nests. libyaml composes nodes recursively on the C stack: a few thousand
# levels (`[[[[...`, `- - - -...`, a 10 KB file) overflow a Pants rule thread's stack and kill the
# whole Pants process, and deep flow collections also take libyaml quadratic time.
MAX_NESTING = 100
_DEPTH_CHANGE = {
    yaml.SequenceStartEvent: 1,
    yaml.MappingStartEvent: 1,
    yaml.SequenceEndEvent: -1,
    yaml.MappingEndEvent: -1,
}


def too_deep(text: str) -> bool:
    """Whether `text` nests collections deeper than `MAX_NESTING`, checked without composing
    it; raises `yaml.YAMLError` where it does not parse."""
    depth = 0
    for char in text:  # `[` and `{`, counted in linear time, over-approximate flow nesting
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif char in "]}" and depth:
            depth -= 1
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):  # libyaml's parser is iterative
        depth += _DEPTH_CHANGE.get(type(event), 0)
        if depth > MAX_NESTING:
            return True
    return False


def scan(kind: SpecKind, text: str) -> SpecScan:
    try:
        if too_deep(text):
            return SpecScan()
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return SpecScan()
    doc = _mapping(doc)
    email = bool(re.search(r"format\s*:\s*['\"]?email", text))
    if kind is SpecKind.MODELS:
        defines: Set[str] = set(str(k) for k in _mapping(doc.get("enums")))
        refs: Set[str] = set()
        for name, model in _mapping(doc.get("models")).items():
            model = _mapping(model)
            defines.add(str(name))
            defines.update(f"{name}{v}" for v in _mapping(model.get("variants")))
            for member in _seq(model.get("union")):
                refs |= type_names(member)
            for fname, f in _mapping(model.get("fields")).items():
                f = _mapping(f)
                if f.get("type") == "enum":
                    defines.add(f"{name}{pascal(str(fname))}")
                else:
                    refs |= type_names(f.get("type"))
        return SpecScan(
            defines=frozenset(defines), type_refs=frozenset(refs - defines), mentions_email=email
        )
    if kind is SpecKind.EVENTS:
        events = _mapping(doc.get("events"))
        return SpecScan(
            events_defined=frozenset(str(e) for e in events),
            type_refs=frozenset(
                n for e in events.values() for n in type_names(_mapping(e).get("message"))
            ),
        )
    if kind is SpecKind.DOMAIN:
        refs = set()
        event_refs: Set[str] = set()
        for op in _mapping(doc.get("operations")).values():
            op = _mapping(op)
            refs |= type_names(op.get("input")) | type_names(op.get("output"))
            for p in _seq(op.get("params")):
                refs |= type_names(_mapping(p).get("type"))
            for key in ("publish_on_success", "subscribe"):
                e = _mapping(op.get("events")).get(key)
                if isinstance(e, str):
                    event_refs.add(e)
        return SpecScan(type_refs=frozenset(refs), event_refs=frozenset(event_refs))
    if kind is SpecKind.MANIFEST:
        pairs = []
        for entry in _seq(doc.get("consumes")):
            entry = _mapping(entry)
            service, domain = entry.get("service"), entry.get("domain")
            if isinstance(service, str) and isinstance(domain, str):
                pairs.append((service, domain))
        return SpecScan(consumes=tuple(pairs))
    return SpecScan()
