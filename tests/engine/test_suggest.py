""" "Did you mean": the same hints as difflib for ordinary inputs, and bounded work per run
however many unknown names meet however many candidates."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specforge import errors
from specforge.errors import SUGGESTION_BUDGET, suggest
from specforge.frontend import check_sources


def reference(name: str, candidates: Iterable[str]) -> str:
    """The unbounded suggest() this module replaced."""
    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    return f" (did you mean '{matches[0]}'?)" if matches else ""


NAMES = st.text(alphabet="abcdeABE_1", max_size=12)


@settings(max_examples=400, deadline=None, derandomize="CI" in os.environ)
@given(NAMES, st.lists(NAMES, max_size=60))
def test_ordinary_inputs_get_difflibs_hint(name: str, candidates: list[str]) -> None:
    errors.start_suggestion_budget()  # a fresh run
    assert suggest(name, candidates) == reference(name, candidates)


def test_hints_of_the_spec_language() -> None:
    errors.start_suggestion_budget()
    assert suggest("python-fastap", ("python-fastapi", "python-faststream", "node", "default"))
    assert suggest("Stirng", ("string", "int")) == " (did you mean 'string'?)"
    assert suggest("USERREAD", ("UserRead", "UserCreate")) == " (did you mean 'UserRead'?)"
    assert suggest("zzz", ("UserRead",)) == ""


class CountingMatcher(difflib.SequenceMatcher[str]):
    """Counts the characters that difflib compares, independently of the budget's own count."""

    compared = 0
    ratios = 0

    def sizes(self) -> tuple[int, int]:
        a: str = getattr(self, "a")  # noqa: B009 - set by set_seq1, untyped in typeshed
        b: str = getattr(self, "b")  # noqa: B009
        return len(a), len(b)

    def quick_ratio(self) -> float:
        CountingMatcher.compared += sum(self.sizes())
        return super().quick_ratio()

    def ratio(self) -> float:
        a, b = self.sizes()
        CountingMatcher.compared += a * b
        CountingMatcher.ratios += 1
        return super().ratio()


def unknown_types(n: int) -> dict[str, str]:
    """n models, each with a field of a misspelled, unknown type."""
    lines = ["models:"]
    for i in range(n):
        lines.append(f"  Model{i:04d}:\n    fields:\n      x: {{type: Mdoel{i:04d}x}}")
    return {"shared/spec/models.yaml": "\n".join(lines) + "\n"}


def test_work_is_bounded_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(difflib, "SequenceMatcher", CountingMatcher)
    n = 1000
    _, found = check_sources(unknown_types(n))
    assert len(found) == n
    # difflib over every pair would compare each of the 1000 names with ~1000 candidates.
    assert CountingMatcher.compared <= 2 * SUGGESTION_BUDGET
    assert CountingMatcher.ratios < n * n // 20
    # The first names still get their hint; the budget ran out before the last ones.
    assert "did you mean 'Model0000'" in found[0].message
    assert "did you mean" not in found[-1].message

    # The next run starts with a fresh budget: the same hint as at the start.
    CountingMatcher.compared = 0
    _, again = check_sources(unknown_types(3))
    assert "did you mean 'Model0002'" in again[-1].message
    assert 0 < CountingMatcher.compared < SUGGESTION_BUDGET // 100


def test_a_spent_budget_still_finds_names_that_differ_in_case() -> None:
    errors.start_suggestion_budget(0)
    assert suggest("userread", ["UserRead"]) == " (did you mean 'UserRead'?)"
    assert suggest("UsrRead", ["UserRead"]) == ""
