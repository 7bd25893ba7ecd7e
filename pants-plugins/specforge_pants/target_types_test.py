from __future__ import annotations

from textwrap import dedent

import pytest
from pants.base.specs import DirGlobSpec, RawSpecs
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import (
    HydratedSources,
    HydrateSourcesRequest,
    InvalidFieldException,
    SourcesPaths,
    SourcesPathsRequest,
    Tags,
    Targets,
)
from pants.testutil.rule_runner import QueryRule, RuleRunner

from specforge_pants.target_types import (
    SpecAppSourcesField,
    SpecAppTarget,
    SpecDependenciesField,
    SpecPythonResolveField,
    SpecServiceField,
    SpecSourceField,
    SpecSourcesGeneratingSourcesField,
    SpecSourcesGeneratorTarget,
    SpecSourceTarget,
)
from specforge_pants.target_types import rules as target_types_rules
from specforge_pants.testutil import only_error


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    # The target types and the generator rule only: no inference, so a target's `dependencies`
    # are exactly what its BUILD file says. Each test writes its own directories.
    return RuleRunner(
        target_types=[SpecSourcesGeneratorTarget, SpecSourceTarget, SpecAppTarget],
        rules=[
            *target_types_rules(),
            QueryRule(SourcesPaths, [SourcesPathsRequest]),
            QueryRule(HydratedSources, [HydrateSourcesRequest]),
            QueryRule(Targets, [RawSpecs]),
        ],
    )


def targets_in(rule_runner: RuleRunner, directory: str) -> dict[Address, object]:
    """Every target `dir:` resolves to (target generators replaced by what they generate)."""
    targets = rule_runner.request(
        Targets,
        [RawSpecs(dir_literals=(), dir_globs=(DirGlobSpec(directory),), description_of_origin="t")],
    )
    return {t.address: t for t in targets}


def test_service_spec_dir_generates_a_target_per_file_and_the_app(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "services/billing/spec/BUILD": dedent(
                """\
                spec_sources(
                    dependencies=["shared/spec:spec"],
                    tags=["api"],
                    resolve="service-billing",
                )
                """
            ),
            "services/billing/spec/invoices.yaml": "domain: invoices\n",
            "services/billing/spec/manifest.yml": "consumes: []\n",
            "services/billing/spec/README.md": "not a spec",
            "services/billing/spec/draft.json": "{}",
        }
    )
    generator = rule_runner.get_target(Address("services/billing/spec", target_name="spec"))
    assert isinstance(generator, SpecSourcesGeneratorTarget)
    paths = rule_runner.request(
        SourcesPaths, [SourcesPathsRequest(generator[SpecSourcesGeneratingSourcesField])]
    )
    assert paths.files == (
        "services/billing/spec/invoices.yaml",
        "services/billing/spec/manifest.yml",
    )

    invoices = Address(
        "services/billing/spec", target_name="spec", relative_file_path="invoices.yaml"
    )
    manifest = Address(
        "services/billing/spec", target_name="spec", relative_file_path="manifest.yml"
    )
    app = Address("services/billing/spec", target_name="spec", generated_name="app")
    targets = targets_in(rule_runner, "services/billing/spec")
    assert set(targets) == {invoices, manifest, app}

    for address, file in ((invoices, "invoices.yaml"), (manifest, "manifest.yml")):
        tgt = targets[address]
        assert isinstance(tgt, SpecSourceTarget)
        assert tgt[SpecSourceField].file_path == f"services/billing/spec/{file}"
        # `dependencies` and `resolve` move from the generator to every generated file target.
        assert tgt[SpecDependenciesField].value == ("shared/spec:spec",)
        assert tgt[SpecPythonResolveField].value == "service-billing"
        assert tgt[Tags].value == ("api",)

    app_tgt = targets[app]
    assert isinstance(app_tgt, SpecAppTarget)
    assert app_tgt[SpecServiceField].value == "billing"
    assert app_tgt[SpecAppSourcesField].value == ()
    assert app_tgt[SpecPythonResolveField].value == "service-billing"
    assert app_tgt[Tags].value == ("api",)
    # The app's dependencies are inferred (the service's domain specs), never copied.
    assert app_tgt[SpecDependenciesField].value is None
    assert app_tgt.residence_dir == "services/billing/spec"


def test_shared_spec_dir_has_no_app_target(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "shared/spec/BUILD": "spec_sources()",
            "shared/spec/models.yaml": "models: {}\n",
            "shared/spec/events.yaml": "events: {}\n",
        }
    )
    assert set(targets_in(rule_runner, "shared/spec")) == {
        Address("shared/spec", target_name="spec", relative_file_path="events.yaml"),
        Address("shared/spec", target_name="spec", relative_file_path="models.yaml"),
    }


def test_registry_and_nested_dirs_have_no_app_target(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "BUILD": 'spec_sources(name="registry", sources=["services.yml"])',
            "services.yml": "services: []\n",
            # Not directly `services/<svc>/spec`: no app.
            "services/billing/docs/spec/BUILD": "spec_sources()",
            "services/billing/docs/spec/example.yaml": "domain: example\n",
        }
    )
    registry = rule_runner.get_target(Address("", target_name="registry"))
    assert isinstance(registry, SpecSourcesGeneratorTarget)
    assert set(targets_in(rule_runner, "services/billing/docs/spec")) == {
        Address("services/billing/docs/spec", target_name="spec", relative_file_path="example.yaml")
    }
    services_yml = rule_runner.get_target(
        Address("", target_name="registry", relative_file_path="services.yml")
    )
    assert services_yml[SpecSourceField].file_path == "services.yml"


def test_spec_source_rejects_a_non_yaml_file(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {"bad/BUILD": "spec_source(source='notes.txt')", "bad/notes.txt": "hello"}
    )
    with pytest.raises(ExecutionError) as exc:
        tgt = rule_runner.get_target(Address("bad"))
        rule_runner.request(HydratedSources, [HydrateSourcesRequest(tgt[SpecSourceField])])
    error = only_error(exc.value)
    assert isinstance(error, InvalidFieldException)
    assert (
        "The 'source' field in target bad:bad can only contain files that end in one of "
        "['.yaml', '.yml'], but it had these files: ['bad/notes.txt']."
    ) in str(error)


def test_spec_sources_rejects_a_non_yaml_file(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "bad_gen/BUILD": "spec_sources(sources=['a.yaml', 'notes.txt'])",
            "bad_gen/a.yaml": "models: {}\n",
            "bad_gen/notes.txt": "hello",
        }
    )
    with pytest.raises(ExecutionError) as exc:
        targets_in(rule_runner, "bad_gen")
    error = only_error(exc.value)
    assert isinstance(error, InvalidFieldException)
    assert (
        "The 'sources' field in target bad_gen:bad_gen can only contain files that end in one "
        "of ['.yaml', '.yml'], but it had these files: ['bad_gen/notes.txt']."
    ) in str(error)
