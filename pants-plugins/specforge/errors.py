"""One error type for every problem found in specs, with its location and key path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Location:
    """A position in a spec file. Lines and columns count from 1."""

    file: str
    line: int = 1
    column: int = 1

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


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` hint for the nearest candidate, or nothing."""
    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    return f" (did you mean '{matches[0]}'?)" if matches else ""


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
MAX_ERRORS_PER_FILE = 200


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
