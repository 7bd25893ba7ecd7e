from __future__ import annotations

from textwrap import dedent

import pytest
from pants.backend.codegen.utils import MissingPythonCodegenRuntimeLibrary
from pants.engine.addresses import Address, Addresses
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import DependenciesRequest, InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner

from specforge_pants.dependency_inference import InferSpecDependencies, SpecInferenceFieldSet
from specforge_pants.target_types import SpecDependenciesField
from specforge_pants.testutil import SPEC_REPO, only_error, plugin_rule_runner

ENGINE_FILES = Address("engine", target_name="engine-files")
RUNTIME = Address("runtime")
PYDANTIC = Address("3rdparty", target_name="pydantic")
FASTAPI = Address("3rdparty", target_name="fastapi")
FASTSTREAM = Address("3rdparty", target_name="faststream")
HTTPX2 = Address("3rdparty", target_name="httpx2")
EMAIL_VALIDATOR = Address("3rdparty", target_name="email-validator")


def spec(directory: str, file: str, name: str = "spec") -> Address:
    return Address(directory, target_name=name, relative_file_path=file)


REGISTRY = spec("", "services.yml", "registry")
SHARED_MODELS = spec("shared/spec", "models.yaml")
SHARED_EVENTS = spec("shared/spec", "events.yaml")
BACKEND_USERS = spec("services/backend/spec", "users.yaml")
BACKEND_MODELS = spec("services/backend/spec", "models.yaml")
BACKEND_ORDERS = spec("services/backend/spec", "orders.yaml")
BACKEND_APP = Address("services/backend/spec", target_name="spec", generated_name="app")
TG_BOT_MANIFEST = spec("services/tg_bot/spec", "manifest.yaml")
TG_BOT_APP = Address("services/tg_bot/spec", target_name="spec", generated_name="app")
NOTIFICATIONS_WELCOME = spec("services/notifications/spec", "welcome.yaml")
NOTIFICATIONS_APP = Address("services/notifications/spec", target_name="spec", generated_name="app")

# Specs the scanner cannot make sense of: inference must shrug, never fail.
LEGACY = {
    "services/legacy/spec/BUILD": "spec_sources()",
    # Not YAML at all.
    "services/legacy/spec/broken.yaml": "operations: [unclosed\n  get: {output: UserRead\n",
    # YAML, but not the expected shapes.
    "services/legacy/spec/models.yaml": dedent(
        """\
        enums: [Role]
        models:
          Weird: [1, 2]
          Odd:
            fields: {a: 5, b: {type: [UserRead]}, c: {type: enum}, d: {type: "dict[string, Money]"}}
            variants: [x]
            union: Money
        """
    ),
    "services/legacy/spec/scalar.yaml": "just a string\n",
    "services/legacy/spec/listy.yml": "- operations\n- {input: UserRead}\n",
    "services/legacy/spec/manifest.yaml": "consumes: {service: backend}\n",
    # Nested deeper than libyaml's recursive composer survives on a rule thread's stack (this
    # crashed the whole process, not just the request).
    "services/legacy/spec/deep_flow.yaml": "operations: {op: {input: "
    + "[" * 20_000
    + "]" * 20_000
    + "}}\n",
    "services/legacy/spec/deep_block.yaml": "operations:\n  op:\n    input: "
    + "- " * 20_000
    + "x\n",
}


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    rule_runner = plugin_rule_runner(
        QueryRule(InferredDependencies, [InferSpecDependencies]),
        QueryRule(Addresses, [DependenciesRequest]),
    )
    rule_runner.write_files(
        {
            **SPEC_REPO,
            **LEGACY,
            # As in the repo: a `specforge_engine` target holds the engine's files.
            "engine/BUILD": 'specforge_engine(name="engine-files")',
            "engine/cli.py": "",
            "engine/templates/schemas.py.j2": "",
            "runtime/BUILD": "python_sources()",
            "runtime/__init__.py": "",
            # A service that subscribes to what backend publishes.
            "services/notifications/spec/BUILD": "spec_sources()",
            "services/notifications/spec/welcome.yaml": dedent(
                """\
                domain: welcome
                operations:
                  greet: {input: UserRead, events: {subscribe: user_registered}}
                """
            ),
        }
    )
    set_options(rule_runner)
    return rule_runner


def set_options(rule_runner: RuleRunner, *extra: str) -> None:
    rule_runner.set_options(
        ["--specforge-engine-files=engine:engine-files", "--specforge-runtime=runtime", *extra],
        env_inherit={"PATH", "PYENV_ROOT"},
    )


def inferred(rule_runner: RuleRunner, address: Address) -> set[Address]:
    tgt = rule_runner.get_target(address)
    result = rule_runner.request(
        InferredDependencies, [InferSpecDependencies(SpecInferenceFieldSet.create(tgt))]
    )
    assert not result.exclude
    return set(result.include)


def test_shared_models(rule_runner: RuleRunner) -> None:
    # Everything it uses it defines itself; `format: email` needs email-validator.
    assert inferred(rule_runner, SHARED_MODELS) == {ENGINE_FILES, PYDANTIC, EMAIL_VALIDATOR}


def test_shared_events_use_shared_models(rule_runner: RuleRunner) -> None:
    assert inferred(rule_runner, SHARED_EVENTS) == {
        SHARED_MODELS,
        ENGINE_FILES,
        RUNTIME,  # event identities, dead letters
        PYDANTIC,
        FASTSTREAM,
    }


def test_domain_uses_shared_models_and_events(rule_runner: RuleRunner) -> None:
    assert inferred(rule_runner, BACKEND_USERS) == {
        SHARED_MODELS,  # UserCreate, UserRead (variants), Role (a param)
        SHARED_EVENTS,  # user_registered
        ENGINE_FILES,
        PYDANTIC,
        FASTAPI,
        FASTSTREAM,  # it publishes an event
        RUNTIME,  # through the outbox
    }


def test_domain_uses_service_local_models(rule_runner: RuleRunner) -> None:
    assert inferred(rule_runner, BACKEND_ORDERS) == {
        BACKEND_MODELS,
        ENGINE_FILES,
        PYDANTIC,
        FASTAPI,
    }


def test_service_models_use_shared_models(rule_runner: RuleRunner) -> None:
    assert inferred(rule_runner, BACKEND_MODELS) == {SHARED_MODELS, ENGINE_FILES, PYDANTIC}


def test_manifest_uses_the_producer_domain_and_the_registry(rule_runner: RuleRunner) -> None:
    assert inferred(rule_runner, TG_BOT_MANIFEST) == {
        BACKEND_USERS,
        REGISTRY,
        ENGINE_FILES,
        PYDANTIC,
        HTTPX2,
    }


def test_app_uses_the_service_domains(rule_runner: RuleRunner) -> None:
    # Domain specs: not the service's models.yaml; and of other services, those that subscribe
    # to what it publishes (the app creates their consumer groups).
    assert inferred(rule_runner, BACKEND_APP) == {
        BACKEND_USERS,
        BACKEND_ORDERS,
        NOTIFICATIONS_WELCOME,  # subscribes to user_registered, which users.yaml publishes
        ENGINE_FILES,
        RUNTIME,
        FASTAPI,
        FASTSTREAM,
    }
    # tg_bot has a manifest but no domain spec.
    assert inferred(rule_runner, TG_BOT_APP) == {ENGINE_FILES, RUNTIME, FASTAPI, FASTSTREAM}
    # A subscriber's app does not depend on the publishers.
    assert inferred(rule_runner, NOTIFICATIONS_APP) == {
        NOTIFICATIONS_WELCOME,
        ENGINE_FILES,
        RUNTIME,
        FASTAPI,
        FASTSTREAM,
    }


def test_registry(rule_runner: RuleRunner) -> None:
    assert inferred(rule_runner, REGISTRY) == {ENGINE_FILES}


def test_unparseable_specs_infer_no_spec_dependencies(rule_runner: RuleRunner) -> None:
    legacy = "services/legacy/spec"
    # The runtime libraries follow from the kind of file (its path) alone.
    assert inferred(rule_runner, spec(legacy, "broken.yaml")) == {ENGINE_FILES, PYDANTIC, FASTAPI}
    assert inferred(rule_runner, spec(legacy, "scalar.yaml")) == {ENGINE_FILES, PYDANTIC, FASTAPI}
    assert inferred(rule_runner, spec(legacy, "listy.yml")) == {ENGINE_FILES, PYDANTIC, FASTAPI}
    for deep in ("deep_flow.yaml", "deep_block.yaml"):
        assert inferred(rule_runner, spec(legacy, deep)) == {ENGINE_FILES, PYDANTIC, FASTAPI}
    # Malformed shapes are skipped; the one well-formed field type still counts.
    assert inferred(rule_runner, spec(legacy, "models.yaml")) == {
        SHARED_MODELS,
        ENGINE_FILES,
        PYDANTIC,
    }
    assert inferred(rule_runner, spec(legacy, "manifest.yaml")) == {
        REGISTRY,
        ENGINE_FILES,
        PYDANTIC,
        HTTPX2,
    }
    # ... and the app of the service still infers its domain specs.
    assert inferred(rule_runner, Address(legacy, target_name="spec", generated_name="app")) == {
        spec(legacy, "broken.yaml"),
        spec(legacy, "scalar.yaml"),
        spec(legacy, "listy.yml"),
        spec(legacy, "deep_flow.yaml"),
        spec(legacy, "deep_block.yaml"),
        ENGINE_FILES,
        RUNTIME,
        FASTAPI,
        FASTSTREAM,
    }


def test_dependencies_combine_explicit_and_inferred(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "services/extra/spec/BUILD": 'spec_sources(dependencies=["3rdparty:httpx2"])',
            "services/extra/spec/models.yaml": "models: {Thing: {fields: {m: {type: Money}}}}\n",
        }
    )
    tgt = rule_runner.get_target(spec("services/extra/spec", "models.yaml"))
    addresses = rule_runner.request(Addresses, [DependenciesRequest(tgt[SpecDependenciesField])])
    assert set(addresses) == {HTTPX2, SHARED_MODELS, ENGINE_FILES, PYDANTIC}


def test_runtime_libraries_come_from_the_target_resolve(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "services/isolated/spec/BUILD": 'spec_sources(resolve="isolated")',
            "services/isolated/spec/models.yaml": "models: {Thing: {fields: {m: {type: Money}}}}\n",
        }
    )
    address = spec("services/isolated/spec", "models.yaml")
    resolves = "--python-resolves={'python-default': 'a.lock', 'isolated': 'b.lock'}"
    try:
        set_options(rule_runner, "--python-enable-resolves", resolves)
        # The requirements are all in python-default: none provides pydantic in `isolated`.
        with pytest.raises(ExecutionError) as exc:
            inferred(rule_runner, address)
        error = only_error(exc.value)
        assert isinstance(error, MissingPythonCodegenRuntimeLibrary)
        message = " ".join(str(error).split())
        assert (
            "No `python_requirement` target was found with the module `pydantic` in your project "
            "for the resolve 'isolated', so the Python code generated from the target "
            "services/isolated/spec/models.yaml will not work properly."
        ) in message
        # The advice names an option that exists and does what it says.
        assert "set `[specforge].infer_runtime_dependencies = false` in `pants.toml`" in message

        set_options(
            rule_runner,
            "--python-enable-resolves",
            resolves,
            "--no-specforge-infer-runtime-dependencies",
        )
        # Spec-to-spec inference does not depend on resolves: the engine needs the specs.
        assert inferred(rule_runner, address) == {SHARED_MODELS, ENGINE_FILES}
        # ...while a target of the default resolve gets no library either.
        assert inferred(rule_runner, BACKEND_USERS) == {SHARED_MODELS, SHARED_EVENTS, ENGINE_FILES}
    finally:
        set_options(rule_runner)
