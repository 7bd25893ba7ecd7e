"""Target types for specs.

`spec_sources` (one per `spec/` directory, and one for `services.yml`) generates a
`spec_source` target per file. In a service's `spec/` directory it also generates the
service's app target, `services/<svc>/spec:spec#app`, which owns the generated app factory
(`<svc>.generated.app`) and depends on the service's domain specs.
"""

from __future__ import annotations

from pants.backend.python.target_types import PythonResolveField
from pants.engine.internals.graph import (  # type: ignore[attr-defined]
    _generate_file_level_targets,
)
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import (
    COMMON_TARGET_FIELDS,
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
    generate_multiple_sources_field_help_message,
)
from pants.engine.unions import UnionMembership, UnionRule
from pants.util.strutil import help_text

from specforge.layout import service_of_dir

SPEC_FILE_EXTENSIONS = (".yaml", ".yml")


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
    default = ("*.yaml", "*.yml")
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
    file_targets = _generate_file_level_targets(
        SpecSourceTarget,
        generator,
        paths.files,
        request.template_address,
        request.template,
        {},
        union_membership,
        add_dependencies_on_all_siblings=False,
    )
    targets = list(file_targets.values())
    service = service_of_dir(request.template_address.spec_path)
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
