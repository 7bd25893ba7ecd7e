from __future__ import annotations

import os
from dataclasses import replace
from textwrap import dedent

import pytest
from pants.backend.python.target_types import PythonSourceField
from pants.core.goals.lint import LintResult
from pants.core.util_rules.partitions import Partitions
from pants.engine.addresses import Address
from pants.engine.fs import EMPTY_DIGEST, Digest, DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.process import Process
from pants.engine.target import HydratedSources, HydrateSourcesRequest, SourcesField
from pants.testutil.rule_runner import QueryRule, RuleRunner

from specforge_pants.codegen import SpecCodegenError
from specforge_pants.engine import SERVER_CACHE, SERVER_CACHE_PATH, SERVER_ENV_VAR, EngineProcess
from specforge_pants.links import LINK
from specforge_pants.lint import SpecLintFieldSet, SpecLintRequest
from specforge_pants.testutil import (
    BACKEND_BATCH,
    FAKE_ENGINE_FILES,
    FAKE_INIT,
    SPEC_REPO,
    EngineRun,
    only_error,
    plugin_rule_runner,
    set_engine_options,
)

BACKEND = "services/backend/src/backend/generated"
LINKED = "services/linked/spec/models.yaml"
TG_BOT = "services/tg_bot/src/tg_bot/generated"

# The engine runs once per spec directory, over the specs of that directory's targets plus
# every spec they depend on, transitively: exactly these files, no more.
SHARED_BATCH = EngineRun(
    targets=("shared/spec/events.yaml", "shared/spec/models.yaml"),
    inputs=("shared/spec/events.yaml", "shared/spec/models.yaml"),
)
TG_BOT_BATCH = EngineRun(
    targets=("services/tg_bot/spec/manifest.yaml",),
    apps=("tg_bot",),
    # The producer's domain spec and what it uses, and the registry; not backend's orders or
    # models, which users.yaml does not use.
    inputs=(
        "services.yml",
        "services/backend/spec/users.yaml",
        "services/tg_bot/spec/manifest.yaml",
        "shared/spec/events.yaml",
        "shared/spec/models.yaml",
    ),
)


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    # One RuleRunner (so one build of the fake engine's PEX) for every test of this file.
    rule_runner = plugin_rule_runner(
        QueryRule(HydratedSources, [HydrateSourcesRequest]),
        QueryRule(DigestContents, [Digest]),
        QueryRule(LintResult, [SpecLintRequest.Batch]),
        QueryRule(Process, [EngineProcess]),
    )
    rule_runner.write_files(
        {
            **SPEC_REPO,
            **FAKE_ENGINE_FILES,
            # A spec the fake engine rejects, and a spec of its directory that uses it.
            "services/broken/spec/BUILD": "spec_sources()",
            "services/broken/spec/models.yaml": dedent(
                """\
                models:
                  Thing:
                    fields: {a: {type: BROKEN}}
                """
            ),
            "services/broken/spec/things.yaml": dedent(
                """\
                domain: things
                operations:
                  get_thing: {output: Thing, rest: {method: GET, path: ""}}
                """
            ),
            # Another service that consumes the broken one.
            "services/caller/spec/BUILD": "spec_sources()",
            "services/caller/spec/manifest.yaml": dedent(
                """\
                consumes:
                  - {service: broken, domain: things, operations: [get_thing]}
                """
            ),
        }
    )
    # A spec that is a link (to a file of the repo that is not a spec): Pants would give the
    # engine the target's content as a regular file.
    rule_runner.write_files(
        {"services/linked/spec/BUILD": "spec_sources()", "docs/notes.txt": "models: {}\n"}
    )
    os.symlink("../../../docs/notes.txt", os.path.join(rule_runner.build_root, LINKED))
    set_engine_options(rule_runner)
    return rule_runner


def generate(rule_runner: RuleRunner, address: Address) -> dict[str, str]:
    tgt = rule_runner.get_target(address)
    hydrated = rule_runner.request(
        HydratedSources,
        [
            HydrateSourcesRequest(
                tgt[SourcesField], for_sources_types=(PythonSourceField,), enable_codegen=True
            )
        ],
    )
    contents = rule_runner.request(DigestContents, [hydrated.snapshot.digest])
    return {c.path: c.content.decode() for c in contents}


def spec(directory: str, file: str) -> Address:
    return Address(directory, target_name="spec", relative_file_path=file)


def app(service: str) -> Address:
    return Address(f"services/{service}/spec", target_name="spec", generated_name="app")


def test_shared_specs(rule_runner: RuleRunner) -> None:
    # Each target gets exactly its own files (and their packages' __init__.py).
    origin = "shared/spec/models.yaml"
    assert generate(rule_runner, spec("shared/spec", "models.yaml")) == {
        "shared/generated/__init__.py": FAKE_INIT,
        "shared/generated/schemas.py": SHARED_BATCH.record(origin),
    }
    origin = "shared/spec/events.yaml"
    assert generate(rule_runner, spec("shared/spec", "events.yaml")) == {
        "shared/generated/__init__.py": FAKE_INIT,
        "shared/generated/events.py": SHARED_BATCH.record(origin),
    }


def test_domain_gets_its_own_files_from_the_transitive_specs(rule_runner: RuleRunner) -> None:
    origin = "services/backend/spec/users.yaml"
    assert generate(rule_runner, spec("services/backend/spec", "users.yaml")) == {
        f"{BACKEND}/__init__.py": FAKE_INIT,
        f"{BACKEND}/users/__init__.py": BACKEND_BATCH.record(origin),
        f"{BACKEND}/users/protocol.py": BACKEND_BATCH.record(origin),
        f"{BACKEND}/users/router.py": BACKEND_BATCH.record(origin),
        f"{BACKEND}/users/subscribers.py": BACKEND_BATCH.record(origin),
    }
    origin = "services/backend/spec/models.yaml"
    assert generate(rule_runner, spec("services/backend/spec", "models.yaml")) == {
        f"{BACKEND}/__init__.py": FAKE_INIT,
        f"{BACKEND}/schemas.py": BACKEND_BATCH.record(origin),
    }


def test_app_is_generated_with_app_service(rule_runner: RuleRunner) -> None:
    assert generate(rule_runner, app("backend")) == {
        f"{BACKEND}/__init__.py": FAKE_INIT,
        f"{BACKEND}/app.py": BACKEND_BATCH.record("--app backend"),
    }


def test_manifest_gets_the_producer_specs_and_the_registry(rule_runner: RuleRunner) -> None:
    origin = "services/tg_bot/spec/manifest.yaml"
    assert generate(rule_runner, spec("services/tg_bot/spec", "manifest.yaml")) == {
        f"{TG_BOT}/__init__.py": FAKE_INIT,
        f"{TG_BOT}/clients.py": TG_BOT_BATCH.record(origin),
    }
    assert generate(rule_runner, app("tg_bot")) == {
        f"{TG_BOT}/__init__.py": FAKE_INIT,
        f"{TG_BOT}/app.py": TG_BOT_BATCH.record("--app tg_bot"),
    }


def test_registry_generates_nothing(rule_runner: RuleRunner) -> None:
    registry = Address("", target_name="registry", relative_file_path="services.yml")
    assert generate(rule_runner, registry) == {}


def test_broker_option(rule_runner: RuleRunner) -> None:
    try:
        set_engine_options(rule_runner, ["--specforge-broker=nats"])
        origin = "shared/spec/events.yaml"
        assert generate(rule_runner, spec("shared/spec", "events.yaml")) == {
            "shared/generated/__init__.py": FAKE_INIT,
            "shared/generated/events.py": replace(SHARED_BATCH, broker="nats").record(origin),
        }

        set_engine_options(rule_runner, ["--specforge-broker=mqtt"])
        with pytest.raises(ExecutionError) as exc:
            generate(rule_runner, spec("shared/spec", "events.yaml"))
        error = only_error(exc.value)
        assert "Invalid choice 'mqtt'. Choose from: redis, rabbit, nats, kafka" in str(error)
    finally:
        set_engine_options(rule_runner)


def test_engine_errors_are_reported_as_the_engine_located_them(rule_runner: RuleRunner) -> None:
    located = "services/broken/spec/models.yaml:3:24: error: broken spec [fake]"
    # The broken spec, a spec of its directory, and a spec of another service that uses it.
    cases = (
        (spec("services/broken/spec", "models.yaml"), "services/broken/spec"),
        (spec("services/broken/spec", "things.yaml"), "services/broken/spec"),
        (spec("services/caller/spec", "manifest.yaml"), "services/caller/spec"),
    )
    for address, directory in cases:
        with pytest.raises(ExecutionError) as exc:
            generate(rule_runner, address)
        error = only_error(exc.value)
        assert isinstance(error, SpecCodegenError)
        # The engine's located error, as it printed it: no traceback, no other noise.
        assert str(error) == (
            f"Cannot generate code from the specs of {directory}: they have errors.\n\n"
            f"{located}\n\n"
            "Run `./pants lint ::` to see every spec error of the repo."
        )


def lint(rule_runner: RuleRunner, *addresses: Address) -> LintResult:
    field_sets = [SpecLintFieldSet.create(rule_runner.get_target(a)) for a in addresses]
    (partition,) = Partitions.single_partition(field_sets)
    batch = SpecLintRequest.Batch("specforge check", partition.elements, partition.metadata)
    return rule_runner.request(LintResult, [batch])


def test_lint_checks_the_specs_and_what_they_use(rule_runner: RuleRunner) -> None:
    result = lint(
        rule_runner,
        spec("shared/spec", "models.yaml"),
        spec("services/tg_bot/spec", "manifest.yaml"),
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert result.linter_name == "specforge check"

    # things.yaml is fine; the models file it uses is not.
    result = lint(rule_runner, spec("services/broken/spec", "things.yaml"))
    assert (result.exit_code, result.stdout) == (
        1,
        "services/broken/spec/models.yaml:3:24: error: broken spec [fake]\n",
    )


def test_linked_specs_are_refused_by_path_without_running_the_engine(
    rule_runner: RuleRunner,
) -> None:
    located = f"{LINKED}:1:1: error: {LINK}"
    with pytest.raises(ExecutionError) as exc:
        generate(rule_runner, spec("services/linked/spec", "models.yaml"))
    error = only_error(exc.value)
    assert isinstance(error, SpecCodegenError)
    assert str(error) == (
        "Cannot generate code from the specs of services/linked/spec: they have errors.\n\n"
        f"{located}\n\n"
        "Run `./pants lint ::` to see every spec error of the repo."
    )
    result = lint(rule_runner, spec("services/linked/spec", "models.yaml"))
    assert (result.exit_code, result.stdout, result.stderr) == (1, f"{located}\n", "")


@pytest.mark.parametrize("on", [True, False])
def test_engine_processes_find_the_engine_server_unless_it_is_off(
    rule_runner: RuleRunner, on: bool
) -> None:
    set_engine_options(rule_runner, [f"--specforge-engine-server={on}"])
    request = EngineProcess(["check"], input_digest=EMPTY_DIGEST, description="check")
    process = rule_runner.request(Process, [request])
    assert process.env.get(SERVER_ENV_VAR) == (SERVER_CACHE_PATH if on else None)
    assert process.append_only_caches.get(SERVER_CACHE) == (SERVER_CACHE_PATH if on else None)
    set_engine_options(rule_runner)
