"""The YAML 1.2 core schema: how a plain or tagged scalar resolves to a Python value."""

from __future__ import annotations

import math
import re
from typing import Union

from specforge.yamlio.limits import (
    _CORE,
    _MAX_INT_BITS,
    MAX_INT_DIGITS,
)

ScalarValue = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime alias, run on 3.9


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
