"""The report of `specforge diff`, as text for people or JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence

from specforge.diff import Change
from specforge.diff.rules import Level


def text(changes: Sequence[Change]) -> str:
    lines = []
    for c in changes:
        reach = f"; breaks {', '.join(c.affected)}" if c.breaks_a_consumer else ""
        if c.affected and not c.breaks_a_consumer:
            reach = f" (consumed by {', '.join(c.affected)})"
        lines.append(f"{c.rule.level.value.upper():8} {c.rule.id}: {c.subject}: {c.detail}{reach}")
    breaking = sum(c.rule.level is Level.BREAKING for c in changes)
    breaks = sum(c.breaks_a_consumer for c in changes)
    warnings = sum(c.rule.level is Level.WARNING for c in changes)
    info = sum(c.rule.level is Level.INFO for c in changes)
    lines.append(
        f"{len(changes)} change(s): {breaking} breaking ({breaks} breaking a consumer), "
        f"{warnings} warning(s), {info} info."
    )
    return "\n".join(lines) + "\n"


def as_json(changes: Sequence[Change]) -> str:
    return (
        json.dumps(
            [
                {
                    "rule": c.rule.id,
                    "level": c.rule.level.value,
                    "audience": c.rule.audience.value,
                    "subject": c.subject,
                    "detail": c.detail,
                    "affected": list(c.affected),
                    "breaks_a_consumer": c.breaks_a_consumer,
                }
                for c in changes
            ],
            indent=2,
        )
        + "\n"
    )
