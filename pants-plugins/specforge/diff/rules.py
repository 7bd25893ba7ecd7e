"""The rules of `specforge diff`: each change between two versions of the specs is classified by
one named rule, with a level, for one audience.

Levels follow buf and oasdiff: BREAKING (a consumer built against the old specs fails against
the new ones), WARNING (it keeps working but may misbehave, or loses something), INFO (safe).
The direction of data decides: a request is written by the client and read by the producer, so
narrowing what the producer accepts breaks clients; a response is written by the producer and
validated by the client, so widening what it may send breaks them (generated clients validate
every answer, enums and constraints included). Events are read during rolling deploys by
consumers older and newer than the producer, so they need both directions (Confluent's FULL
compatibility: only optional fields may be added or removed).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.Enum):
    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"


class Audience(enum.Enum):
    HTTP_CLIENTS = "http-clients"  # the services whose manifests consume the operation
    EVENT_CONSUMERS = "event-consumers"  # the services with an operation subscribed to the event


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    audience: Audience
    summary: str


B, W, OK = Level.BREAKING, Level.WARNING, Level.INFO
HTTP, EVENTS = Audience.HTTP_CLIENTS, Audience.EVENT_CONSUMERS

# How a change of a model's shape counts, by where the model travels: (request, response, event).
# Generated writers send every field of a model (null where it is nullable), so what matters is
# whether a reader requires a field to be present (`required`: no default, not optional) and
# whether it accepts null (`nullable`), two separate properties.
_SHAPE: dict[str, tuple[Level, Level, Level, str]] = {
    "field-added-required": (B, OK, B, "a field that must be present was added"),
    "field-added-optional": (OK, OK, OK, "a field that may be absent was added"),
    "field-removed-required": (W, B, B, "a field that had to be present was removed"),
    "field-removed-optional": (OK, W, OK, "a field that could be absent was removed"),
    "field-became-required": (B, OK, B, "a field must now be present"),
    "field-became-optional": (OK, OK, OK, "a field may now be absent (it has a default)"),
    "field-became-nullable": (OK, B, B, "a field may now be null"),
    "field-became-non-nullable": (B, OK, B, "a field may no longer be null"),
    "union-member-added": (OK, B, B, "a union gained a member"),
    "union-member-removed": (B, OK, B, "a union lost a member"),
    "type-changed": (B, B, B, "a type changed"),
    "enum-value-added": (OK, B, B, "an enum value was added"),
    "enum-value-removed": (B, OK, B, "an enum value was removed"),
    "constraint-narrowed": (B, OK, B, "a constraint was narrowed"),
    "constraint-widened": (OK, B, B, "a constraint was widened"),
    "default-changed": (W, OK, W, "a default changed"),
}
_CONTEXTS = ("request", "response", "event")

# Changes of operations and their params (HTTP clients), and of events (their consumers).
_OTHER: tuple[tuple[str, Level, Audience, str], ...] = (
    ("operation-removed", B, HTTP, "a consumed operation was removed"),
    ("operation-no-longer-rest", B, HTTP, "a consumed operation lost its REST binding"),
    ("method-changed", B, HTTP, "an operation's HTTP method changed"),
    ("path-changed", B, HTTP, "an operation's path changed"),
    ("status-changed", W, HTTP, "an operation's success status changed"),
    ("output-removed", B, HTTP, "an operation no longer returns a body"),
    ("output-added", OK, HTTP, "an operation now returns a body"),
    ("input-added", B, HTTP, "an operation now requires a request body"),
    ("input-removed", W, HTTP, "an operation no longer reads a request body"),
    ("error-added", W, HTTP, "an operation declares a new error status"),
    ("error-removed", OK, HTTP, "an operation no longer declares an error status"),
    ("param-added-required", B, HTTP, "a required param was added"),
    ("param-added-optional", OK, HTTP, "an optional param was added"),
    ("param-removed", W, HTTP, "a param was removed"),
    ("param-became-required", B, HTTP, "a param became required"),
    ("param-became-optional", OK, HTTP, "a param became optional"),
    ("param-source-changed", B, HTTP, "a param moved between path and query"),
    ("param-type-changed", B, HTTP, "a param's type changed"),
    ("param-enum-value-removed", B, HTTP, "a value of a param's enum was removed"),
    ("param-enum-value-added", OK, HTTP, "a value of a param's enum was added"),
    ("param-constraint-narrowed", B, HTTP, "a param's constraint was narrowed"),
    ("param-constraint-widened", OK, HTTP, "a param's constraint was widened"),
    ("param-default-changed", W, HTTP, "a param's default changed"),
    ("event-removed", B, EVENTS, "a subscribed event was removed"),
    ("event-no-longer-published", B, EVENTS, "a subscribed event is no longer published"),
    ("event-no-longer-subscribable", B, EVENTS, "a subscribed event can no longer be subscribed"),
    ("channel-changed", B, EVENTS, "an event's channel changed"),
    ("message-changed", W, EVENTS, "an event carries a different model"),
)


def _table() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for name, (*levels, summary) in _SHAPE.items():
        for context, level in zip(_CONTEXTS, levels, strict=True):
            audience = EVENTS if context == "event" else HTTP
            rule_id = f"{context}-{name}"
            rules[rule_id] = Rule(rule_id, level, audience, f"{context}: {summary}")
    for rule_id, level, audience, summary in _OTHER:
        rules[rule_id] = Rule(rule_id, level, audience, summary)
    return rules


RULES = _table()
