"""Escapers: any text, made safe for one spot of one target language.

Each function takes arbitrary text (quotes, backslashes, NUL and other control characters, lone
surrogates, line and paragraph separators, bidi controls, non-BMP characters) and returns source
text that a parser of the target language reads back as exactly that text (literals), or as an
inert, single-line rendering of it (comments). Characters that are not printable are always
escaped, so that no output line can be split, hidden or reordered by the text it carries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

_PY_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_JSON_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", "\b": "\\b", "\f": "\\f"}


def _py_escape(ch: str) -> str:
    named = _PY_NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _quoted(text: str, named: dict[str, str], escape: Callable[[str], str]) -> str:
    """`text` in double quotes: `"`, the characters of `named` and every character that is not
    printable escaped (the latter by `escape`), the rest as it is."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch in named:
            out.append(named[ch])
        elif not ch.isprintable():
            out.append(escape(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def python_string(text: str) -> str:
    """A double-quoted Python string literal whose value is exactly `text`."""
    return _quoted(text, _PY_NAMED, _py_escape)


def python_bytes(data: bytes) -> str:
    """A Python bytes literal whose value is exactly `data`."""
    out = ['b"']
    for byte in data:
        ch = chr(byte)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(_PY_NAMED.get(ch) or f"\\x{byte:02x}")
    out.append('"')
    return "".join(out)


def python_docstring(text: str) -> str:
    """The body of a triple-quoted docstring whose value is exactly `text`: backslashes, the
    quotes that could close the string early and every character that is not printable (but the
    newline) are escaped, and so is whitespace at the start or end of the text or of a line, which
    formatters would otherwise trim or re-indent."""
    out: list[str] = []
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if n:
            # A newline right after the opening or before the closing quotes is escaped too.
            out.append(
                "\\n"
                if (n == 1 and lines[0] == "") or (n == len(lines) - 1 and line == "")
                else "\n"
            )
        lead = len(line) - len(line.lstrip(" "))
        trail = len(line) - len(line.rstrip(" ")) if line.strip(" ") else 0
        for i, ch in enumerate(line):
            if ch == '"':
                # Two unescaped quotes in a row, or one before the closing quotes, could end it.
                last = n == len(lines) - 1 and i == len(line) - 1
                out.append('\\"' if last or line[i + 1 : i + 2] == '"' else '"')
            elif ch == " " and (i < lead or i >= len(line) - trail):
                out.append("\\x20")
            elif ch == "#" and i == 0:
                # A line of the file that starts with `#` could be read as an encoding
                # declaration (PEP 263) when it is one of the file's first two lines.
                out.append("\\x23")
            elif ch == "\\" or not ch.isprintable():
                out.append(_py_escape(ch))
            else:
                out.append(ch)
    return "".join(out)


def docstring_is_exact(text: str) -> bool:
    """Whether `inspect.cleandoc` of a docstring holding `text` gives `text` back, after a
    formatter re-indented its lines: what Pydantic and FastAPI read from docstrings."""
    lines = text.split("\n")
    return (
        bool(text)
        and all(ch == "\n" or ch.isprintable() for ch in text)
        and all(line == line.strip() for line in lines)
        and lines[0] != ""
        and lines[-1] != ""
    )


def _visible(text: str) -> str:
    """`text` on one line: backslashes and every non-printable character escaped."""
    return "".join(_py_escape(ch) if ch == "\\" or not ch.isprintable() else ch for ch in text)


def line_comment(text: str) -> str:
    """Text for the rest of a one-line comment (`# ...`, `// ...`): it cannot end the line."""
    return _visible(text)


_CODING = re.compile(r"coding([:=])")


def python_comment(text: str) -> str:
    """Text for the rest of a Python `#` comment: one line, and never an encoding declaration
    (PEP 263 reads `coding:` or `coding=` in a comment on the first two lines of a file)."""
    return _CODING.sub(lambda m: "coding" + _py_escape(m.group(1)), line_comment(text))


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_string(text: str) -> str:
    """A JSON string whose value is `text`; also a valid JavaScript string literal.
    Non-printable characters are `\\u` escapes (as surrogate pairs above the BMP), so the
    output is plain printable text."""
    return _quoted(text, _JSON_NAMED, _json_escape)


def _yaml_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar whose value is `text`, in printable characters only."""
    return _quoted(text, _JSON_NAMED, _yaml_escape)


def markdown_text(text: str) -> str:
    """Prose for a Markdown file: printable characters and line breaks as they are, every other
    character escaped, raw HTML neutralised."""
    escaped = "".join(
        ch if ch == "\n" or (ch.isprintable() and ch != "\\") else _py_escape(ch) for ch in text
    )
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def python_number(value: int | float) -> str:
    """A Python literal for a finite number."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} has no Python literal")
    return repr(value)
