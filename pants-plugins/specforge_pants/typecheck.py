"""`pants check` for generated code: mypy with the generated modules as its roots.

Pants' own mypy check lists only a target's hand-written files as roots; the generated modules
they import are found on a path that mypy takes for installed packages, whose errors it keeps
silent. So a broken generated module would pass `check`. This check runs the same mypy (the
`[mypy]` tool, its resolve and config) over the code generated for the selected spec targets,
with that code as the roots, every spec and Python source it imports on `MYPYPATH`, and the
third-party requirements it uses in the interpreter's environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PythonSourceField
from pants.backend.python.typecheck.mypy.subsystem import MyPy, MyPyConfigFile
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import Pex, PexRequest, VenvPex, VenvPexProcess
from pants.backend.python.util_rules.pex_from_targets import RequirementsPexRequest
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFiles,
    PythonSourceFilesRequest,
)
from pants.core.goals.check import CheckRequest, CheckResult, CheckResults
from pants.engine.addresses import Addresses
from pants.engine.fs import CreateDigest, Digest, FileContent, MergeDigests
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    FieldSet,
    HydratedSources,
    HydrateSourcesRequest,
    Targets,
    TransitiveTargets,
    TransitiveTargetsRequest,
)
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from pants.util.strutil import pluralize

from specforge_pants.target_types import (
    SpecAppSourcesField,
    SpecPythonResolveField,
    SpecSourceField,
)


@dataclass(frozen=True)
class GeneratedCodeFieldSet(FieldSet):
    """A spec target (`spec_source`, or a service's `spec_app`): what it generates is checked."""

    required_fields = (SpecPythonResolveField,)

    resolve: SpecPythonResolveField


class GeneratedCodeCheckRequest(CheckRequest):
    field_set_type = GeneratedCodeFieldSet
    tool_name = "specforge-mypy"


@rule(desc="Type-check generated code", level=LogLevel.DEBUG)
async def check_generated_code(
    request: GeneratedCodeCheckRequest, mypy: MyPy, config: MyPyConfigFile, setup: PythonSetup
) -> CheckResults:
    tool_name = GeneratedCodeCheckRequest.tool_name
    addresses = Addresses(fs.address for fs in request.field_sets)
    targets = await Get(Targets, Addresses, addresses)
    transitive = await Get(TransitiveTargets, TransitiveTargetsRequest(addresses))
    hydrated = await MultiGet(
        Get(
            HydratedSources,
            HydrateSourcesRequest(
                t[SpecSourceField] if t.has_field(SpecSourceField) else t[SpecAppSourcesField],
                for_sources_types=(PythonSourceField,),
                enable_codegen=True,
            ),
        )
        for t in targets
    )
    roots = sorted({f for h in hydrated for f in h.snapshot.files if f.endswith(".py")})
    if not roots:
        return CheckResults([], checker_name=tool_name)
    constraints = InterpreterConstraints(setup.interpreter_constraints)
    closure, requirements, mypy_pex = await MultiGet(
        Get(PythonSourceFiles, PythonSourceFilesRequest(transitive.closure)),
        Get(
            Pex,
            RequirementsPexRequest(addresses, hardcoded_interpreter_constraints=constraints),
        ),
        Get(VenvPex, PexRequest, mypy.to_pex_request(interpreter_constraints=constraints)),
    )
    environment = await Get(
        VenvPex,
        PexRequest(
            output_filename="requirements_venv.pex",
            internal_only=True,
            pex_path=[requirements],
            interpreter_constraints=constraints,
        ),
    )
    file_list = await Get(
        Digest, CreateDigest([FileContent("__roots.txt", "\n".join(roots).encode())])
    )
    input_digest = await Get(
        Digest,
        MergeDigests(
            [closure.source_files.snapshot.digest, config.digest, environment.digest, file_list]
        ),
    )
    argv: List[str] = [f"--python-executable={environment.python.argv0}"]
    if mypy.config:
        argv.append(f"--config-file={mypy.config}")
    argv += ["--python-version=3.11", "--cache-dir=/dev/null", "@__roots.txt"]
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            mypy_pex,
            argv=tuple(argv),
            input_digest=input_digest,
            # MYPYPATH only: what is on the interpreter's own path mypy takes for installed
            # packages, whose errors it does not report.
            extra_env={"MYPYPATH": ":".join(closure.source_roots), "TERM": "dumb"},
            description=f"Type-check {pluralize(len(roots), 'generated module')}",
            level=LogLevel.DEBUG,
        ),
    )
    return CheckResults([CheckResult.from_fallible_process_result(result)], checker_name=tool_name)


def rules():
    return [
        *collect_rules(),
        UnionRule(CheckRequest, GeneratedCodeCheckRequest),
    ]
