"""A fast, lenient scan of spec files for dependency inference: which names a file defines and
which it uses. It never fails: a file that does not load defines and uses nothing (the
engine's check reports its errors). Files are read by the engine's own YAML loader, within its
limits (size, depth, nodes), so no spec can make inference slow or big."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from specforge.errors import Diagnostics
from specforge.layout import BUILTIN_TYPE_NAMES, SpecKind, inline_enum_name, variant_name
from specforge.yamlio import Mapping, Node, Scalar, Sequence, load_yaml

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LITERAL = re.compile(r"literal\s*\[[^\]]*\]")


@dataclass(frozen=True)
class SpecScan:
    defines: FrozenSet[str] = frozenset()  # models, variants and enums (models files)
    events_defined: FrozenSet[str] = frozenset()  # events (events files)
    type_refs: FrozenSet[str] = frozenset()  # model and enum names used
    event_refs: FrozenSet[str] = frozenset()  # events used
    events_published: FrozenSet[str] = frozenset()  # events a domain publishes on success
    events_subscribed: FrozenSet[str] = frozenset()  # events a domain subscribes to
    consumes: Tuple[Tuple[str, str], ...] = ()  # (service, domain) pairs of a manifest
    apis: Tuple[str, ...] = ()  # the external APIs a manifest consumes
    mentions_email: bool = False


def type_names(expr: Optional[str]) -> Set[str]:
    if expr is None:
        return set()
    return {n for n in _NAME.findall(_LITERAL.sub("", expr)) if n not in BUILTIN_TYPE_NAMES}


def _mapping(node: Optional[Node]) -> Dict[str, Node]:
    """The string-keyed entries of a mapping; nothing for anything else."""
    if not isinstance(node, Mapping):
        return {}
    return {k.value: v for k, v in node.items if isinstance(k.value, str)}


def _seq(node: Optional[Node]) -> List[Node]:
    return list(node.items) if isinstance(node, Sequence) else []


def _str(node: Optional[Node]) -> Optional[str]:
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return node.value
    return None


def scan(kind: SpecKind, text: str) -> SpecScan:
    # Whatever the loader refuses is left out (its errors are the engine check's to report).
    root = load_yaml(text, "", Diagnostics())
    if root is None:
        return SpecScan()
    doc = _mapping(root)
    email = bool(re.search(r"format\s*:\s*['\"]?email", text))
    if kind is SpecKind.MODELS:
        defines: Set[str] = set(_mapping(doc.get("enums")))
        refs: Set[str] = set()
        for name, node in _mapping(doc.get("models")).items():
            model = _mapping(node)
            defines.add(name)
            defines.update(variant_name(name, v) for v in _mapping(model.get("variants")))
            for member in _seq(model.get("union")):
                refs |= type_names(_str(member))
            for fname, field in _mapping(model.get("fields")).items():
                type_text = _str(_mapping(field).get("type"))
                if type_text == "enum":
                    defines.add(inline_enum_name(name, fname))
                else:
                    refs |= type_names(type_text)
        return SpecScan(
            defines=frozenset(defines), type_refs=frozenset(refs - defines), mentions_email=email
        )
    if kind is SpecKind.EVENTS:
        events = _mapping(doc.get("events"))
        return SpecScan(
            events_defined=frozenset(events),
            type_refs=frozenset(
                n for e in events.values() for n in type_names(_str(_mapping(e).get("message")))
            ),
        )
    if kind is SpecKind.DOMAIN:
        refs = set()
        published: Set[str] = set()
        subscribed: Set[str] = set()
        for node in _mapping(doc.get("operations")).values():
            op = _mapping(node)
            refs |= type_names(_str(op.get("input"))) | type_names(_str(op.get("output")))
            for p in _seq(op.get("params")):
                refs |= type_names(_str(_mapping(p).get("type")))
            for key, found in (("publish_on_success", published), ("subscribe", subscribed)):
                event = _str(_mapping(op.get("events")).get(key))
                if event is not None:
                    found.add(event)
        return SpecScan(
            type_refs=frozenset(refs),
            event_refs=frozenset(published | subscribed),
            events_published=frozenset(published),
            events_subscribed=frozenset(subscribed),
        )
    if kind is SpecKind.MANIFEST:
        pairs = []
        apis = []
        for entry in _seq(doc.get("consumes")):
            fields = _mapping(entry)
            service, domain = _str(fields.get("service")), _str(fields.get("domain"))
            if service is not None and domain is not None:
                pairs.append((service, domain))
            api = _str(fields.get("api"))
            if api is not None:
                apis.append(api)
        return SpecScan(consumes=tuple(pairs), apis=tuple(apis))
    if kind is SpecKind.OPENAPI:
        return SpecScan(mentions_email=email)
    return SpecScan()
