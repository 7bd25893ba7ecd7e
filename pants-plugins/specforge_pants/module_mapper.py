"""Imports of generated modules resolve to the spec target that generates them."""

from __future__ import annotations

from collections import defaultdict
from typing import DefaultDict

from pants.backend.python.dependency_inference.module_mapper import (
    FirstPartyPythonMappingImpl,
    FirstPartyPythonMappingImplMarker,
    ModuleProvider,
    ModuleProviderType,
    ResolveName,
)
from pants.backend.python.subsystems.setup import PythonSetup
from pants.engine.rules import collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from specforge import layout
from specforge_pants.target_types import (
    AllSpecTargets,
    SpecPythonResolveField,
    SpecServiceField,
    SpecSourceField,
)


class SpecPythonMappingMarker(FirstPartyPythonMappingImplMarker):
    pass


@rule(desc="Map spec targets to their generated Python modules", level=LogLevel.DEBUG)
async def map_spec_targets_to_modules(
    targets: AllSpecTargets, python_setup: PythonSetup, _: SpecPythonMappingMarker
) -> FirstPartyPythonMappingImpl:
    mapping: DefaultDict[ResolveName, DefaultDict[str, list[ModuleProvider]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for tgt in targets:
        resolve = tgt[SpecPythonResolveField].normalized_value(python_setup)
        if tgt.has_field(SpecSourceField):
            modules = layout.modules_for(layout.classify(tgt[SpecSourceField].file_path))
        else:
            modules = (layout.app_module(str(tgt[SpecServiceField].value)),)
        for module in modules:
            mapping[resolve][module].append(ModuleProvider(tgt.address, ModuleProviderType.IMPL))
    return FirstPartyPythonMappingImpl.create(mapping)


def rules():
    return [*collect_rules(), UnionRule(FirstPartyPythonMappingImplMarker, SpecPythonMappingMarker)]
