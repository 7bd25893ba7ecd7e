"""Target types for specs.

`spec_sources` (one per `spec/` directory, and one for `services.yml`) generates a
`spec_source` target per file. In a service's `spec/` directory it also generates the
service's app target, `services/<svc>/spec:spec#app`, which owns the generated app factory
(`<svc>.generated.app`) and depends on the service's domain specs.
"""

from __future__ import annotations

import glob
import os
from typing import List

from pants.backend.python.target_types import PythonResolveField
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    AllTargets,
    Dependencies,
    GeneratedTargets,
    GenerateTargetsRequest,
    MultipleSourcesField,
    SingleSourceField,
    SourcesPaths,
    SourcesPathsRequest,
    StringField,
    Target,
    TargetGenerator,
    Targets,
    generate_multiple_sources_field_help_message,
)
from pants.engine.unions import UnionMembership, UnionRule
from pants.util.dirutil import fast_relpath
from pants.util.logging import LogLevel
from pants.util.strutil import help_text

from specforge.layout import SPEC_SUFFIXES, service_of_dir

SPEC_FILE_EXTENSIONS = SPEC_SUFFIXES


class SpecDependenciesField(Dependencies):
    pass


class SpecPythonResolveField(PythonResolveField):
    help = help_text(
        """
        The resolve of the Python code generated from this spec (and of the code that imports
        it). Defaults to `[python].default_resolve`.
        """
    )


class SpecSourceField(SingleSourceField):
    expected_file_extensions = SPEC_FILE_EXTENSIONS


class SpecSourceTarget(Target):
    alias = "spec_source"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        SpecDependenciesField,
        SpecSourceField,
        SpecPythonResolveField,
    )
    help = help_text(
        """
        A single spec file: `models.yaml`, `events.yaml`, a domain spec, a `manifest.yaml`, or
        the `services.yml` registry. Python code generated from it is a dependency-tracked
        build output: importing a generated module depends on this target.
        """
    )


class SpecAppSourcesField(MultipleSourcesField):
    """The app target has no files of its own: it renders from its dependencies."""

    alias = "_app_sources"
    default = ()
    expected_num_files = 0
    help = "(internal)"


class SpecServiceField(StringField):
    alias = "service"
    required = True
    help = "The service whose app factory this target generates."


class SpecAppTarget(Target):
    alias = "spec_app"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        SpecDependenciesField,
        SpecAppSourcesField,
        SpecServiceField,
        SpecPythonResolveField,
    )
    help = help_text(
        """
        The generated app factory of one service (`<service>.generated.app`), assembled from
        its domain specs. `spec_sources` in `services/<service>/spec/` generates it; it is not
        meant to be declared by hand.
        """
    )


class SpecSourcesGeneratingSourcesField(MultipleSourcesField):
    default = tuple(f"*{suffix}" for suffix in SPEC_SUFFIXES)
    expected_file_extensions = SPEC_FILE_EXTENSIONS
    help = generate_multiple_sources_field_help_message(
        "Example: `sources=['users.yaml', 'orders.yaml', '!draft_*.yaml']`"
    )


class SpecSourcesGeneratorTarget(TargetGenerator):
    alias = "spec_sources"
    core_fields = (*COMMON_TARGET_FIELDS, SpecSourcesGeneratingSourcesField)
    generated_target_cls = SpecSourceTarget
    copied_fields = COMMON_TARGET_FIELDS
    moved_fields = (SpecDependenciesField, SpecPythonResolveField)
    help = help_text(
        """
        Generate a `spec_source` target for each spec file (by default every `*.yaml` and
        `*.yml` file in the BUILD file's directory), and, in `services/<service>/spec/`, the
        service's `spec_app` target (address `services/<service>/spec:spec#app`).
        """
    )


class SpecforgeEngineSourcesField(MultipleSourcesField):
    default = ("**/*.py", "**/*.j2", "**/*.toml")
    help = "The engine's source files and templates."


class SpecforgeEngineTarget(Target):
    alias = "specforge_engine"
    core_fields = (*COMMON_TARGET_FIELDS, SpecforgeEngineSourcesField)
    help = help_text(
        """
        The specforge engine's files, as a dependency of every spec target (see
        `[specforge].engine_files`): editing a renderer or a template then reaches every
        generated output and `--changed-dependents`. Unlike a `files` target, it is never
        copied into sandboxes or packaged into services.
        """
    )


class AllSpecTargets(Targets):
    """Every `spec_source` and `spec_app` target of the repo."""


@rule(desc="Find all spec targets", level=LogLevel.DEBUG)
def find_all_spec_targets(targets: AllTargets) -> AllSpecTargets:
    return AllSpecTargets(
        t for t in targets if t.has_field(SpecSourceField) or t.has_field(SpecAppSourcesField)
    )


class GenerateSpecTargetsRequest(GenerateTargetsRequest):
    generate_from = SpecSourcesGeneratorTarget


@rule
async def generate_spec_targets(
    request: GenerateSpecTargetsRequest, union_membership: UnionMembership
) -> GeneratedTargets:
    generator = request.generator
    paths = await Get(
        SourcesPaths, SourcesPathsRequest(generator[SpecSourcesGeneratingSourcesField])
    )
    # One `spec_source` per file, as Pants' own file generators make them (a file address,
    # the generator's fields, the file as `source`), without dependencies on the siblings:
    # dependency inference finds the specs a spec uses.
    spec_path = request.template_address.spec_path
    targets: List[Target] = []
    for path in paths.files:
        # `source` is a glob: a file named `a[1].yaml` must match itself only.
        relative = fast_relpath(glob.escape(path), spec_path)
        targets.append(
            SpecSourceTarget(
                {**request.template, SpecSourceField.alias: relative},
                request.template_address.create_file(relative),
                union_membership,
                residence_dir=os.path.dirname(path),
            )
        )
    service = service_of_dir(spec_path)
    if service is not None:
        fields = {k: v for k, v in request.template.items() if k != SpecDependenciesField.alias}
        fields[SpecServiceField.alias] = service
        targets.append(
            SpecAppTarget(
                fields,
                request.template_address.create_generated("app"),
                union_membership,
                residence_dir=request.template_address.spec_path,
            )
        )
    return GeneratedTargets(generator, targets)


def rules():
    return [*collect_rules(), UnionRule(GenerateTargetsRequest, GenerateSpecTargetsRequest)]
