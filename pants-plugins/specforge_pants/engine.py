"""Running the specforge engine: a PEX built from the engine's own targets, as Pants runs its
tools, so its result is cached and invalidated exactly when the engine changes."""

from __future__ import annotations

from dataclasses import dataclass

from pants.backend.python.target_types import EntryPoint
from pants.backend.python.util_rules.pex import VenvPex
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.build_graph.address import Address, AddressInput
from pants.engine.rules import Get, collect_rules, rule

from specforge_pants.subsystem import Specforge


@dataclass(frozen=True)
class SpecforgeEngine:
    address: Address


@dataclass(frozen=True)
class SpecforgeEnginePex:
    pex: VenvPex


@rule
async def specforge_engine_address(specforge: Specforge) -> SpecforgeEngine:
    address = await Get(
        Address,
        AddressInput,
        AddressInput.parse(
            specforge.engine, description_of_origin="the option `[specforge].engine`"
        ),
    )
    return SpecforgeEngine(address)


@rule(desc="Build the specforge engine")
async def specforge_engine_pex(engine: SpecforgeEngine) -> SpecforgeEnginePex:
    pex = await Get(
        VenvPex,
        PexFromTargetsRequest(
            [engine.address],
            output_filename="specforge.pex",
            internal_only=True,
            main=EntryPoint("specforge.cli", "main"),
            description="specforge engine",
        ),
    )
    return SpecforgeEnginePex(pex)


def rules():
    return collect_rules()
