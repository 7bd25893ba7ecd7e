"""One error type for every problem found in specs, with its location and key path."""

from __future__ import annotations

import bisect
import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Location:
    """A position in a spec file. Lines and columns count from 1."""

    file: str
    line: int = 1
    column: int = 1

    def __init__(self, file: str, line: int = 1, column: int = 1) -> None:
        # One per node of every document a run composes: the fields go straight into the
        # instance's __dict__, which is all a frozen dataclass's __init__ does, field by field
        # through object.__setattr__ (3.5x slower). Still frozen: assignment raises.
        d = self.__dict__
        d["file"] = file
        d["line"] = line
        d["column"] = column

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class SpecError:
    """A located problem in a spec: where it is, which key, what was expected."""

    location: Location
    path: str
    message: str

    def format(self) -> str:
        """One line, `path:line:col: error: message [key.path]`; spec text in it (names,
        values, file names) shows its control characters escaped, so it cannot add lines or
        terminal escapes to the output."""
        suffix = f" [{self.path}]" if self.path else ""
        return visible(f"{self.location}: error: {self.message}{suffix}")

    def __str__(self) -> str:
        return self.format()


def visible(text: str) -> str:
    """`text` with backslash escapes for every character that is not printable."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# "Did you mean" work is bounded per run, so that thousands of unknown names against thousands
# of candidates cost a fraction of a second, not minutes. A unit is about one character
# compared (well under a microsecond); an ordinary typo among 200 names costs about 4,000, so
# a run serves over a hundred of them. Once a run has spent its budget, the remaining hints
# are only names that differ in case.
SUGGESTION_BUDGET = 500_000
_CUTOFF = 0.6


class SuggestionBudget:
    """The suggestion work a run may still do; each Diagnostics starts a fresh one."""

    def __init__(self, units: int = SUGGESTION_BUDGET) -> None:
        self.left = units
        self.spent = 0

    def charge(self, units: int) -> bool:
        if units > self.left:
            self.left = 0
            return False
        self.left -= units
        self.spent += units
        return True


_budget = SuggestionBudget()


def start_suggestion_budget(units: int = SUGGESTION_BUDGET) -> SuggestionBudget:
    """Give the current run a fresh budget and return it. A run starts one (`check_sources`);
    nothing else may, so that what a run suggests does not depend on what else it does (such
    as composing a document that an engine server's worker finds already composed)."""
    global _budget
    _budget = SuggestionBudget(units)
    return _budget


@dataclass(frozen=True)
class _Pool:
    """Candidates sorted by length (then by name), to visit only those whose length can
    give a close enough match."""

    names: tuple[str, ...]
    lengths: tuple[int, ...]
    lowered: dict[str, str]


@functools.lru_cache(maxsize=32)
def _pool(candidates: tuple[str, ...]) -> _Pool:
    unique = sorted(set(candidates))
    by_length = sorted(unique, key=lambda c: (len(c), c))
    return _Pool(tuple(by_length), tuple(len(c) for c in by_length), {c.lower(): c for c in unique})


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` hint for the nearest candidate, or nothing.

    The same answer as `difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)`, or
    failing that a candidate equal to `name` but for case; within the run's budget.
    """
    pool = _pool(tuple(candidates))
    match = _closest(name, pool, _budget)
    if match is None:
        match = pool.lowered.get(name.lower())
    return f" (did you mean '{match}'?)" if match is not None else ""


def _closest(name: str, pool: _Pool, budget: SuggestionBudget) -> str | None:
    # A candidate of length m can reach a ratio of 2*min(n, m)/(n + m) at best (difflib's
    # real_quick_ratio), so only lengths between 3n/7 and 7n/3 can reach the cutoff.
    n = len(name)
    lo = bisect.bisect_left(pool.lengths, (3 * n) // 7)
    hi = bisect.bisect_right(pool.lengths, -(-7 * n // 3))
    if lo >= hi or not budget.charge(n + (hi - lo)):
        return None
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(name)
    best: tuple[float, str] | None = None
    for candidate in pool.names[lo:hi]:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() < _CUTOFF:
            continue
        if not budget.charge(n + len(candidate)):
            return None
        if matcher.quick_ratio() < _CUTOFF:
            continue
        if not budget.charge(n * len(candidate)):
            return None
        score = matcher.ratio()
        if score >= _CUTOFF and (best is None or (score, candidate) > best):
            best = (score, candidate)
    return best[1] if best is not None else None


def join_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


@dataclass
class Diagnostics:
    """Collects every error of a run; they are reported together, sorted."""

    errors: list[SpecError] = field(default_factory=list)

    def error(self, location: Location, path: str, message: str) -> None:
        self.errors.append(SpecError(location, path, message))

    def sorted(self) -> list[SpecError]:
        return sort_errors(self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)


#: Errors shown per file; a file with more gets one line saying how many more it has.
MAX_ERRORS_PER_FILE = 5000


def _key(e: SpecError) -> tuple[str, int, int, str, str]:
    return (e.location.file, e.location.line, e.location.column, e.path, e.message)


def sort_errors(errors: Iterable[SpecError]) -> list[SpecError]:
    """Without duplicates, sorted by file, line, column, key path and message."""
    return sorted(set(errors), key=_key)


def report(errors: Iterable[SpecError]) -> list[SpecError]:
    """The errors to show: sorted, at most `MAX_ERRORS_PER_FILE` per file (then one line
    saying how many more there are)."""
    ordered = sort_errors(errors)
    totals: dict[str, int] = {}
    for e in ordered:
        totals[e.location.file] = totals.get(e.location.file, 0) + 1
    out: list[SpecError] = []
    seen: dict[str, int] = {}
    for e in ordered:
        n = seen[e.location.file] = seen.get(e.location.file, 0) + 1
        if n <= MAX_ERRORS_PER_FILE:
            out.append(e)
        elif n == MAX_ERRORS_PER_FILE + 1:
            more = totals[e.location.file] - MAX_ERRORS_PER_FILE
            out.append(
                SpecError(
                    e.location,
                    "",
                    f"{more} more error{'s' if more > 1 else ''} in this file, not shown; fix "
                    "the ones above first",
                )
            )
    return out


class SpecErrors(Exception):
    """Raised by the high-level API when specs are invalid; carries every error, sorted."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        self.errors = sort_errors(errors)
        super().__init__("\n".join(e.format() for e in self.errors))
