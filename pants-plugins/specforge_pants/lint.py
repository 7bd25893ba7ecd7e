"""`pants lint` for specs: the engine's `check` over the selected spec targets (plus the specs
they depend on), in one cached process, with the same located errors as the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pants.base.build_root import BuildRoot
from pants.core.goals.lint import LintResult, LintTargetsRequest
from pants.core.util_rules.partitions import PartitionerType
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import FieldSet, TransitiveTargets, TransitiveTargetsRequest
from pants.util.logging import LogLevel
from pants.util.meta import classproperty
from pants.util.strutil import pluralize

from specforge_pants.engine import EngineProcess
from specforge_pants.links import linked_spec_errors
from specforge_pants.subsystem import Specforge
from specforge_pants.target_types import SpecSourceField
from specforge_pants.unowned import UnownedSpecs


@dataclass(frozen=True)
class SpecLintFieldSet(FieldSet):
    required_fields = (SpecSourceField,)

    source: SpecSourceField


class SpecLintRequest(LintTargetsRequest):
    field_set_type = SpecLintFieldSet
    tool_subsystem = Specforge  # type: ignore[assignment]  # SkipOption is a descriptor
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "specforge check"


@rule(desc="Check specs", level=LogLevel.DEBUG)
async def lint_specs(
    request: SpecLintRequest.Batch[SpecLintFieldSet, Any],
    build_root: BuildRoot,
    unowned: UnownedSpecs,
) -> LintResult:
    transitive = await Get(
        TransitiveTargets,
        TransitiveTargetsRequest(field_set.address for field_set in request.elements),
    )
    specs = [t[SpecSourceField] for t in transitive.closure if t.has_field(SpecSourceField)]
    sources = await Get(SourceFiles, SourceFilesRequest(specs))
    files = sorted(sources.snapshot.files)
    # The sandbox would hold a linked spec's target as a regular file: refuse it here, unread.
    problems = linked_spec_errors(build_root.path, files)
    if unowned.paths:
        problems.append(unowned.message())
    if problems:
        return LintResult(
            exit_code=1,
            stdout="".join(f"{line}\n" for line in problems),
            stderr="",
            linter_name=request.tool_name,
            partition_description=request.partition_metadata.description,
        )
    result = await Get(
        FallibleProcessResult,
        EngineProcess(
            ("check", *files),
            input_digest=sources.snapshot.digest,
            description=f"Check {pluralize(len(files), 'spec file')}",
        ),
    )
    return LintResult.create(request, result)


def rules():
    return [*collect_rules(), *SpecLintRequest.rules()]
