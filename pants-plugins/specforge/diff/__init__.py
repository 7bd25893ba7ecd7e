"""`specforge diff`: what changed between two versions of the specs, by rule, and who it breaks.

`compare(old, new)` walks every HTTP operation and every event of the old project and finds
its counterpart in the new one: operations by (service, domain, name), events by name. Each
difference is a `Change` under one rule of `rules.RULES`, with the services it affects: for an
operation, the services whose manifests consume it; for an event, the services with an
operation subscribed to it (both read from the old specs: who was relying on it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from specforge import ir
from specforge.diff import shapes
from specforge.diff.rules import RULES, Level, Rule


@dataclass(frozen=True)
class Change:
    rule: Rule
    subject: str  # `backend/users.get_user`, or `event user_registered`
    detail: str
    affected: tuple[str, ...]  # the services it reaches

    @property
    def breaks_a_consumer(self) -> bool:
        return self.rule.level is Level.BREAKING and bool(self.affected)


def compare(old: ir.Project, new: ir.Project) -> list[Change]:
    changes = [*_operations(old, new), *_events(old, new)]
    return sorted(changes, key=lambda c: (c.subject, c.rule.id, c.detail))


# Records a change of one subject: (rule id, detail).
_Emit = Callable[[str, str], None]


def _emitter(changes: list[Change], subject: str, affected: tuple[str, ...]) -> _Emit:
    def change(rule_id: str, detail: str) -> None:
        changes.append(Change(RULES[rule_id], subject, detail, affected))

    return change


# -- operations ------------------------------------------------------------------------------


def _consumers(project: ir.Project) -> dict[tuple[str, str, str], tuple[str, ...]]:
    found: dict[tuple[str, str, str], list[str]] = {}
    for m in project.manifests:
        for c in m.consumes:
            for op in c.operations:
                found.setdefault((op.service, op.domain, op.name), []).append(m.service)
    return {k: tuple(sorted(set(v))) for k, v in found.items()}


def _rest_operations(project: ir.Project) -> dict[tuple[str, str, str], ir.Operation]:
    return {
        (d.service, d.name, op.name): op
        for d in project.domains
        for op in d.operations
        if op.rest is not None
    }


def _operations(old: ir.Project, new: ir.Project) -> list[Change]:
    consumers = _consumers(old)
    new_ops = {(d.service, d.name, op.name): op for d in new.domains for op in d.operations}
    changes: list[Change] = []
    for key, op in _rest_operations(old).items():
        service, domain, name = key
        subject = f"{service}/{domain}.{name}"
        affected = consumers.get(key, ())

        change = _emitter(changes, subject, affected)
        other = new_ops.get(key)
        if other is None:
            change("operation-removed", f"operation `{name}` was removed")
            continue
        if other.rest is None:
            change("operation-no-longer-rest", f"operation `{name}` has no 'rest' any more")
            continue
        assert op.rest is not None
        if op.rest.method != other.rest.method:
            change("method-changed", f"method was {op.rest.method}, is {other.rest.method}")
        if _route(op.rest.full_path) != _route(other.rest.full_path):
            change("path-changed", f"path was {op.rest.full_path}, is {other.rest.full_path}")
        if op.rest.status != other.rest.status:
            change("status-changed", f"status was {op.rest.status}, is {other.rest.status}")
        _bodies(op, other, change)
        _errors(op, other, change)
        _params(op, other, change, _renamed_path_params(op.rest.full_path, other.rest.full_path))
    return changes


def _bodies(op: ir.Operation, other: ir.Operation, change: _Emit) -> None:
    if op.output is not None and other.output is None:
        change("output-removed", "the response has no body any more")
    elif op.output is None and other.output is not None:
        change("output-added", f"the response now has a body ({ir.spelled(other.output)})")
    elif op.output is not None and other.output is not None:
        for f in shapes.compare_types(op.output, other.output, "response"):
            change(f"response-{f.rule}", f"response: {f.detail}")
    if op.input is None and other.input is not None:
        change("input-added", f"a request body is now required ({other.input.name})")
    elif op.input is not None and other.input is None:
        change("input-removed", "the request body is no longer read")
    elif op.input is not None and other.input is not None:
        for f in shapes.compare_types(ir.ModelType(op.input), ir.ModelType(other.input), "request"):
            change(f"request-{f.rule}", f"request: {f.detail}")


def _errors(op: ir.Operation, other: ir.Operation, change: _Emit) -> None:
    before = {e.status for e in op.errors}
    after = {e.status for e in other.errors}
    for status in sorted(after - before):
        change("error-added", f"declares error {status} (clients get it as the base error)")
    for status in sorted(before - after):
        change("error-removed", f"no longer declares error {status}")


_PLACEHOLDER = re.compile(r"\{([^}]*)\}")


def _route(path: str) -> str:
    """A path as the wire sees it: `/users/{user_id}` and `/users/{id}` are one route."""
    return _PLACEHOLDER.sub("{}", path)


def _renamed_path_params(old: str, new: str) -> dict[str, str]:
    """Old path param name -> new one, matched by position, when the route is the same."""
    if _route(old) != _route(new):
        return {}
    return dict(zip(_PLACEHOLDER.findall(old), _PLACEHOLDER.findall(new), strict=True))


def _params(op: ir.Operation, other: ir.Operation, change: _Emit, renamed: dict[str, str]) -> None:
    new_params = {p.name: p for p in other.params}
    old_names = {renamed.get(p.name, p.name) for p in op.params}
    for p in op.params:
        q = new_params.get(renamed.get(p.name, p.name))
        if q is None:
            change("param-removed", f"param `{p.name}` was removed")
            continue
        if p.source is not q.source:
            change(
                "param-source-changed",
                f"param `{p.name}` was a {p.source.value} param, is a {q.source.value} param",
            )
        if not p.required and q.required:
            change("param-became-required", f"param `{p.name}` became required")
        elif p.required and not q.required:
            change("param-became-optional", f"param `{p.name}` became optional")
        where = f"param {p.name}"
        for f in shapes.compare_types(p.type, q.type, where):
            change(f"param-{f.rule}", f.detail)
        for f in shapes.constraints(
            p.constraints, q.constraints, where, integer=shapes.is_integer(p.type)
        ):
            change(f"param-{f.rule}", f.detail)
        if (
            p.default is not ir.NO_DEFAULT
            and q.default is not ir.NO_DEFAULT
            and shapes.default_key(p.default) != shapes.default_key(q.default)
        ):
            change("param-default-changed", f"the default of param `{p.name}` changed")
    for q in other.params:
        if q.name not in old_names:
            rule = "param-added-required" if q.required else "param-added-optional"
            change(rule, f"param `{q.name}` was added ({'required' if q.required else 'optional'})")


# -- events ----------------------------------------------------------------------------------


def _subscribers(project: ir.Project) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for d in project.domains:
        for op in d.operations:
            if op.subscribe is not None:
                found.setdefault(op.subscribe.name, set()).add(d.service)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def _events(old: ir.Project, new: ir.Project) -> list[Change]:
    subscribers = _subscribers(old)
    new_events = {e.name: e for e in new.events}
    changes: list[Change] = []
    for e in old.events:
        subject = f"event {e.name}"
        affected = subscribers.get(e.name, ())

        change = _emitter(changes, subject, affected)
        other = new_events.get(e.name)
        if other is None:
            change("event-removed", f"event `{e.name}` was removed")
            continue
        if e.publish and not other.publish:
            change("event-no-longer-published", f"event `{e.name}` is no longer published")
        if e.subscribe and not other.subscribe:
            change("event-no-longer-subscribable", f"event `{e.name}` is no longer subscribable")
        if e.channel != other.channel:
            change("channel-changed", f"channel was {e.channel}, is {other.channel}")
        if e.message.name != other.message.name:
            change("message-changed", f"message was {e.message.name}, is {other.message.name}")
        for f in shapes.compare_types(
            ir.ModelType(e.message), ir.ModelType(other.message), "message"
        ):
            change(f"event-{f.rule}", f"message: {f.detail}")
    return changes


__all__ = ["Change", "compare"]
