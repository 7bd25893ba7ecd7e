"""The values a template may write: identifiers, and code of one target language.

A template environment (see `templates`) refuses to write a plain `str`. What it writes is one of:

- `Ident`: a validated ASCII identifier (`[A-Za-z_][A-Za-z0-9_]*`), safe as a bare token in every
  target language;
- `Code` of the template's own language (`Python`, `Dockerfile`, `JavaScript`, `Json`, `Yaml`,
  `Markdown`), made only by this package: by an escaper from text, or by `py()`/`py_join()` from
  other `Python` code and identifiers.

Concatenating `Code` with a plain `str` raises, and every other `str` operation returns a plain
`str`, which the templates then refuse: text cannot be laundered into code.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import ClassVar, SupportsIndex

from specforge.emit import escape

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UnsafeEmission(TypeError):
    """An engine bug: something other than an identifier or escaped code reached a template."""


class Code(str):
    """Trusted source text of one target language (see the module docstring)."""

    language: ClassVar[str] = ""

    def __add__(self, other: str) -> str:
        if type(other) is type(self) or isinstance(other, Ident):
            return type(self)(str.__add__(self, other))
        raise UnsafeEmission(f"cannot append {type(other).__name__} to {self.language} code")

    def __radd__(self, other: str) -> str:
        if isinstance(other, Ident):
            return type(self)(str.__add__(other, self))
        raise UnsafeEmission(f"cannot prepend {type(other).__name__} to {self.language} code")

    def __mod__(self, _: object) -> str:
        raise UnsafeEmission("format code with py(), not %")

    def format(self, *_: object, **__: object) -> str:
        raise UnsafeEmission("format code with py(), not str.format")

    def join(self, _: Iterable[str]) -> str:
        raise UnsafeEmission("join code with py_join()")

    def __mul__(self, _: SupportsIndex) -> str:
        raise UnsafeEmission("code cannot be repeated")


class Python(Code):
    language = "python"


class Dockerfile(Code):
    language = "dockerfile"


class JavaScript(Code):
    language = "javascript"


class Json(Code):
    language = "json"


class Yaml(Code):
    language = "yaml"


class Markdown(Code):
    language = "markdown"


class Ident(str):
    """A validated identifier: ASCII letters, digits and `_`, not starting with a digit.

    Whether it is also free in the module it lands in is the namespace model's business
    (`specforge.namespace`); here it is only guaranteed to be a single inert token.
    """

    def __new__(cls, name: str) -> Ident:
        if not isinstance(name, str) or not _IDENT.fullmatch(name):
            raise UnsafeEmission(f"not an identifier: {name!r}")
        return super().__new__(cls, name)

    @property
    def is_keyword(self) -> bool:
        return keyword.iskeyword(self) or keyword.issoftkeyword(self)


CodePart = Python | Ident | int


_PARTS = (Python, Ident, int)


def _check(part: object) -> str:
    if isinstance(part, bool) or not isinstance(part, _PARTS):
        raise UnsafeEmission(
            f"{type(part).__name__} {str(part)[:60]!r} cannot become Python code; escape it "
            "(py_str, py_value) or make it an Ident"
        )
    return str(part)


def py(template: str, *parts: CodePart) -> Python:
    """Python code from an engine-written `template` whose `{}` are filled with `parts`, each an
    `Ident`, `Python` code or an int: `py("{}[{}]", list_, item)`."""
    return Python(template.format(*(_check(p) for p in parts)))


def py_join(separator: str, parts: Iterable[CodePart]) -> Python:
    """`separator.join(parts)` for code parts; `separator` is engine-written (", ", " | ")."""
    return Python(separator.join(_check(p) for p in parts))


def py_str(text: str) -> Python:
    """A Python string literal of any text."""
    return Python(escape.python_string(text))


def py_value(value: object) -> Python:
    """A Python literal of a plain value: None, bool, a finite number, str, bytes, or a list,
    tuple or dict of those."""
    if value is None or isinstance(value, bool):
        return Python(repr(value))
    if isinstance(value, int | float):
        return Python(escape.python_number(value))
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, bytes):
        return Python(escape.python_bytes(value))
    if isinstance(value, list | tuple):
        return py("[{}]", py_join(", ", (py_value(v) for v in value)))
    if isinstance(value, dict):
        items = (py("{}: {}", py_value(k), py_value(v)) for k, v in value.items())
        return py("{{{}}}", py_join(", ", items))
    raise UnsafeEmission(f"no Python literal for {type(value).__name__}")


def py_docstring(text: str) -> Python:
    """The body of a triple-quoted docstring holding `text`."""
    return Python(escape.python_docstring(text))


def py_comment(text: str) -> Python:
    """Text for the rest of a `#` comment line."""
    return Python(escape.python_comment(text))
