"""API documents as build outputs: a service's OpenAPI 3.1 and AsyncAPI 3.0 documents, read off
its generated app in a sandboxed, cached process.

    ./pants package services/backend:api-docs   # dist/services.backend/api-docs/*.json

A `spec_api_docs` target names a service; it depends on the service's `spec_app` target, so that
editing any spec the app is generated from rebuilds the documents (and `--changed-dependents`
selects them). `./pants generate ::` writes the same documents into the service's generated
package for editors (see `specforge_pants.generate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import EntryPoint
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import Pex, PexRequest, VenvPex, VenvPexProcess
from pants.backend.python.util_rules.pex_from_targets import RequirementsPexRequest
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFiles,
    PythonSourceFilesRequest,
)
from pants.build_graph.address import Address, AddressInput
from pants.core.goals.package import (
    BuiltPackage,
    BuiltPackageArtifact,
    OutputPathField,
    PackageFieldSet,
)
from pants.engine.addresses import Addresses
from pants.engine.fs import AddPrefix, Digest, RemovePrefix
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    AsyncFieldMixin,
    Dependencies,
    FieldSet,
    InferDependenciesRequest,
    InferredDependencies,
    StringField,
    Target,
    TransitiveTargets,
    TransitiveTargetsRequest,
)
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from pants.util.strutil import help_text

from specforge import layout
from specforge_pants.subsystem import Specforge
from specforge_pants.target_types import AllSpecTargets, SpecAppSourcesField, SpecServiceField

OPENAPI = "openapi.json"  # the file names of specforge_docs.extract
ASYNCAPI = "asyncapi.json"
DOCUMENTS = (OPENAPI, ASYNCAPI)
OUT = "__api_docs"


class ApiDocsServiceField(StringField, AsyncFieldMixin):
    alias = "service"
    help = help_text(
        """
        The service whose documents these are. Default: the service of the BUILD file's
        directory, `services/<service>`.
        """
    )

    def value_or_default(self) -> Optional[str]:
        return self.value or layout.service_of_root(self.address.spec_path)


class ApiDocsDependenciesField(Dependencies):
    pass


class ApiDocsTarget(Target):
    alias = "spec_api_docs"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        ApiDocsServiceField,
        ApiDocsDependenciesField,
        OutputPathField,
    )
    help = help_text(
        f"""
        The OpenAPI 3.1 (`{OPENAPI}`) and AsyncAPI 3.0 (`{ASYNCAPI}`) documents of one service,
        as its generated app serves and declares them: `./pants package` writes them to
        `dist/`. They depend on the service's `spec_app` target, so editing a spec rebuilds them.
        """
    )


class ApiDocsError(Exception):
    """The documents could not be read off a service's generated app."""


@dataclass(frozen=True)
class ApiDocsRequest:
    app: Address  # the service's `spec_app` target
    service: str


@dataclass(frozen=True)
class ApiDocs:
    """`openapi.json` and `asyncapi.json`, at the root of the digest."""

    digest: Digest


def app_of(service: str, specs: AllSpecTargets) -> Optional[Target]:
    """The `spec_app` target of `service`, if its specs declare one."""
    apps = [
        t
        for t in specs
        if t.has_field(SpecAppSourcesField) and t[SpecServiceField].value == service
    ]
    return apps[0] if apps else None


@rule(desc="Read a service's API documents off its generated app", level=LogLevel.DEBUG)
async def api_docs(request: ApiDocsRequest, specforge: Specforge, setup: PythonSetup) -> ApiDocs:
    extractor = await Get(
        Address,
        AddressInput,
        AddressInput.parse(
            specforge.api_docs_extractor,
            description_of_origin="the option `[specforge].api_docs_extractor`",
        ),
    )
    addresses = Addresses([request.app, extractor])
    constraints = InterpreterConstraints(setup.interpreter_constraints)
    transitive, requirements = await MultiGet(
        Get(TransitiveTargets, TransitiveTargetsRequest(addresses)),
        Get(Pex, RequirementsPexRequest(addresses, hardcoded_interpreter_constraints=constraints)),
    )
    sources, extract = await MultiGet(
        Get(PythonSourceFiles, PythonSourceFilesRequest(transitive.closure)),
        Get(
            VenvPex,
            PexRequest(
                output_filename="specforge_api_docs.pex",
                internal_only=True,
                pex_path=[requirements],
                interpreter_constraints=constraints,
                main=EntryPoint("specforge_docs.extract", "main"),
            ),
        ),
    )
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            extract,
            argv=(request.service, OUT),
            input_digest=sources.source_files.snapshot.digest,
            extra_env={"PEX_EXTRA_SYS_PATH": ":".join(sources.source_roots)},
            output_directories=(OUT,),
            description=f"Read the API documents of {request.service}",
            level=LogLevel.DEBUG,
        ),
    )
    if result.exit_code != 0:
        raise ApiDocsError(
            f"Could not read the API documents of {request.service} off its generated app "
            f"(exit code {result.exit_code}):\n{result.stderr.decode(errors='replace')}"
        )
    return ApiDocs(await Get(Digest, RemovePrefix(result.output_digest, OUT)))


@dataclass(frozen=True)
class ApiDocsFieldSet(PackageFieldSet):
    required_fields = (ApiDocsServiceField,)

    service: ApiDocsServiceField
    output_path: OutputPathField


def service_of_docs(field_set_service: ApiDocsServiceField) -> str:
    service = field_set_service.value_or_default()
    if not service:
        raise ApiDocsError(
            f"{field_set_service.address}: set `service=`: the target is not in "
            f"`{layout.SERVICES_DIR}/<service>/`."
        )
    return service


@rule(desc="Package a service's API documents")
async def package_api_docs(field_set: ApiDocsFieldSet, specs: AllSpecTargets) -> BuiltPackage:
    service = service_of_docs(field_set.service)
    app = app_of(service, specs)
    if app is None:
        raise ApiDocsError(
            f"{field_set.address}: service `{service}` has no generated app: its spec directory "
            f"`{layout.spec_dir(service)}/` needs a `spec_sources` target and a domain spec."
        )
    docs = await Get(ApiDocs, ApiDocsRequest(app.address, service))
    directory = field_set.output_path.value_or_default(file_ending=None)
    digest = await Get(Digest, AddPrefix(docs.digest, directory))
    return BuiltPackage(
        digest, tuple(BuiltPackageArtifact(f"{directory}/{name}") for name in DOCUMENTS)
    )


@dataclass(frozen=True)
class ApiDocsInferenceFieldSet(FieldSet):
    required_fields = (ApiDocsServiceField, ApiDocsDependenciesField)

    service: ApiDocsServiceField


class InferApiDocsDependencies(InferDependenciesRequest):
    infer_from = ApiDocsInferenceFieldSet


@rule(desc="Infer the spec_app target of API documents", level=LogLevel.DEBUG)
async def infer_api_docs_dependencies(
    request: InferApiDocsDependencies, specs: AllSpecTargets
) -> InferredDependencies:
    service = request.field_set.service.value_or_default()
    app = app_of(service, specs) if service else None
    found: List[Address] = [app.address] if app is not None else []
    return InferredDependencies(found)


def rules():
    return [
        *collect_rules(),
        UnionRule(PackageFieldSet, ApiDocsFieldSet),
        UnionRule(InferDependenciesRequest, InferApiDocsDependencies),
    ]
