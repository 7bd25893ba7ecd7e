"""Spec files that no `spec_source` target owns: nothing would check them or generate code from
them, so every goal that works on specs (lint, codegen for check, test and generate) reports
them instead of skipping them in silence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from pants.engine.fs import PathGlobs, Paths
from pants.engine.rules import Get, collect_rules, rule
from pants.util.logging import LogLevel

from specforge import layout
from specforge_pants.target_types import AllSpecTargets, SpecSourceField

FIX = (
    "run `./pants sync-services` (it adds the BUILD files of a service registered in "
    "services.yml) or `./pants tailor ::`"
)


@dataclass(frozen=True)
class UnownedSpecs:
    paths: Tuple[str, ...]

    def message(self) -> str:
        listed = "\n".join(f"  {p}" for p in self.paths)
        return (
            f"{len(self.paths)} spec file(s) belong to no `spec_sources` target, so nothing "
            f"checks them or generates code from them:\n{listed}\nTo fix it, {FIX}."
        )


@rule(desc="Find spec files that no target owns", level=LogLevel.DEBUG)
async def find_unowned_specs(targets: AllSpecTargets) -> UnownedSpecs:
    found = await Get(Paths, PathGlobs(layout.SPEC_GLOBS))
    owned = {t[SpecSourceField].file_path for t in targets if t.has_field(SpecSourceField)}
    return UnownedSpecs(tuple(sorted(set(found.files) - owned)))


def rules():
    return collect_rules()
