"""The located, immutable nodes that a document composes into."""

from __future__ import annotations

from dataclasses import dataclass

from specforge.errors import Location
from specforge.yamlio.schema import (
    ScalarValue,
    _clip,
)


@dataclass(frozen=True)
class Node:
    loc: Location


# The composer builds one node per key, value and item of every document a run reads: each
# class sets its fields straight into the instance's __dict__, which is all a frozen dataclass's
# own __init__ does, field by field through object.__setattr__ (3-4x slower). They stay frozen.


@dataclass(frozen=True)
class Scalar(Node):
    value: ScalarValue
    text: str
    quoted: bool  # not resolved as a plain scalar (quoted, or explicitly tagged)

    def __init__(self, loc: Location, value: ScalarValue, text: str, quoted: bool) -> None:
        d = self.__dict__
        d["loc"] = loc
        d["value"] = value
        d["text"] = text
        d["quoted"] = quoted


@dataclass(frozen=True)
class Sequence(Node):
    items: tuple[Node, ...]

    def __init__(self, loc: Location, items: tuple[Node, ...]) -> None:
        d = self.__dict__
        d["loc"] = loc
        d["items"] = items


@dataclass(frozen=True)
class Mapping(Node):
    items: tuple[tuple[Scalar, Node], ...]

    def __init__(self, loc: Location, items: tuple[tuple[Scalar, Node], ...]) -> None:
        d = self.__dict__
        d["loc"] = loc
        d["items"] = items

    def get(self, key: str) -> Node | None:
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def key_node(self, key: str) -> Scalar | None:
        for k, _ in self.items:
            if k.value == key:
                return k
        return None


def kind_of(node: Node) -> str:
    """A user-facing name for what a node holds, for "expected X, got Y" messages."""
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    assert isinstance(node, Scalar)
    value = node.value
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({_clip(node.text)})"
    if isinstance(value, int):
        return f"an integer ({_clip(node.text)})"
    if isinstance(value, float):
        return f"a number ({_clip(node.text)})"
    return f"a string ('{_clip(value)}')"
