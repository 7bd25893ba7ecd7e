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
class SpecforgeEngineFiles:
    """The target every spec target depends on (see `[specforge].engine_files`)."""

    address: Address


@dataclass(frozen=True)
class SpecforgeRuntime:
    """The runtime library generated event code imports (see `[specforge].runtime`)."""

    address: Address


@dataclass(frozen=True)
class SpecforgeEnginePex:
    pex: VenvPex


async def _option_address(value: str, option: str) -> Address:
    return await Get(
        Address,
        AddressInput,
        AddressInput.parse(value, description_of_origin=f"the option `[specforge].{option}`"),
    )


@rule
async def specforge_engine_address(specforge: Specforge) -> SpecforgeEngine:
    return SpecforgeEngine(await _option_address(specforge.engine, "engine"))


@rule
async def specforge_engine_files(specforge: Specforge) -> SpecforgeEngineFiles:
    return SpecforgeEngineFiles(await _option_address(specforge.engine_files, "engine_files"))


@rule
async def specforge_runtime_address(specforge: Specforge) -> SpecforgeRuntime:
    return SpecforgeRuntime(await _option_address(specforge.runtime, "runtime"))


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
