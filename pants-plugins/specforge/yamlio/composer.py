"""The composer: parse events into nodes, with an explicit stack, within the limits."""

from __future__ import annotations

from typing import Any

import yaml

from specforge.errors import Location, SpecError, join_path
from specforge.yamlio.limits import (
    _CORE,
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_KEY_CHARS,
    MAX_NODES,
    SCALAR_CHARS_PER_NODE,
)
from specforge.yamlio.nodes import Mapping, Node, Scalar, Sequence
from specforge.yamlio.schema import (
    _SCALAR_TAGS,
    _SURROGATE,
    ScalarValue,
    _show_tag,
    _tagged,
    resolve_plain,
)


class _Abort(Exception):
    """Stop composing: the document cannot be used (why is reported)."""


class _Recursion:
    """The anchor of a collection still being composed: an alias to it would be a cycle."""

    def __init__(self, loc: Location) -> None:
        self.loc = loc


class _Frame:
    """A list or mapping being composed."""

    __slots__ = ("anchor", "broken", "is_map", "items", "key", "key_text", "loc", "seen", "start")

    def __init__(self, is_map: bool, loc: Location, anchor: str | None, start: int) -> None:
        self.is_map = is_map
        self.loc = loc
        self.anchor = anchor
        self.start = start  # the node count before this one
        self.broken = False  # reported; dropped when complete
        self.items: list[Any] = []
        # Mappings: the key whose value comes next (None: a key comes next); False for a key
        # that was refused (its value is composed, then dropped).
        self.key: Scalar | bool | None = None
        self.key_text: str | None = None  # the key's part of the value's path
        self.seen: dict[tuple[str, ScalarValue], Scalar] = {}


class _Composer:
    def __init__(self, file: str, max_nodes: int = MAX_NODES) -> None:
        self.file = file
        self.max_nodes = max_nodes
        self.errors: list[SpecError] = []
        self.stack: list[_Frame] = []
        # Each anchor's node (None when it was refused) and the nodes it stands for.
        self.anchors: dict[str, tuple[Node | None, int] | _Recursion] = {}
        self.count = 0
        self.aliased = False

    # -- reporting ------------------------------------------------------------------------

    def loc(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def path(self) -> str:
        """The key path of the node being composed now."""
        path = ""
        for frame in self.stack:
            if not frame.is_map:
                path = join_path(path, len(frame.items))
            elif frame.key is not None and frame.key_text is not None:
                path = join_path(path, frame.key_text)
        return path

    def error(self, loc: Location, path: str, message: str) -> None:
        self.errors.append(SpecError(loc, path, message))
        if len(self.errors) >= MAX_ERRORS:
            self.errors.append(
                SpecError(loc, path, f"more than {MAX_ERRORS} errors; fix these first")
            )
            raise _Abort

    def fatal(self, loc: Location, path: str, message: str) -> None:
        self.errors.append(SpecError(loc, path, message))
        raise _Abort

    def grow(self, weight: int, loc: Location) -> None:
        self.count += weight
        if self.count > self.max_nodes:
            limit = self.max_nodes
            if self.aliased:
                message = f"the document expands to more than {limit} nodes through its aliases"
            else:
                message = (
                    f"the document has more than {limit} nodes (keys, values and list "
                    "items), the most a spec file may hold"
                )
            self.fatal(loc, self.path(), message)

    # -- events ---------------------------------------------------------------------------

    def document(self, parser: Any) -> Node | None:
        """Compose the one document of the stream (None if there is none)."""
        get = parser.get_event
        event = get()  # the stream start
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        root = self.node(get)
        get()  # the document end
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            self.fatal(
                self.loc(event.start_mark),
                "",
                "a spec file holds one YAML document, but this one has several ('---')",
            )
        return root

    def node(self, get: Any) -> Node | None:
        """Compose the node whose events come next, iteratively."""
        stack = self.stack
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        while True:
            event = get()
            kind = type(event)
            node: Node | None
            if kind is scalar_event:
                node = self.scalar(event)
            elif kind is alias_event:
                node = self.alias(event)
            elif kind is mapping_start or kind is sequence_start:
                self.start(event, kind is mapping_start)
                continue
            else:  # the end of the innermost list or mapping
                node = self.end(stack.pop())
            if not stack:
                return node
            self.attach(stack[-1], node)

    def scalar(self, event: Any) -> Scalar | None:
        loc = self.loc(event.start_mark)
        text: str = event.value
        self.grow(1 + len(text) // SCALAR_CHARS_PER_NODE, loc)
        tag: str | None = event.tag
        node: Scalar | None = None
        try:
            if tag is None:
                if event.style:  # quoted, or a block scalar
                    if event.style == '"' and _SURROGATE.search(text):
                        raise ValueError(
                            "a \\u escape names a lone surrogate, which is not a character; "
                            "write the character itself, or \\U and its 8 hex digits"
                        )
                    node = Scalar(loc, text, text, True)
                else:
                    node = Scalar(loc, resolve_plain(text), text, False)
            elif tag == "!":
                node = Scalar(loc, text, text, True)
            elif tag.startswith(_CORE) and tag[len(_CORE) :] in _SCALAR_TAGS:
                node = Scalar(loc, _tagged(tag[len(_CORE) :], text), text, True)
            else:
                raise ValueError(f"unsupported YAML tag '{_show_tag(tag)}'")
        except ValueError as e:
            self.error(loc, self.path(), str(e))
        if event.anchor is not None:
            self.anchors[event.anchor] = (node, 1 + len(text) // SCALAR_CHARS_PER_NODE)
        return node

    def alias(self, event: Any) -> Node | None:
        loc = self.loc(event.start_mark)
        anchored = self.anchors.get(event.anchor)
        if anchored is None:
            self.fatal(
                loc, self.path(), f"undefined alias '*{event.anchor}' (no '&{event.anchor}')"
            )
        if isinstance(anchored, _Recursion):
            self.fatal(anchored.loc, self.path(), "recursive YAML aliases are not supported")
        assert isinstance(anchored, tuple)
        node, weight = anchored
        self.aliased = True
        self.grow(weight, loc)
        return node

    def start(self, event: Any, is_map: bool) -> None:
        loc = self.loc(event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            self.fatal(
                loc,
                self.path(),
                f"the document nests lists and mappings more than {MAX_DEPTH} levels deep",
            )
        frame = _Frame(is_map, loc, event.anchor, self.count)
        self.grow(1, loc)
        tag: str | None = event.tag
        if tag is not None and tag != "!" and tag != _CORE + ("map" if is_map else "seq"):
            shown = _show_tag(tag)
            if tag.startswith(_CORE) and tag[len(_CORE) :] in _SCALAR_TAGS:
                what = "a mapping" if is_map else "a list"
                self.error(loc, self.path(), f"the tag '{shown}' does not apply to {what}")
            else:
                self.error(loc, self.path(), f"unsupported YAML tag '{shown}'")
            frame.broken = True
        if event.anchor is not None:
            self.anchors[event.anchor] = _Recursion(loc)
        self.stack.append(frame)

    def end(self, frame: _Frame) -> Node | None:
        node: Node | None = None
        if not frame.broken:
            if frame.is_map:
                node = Mapping(frame.loc, tuple(frame.items))
            else:
                node = Sequence(frame.loc, tuple(frame.items))
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (node, self.count - frame.start)
        return node

    def attach(self, frame: _Frame, node: Node | None) -> None:
        """Add a complete node to the list or mapping it belongs to."""
        if not frame.is_map:
            frame.items.append(node)
            if node is None:  # refused (reported): keep the indexes of the others
                frame.broken = True
            return
        key = frame.key
        if key is None:  # `node` is a key
            frame.key = self.key(frame, node)
            frame.key_text = node.text if isinstance(node, Scalar) else None
            return
        if isinstance(key, Scalar) and node is not None:
            frame.items.append((key, node))
        frame.key = None

    def key(self, frame: _Frame, node: Node | None) -> Scalar | bool:
        """The key to pair with the next value, or False when the pair must be dropped."""
        if node is None:
            return False
        problem = None
        if not isinstance(node, Scalar):
            problem = "mapping keys must be plain names, not lists or mappings"
        elif node.text == "<<" and not node.quoted:
            problem = "YAML merge keys ('<<') are not supported in specs"
        elif len(node.text) > MAX_KEY_CHARS:
            problem = f"a key is limited to {MAX_KEY_CHARS} characters"
        if problem is not None:
            self.error(node.loc, self.path(), problem)
            return False
        assert isinstance(node, Scalar)
        marker = (type(node.value).__name__, node.value)
        first = frame.seen.get(marker)
        if first is not None:
            self.error(
                node.loc,
                join_path(self.path(), node.text),
                f"duplicate key '{node.text}' (first defined at line {first.loc.line})",
            )
            return False
        frame.seen[marker] = node
        return node
