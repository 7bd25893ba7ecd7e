"""The one way pass 2 completes a frozen IR object after creating it.

IR types are frozen dataclasses, so that renderers cannot change what they read. Models are
created as shells before any field is built, because fields refer to models (recursively,
too): `ir.ModelType(shell)` is valid before the shell's fields exist. Once a model's fields,
union members or discriminator are built, `complete` sets them, once each. Nothing else
writes to an IR object after construction.
"""

from __future__ import annotations

from typing import Any

from specforge import ir

# The attributes a shell is created without, per IR type.
COMPLETED_LATER: dict[type, frozenset[str]] = {
    ir.Model: frozenset({"fields", "union", "discriminator"}),
}


def complete(obj: object, **values: Any) -> None:
    """Set attributes of a shell that were built after it; only those listed above."""
    allowed = COMPLETED_LATER.get(type(obj), frozenset())
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"{type(obj).__name__} is not completed with {sorted(unknown)}")
    for name, value in values.items():
        object.__setattr__(obj, name, value)
