"""`ruff check` (lint, fix) and `ruff format` (fmt) for Python sources.

Pants 2.17's own ruff backend predates `ruff format` and invokes `ruff <files>`, which ruff has not
accepted since 0.5; this backend runs the modern subcommands with the same `skip_ruff` field and
the `[ruff]` tool options (installed from a resolve, see `[ruff].install_from_resolve`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Tuple

from pants.backend.python.lint.ruff import skip_field
from pants.backend.python.lint.ruff.skip_field import SkipRuffField
from pants.backend.python.subsystems.python_tool_base import PythonToolBase
from pants.backend.python.target_types import ConsoleScript, PythonSourceField
from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.core.goals.fix import FixResult, FixTargetsRequest
from pants.core.goals.fmt import FmtResult, FmtTargetsRequest
from pants.core.goals.lint import LintResult, LintTargetsRequest
from pants.core.util_rules.config_files import ConfigFiles, ConfigFilesRequest
from pants.core.util_rules.partitions import PartitionerType
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.fs import Digest, MergeDigests, Snapshot
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import FieldSet, Target
from pants.option.option_types import ArgsListOption, SkipOption
from pants.util.logging import LogLevel
from pants.util.meta import classproperty
from pants.util.strutil import pluralize


class Ruff(PythonToolBase):
    options_scope = "ruff"
    name = "Ruff"
    help = "The Ruff Python linter and formatter (https://docs.astral.sh/ruff/)."

    default_version = "ruff>=0.1.2,<1"
    default_main = ConsoleScript("ruff")
    default_requirements = [default_version]
    register_interpreter_constraints = True
    # Only a fallback: this repo installs ruff from its own resolve.
    default_lockfile_resource = ("pants.backend.python.lint.ruff", "ruff.lock")

    skip = SkipOption("fmt", "fix", "lint")
    args = ArgsListOption(example="--select=I")

    def config_request(self, dirs: Iterable[str]) -> ConfigFilesRequest:
        return ConfigFilesRequest(
            discovery=True,
            check_existence=["ruff.toml", *(os.path.join(d, "ruff.toml") for d in ("", *dirs))],
            check_content={"pyproject.toml": b"[tool.ruff"},
        )


@dataclass(frozen=True)
class RuffFieldSet(FieldSet):
    required_fields = (PythonSourceField,)

    source: PythonSourceField

    @classmethod
    def opt_out(cls, tgt: Target) -> bool:
        return tgt.get(SkipRuffField).value


class RuffCheckRequest(LintTargetsRequest):
    field_set_type = RuffFieldSet
    tool_subsystem = Ruff  # type: ignore[assignment]  # SkipOption is a descriptor, not a bool
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION


class RuffFixRequest(FixTargetsRequest):
    field_set_type = RuffFieldSet
    tool_subsystem = Ruff  # type: ignore[assignment]  # SkipOption is a descriptor, not a bool
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff check --fix"


class RuffFormatRequest(FmtTargetsRequest):
    field_set_type = RuffFieldSet
    tool_subsystem = Ruff  # type: ignore[assignment]  # SkipOption is a descriptor, not a bool
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff format"


@dataclass(frozen=True)
class _RuffRun:
    snapshot: Snapshot
    subcommand: Tuple[str, ...]


@rule(level=LogLevel.DEBUG)
async def run_ruff(request: _RuffRun, ruff: Ruff) -> FallibleProcessResult:
    ruff_pex, config_files = await MultiGet(
        Get(VenvPex, PexRequest, ruff.to_pex_request()),
        Get(ConfigFiles, ConfigFilesRequest, ruff.config_request(request.snapshot.dirs)),
    )
    input_digest = await Get(
        Digest, MergeDigests((request.snapshot.digest, config_files.snapshot.digest))
    )
    return await Get(
        FallibleProcessResult,
        VenvPexProcess(
            ruff_pex,
            argv=(*request.subcommand, "--no-cache", *ruff.args, *request.snapshot.files),
            input_digest=input_digest,
            output_files=request.snapshot.files,
            description=(
                f"Run ruff {' '.join(request.subcommand)} on "
                f"{pluralize(len(request.snapshot.files), 'file')}."
            ),
            level=LogLevel.DEBUG,
        ),
    )


@rule(desc="Lint with ruff check", level=LogLevel.DEBUG)
async def ruff_check(request: RuffCheckRequest.Batch) -> LintResult:
    sources = await Get(
        SourceFiles, SourceFilesRequest(field_set.source for field_set in request.elements)
    )
    result = await Get(FallibleProcessResult, _RuffRun(sources.snapshot, ("check",)))
    return LintResult.create(request, result, strip_chroot_path=True)


@rule(desc="Fix with ruff check --fix", level=LogLevel.DEBUG)
async def ruff_fix(request: RuffFixRequest.Batch) -> FixResult:
    result = await Get(FallibleProcessResult, _RuffRun(request.snapshot, ("check", "--fix")))
    return await FixResult.create(request, result, strip_chroot_path=True)


@rule(desc="Format with ruff format", level=LogLevel.DEBUG)
async def ruff_format(request: RuffFormatRequest.Batch) -> FmtResult:
    result = await Get(FallibleProcessResult, _RuffRun(request.snapshot, ("format",)))
    return await FmtResult.create(request, result, strip_chroot_path=True)


def rules():
    return [
        *collect_rules(),
        *RuffCheckRequest.rules(),
        *RuffFixRequest.rules(),
        *RuffFormatRequest.rules(),
        *skip_field.rules(),
        *pex.rules(),
    ]
