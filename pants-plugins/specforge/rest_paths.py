"""REST paths: a grammar that Starlette's `compile_path`, the generated client and the OpenAPI
document all read the same way.

    path     = "" | "/" | ("/" segment)+
    segment  = "{" name "}" | literal
    name     = an identifier (a path param of the operation)
    literal  = 1*( ALPHA | DIGIT | - . _ ~ ! $ & ' ( ) * + , ; = : @ ), neither "." nor ".."

The literal characters are RFC 3986's `pchar` without percent-encoding, so a literal segment
needs no escaping in a URL, and a param is always a whole segment. A domain's prefix
(`config.rest.prefix`) is "" or ("/" literal)+. An operation's full path is the prefix followed
by its path ("/" when both are empty, which FastAPI cannot route: see `full_path_problem`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from specforge.numeric import shown

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

LITERAL_CHARS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@")
ALLOWED = "letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @"


@dataclass(frozen=True)
class PathSegment:
    """One '/'-separated segment of a valid path: literal text, or a `{name}` param."""

    text: str  # the literal text, or the param's name
    is_param: bool = False


def split_path(path: str) -> tuple[PathSegment, ...]:
    """The segments of a valid path or full path, each one preceded by a '/' in it:
    `/users/{id}` is (users, {id}), `/` is ("",) and `/users/` is (users, "")."""
    if not path:
        return ()
    if not path.startswith("/"):
        raise ValueError(f"not a valid path: {path!r}")
    out: list[PathSegment] = []
    for seg in path[1:].split("/"):
        if seg.startswith("{") and seg.endswith("}"):
            out.append(PathSegment(seg[1:-1], is_param=True))
        else:
            out.append(PathSegment(seg))
    return tuple(out)


def path_params(path: str) -> list[str]:
    """The param names of a valid path, in order."""
    return [s.text for s in split_path(path) if s.is_param]


def _char(c: str) -> str:
    if c == " ":
        return "a space"
    if c.isprintable():
        return f"'{c}'"
    return f"the character U+{ord(c):04X}"


def _literal_problem(seg: str, what: str) -> str | None:
    if seg in (".", ".."):
        return f"'{seg}' is not allowed as a {what} segment (clients and proxies resolve it)"
    for c in seg:
        if c not in LITERAL_CHARS:
            param = ", or is a whole {param}" if what == "path" else ""
            return (
                f"{_char(c)} is not allowed in a {what} (segment '{shown(seg)}'); a segment "
                f"holds {ALLOWED}{param}"
            )
    return None


def _segments_problem(text: str, what: str, *, params: bool) -> str | None:
    for seg in text[1:].split("/"):
        if not seg:
            return f"{what} '{shown(text)}' has an empty segment ('//')"
        if "{" in seg or "}" in seg:
            if not params:
                return f"a {what} cannot hold path parameters (segment '{shown(seg)}')"
            problem = _param_problem(seg)
        else:
            problem = _literal_problem(seg, what)
        if problem:
            return problem
    return None


def _param_problem(seg: str) -> str | None:
    if seg.startswith("{") and seg.endswith("}") and seg.count("{") == seg.count("}") == 1:
        name = seg[1:-1]
        if IDENTIFIER.fullmatch(name):  # a keyword too: the param gets a Python name of its own
            return None
        return (
            f"'{shown(seg)}' in the path is not a valid parameter name (a path parameter is "
            "{name}, name an identifier)"
        )
    if seg.count("{") == 1 and seg.count("}") == 1 and seg.index("{") < seg.index("}"):
        return (
            f"a path parameter must be a whole segment: '{shown(seg)}' mixes it with text "
            "(write it as its own segment, like /{id})"
        )
    brace = "{" if seg.count("{") > seg.count("}") else "}"
    if seg.count("{") == seg.count("}"):
        return (
            f"'{shown(seg)}' is not a path parameter: a segment is either text or a whole "
            "{name}, name an identifier"
        )
    return f"unmatched '{brace}' in the path segment '{shown(seg)}'"


def path_problem(path: str) -> str | None:
    """Why `path` (an operation's `rest.path`) breaks the grammar, or None."""
    if path in ("", "/"):
        return None
    if not path.startswith("/"):
        return f"path '{shown(path)}' must be empty or start with '/'"
    if path.endswith("/"):
        return f"path '{shown(path)}' must not end with '/' (only the path '/' may)"
    return _segments_problem(path, "path", params=True)


def prefix_problem(prefix: str) -> str | None:
    """Why `prefix` (a domain's `config.rest.prefix`) breaks the grammar, or None."""
    if prefix == "":
        return None
    if prefix == "/":
        return "prefix '/' is not allowed (FastAPI refuses it): leave the prefix out instead"
    if not prefix.startswith("/") or prefix.endswith("/"):
        return f"prefix '{shown(prefix)}' must start with '/' and not end with '/', like /users"
    return _segments_problem(prefix, "prefix", params=False)


def full_path_problem(prefix: str, path: str) -> str | None:
    """Why a valid prefix and path do not make a route, or None."""
    if not prefix and not path:
        return (
            "the path cannot be empty when the domain has no 'config.rest.prefix' (FastAPI "
            "cannot route it); write path: /"
        )
    return None
