"""Codegen: a spec target becomes Python sources, by running the engine in a sandbox over the
target's file plus every spec it depends on (transitively). One cached process per target."""

from __future__ import annotations

from pants.backend.python.target_types import PythonSourceField
from pants.backend.python.util_rules.pex import VenvPexProcess
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.fs import RemovePrefix, Snapshot
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import (
    GeneratedSources,
    GenerateSourcesRequest,
    Target,
    TransitiveTargets,
    TransitiveTargetsRequest,
)
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from specforge_pants.engine import SpecforgeEnginePex
from specforge_pants.subsystem import Specforge
from specforge_pants.target_types import SpecAppSourcesField, SpecServiceField, SpecSourceField

OUT = "__specforge_out"


class SpecCodegenError(Exception):
    """Specs that do not validate: the located errors, as the engine reported them."""


class GeneratePythonFromSpecRequest(GenerateSourcesRequest):
    input = SpecSourceField
    output = PythonSourceField


class GenerateAppFromSpecsRequest(GenerateSourcesRequest):
    input = SpecAppSourcesField
    output = PythonSourceField


async def _generate(
    target: Target, specforge: Specforge, engine: SpecforgeEnginePex, argv_target: tuple
) -> GeneratedSources:
    transitive = await Get(TransitiveTargets, TransitiveTargetsRequest([target.address]))
    spec_fields = [t[SpecSourceField] for t in transitive.closure if t.has_field(SpecSourceField)]
    sources = await Get(SourceFiles, SourceFilesRequest(spec_fields))
    files = sorted(sources.snapshot.files)
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            engine.pex,
            argv=(
                "generate",
                "--out",
                OUT,
                "--broker",
                specforge.validated_broker(),
                *argv_target,
                *files,
            ),
            input_digest=sources.snapshot.digest,
            output_directories=(OUT,),
            description=f"Generate Python from {target.address}",
            level=LogLevel.DEBUG,
        ),
    )
    if result.exit_code != 0:
        raise SpecCodegenError(
            f"Cannot generate code for {target.address}: its specs have errors.\n\n"
            + result.stderr.decode("utf-8", errors="replace").strip()
            + "\n\nRun `./pants lint ::` (or `python -m specforge check`) to see all of them."
        )
    output = await Get(Snapshot, RemovePrefix(result.output_digest, OUT))
    return GeneratedSources(output)


@rule(desc="Generate Python from a spec", level=LogLevel.DEBUG)
async def generate_python_from_spec(
    request: GeneratePythonFromSpecRequest, specforge: Specforge, engine: SpecforgeEnginePex
) -> GeneratedSources:
    target = request.protocol_target
    return await _generate(
        target, specforge, engine, ("--target", target[SpecSourceField].file_path)
    )


@rule(desc="Generate a service's app factory", level=LogLevel.DEBUG)
async def generate_app_from_specs(
    request: GenerateAppFromSpecsRequest, specforge: Specforge, engine: SpecforgeEnginePex
) -> GeneratedSources:
    target = request.protocol_target
    return await _generate(target, specforge, engine, ("--app", target[SpecServiceField].value))


def rules():
    return [
        *collect_rules(),
        UnionRule(GenerateSourcesRequest, GeneratePythonFromSpecRequest),
        UnionRule(GenerateSourcesRequest, GenerateAppFromSpecsRequest),
    ]
