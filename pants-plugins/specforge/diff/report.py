"""The report of `specforge diff`: text for people, JSON for tools, JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from specforge.diff import Change
from specforge.diff.allow import Allowance, allowed_by
from specforge.diff.rules import Level
from specforge.files import shown


@dataclass(frozen=True)
class Verdict:
    change: Change
    allowance: Allowance | None  # the allow-list entry that accepts it, if any

    @property
    def fails(self) -> bool:
        """A breaking change that reaches a consumer and that no entry allows."""
        return self.change.breaks_a_consumer and self.allowance is None


def judge(changes: Sequence[Change], allowances: Sequence[Allowance]) -> list[Verdict]:
    return [Verdict(c, allowed_by(c, list(allowances))) for c in changes]


def unused(verdicts: Sequence[Verdict], allowances: Sequence[Allowance]) -> list[Allowance]:
    """The entries that match no change (a duplicate of a used entry matches too)."""
    return [a for a in allowances if not any(a.allows(v.change) for v in verdicts)]


def text(verdicts: Sequence[Verdict], allowances: Sequence[Allowance] = ()) -> str:
    lines = []
    for v in verdicts:
        c = v.change
        if c.breaks_a_consumer:
            reach = f"; breaks {', '.join(c.affected)}"
        elif c.affected:
            reach = f" (consumed by {', '.join(c.affected)})"
        else:
            reach = ""
        if v.allowance is not None:
            reach += f" (allowed: {shown(v.allowance.reason)})"
        lines.append(f"{c.rule.level.value.upper():8} {c.rule.id}: {c.subject}: {c.detail}{reach}")
    for a in unused(verdicts, allowances):
        lines.append(
            f"{shown(a.loc.file)}:{a.loc.line}:{a.loc.column}: warning: the allow-list entry "
            f"for {a.rule} on {shown(a.subject)} matches no change; remove it"
        )
    changes = [v.change for v in verdicts]
    breaking = sum(c.rule.level is Level.BREAKING for c in changes)
    fails = sum(v.fails for v in verdicts)
    allowed = sum(v.allowance is not None and v.change.breaks_a_consumer for v in verdicts)
    warnings = sum(c.rule.level is Level.WARNING for c in changes)
    info = sum(c.rule.level is Level.INFO for c in changes)
    lines.append(
        f"{len(changes)} change(s): {breaking} breaking ({fails} breaking a consumer, "
        f"{allowed} allowed), {warnings} warning(s), {info} info."
    )
    return "\n".join(lines) + "\n"


def as_json(verdicts: Sequence[Verdict]) -> str:
    rows = [
        {
            "rule": v.change.rule.id,
            "level": v.change.rule.level.value,
            "audience": v.change.rule.audience.value,
            "subject": v.change.subject,
            "detail": v.change.detail,
            "affected": list(v.change.affected),
            "breaks_a_consumer": v.change.breaks_a_consumer,
            "allowed": v.allowance.reason if v.allowance is not None else None,
            "fails": v.fails,
        }
        for v in verdicts
    ]
    return json.dumps(rows, indent=2) + "\n"


def junit(verdicts: Sequence[Verdict]) -> str:
    """One test case per change; a failure for each that fails the check."""
    suite = ET.Element(
        "testsuite",
        name="spec-diff",
        tests=str(len(verdicts)),
        failures=str(sum(v.fails for v in verdicts)),
    )
    for v in verdicts:
        c = v.change
        case = ET.SubElement(
            suite, "testcase", classname=c.subject, name=f"{c.rule.id}: {c.detail}"
        )
        if v.fails:
            failure = ET.SubElement(
                case, "failure", message=f"breaks {', '.join(c.affected)}", type=c.rule.level.value
            )
            failure.text = f"{c.rule.summary}: {c.detail}"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
