"""Running the specforge engine: a PEX built from the engine's own targets, as Pants runs its
tools, so its result is cached and invalidated exactly when the engine changes.

Every engine process runs the PEX's venv (seeded once into the `pex_root` named cache) through
the venv script Pants writes next to the PEX. The PEX itself (some 20 MB of wheels, read only
when the venv must be seeded) is an immutable input: Pants materializes it once and links it
into each sandbox, instead of writing it into every one of a cold run's fifty-odd sandboxes.

The entry point is `specforge.launch`: with the engine server on (`[specforge].engine_server`),
a run hands itself to a warm engine that forks a worker for it in this sandbox, instead of
importing the engine anew in each of those processes (see `specforge.server`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from pants.backend.python.target_types import EntryPoint
from pants.backend.python.util_rules.pex import VenvPex
from pants.backend.python.util_rules.pex_environment import PexEnvironment
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.build_graph.address import Address, AddressInput
from pants.engine.fs import DigestSubset, MergeDigests, PathGlobs, RemovePrefix
from pants.engine.internals.native_engine import Digest
from pants.engine.process import Process
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from specforge_pants.subsystem import Specforge

# The engine server's sockets (specforge.server): a named cache, so that they outlive sandboxes.
SERVER_ENV_VAR = "SPECFORGE_SERVER_DIR"
SERVER_CACHE = "specforge_server"
SERVER_CACHE_PATH = ".cache/specforge_server"


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
    scripts: Digest  # the venv scripts, at the sandbox root
    contents: Digest  # the PEX, linked in read-only at `pex.pex_filename`


@dataclass(frozen=True)
class EngineProcess:
    """A run of the engine's CLI (`specforge <argv>`) over `input_digest`."""

    argv: tuple[str, ...]
    input_digest: Digest
    description: str
    output_directories: tuple[str, ...]
    env: FrozenDict[str, str]
    append_only_caches: FrozenDict[str, str]

    def __init__(
        self,
        argv: Iterable[str],
        *,
        input_digest: Digest,
        description: str,
        output_directories: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        append_only_caches: Mapping[str, str] | None = None,
    ) -> None:
        object.__setattr__(self, "argv", tuple(argv))
        object.__setattr__(self, "input_digest", input_digest)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "output_directories", tuple(output_directories))
        object.__setattr__(self, "env", FrozenDict(env or {}))
        object.__setattr__(self, "append_only_caches", FrozenDict(append_only_caches or {}))


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
            main=EntryPoint("specforge.launch", "main"),
            description="specforge engine",
        ),
    )
    name = pex.pex_filename
    contents, scripts = await MultiGet(
        Get(Digest, DigestSubset(pex.digest, PathGlobs([f"{name}/**"]))),
        Get(Digest, DigestSubset(pex.digest, PathGlobs(["*", f"!{name}"]))),
    )
    return SpecforgeEnginePex(pex, scripts, await Get(Digest, RemovePrefix(contents, name)))


@rule
async def engine_process(
    request: EngineProcess,
    engine: SpecforgeEnginePex,
    pex_environment: PexEnvironment,
    specforge: Specforge,
) -> Process:
    """What `VenvPexProcess` makes of the engine's PEX, with the PEX an immutable input, and
    (unless `[specforge].engine_server` is off) the engine server's named cache, where the
    run finds a warm engine to hand itself to (see `specforge.server`)."""
    input_digest = await Get(Digest, MergeDigests((engine.scripts, request.input_digest)))
    env = dict(request.env)
    server_cache = {}
    if specforge.engine_server:
        env[SERVER_ENV_VAR] = SERVER_CACHE_PATH
        server_cache[SERVER_CACHE] = SERVER_CACHE_PATH
    return Process(
        argv=(engine.pex.pex.argv0, *request.argv),
        description=request.description,
        level=LogLevel.DEBUG,
        input_digest=input_digest,
        immutable_input_digests={engine.pex.pex_filename: engine.contents},
        env=env,
        output_directories=request.output_directories,
        append_only_caches={
            **pex_environment.in_sandbox(working_directory=None).append_only_caches,
            **request.append_only_caches,
            **server_cache,
            **(engine.pex.append_only_caches or {}),
        },
    )


def rules():
    return collect_rules()
