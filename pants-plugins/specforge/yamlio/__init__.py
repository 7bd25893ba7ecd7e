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

Modules: `limits` (the bounds), `schema` (scalars by the core schema), `nodes`, `composer`
(events to nodes); this one loads a document and locates its errors. The plugin's dependency
scan imports this package inside Pants (CPython 3.9): keep it 3.9-compatible.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml

from specforge.errors import Diagnostics, Location, SpecError
from specforge.yamlio.composer import _Abort, _Composer
from specforge.yamlio.limits import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_ERRORS,
    MAX_INT_DIGITS,
    MAX_KEY_CHARS,
    MAX_NODES,
    SCALAR_CHARS_PER_NODE,
)
from specforge.yamlio.nodes import Mapping, Node, Scalar, Sequence, kind_of
from specforge.yamlio.schema import _LINE_BREAK, _NOT_PRINTABLE, ScalarValue, resolve_plain

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str, file: str, diags: Diagnostics) -> Node | None:
    """Parse one YAML document; report problems to `diags` and return None when unusable.

    Any problem makes the document unusable; the nodes returned next to reported problems
    lack what was refused (callers check `diags` first)."""
    return _load(text, file, diags)[0]


def _load(
    text: str, file: str, diags: Diagnostics, max_nodes: int = MAX_NODES
) -> tuple[Node | None, int]:
    """`load_yaml`, and the document's weight in nodes (what `MAX_NODES` bounds)."""
    problem = _check_text(text, file)
    if problem is not None:
        diags.errors.append(problem)
        return None, 0
    composer = _Composer(file, max_nodes)
    parser = _Parser(text)
    try:
        root = composer.document(parser)
    except _Abort:
        root = None
    except yaml.MarkedYAMLError as e:
        diags.errors.append(_parse_error(e, text, file))
        return None, composer.count
    except yaml.YAMLError as e:  # pragma: no cover - every PyYAML error we know of is marked
        diags.error(Location(file), "", f"invalid YAML: {e}")
        return None, composer.count
    finally:
        parser.dispose()
    diags.errors.extend(composer.errors)
    return root, composer.count


class Documents:
    """Each text composed once: a run that reads a file twice (code generation's two passes,
    `specforge.frontend.check_targets`) gets the same immutable nodes and the same errors.

    Across runs too, in the engine server (`specforge.server`): its workers note the large
    texts they composed cleanly (`composed`), the server composes them once (`share`), and
    every worker it forks afterwards starts with them (`shared`). A service's run composes the
    repo's shared models this way once per server, not once per service. What the server keeps
    is bounded in nodes (what memory and composing time grow with), per document and in all."""

    #: Texts at least this long are worth sharing (smaller ones compose in a millisecond or two).
    SHARE_MIN_CHARS = 32 * 1024
    #: A document of more nodes is not shared (the 122 KB of models of a 50-service workload
    #: weigh about 15,000; composing 60,000 nodes takes 0.1 to 0.5 s and 20 MB).
    SHARE_MAX_NODES = 60_000
    #: The server keeps at most this many nodes of shared documents (the oldest go first).
    SHARE_TOTAL_NODES = 150_000
    shared: ClassVar[dict[tuple[str, str], tuple[Node | None, tuple[SpecError, ...]]]] = {}
    _shared_nodes: ClassVar[dict[tuple[str, str], int]] = {}
    #: Whether to note what this process composes (a server's worker does; nothing else would
    #: read the notes, and a long-lived process would keep every text it saw).
    note_composed: ClassVar[bool] = False
    composed: ClassVar[list[tuple[str, str]]] = []

    def __init__(self) -> None:
        self._docs: dict[tuple[str, str], tuple[Node | None, tuple[SpecError, ...]]] = {}

    def load(self, text: str, file: str, diags: Diagnostics) -> Node | None:
        """`load_yaml`, composed on the first call for (file, text) only."""
        key = (file, text)
        doc = self._docs.get(key) or Documents.shared.get(key)
        if doc is None:
            local = Diagnostics()
            root, nodes = _load(text, file, local)
            doc = (root, tuple(local.errors))
            if (
                Documents.note_composed
                and not local.errors
                and len(text) >= Documents.SHARE_MIN_CHARS
                and nodes <= Documents.SHARE_MAX_NODES
            ):
                Documents.composed.append(key)
        self._docs[key] = doc
        diags.errors.extend(doc[1])
        return doc[0]

    @classmethod
    def share(cls, file: str, text: str) -> bool:
        """Compose (file, text) for the runs to come, if it is large and composes cleanly within
        `SHARE_MAX_NODES`; whether it is shared now."""
        key = (file, text)
        if key in cls.shared:
            return True
        if not cls.SHARE_MIN_CHARS <= len(text) <= MAX_DOCUMENT_BYTES:
            return False
        local = Diagnostics()
        root, nodes = _load(text, file, local, cls.SHARE_MAX_NODES)
        if local.errors:
            return False
        cls.shared[key] = (root, ())
        cls._shared_nodes[key] = nodes
        total = sum(cls._shared_nodes.values())
        for old in list(cls.shared):
            if total <= cls.SHARE_TOTAL_NODES:
                break
            total -= cls._shared_nodes.pop(old)
            del cls.shared[old]
        return key in cls.shared


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


__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_ERRORS",
    "MAX_INT_DIGITS",
    "MAX_KEY_CHARS",
    "MAX_NODES",
    "SCALAR_CHARS_PER_NODE",
    "Documents",
    "Mapping",
    "Node",
    "Scalar",
    "ScalarValue",
    "Sequence",
    "key_path_at",
    "kind_of",
    "load_yaml",
    "resolve_plain",
]
