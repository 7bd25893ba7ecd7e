from __future__ import annotations

import pytest
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import (
    HydratedSources,
    HydrateSourcesRequest,
    SourcesPaths,
    SourcesPathsRequest,
)
from pants.testutil.rule_runner import QueryRule, RuleRunner

from specforge_pants.target_types import (
    SpecDependenciesField,
    SpecSourceField,
    SpecSourcesGeneratingSourcesField,
    SpecSourcesGeneratorTarget,
    SpecSourceTarget,
)


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        target_types=[SpecSourcesGeneratorTarget, SpecSourceTarget],
        rules=[
            QueryRule(SourcesPaths, [SourcesPathsRequest]),
            QueryRule(HydratedSources, [HydrateSourcesRequest]),
        ],
    )


def test_generator_makes_one_target_per_yaml_file(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "services/backend/spec/BUILD": "spec_sources(dependencies=['shared/spec:spec'])",
            "services/backend/spec/users.yaml": "domain: users\n",
            "services/backend/spec/manifest.yml": "consumes: []\n",
            "services/backend/spec/notes.txt": "not a spec",
            "shared/spec/BUILD": "spec_sources()",
            "shared/spec/models.yaml": "models: {}\n",
        }
    )
    generator = rule_runner.get_target(Address("services/backend/spec", target_name="spec"))
    assert isinstance(generator, SpecSourcesGeneratorTarget)

    users = rule_runner.get_target(
        Address("services/backend/spec", target_name="spec", relative_file_path="users.yaml")
    )
    manifest = rule_runner.get_target(
        Address("services/backend/spec", target_name="spec", relative_file_path="manifest.yml")
    )
    for tgt, path in ((users, "users.yaml"), (manifest, "manifest.yml")):
        assert isinstance(tgt, SpecSourceTarget)
        assert tgt[SpecSourceField].file_path == f"services/backend/spec/{path}"
        # `dependencies` moves from the generator to every generated target.
        assert tgt[SpecDependenciesField].value == ("shared/spec:spec",)

    paths = rule_runner.request(
        SourcesPaths, [SourcesPathsRequest(generator[SpecSourcesGeneratingSourcesField])]
    )
    assert paths.files == ("services/backend/spec/manifest.yml", "services/backend/spec/users.yaml")


def test_spec_source_rejects_non_yaml_files(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {"spec/BUILD": "spec_source(source='notes.txt')", "spec/notes.txt": "hello"}
    )
    tgt = rule_runner.get_target(Address("spec"))
    with pytest.raises(ExecutionError) as exc:
        rule_runner.request(HydratedSources, [HydrateSourcesRequest(tgt[SpecSourceField])])
    assert "notes.txt" in str(exc.value)
    assert ".yaml" in str(exc.value)
