from __future__ import annotations

import os

import pytest
from pants.core.goals.tailor import PutativeTarget, PutativeTargets
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.core.target_types import rules as core_target_types_rules
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from specforge_pants import module_mapper, target_types, unowned
from specforge_pants.links import LINK, LinkedSpecsError
from specforge_pants.tailor import PutativeSpecTargetsRequest
from specforge_pants.tailor import rules as tailor_rules
from specforge_pants.target_types import (
    SpecAppTarget,
    SpecforgeEngineTarget,
    SpecSourcesGeneratorTarget,
    SpecSourceTarget,
)
from specforge_pants.testutil import only_error

FILES = {
    "services.yml": "services: []\n",
    "shared/spec/models.yaml": "models: {}\n",
    "shared/spec/events.yaml": "events: {}\n",
    "shared/spec/README.md": "",
    "services/x/spec/a.yaml": "domain: a\n",
    "services/x/spec/b.yml": "domain: b\n",
    "services/x/spec/manifest.yaml": "consumes: []\n",
    "services/x/config.yaml": "not a spec\n",
    "services/x/spec/nested/c.yaml": "domain: c\n",
    # yaml files elsewhere are not specs, even under a `spec` or `services/*/spec` directory.
    "tests/fixtures/spec/a.yaml": "domain: a\n",
    "tests/fixtures/services/y/spec/d.yaml": "domain: d\n",
    "tests/fixtures/services.yml": "services: []\n",
    "config.yaml": "key: value\n",
    "docs/spec/e.yaml": "domain: e\n",
}
LINKED = "services/linked/spec/a.yaml"
ALL_DIRS = tuple(sorted({"", *(path.rpartition("/")[0] for path in FILES)}))


def tailor_rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[
            *tailor_rules(),
            *unowned.rules(),
            *module_mapper.rules(),
            *target_types.rules(),
            *core_target_types_rules(),
            QueryRule(PutativeTargets, [PutativeSpecTargetsRequest]),
        ],
        target_types=[
            SpecSourcesGeneratorTarget,
            SpecSourceTarget,
            SpecAppTarget,
            SpecforgeEngineTarget,
            FilesGeneratorTarget,
            FileTarget,
        ],
    )


@pytest.fixture
def rule_runner() -> RuleRunner:
    # One per test: a RuleRunner makes its directory the process' BuildRoot.
    rule_runner = tailor_rule_runner()
    rule_runner.write_files(FILES)
    os.makedirs(os.path.join(rule_runner.build_root, "services/linked/spec"))
    os.symlink("../../x/spec/a.yaml", os.path.join(rule_runner.build_root, LINKED))
    return rule_runner


def putative(rule_runner: RuleRunner, dirs: tuple[str, ...]) -> PutativeTargets:
    return rule_runner.request(PutativeTargets, [PutativeSpecTargetsRequest(dirs)])


def spec_sources(path: str, *files: str) -> PutativeTarget:
    return PutativeTarget(
        path=path,
        name="spec",
        type_alias="spec_sources",
        triggering_sources=files,
        owned_sources=("*.yaml", "*.yml"),
    )


REGISTRY = PutativeTarget(
    path="",
    name="registry",
    type_alias="spec_sources",
    triggering_sources=("services.yml",),
    owned_sources=("services.yml",),
    kwargs={"sources": ("services.yml",)},
)


def test_spec_dirs_and_the_registry(rule_runner: RuleRunner) -> None:
    result = putative(rule_runner, ALL_DIRS)
    assert sorted(result, key=lambda p: (p.path, p.name)) == [
        REGISTRY,
        spec_sources("services/x/spec", "a.yaml", "b.yml", "manifest.yaml"),
        spec_sources("shared/spec", "events.yaml", "models.yaml"),
    ]
    registry = next(p for p in result if p.name == "registry")
    assert registry.generate_build_file_stanza("    ") == (
        'spec_sources(\n    name="registry",\n    sources=[\n        "services.yml",\n    ],\n)\n'
    )


def test_files_owned_by_spec_targets_are_not_proposed() -> None:
    """Only spec targets count as owners: a `files` target over a spec (this repo's root has
    one over all of `services/`) still leaves it to be proposed, as nothing checks it."""
    rule_runner = tailor_rule_runner()
    rule_runner.write_files(
        {
            **FILES,
            "BUILD": 'spec_sources(name="registry", sources=["services.yml"])\n'
            'files(name="everything", sources=["services/**/*", "shared/**/*"])\n',
            "shared/spec/BUILD": 'spec_source(name="models", source="models.yaml")\n',
            "services/x/spec/BUILD": 'spec_source(name="a", source="a.yaml")\n',
        }
    )
    assert set(putative(rule_runner, ALL_DIRS)) == {
        spec_sources("services/x/spec", "b.yml", "manifest.yaml"),
        spec_sources("shared/spec", "events.yaml"),
    }


def test_only_the_requested_directories(rule_runner: RuleRunner) -> None:
    # `tailor services/x/spec` (one directory) and `tailor shared/spec::`
    assert set(putative(rule_runner, ("services/x/spec",))) == {
        spec_sources("services/x/spec", "a.yaml", "b.yml", "manifest.yaml")
    }
    assert set(putative(rule_runner, ("shared/spec",))) == {
        spec_sources("shared/spec", "events.yaml", "models.yaml")
    }
    # `tailor :` or `tailor services/x`: files directly in those directories only.
    assert set(putative(rule_runner, ("",))) == {REGISTRY}
    assert set(putative(rule_runner, ("services/x",))) == set()
    assert set(putative(rule_runner, ("tests/fixtures/spec", "docs/spec"))) == set()


def test_linked_spec_files_are_refused(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as exc:
        putative(rule_runner, ("services/linked/spec",))
    error = only_error(exc.value)
    assert isinstance(error, LinkedSpecsError)
    assert str(error) == (
        f"Not creating targets for linked spec files:\n\n{LINKED}:1:1: error: {LINK}"
    )
