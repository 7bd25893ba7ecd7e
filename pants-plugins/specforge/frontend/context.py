"""Pass 2's state: what pass 1 read, the names defined per scope, and the IR built so far.

Every pass-2 module takes a `Resolution` as its first argument and reports through its
`diags`; the order of the passes is in `frontend/__init__.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specforge import ir, patterns
from specforge.errors import Diagnostics, Location
from specforge.frontend.raw import RawEnum, RawModel, RawSpecs, RawVariant

Key = tuple[str, str]  # (scope, name): scope is "shared" or a service


@dataclass
class Resolution:
    raw: RawSpecs
    # Names (see scope.define_names): where each was defined, the raw definition of each model
    # and enum, and the (base model, variant) behind each variant name.
    defined_at: dict[Key, Location] = field(default_factory=dict)
    raw_by_name: dict[Key, RawModel | RawEnum] = field(default_factory=dict)
    variant_names: dict[Key, tuple[RawModel, RawVariant]] = field(default_factory=dict)
    rejected_names: set[str] = field(default_factory=set)  # whose definition was rejected
    # The IR built so far, by (scope, name); models in declaration order.
    ir_enums: dict[Key, ir.Enum] = field(default_factory=dict)
    ir_models: dict[Key, ir.Model] = field(default_factory=dict)
    model_order: list[Key] = field(default_factory=list)
    event_names: list[str] = field(default_factory=list)  # every declared event, valid or not
    # One per run, so that a pattern used by many fields is compiled once and every pattern
    # counts against one budget.
    patterns: patterns.PatternChecker = field(default_factory=patterns.PatternChecker)

    @property
    def diags(self) -> Diagnostics:
        return self.raw.diags
