"""The managed block of a file `sync-services` keeps in step with services.yml: the lines between
a begin and an end marker line are replaced; the rest of the file is the user's."""

from __future__ import annotations


def replace_block(lines: list[str], block: list[str]) -> list[str] | None:
    """`lines` with the block between `block`'s first and last lines (its markers) replaced by
    `block`, or None when `lines` has no such block."""
    begin, end = block[0], block[-1]
    if begin in lines and end in lines and lines.index(begin) < lines.index(end):
        start, stop = lines.index(begin), lines.index(end)
        return [*lines[:start], *block, *lines[stop + 1 :]]
    return None


def joined(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"
