"""Patterns as the generated code compiles them: with pydantic-core's Rust `regex` engine.

Pydantic validates `Field(pattern=...)` with that engine (linear-time matching; no look-around
and no backreferences; a limit on the compiled size), not with Python's `re`; so `check`
compiles every pattern with it, and a pattern that passes `check` is one the generated module
can compile and that matches what it matches at run time.

Compiling is linear in the compiled size, but that size grows with counted repetitions of
large Unicode classes (`\\w{200}` is megabytes), and a spec can hold thousands of patterns. So
each run has a budget of compile work, estimated from the pattern text before compiling it
(`estimate`, in units of about a microsecond); a pattern that would overrun it is a located
error instead of minutes of compiling. Matching a default costs the same budget.

pydantic-core is imported on first use (it costs about 0.1 s), so a run without patterns or
defaults does not pay for it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator

# Half a second of compiling at most per run; a real repo uses a small part of it (a
# `^[a-z0-9_]{3,32}$` costs 426, a `^[\w.-]{1,64}$` 65,000).
RUN_BUDGET = 1_000_000
# Matching a text costs its length times the pattern's estimate over this.
MATCH_DIVISOR = 50_000
_CAP = 10**15  # estimates saturate here: nested counted repetitions multiply

# Weights, from the time pydantic-core takes to compile one copy of each kind of atom.
_HEAVY = 1000  # \w \W \p{..} \P{..}: thousands of Unicode ranges
_DIGIT = 200  # \d \D
_MEDIUM = 50  # . \s \S \b \B and negated classes
_LITERAL = 5
_LITERAL_CASELESS = 30  # under (?i) a letter may stand for several characters
_BASE = 20

_ESCAPE_WEIGHTS = {
    "w": _HEAVY,
    "W": _HEAVY,
    "p": _HEAVY,
    "P": _HEAVY,
    "d": _DIGIT,
    "D": _DIGIT,
    "s": _MEDIUM,
    "S": _MEDIUM,
    "b": _MEDIUM,
    "B": _MEDIUM,
}
_REPEAT = re.compile(r"\{\s*([0-9]+)\s*(?:,\s*([0-9]*)\s*)?\}")
_CASELESS = re.compile(r"\(\?[A-Za-z-]*i")
_GROUP_PREFIX = re.compile(r"\?(?:P?<[^>]*>|[A-Za-z-]*:?)")


def estimate(pattern: str) -> int:
    """An upper estimate of the work of compiling `pattern`, in budget units. Linear in the
    length of the pattern; needs no valid syntax (invalid patterns fail to compile anyway)."""
    literal = _LITERAL_CASELESS if _CASELESS.search(pattern) else _LITERAL
    stack: list[tuple[int, int]] = []  # (total, last atom) of the enclosing groups
    total = last = 0
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "(":
            stack.append((total, last))
            total = last = 0
            prefix = _GROUP_PREFIX.match(pattern, i + 1)
            i = prefix.end() if prefix else i + 1
            continue
        if c == ")":
            group = total
            if stack:
                total, last = stack.pop()
            total, last = min(total + group, _CAP), group
            i += 1
            continue
        times = 0
        if c in "*+?":
            times = 2
            i += 1
            if i < n and pattern[i] in "?+":
                i += 1
        elif c == "{" and (m := _REPEAT.match(pattern, i)):
            times = _count(m[2] or m[1]) + 1
            i = m.end()
            if i < n and pattern[i] == "?":
                i += 1
        if times:
            repeated = min(last * times, _CAP)
            total, last = min(total - last + repeated, _CAP), repeated
            continue
        if c == "\\":
            atom, i = _escape(pattern, i, literal)
        elif c == "[":
            atom, i = _bracket(pattern, i, literal)
        else:
            atom = _MEDIUM if c == "." else literal
            i += 1
        total, last = min(total + atom, _CAP), atom
    while stack:
        group = total
        total, _ = stack.pop()
        total = min(total + group, _CAP)
    return total + _BASE


def _count(digits: str) -> int:
    return int(digits) if len(digits) <= 9 else 10**9


def _escape(pattern: str, i: int, literal: int) -> tuple[int, int]:
    """The weight of the escape at `i` (a backslash) and the index after it."""
    if i + 1 >= len(pattern):
        return literal, i + 1
    kind = pattern[i + 1]
    end = i + 2
    if kind in "pPxuU" and end < len(pattern) and pattern[end] == "{":
        close = pattern.find("}", end)
        end = close + 1 if close >= 0 else len(pattern)
    elif kind in "pP":
        end += 1
    return _ESCAPE_WEIGHTS.get(kind, literal), end


def _bracket(pattern: str, i: int, literal: int) -> tuple[int, int]:
    """The weight of the character class opening at `i` and the index after it."""
    n = len(pattern)
    j = i + 1
    weight = _LITERAL
    if j < n and pattern[j] == "^":
        weight += _MEDIUM
        j += 1
    if j < n and pattern[j] == "]":
        weight += literal
        j += 1
    depth = 1
    while j < n:
        c = pattern[j]
        if c == "\\":
            atom, j = _escape(pattern, j, literal)
            weight += atom
            continue
        if c == "[" and pattern.startswith(":", j + 1):
            close = pattern.find(":]", j + 2)
            j = close + 2 if close >= 0 else n
            weight += _MEDIUM
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return weight, j + 1
        else:
            weight += 1
        j += 1
    return weight, n


class TooCostly(Exception):
    """Matching a text would overrun the run's budget; the message says so."""


class PatternChecker:
    """Compiles the patterns of one run with pydantic-core, once each, within `budget`.

    Compiled patterns take memory in proportion to their cost, so only the last few are kept
    (a pattern is usually checked, then matched against its field's default); matching with
    one that was dropped compiles it again, against the budget again.
    """

    KEPT = 8

    def __init__(self, budget: int = RUN_BUDGET) -> None:
        self.budget = budget
        self.left = budget
        self.spent = 0
        self._costs: dict[str, int] = {}  # the patterns that compile
        self._problems: dict[str, str] = {}
        self._kept: OrderedDict[str, SchemaValidator] = OrderedDict()

    def _charge(self, cost: int) -> bool:
        if cost > self.left:
            return False
        self.left -= cost
        self.spent += cost
        return True

    def _compile(self, pattern: str) -> SchemaValidator:
        from pydantic_core import SchemaValidator, core_schema

        validator = SchemaValidator(core_schema.str_schema(pattern=pattern))
        self._kept[pattern] = validator
        if len(self._kept) > self.KEPT:
            self._kept.popitem(last=False)
        return validator

    def problem(self, pattern: str) -> str | None:
        """Why `pattern` cannot be the pattern of a field, or None when it compiles."""
        if pattern in self._costs:
            return None
        if pattern in self._problems:
            return self._problems[pattern]
        cost = estimate(pattern)
        if not self._charge(cost):
            problem = (
                f"the pattern is too costly to compile: about {cost} units of work, where the "
                f"patterns of all the specs may take {self.budget} together ({self.left} left); "
                "repeat large classes such as \\w or \\p{L} fewer times, or use ASCII classes "
                "such as [A-Za-z0-9_]"
            )
            self._problems[pattern] = problem
            return problem
        from pydantic_core import SchemaError

        try:
            self._compile(pattern)
        except SchemaError as e:
            problem = f"invalid regular expression: {rust_message(str(e), pattern)}"
            self._problems[pattern] = problem
            return problem
        self._costs[pattern] = cost
        return None

    def mismatch(self, pattern: str, text: str) -> str | None:
        """Pydantic's message when `text` does not match `pattern` (which compiles), or None
        when it matches. Raises TooCostly when the run's budget does not cover matching."""
        from pydantic_core import ValidationError

        cost = self._costs[pattern]
        validator = self._kept.get(pattern)
        if validator is None:
            if not self._charge(cost):
                raise TooCostly(
                    f"the pattern (about {cost} units of work) is too costly to compile again "
                    "to match it; use fewer or simpler patterns"
                )
            validator = self._compile(pattern)
        if not self._charge(len(text) * cost // MATCH_DIVISOR):
            raise TooCostly(
                f"matching its {len(text)} characters against the pattern is too costly (a "
                f"pattern of about {cost} units of work); shorten it"
            )
        try:
            validator.validate_python(text)
        except ValidationError as e:
            return str(e.errors(include_url=False)[0]["msg"])
        return None


def rust_message(error: str, pattern: str) -> str:
    """The useful line of a pydantic-core SchemaError about a pattern, with the position in
    the pattern when the message shows one:

        Error building "str" validator:
          SchemaError: regex parse error:
            (?=a)
            ^^^
        error: look-around, including look-ahead and look-behind, is not supported
    """
    lines = [line.rstrip() for line in error.splitlines()]
    useful = next((line[len("error: ") :] for line in lines if line.startswith("error: ")), None)
    if useful is None:
        rest = [line.strip() for line in lines if line.strip()]
        rest = [line for line in rest if not line.startswith("Error building")]
        useful = rest[-1].removeprefix("SchemaError: ") if rest else "not a regular expression"
        return useful
    carets = [line for line in lines if line.strip() and set(line.strip()) == {"^"}]
    if len(carets) == 1 and "\n" not in pattern and pattern.isascii():
        # The pattern is shown indented by 4 spaces, and the carets under it.
        position = len(carets[0]) - len(carets[0].lstrip()) - 4 + 1
        if position >= 1:
            return f"{useful} (at position {position})"
    return useful
