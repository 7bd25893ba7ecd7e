"""Target types for spec files: `spec_sources` (one per `spec/` dir) and `spec_source` (one per file)."""

from __future__ import annotations

from pants.engine.target import (
    COMMON_TARGET_FIELDS,
    Dependencies,
    MultipleSourcesField,
    OverridesField,
    SingleSourceField,
    Target,
    TargetFilesGenerator,
    generate_file_based_overrides_field_help_message,
    generate_multiple_sources_field_help_message,
)
from pants.util.strutil import help_text

SPEC_FILE_EXTENSIONS = (".yaml", ".yml")


class SpecDependenciesField(Dependencies):
    pass


class SpecSourceField(SingleSourceField):
    expected_file_extensions = SPEC_FILE_EXTENSIONS


class SpecSourceTarget(Target):
    alias = "spec_source"
    core_fields = (*COMMON_TARGET_FIELDS, SpecDependenciesField, SpecSourceField)
    help = help_text(
        """
        A single spec file: `models.yaml`, `events.yaml`, a domain spec, a `manifest.yaml`, or
        the `services.yml` registry.
        """
    )


class SpecSourcesGeneratingSourcesField(MultipleSourcesField):
    default = ("*.yaml", "*.yml")
    expected_file_extensions = SPEC_FILE_EXTENSIONS
    help = generate_multiple_sources_field_help_message(
        "Example: `sources=['users.yaml', 'orders.yaml', '!draft_*.yaml']`"
    )


class SpecSourcesOverridesField(OverridesField):
    help = generate_file_based_overrides_field_help_message(
        SpecSourceTarget.alias,
        """
        overrides={
            "users.yaml": {"tags": ["users"]},
        }
        """,
    )


class SpecSourcesGeneratorTarget(TargetFilesGenerator):
    alias = "spec_sources"
    core_fields = (
        *COMMON_TARGET_FIELDS,
        SpecSourcesGeneratingSourcesField,
        SpecSourcesOverridesField,
    )
    generated_target_cls = SpecSourceTarget
    copied_fields = COMMON_TARGET_FIELDS
    moved_fields = (SpecDependenciesField,)
    help = help_text(
        """
        Generate a `spec_source` target for each spec file in a `spec/` directory (by default
        every `*.yaml` and `*.yml` file in the BUILD file's directory).
        """
    )
