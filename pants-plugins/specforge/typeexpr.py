"""The type expressions of the spec language: `int`, `list[T]`, `dict[string, T]`,
`literal[value]`, and model or enum names."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Built-in names are defined once, in layout, which the plugin's dependency scan reads too.
# (`str` is another spelling of `string`: specs written for the seed spell params that way.)
from specforge.layout import SCALAR_ALIASES, SCALAR_NAMES
from specforge.numeric import int64_problem, shown

__all__ = ["SCALAR_ALIASES", "SCALAR_NAMES", "TypeExpr", "TypeSyntaxError", "parse_type"]

# Bounds on a type expression: the parser, and everything that walks a TypeExpr, recurses once
# per level of nesting.
MAX_TYPE_LENGTH = 1000
MAX_TYPE_DEPTH = 32


class TypeSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class TypeExpr:
    """A parsed, unresolved type: `name` is a scalar, model or enum name, or list/dict/literal."""

    name: str
    args: tuple[TypeExpr, ...] = ()
    literal: str | int | bool | None = None

    @property
    def is_list(self) -> bool:
        return self.name == "list"

    @property
    def is_dict(self) -> bool:
        return self.name == "dict"

    @property
    def is_literal(self) -> bool:
        return self.name == "literal"

    def names(self) -> list[str]:
        """Every model or enum name the expression mentions."""
        if self.is_literal:
            return []
        if self.args:
            return [n for a in self.args for n in a.names()]
        return [] if self.name in SCALAR_NAMES else [self.name]

    def __str__(self) -> str:
        if self.is_literal:
            return f"literal[{self.literal}]"
        if self.args:
            return f"{self.name}[{', '.join(str(a) for a in self.args)}]"
        return self.name


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"\s*")


@functools.lru_cache(maxsize=4096)
def parse_type(text: str) -> TypeExpr:
    """Parse a type expression; raise TypeSyntaxError with a message saying what was expected."""
    if len(text) > MAX_TYPE_LENGTH:
        raise TypeSyntaxError(
            f"a type expression has at most {MAX_TYPE_LENGTH} characters, this one has {len(text)}"
        )
    parser = _Parser(text)
    expr = parser.type()
    parser.skip_space()
    if parser.pos != len(text):
        raise TypeSyntaxError(
            f"unexpected '{shown(text[parser.pos :])}' after the type "
            f"'{shown(text[: parser.pos].strip())}'"
        )
    return expr


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def skip_space(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        assert match is not None  # `\s*` always matches
        self.pos = match.end()

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            found = f"'{shown(self.text[self.pos])}'" if self.pos < len(self.text) else "the end"
            raise TypeSyntaxError(f"expected '{char}' at position {self.pos + 1}, found {found}")
        self.pos += 1

    def name(self) -> str:
        self.skip_space()
        m = _NAME.match(self.text, self.pos)
        if not m:
            found = f"'{shown(self.text[self.pos])}'" if self.pos < len(self.text) else "nothing"
            raise TypeSyntaxError(f"expected a type name at position {self.pos + 1}, found {found}")
        self.pos = m.end()
        return m.group(0)

    def peek(self, char: str) -> bool:
        self.skip_space()
        return self.pos < len(self.text) and self.text[self.pos] == char

    def type(self) -> TypeExpr:
        self.depth += 1
        try:
            return self.nested_type()
        finally:
            self.depth -= 1

    def nested_type(self) -> TypeExpr:
        if self.depth > MAX_TYPE_DEPTH:
            raise TypeSyntaxError(
                f"the type is nested more than {MAX_TYPE_DEPTH} levels deep "
                f"(at position {self.pos + 1})"
            )
        name = self.name()
        name = SCALAR_ALIASES.get(name, name)
        if name == "literal":
            return self.literal()
        if name == "list":
            self.expect("[")
            item = self.type()
            self.expect("]")
            return TypeExpr("list", (item,))
        if name == "dict":
            self.expect("[")
            key = self.type()
            if key.name != "string":
                raise TypeSyntaxError(f"dict keys must be 'string', got '{shown(str(key))}'")
            self.expect(",")
            value = self.type()
            self.expect("]")
            return TypeExpr("dict", (key, value))
        if self.peek("["):
            raise TypeSyntaxError(
                f"'{name}' takes no type arguments (only list[...], dict[string, ...] "
                "and literal[...] do)"
            )
        return TypeExpr(name)

    def literal(self) -> TypeExpr:
        self.expect("[")
        end = self.text.find("]", self.pos)
        if end < 0:
            raise TypeSyntaxError("expected ']' to close literal[...]")
        raw = self.text[self.pos : end].strip()
        self.pos = end + 1
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            return TypeExpr("literal", literal=raw[1:-1])
        if not raw:
            raise TypeSyntaxError("literal[...] needs a value, e.g. literal[cat]")
        if re.fullmatch(r"[-+]?[0-9]+", raw):
            problem = int64_problem(int(raw), raw)
            if problem is not None:
                raise TypeSyntaxError(f"literal value {problem}")
            return TypeExpr("literal", literal=int(raw))
        if raw in ("true", "false"):
            return TypeExpr("literal", literal=raw == "true")
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", raw):
            raise TypeSyntaxError(
                f"literal value '{shown(raw)}' must be a plain word or number (letters, digits, "
                "'_', '.' and '-'); quote it otherwise"
            )
        return TypeExpr("literal", literal=raw)
