"""Typed, located access to YAML mappings: every wrong key or value becomes a SpecError."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

from specforge.errors import Diagnostics, Location, join_path, suggest
from specforge.numeric import int64_problem, number_problem
from specforge.yamlio import Mapping, Node, Scalar, Sequence, kind_of

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and not keyword.iskeyword(name)


class Reader:
    """A mapping node plus its key path; reports problems to the run's diagnostics.

    `anchor` is where the mapping is named (its key in the parent), used for "missing key"
    errors so that they point at the thing that lacks the key.
    """

    def __init__(self, node: Mapping, path: str, diags: Diagnostics, anchor: Location) -> None:
        self.node = node
        self.path = path
        self.diags = diags
        self.anchor = anchor
        self._keys_reported = False

    # -- keys ---------------------------------------------------------------------------------

    def check_keys(self, allowed: Iterable[str], required: Iterable[str] = ()) -> bool:
        """Report unknown keys (with suggestions) and missing required ones. True if all fine."""
        allowed = tuple(allowed)
        ok = not self._report_keys_that_are_not_names()
        unknown: list[str] = []
        for key, _ in self.node.items:
            if isinstance(key.value, str) and key.value not in allowed:
                unknown.append(key.value)
                self.diags.error(
                    key.loc,
                    self.sub(key.value),
                    f"unknown key '{key.value}'{suggest(key.value, allowed)}; "
                    f"expected one of: {', '.join(allowed)}",
                )
                ok = False
        for name in required:
            if self.node.get(name) is None:
                ok = False
                # A misspelling of the key was already reported as unknown, with the fix.
                if not any(suggest(u, (name,)) for u in unknown):
                    self.diags.error(self.anchor, self.sub(name), f"missing required key '{name}'")
        return ok

    def has(self, key: str) -> bool:
        return self.node.get(key) is not None

    def get(self, key: str) -> Node | None:
        return self.node.get(key)

    def sub(self, key: str | int) -> str:
        return join_path(self.path, key)

    def key_loc(self, key: str) -> Location:
        k = self.node.key_node(key)
        return k.loc if k is not None else self.anchor

    def loc(self, key: str) -> Location:
        v = self.node.get(key)
        return v.loc if v is not None else self.key_loc(key)

    def error(self, key: str, message: str, *, at_key: bool = False) -> None:
        self.diags.error(self.key_loc(key) if at_key else self.loc(key), self.sub(key), message)

    # -- values -------------------------------------------------------------------------------

    def _wrong(self, key: str, node: Node, expected: str) -> None:
        self.diags.error(node.loc, self.sub(key), f"expected {expected}, got {kind_of(node)}")

    def string(self, key: str, *, allow_empty: bool = True) -> str | None:
        node = self.node.get(key)
        if node is None:
            return None
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            self._wrong(key, node, "a string")
            return None
        if not allow_empty and not node.value.strip():
            self.diags.error(node.loc, self.sub(key), "expected a non-empty string")
            return None
        return node.value

    def text(self, key: str) -> str | None:
        """A human-readable text (description, summary): a string, or a number taken as text."""
        node = self.node.get(key)
        if node is None:
            return None
        if isinstance(node, Scalar) and node.value is not None and not isinstance(node.value, bool):
            return node.text if not isinstance(node.value, str) else node.value
        self._wrong(key, node, "a text")
        return None

    def boolean(self, key: str, default: bool = False) -> bool:
        node = self.node.get(key)
        if node is None:
            return default
        if isinstance(node, Scalar) and node.value is None:
            return default
        if not isinstance(node, Scalar) or not isinstance(node.value, bool):
            self._wrong(key, node, "true or false")
            return default
        return node.value

    def integer(self, key: str, *, minimum: int | None = None) -> int | None:
        node = self.node.get(key)
        if node is None:
            return None
        if (
            not isinstance(node, Scalar)
            or isinstance(node.value, bool)
            or not isinstance(node.value, int)
        ):
            self._wrong(key, node, "an integer")
            return None
        problem = int64_problem(node.value, node.text)
        if problem is not None:
            self.diags.error(node.loc, self.sub(key), problem)
            return None
        if minimum is not None and node.value < minimum:
            self.diags.error(
                node.loc, self.sub(key), f"expected an integer >= {minimum}, got {node.value}"
            )
            return None
        return node.value

    def number(self, key: str) -> int | float | None:
        node = self.node.get(key)
        if node is None:
            return None
        if (
            not isinstance(node, Scalar)
            or isinstance(node.value, bool)
            or not isinstance(node.value, int | float)
        ):
            self._wrong(key, node, "a number")
            return None
        problem = number_problem(node.value, node.text)
        if problem is not None:
            self.diags.error(node.loc, self.sub(key), problem)
            return None
        return node.value

    def mapping(self, key: str) -> Reader | None:
        node = self.node.get(key)
        if node is None:
            return None
        if not isinstance(node, Mapping):
            self._wrong(key, node, "a mapping")
            return None
        return Reader(node, self.sub(key), self.diags, self.key_loc(key))

    def sequence(self, key: str) -> list[tuple[int, Node]] | None:
        node = self.node.get(key)
        if node is None:
            return None
        if not isinstance(node, Sequence):
            self._wrong(key, node, "a list")
            return None
        return list(enumerate(node.items))

    def mapping_items(self, key: str, what: str) -> list[Reader] | None:
        """The mappings of the list under `key`, each a Reader whose path ends in its index;
        an item that is not a mapping is reported as not being `what`."""
        items = self.sequence(key)
        if items is None:
            return None
        out: list[Reader] = []
        for i, node in items:
            path = self.sub(key) + f"[{i}]"
            if isinstance(node, Mapping):
                out.append(Reader(node, path, self.diags, node.loc))
            else:
                self.diags.error(node.loc, path, f"expected {what}, got {kind_of(node)}")
        return out

    def names(self, key: str, what: str = "a name") -> list[tuple[str, Location, str]] | None:
        """A list of strings, as (value, location, key path) triples."""
        items = self.sequence(key)
        if items is None:
            return None
        out = []
        for i, node in items:
            if isinstance(node, Scalar) and isinstance(node.value, str):
                out.append((node.value, node.loc, self.sub(key) + f"[{i}]"))
            else:
                self.diags.error(
                    node.loc, self.sub(key) + f"[{i}]", f"expected {what}, got {kind_of(node)}"
                )
        return out

    def entries(self) -> list[tuple[Scalar, Node]]:
        """The entries of a mapping keyed by names (models, fields, events...): those whose
        keys are strings. A key that is not (`123:`, `true:`, `~:`) is reported at the key."""
        self._report_keys_that_are_not_names()
        return [(k, v) for k, v in self.node.items if isinstance(k.value, str)]

    def _report_keys_that_are_not_names(self) -> bool:
        """Report every key that is not a string, once (`check_keys` and `entries` share the
        message, so two readers of one mapping report one error); True if there is one."""
        bad = [k for k, _ in self.node.items if not isinstance(k.value, str)]
        if not self._keys_reported:
            self._keys_reported = True
            for key in bad:
                self.diags.error(
                    key.loc,
                    self.sub(key.text),
                    f"expected a name, got {kind_of(key)}; quote it to use it as a name "
                    f"('{key.text}')",
                )
        return bool(bad)

    def child(self, key: Scalar, value: Node, what: str) -> Reader | None:
        """The mapping under `key`, named `what` in errors; None (reported) if not a mapping."""
        path = self.sub(key.value if isinstance(key.value, str) else key.text)
        if isinstance(value, Scalar) and value.value is None:
            return Reader(Mapping(value.loc, ()), path, self.diags, key.loc)
        if not isinstance(value, Mapping):
            self.diags.error(value.loc, path, f"expected {what} (a mapping), got {kind_of(value)}")
            return None
        return Reader(value, path, self.diags, key.loc)


def as_reader(
    node: Node | None, path: str, diags: Diagnostics, file: str, what: str
) -> Reader | None:
    """The top-level mapping of a file, or None after reporting why it is not one."""
    if node is None:
        diags.error(
            Location(file, 1, 1), path, f"the file is empty; expected a mapping with {what}"
        )
        return None
    if not isinstance(node, Mapping):
        diags.error(
            node.loc, path, f"expected a mapping with {what} at the top level, got {kind_of(node)}"
        )
        return None
    return Reader(node, path, diags, node.loc)
