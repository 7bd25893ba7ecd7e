"""YAML loading with positions, by the YAML 1.2 core schema, within fixed limits.

LibYAML (PyYAML's pure-Python parser where LibYAML is missing) turns the text into parse
events; this module composes them into small immutable nodes that carry their 1-based line
and column. The composer is ours, so that it can hold every document to the same limits:
it works with an explicit stack (no recursion), stops at the first node that nests too deep or
makes the document too big (an alias counts as the whole subtree it stands for, but the node
is shared, not copied), and refuses a text over `MAX_DOCUMENT_BYTES` without parsing it.

Scalars follow YAML 1.2 (core schema): `yes`/`on`/`off` are strings, `1e2` is a float and
`0o17` an integer. The standard tags `!!str !!int !!float !!bool !!null !!map !!seq` and the
non-specific `!` (a string) are applied; any other tag is an error. Malformed YAML (tabs,
duplicate keys, several documents, merge keys, recursive or undefined aliases, a character
YAML does not allow) is reported as a located error, never raised.

The plugin's dependency scan imports this module inside Pants (CPython 3.9): keep it
3.9-compatible.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Union

import yaml

from specforge.errors import Diagnostics, Location, SpecError, join_path

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ScalarValue = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime alias, run on 3.9

# -- limits -----------------------------------------------------------------------------------
#
# Chosen by measurement (`tests/bench/yaml_bench.py`): any text of up to `MAX_DOCUMENT_BYTES` is
# loaded or refused in about a second and well under 300 MB. `MAX_NODES` also bounds what the
# engine does with the nodes: its slowest case at that size (an error for every node, 1 MiB of
# duplicate enum values) takes 2 to 4 s and 110 MB in `check` on a loaded 2-core machine. Real
# specs hold a node per 8 to 18 bytes (the 800 models of a 200-service workload: 490 KB, 54,000
# nodes), so a file of ordinary specs reaches the size limit before the node limit.

#: A larger text is refused with one error at 1:1, without being parsed.
MAX_DOCUMENT_BYTES = 1 << 20
#: Lists and mappings nest at most this deep (a spec needs fewer than 10 levels).
MAX_DEPTH = 64
#: The most nodes (keys, values, list items, lists and mappings) one document may hold, counting
#: every alias as the nodes of the subtree it stands for, and every `SCALAR_CHARS_PER_NODE`
#: characters of a scalar as one more node (so that aliasing a long string is not free).
MAX_NODES = 120_000
SCALAR_CHARS_PER_NODE = 64
#: YAML limits implicit keys to 1024 characters; explicit (`? key`) ones are held to it too.
MAX_KEY_CHARS = 1024
#: Integers take at most this many decimal digits (Python's own limit for converting them).
MAX_INT_DIGITS = 4300
#: After this many errors in one document the loader stops looking for more.
MAX_ERRORS = 50

_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))  # fewer bits always print in the limit
_CORE = "tag:yaml.org,2002:"

# -- the YAML 1.2 core schema -----------------------------------------------------------------

_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_NULLS = {"": None, "~": None, "null": None, "Null": None, "NULL": None}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL: dict[str, ScalarValue] = {**_NULLS, **_BOOLS}
_NUMERIC_START = frozenset("0123456789+-.")

# What YAML 1.2 allows in a stream (c-printable); anything else is refused before parsing.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # where LibYAML starts a new line


def _integer(text: str) -> int | None:
    """The core-schema integer `text` denotes, or None; ValueError when it is too large."""
    if _INT10.fullmatch(text):
        digits = len(text) - (text[0] in "+-")
        if digits > MAX_INT_DIGITS:
            raise ValueError(f"integer too large (more than {MAX_INT_DIGITS} digits)")
        return int(text)
    base = 8 if _INT8.fullmatch(text) else 16 if _INT16.fullmatch(text) else 0
    if not base:
        return None
    if len(text) > MAX_INT_DIGITS:  # a power-of-two base converts in linear time
        raise ValueError(f"integer too large (more than {MAX_INT_DIGITS} digits)")
    value = int(text[2:], base)
    if value.bit_length() > _MAX_INT_BITS:
        raise ValueError(f"integer too large (more than {MAX_INT_DIGITS} digits)")
    return value


def _float(text: str) -> float | None:
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return None


def resolve_plain(text: str) -> ScalarValue:
    """Resolve a plain (unquoted, untagged) scalar by the YAML 1.2 core schema.

    Raises ValueError for an integer too large to use (more than `MAX_INT_DIGITS` digits)."""
    if text in _SPECIAL:
        return _SPECIAL[text]
    if text[0] not in _NUMERIC_START:
        return text  # the common case: a name
    number: int | float | None = _integer(text)
    if number is None:
        number = _float(text)
    return text if number is None else number


def _tagged(tag: str, text: str) -> ScalarValue:
    """The value of a scalar with an explicit standard tag; ValueError if it does not fit."""
    if tag == "str":
        return text
    if tag == "int":
        value: ScalarValue = _integer(text)
    elif tag == "float":
        number = _integer(text)
        value = _float(text) if number is None else float(number)
    elif tag == "bool":
        value = _BOOLS.get(text)
    elif tag == "null":
        if text not in _NULLS:
            raise ValueError(f"'{_clip(text)}' is not null (!!null)")
        return None
    else:
        raise ValueError(f"the tag '!!{tag}' does not apply to a scalar")
    if value is None:
        raise ValueError(f"'{_clip(text)}' is not {_TAG_NOUNS[tag]} (!!{tag})")
    return value


_TAG_NOUNS = {"int": "an integer", "float": "a number", "bool": "a boolean (true or false)"}
_SCALAR_TAGS = frozenset({"str", "int", "float", "bool", "null", "map", "seq"})


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- nodes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    loc: Location


@dataclass(frozen=True)
class Scalar(Node):
    value: ScalarValue
    text: str
    quoted: bool  # not resolved as a plain scalar (quoted, or explicitly tagged)


@dataclass(frozen=True)
class Sequence(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Mapping(Node):
    items: tuple[tuple[Scalar, Node], ...]

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


# -- the composer -----------------------------------------------------------------------------


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
    def __init__(self, file: str) -> None:
        self.file = file
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
        if self.count > MAX_NODES:
            if self.aliased:
                message = f"the document expands to more than {MAX_NODES} nodes through its aliases"
            else:
                message = (
                    f"the document has more than {MAX_NODES} nodes (keys, values and list "
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


def load_yaml(text: str, file: str, diags: Diagnostics) -> Node | None:
    """Parse one YAML document; report problems to `diags` and return None when unusable.

    Any problem makes the document unusable; the nodes returned next to reported problems
    lack what was refused (callers check `diags` first)."""
    problem = _check_text(text, file)
    if problem is not None:
        diags.errors.append(problem)
        return None
    composer = _Composer(file)
    parser = _Parser(text)
    try:
        root = composer.document(parser)
    except _Abort:
        root = None
    except yaml.MarkedYAMLError as e:
        diags.errors.append(_parse_error(e, text, file))
        return None
    except yaml.YAMLError as e:  # pragma: no cover - every PyYAML error we know of is marked
        diags.error(Location(file), "", f"invalid YAML: {e}")
        return None
    finally:
        parser.dispose()
    diags.errors.extend(composer.errors)
    return root


def _check_text(text: str, file: str) -> SpecError | None:
    """An error for a text that must not be parsed: too large, or holding a character that
    YAML does not allow (which includes what cannot be encoded as UTF-8)."""
    if len(text) > MAX_DOCUMENT_BYTES or (
        len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES
    ):
        return SpecError(
            Location(file),
            "",
            f"the file is larger than {MAX_DOCUMENT_BYTES // (1 << 20)} MiB; "
            "a spec file is limited to that size",
        )
    bad = _NOT_PRINTABLE.search(text)
    if bad is None:
        return None
    before = text[: bad.start()]
    line = len(_LINE_BREAK.findall(before)) + 1
    last = _LINE_BREAK.search(before[::-1])
    column = (last.start() if last else len(before)) + 1
    code = ord(bad.group())
    return SpecError(
        Location(file, line, column),
        key_path_at(text, line),
        f"the character U+{code:04X} is not allowed in YAML text; in a double-quoted string "
        f'write it as an escape ("\\u{code:04x}")'
        if code < 0xD800 or code > 0xDFFF
        else "the text holds a lone surrogate, which is not a character",
    )


def _parse_error(e: yaml.MarkedYAMLError, text: str, file: str) -> SpecError:
    mark = e.problem_mark or e.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    return SpecError(
        Location(file, line, column), key_path_at(text, line), _describe_yaml_error(e, text, mark)
    )


_BLOCK_KEY = re.compile(
    r"^(?P<indent> *)(?P<dash>- +)?(?P<key>[^\s:#'\"{}\[\],&*!|>%@`-][^:#{}\[\]]*?):(?:\s|$)"
)


def key_path_at(text: str, line: int) -> str:
    """The key path of the block-style keys that enclose `line` (1-based), for errors raised
    while the YAML cannot be parsed at all: `models.User` for a bad line inside `User:`."""
    lines = text.splitlines()
    stack: list[tuple[int, str]] = []
    counters: dict[tuple[int, str], int] = {}

    def pop_to(indent: int) -> None:
        while stack and stack[-1][0] >= indent:
            stack.pop()

    for raw in lines[: max(line - 1, 0)]:
        m = _BLOCK_KEY.match(raw.replace("\t", " "))
        if not m:
            continue
        indent = len(m["indent"])
        if m["dash"]:
            pop_to(indent)
            parent = ".".join(k for _, k in stack)
            index = counters.get((indent, parent), -1) + 1
            counters[(indent, parent)] = index
            stack.append((indent, f"[{index}]"))
            indent += len(m["dash"])
        pop_to(indent)
        stack.append((indent, m["key"].strip()))
    if 0 < line <= len(lines):
        current = lines[line - 1].expandtabs(8)
        pop_to(len(current) - len(current.lstrip(" ")))
    path = ""
    for _, key in stack:
        path = path + key if key.startswith("[") or not path else f"{path}.{key}"
    return path


def _describe_yaml_error(e: yaml.MarkedYAMLError, text: str, mark: Any) -> str:
    char = ""
    if mark is not None:
        lines = text.splitlines()
        if 0 <= mark.line < len(lines) and 0 <= mark.column < len(lines[mark.line]):
            char = lines[mark.line][mark.column]
    if char == "\t":
        return "tab characters are not allowed here (YAML indents with spaces)"
    problem = e.problem or "invalid YAML"
    if "maximum nesting depth" in problem:  # LibYAML's own limit (1000), where it has one
        return f"the document nests lists and mappings more than {MAX_DEPTH} levels deep"
    context = f" {e.context}" if e.context else ""
    return f"invalid YAML: {problem}{context}".strip()
