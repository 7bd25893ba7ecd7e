"""YAML loading with positions.

PyYAML (with LibYAML when available) composes the document into nodes that carry their
positions; this module turns those into small immutable nodes with 1-based line and column,
resolves plain scalars by the YAML 1.2 core schema (so `yes`, `on` and `off` are strings, as
in YAML 1.2), and reports malformed YAML (tabs, duplicate keys, several documents, a top level
that is not a mapping) as located errors instead of exceptions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TypeAlias

import yaml

from specforge.errors import Diagnostics, Location, join_path

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without LibYAML
    _Loader = yaml.SafeLoader

ScalarValue: TypeAlias = str | int | float | bool | None

# Alias expansion is bounded so that a "billion laughs" document cannot exhaust memory.
MAX_NODES = 200_000

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:merge",
    "tag:yaml.org,2002:value",
}

_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


_SPECIAL: dict[str, ScalarValue] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_NUMERIC_START = frozenset("0123456789+-.")


def resolve_plain(text: str) -> ScalarValue:
    """Resolve a plain (unquoted) scalar by the YAML 1.2 core schema."""
    if text in _SPECIAL:
        return _SPECIAL[text]
    if text[0] not in _NUMERIC_START:
        return text  # the common case: a name
    if _INT10.match(text):
        return int(text)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


@dataclass(frozen=True)
class Node:
    loc: Location


@dataclass(frozen=True)
class Scalar(Node):
    value: ScalarValue
    text: str
    quoted: bool


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
        return f"a boolean ({node.text})"
    if isinstance(value, int):
        return f"an integer ({node.text})"
    if isinstance(value, float):
        return f"a number ({node.text})"
    return f"a string ('{value}')"


class _Converter:
    def __init__(self, file: str, diags: Diagnostics) -> None:
        self.file = file
        self.diags = diags
        self.count = 0
        self.stack: set[int] = set()

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node, path: str = "") -> Node | None:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(self.loc(node))
        if id(node) in self.stack:
            raise _Recursive(self.loc(node))
        tag = node.tag or ""
        if tag not in _STANDARD_TAGS:
            self.diags.error(self.loc(node), path, f"unsupported YAML tag '{tag}'")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        self.stack.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = [
                    self.convert(item, join_path(path, i)) for i, item in enumerate(node.value)
                ]
                return Sequence(self.loc(node), tuple(i for i in items if i is not None))
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node, path)
        finally:
            self.stack.discard(id(node))

    def scalar(self, node: yaml.ScalarNode) -> Scalar:
        text = node.value
        plain = node.style in (None, "")
        if plain and node.tag == "tag:yaml.org,2002:str" and _implicit_tag(text) != node.tag:
            # An explicit `!!str` tag on a plain scalar.
            return Scalar(self.loc(node), text, text, True)
        if plain:
            return Scalar(self.loc(node), resolve_plain(text), text, False)
        return Scalar(self.loc(node), text, text, True)

    def mapping(self, node: yaml.MappingNode, path: str) -> Mapping | None:
        items: list[tuple[Scalar, Node]] = []
        seen: dict[object, Scalar] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.diags.error(
                    self.loc(key_node), path, "YAML merge keys ('<<') are not supported in specs"
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.diags.error(
                    self.loc(key_node),
                    path,
                    "mapping keys must be plain names, not lists or mappings",
                )
                continue
            key = self.scalar(key_node)
            marker = (type(key.value).__name__, key.value)
            if marker in seen:
                first = seen[marker].loc
                self.diags.error(
                    key.loc,
                    join_path(path, key.text),
                    f"duplicate key '{key.text}' (first defined at line {first.line})",
                )
                continue
            seen[marker] = key
            value = self.convert(value_node, join_path(path, key.text))
            if value is not None:
                items.append((key, value))
        return Mapping(self.loc(node), tuple(items))


def _implicit_tag(text: str) -> str:
    value = resolve_plain(text)
    if isinstance(value, str):
        return "tag:yaml.org,2002:str"
    return "tag:yaml.org,2002:other"


class _TooLarge(Exception):
    def __init__(self, loc: Location) -> None:
        self.loc = loc


class _Recursive(Exception):
    def __init__(self, loc: Location) -> None:
        self.loc = loc


def load_yaml(text: str, file: str, diags: Diagnostics) -> Node | None:
    """Parse one YAML document; report problems to `diags` and return None when unusable."""
    try:
        raw = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        diags.error(
            Location(file, line, column),
            key_path_at(text, line),
            _describe_yaml_error(e, text, mark),
        )
        return None
    except yaml.YAMLError as e:  # pragma: no cover - every PyYAML error we know of is marked
        diags.error(Location(file), "", f"invalid YAML: {e}")
        return None
    except (UnicodeDecodeError, ValueError) as e:
        diags.error(Location(file), "", f"the file is not readable as UTF-8 YAML text: {e}")
        return None
    if raw is None:
        return None
    converter = _Converter(file, diags)
    try:
        return converter.convert(raw)
    except _TooLarge:
        diags.error(
            converter.loc(raw),
            "",
            f"the document expands to more than {MAX_NODES} nodes through its aliases",
        )
    except _Recursive as e:
        diags.error(e.loc, "", "recursive YAML aliases are not supported")
    except RecursionError:
        diags.error(Location(file), "", "the document is nested too deeply")
    return None


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


def _describe_yaml_error(e: yaml.MarkedYAMLError, text: str, mark: yaml.Mark | None) -> str:
    char = ""
    if mark is not None:
        lines = text.splitlines()
        if 0 <= mark.line < len(lines) and 0 <= mark.column < len(lines[mark.line]):
            char = lines[mark.line][mark.column]
    if char == "\t":
        return "tab characters are not allowed here (YAML indents with spaces)"
    problem = e.problem or "invalid YAML"
    if isinstance(e, yaml.composer.ComposerError) and "single document" in (e.context or ""):
        return "a spec file holds one YAML document, but this one has several ('---')"
    context = f" {e.context}" if e.context else ""
    return f"invalid YAML: {problem}{context}".strip()
