"""The allow-list of intentional breaking changes: a reviewed YAML file, one entry per change
that may break its consumers, each with the reason.

    allow:
      - rule: response-field-removed-required
        subject: backend/users.get_user
        reason: tg_bot stopped reading created_at in its 2.3 release

An entry allows every change of that rule on that subject. Entries are read like spec files:
bounded, located errors, unknown keys refused, a reason required.
"""

from __future__ import annotations

from dataclasses import dataclass

from specforge.diff import Change
from specforge.diff.rules import RULES
from specforge.errors import Diagnostics, Location, suggest
from specforge.reader import as_reader
from specforge.yamlio import load_yaml


@dataclass(frozen=True)
class Allowance:
    rule: str
    subject: str
    reason: str
    loc: Location

    def allows(self, change: Change) -> bool:
        return change.rule.id == self.rule and change.subject == self.subject


def read_allow_list(text: str, file: str, diags: Diagnostics) -> list[Allowance]:
    before = len(diags.errors)
    node = load_yaml(text, file, diags)
    if len(diags.errors) > before:
        return []
    top = as_reader(node, "", diags, file, "'allow'")
    if top is None:
        return []
    top.check_keys(("allow",), required=("allow",))
    entries = top.mapping_items("allow", "an entry such as {rule: ..., subject: ..., reason: ...}")
    out: list[Allowance] = []
    for e in entries or []:
        e.check_keys(("rule", "subject", "reason"), required=("rule", "subject", "reason"))
        rule = e.string("rule", allow_empty=False)
        subject = e.string("subject", allow_empty=False)
        reason = e.string("reason", allow_empty=False)
        if rule is not None and rule not in RULES:
            e.error("rule", f"unknown rule '{rule}'{suggest(rule, list(RULES))}")
            continue
        if rule is None or subject is None or reason is None:
            continue
        if not reason.strip():
            e.error("reason", "say why this break is intended")
            continue
        out.append(Allowance(rule, subject, reason.strip(), e.loc("rule")))
    return out


def allowed_by(change: Change, allowances: list[Allowance]) -> Allowance | None:
    return next((a for a in allowances if a.allows(change)), None)
