from __future__ import annotations

from textwrap import dedent

import pytest
from pants.backend.python.dependency_inference.module_mapper import (
    FirstPartyPythonMappingImpl,
    FirstPartyPythonModuleMapping,
    ModuleProvider,
    ModuleProviderType,
)
from pants.backend.python.target_types import PythonSourceField
from pants.engine.addresses import Address, Addresses
from pants.engine.target import Dependencies, DependenciesRequest
from pants.testutil.rule_runner import QueryRule, RuleRunner

from specforge_pants.module_mapper import SpecPythonMappingMarker
from specforge_pants.testutil import SPEC_REPO, plugin_rule_runner


def spec(directory: str, file: str) -> Address:
    return Address(directory, target_name="spec", relative_file_path=file)


def app(service: str) -> Address:
    return Address(f"services/{service}/spec", target_name="spec", generated_name="app")


SHARED_MODELS = spec("shared/spec", "models.yaml")
SHARED_EVENTS = spec("shared/spec", "events.yaml")
BACKEND_USERS = spec("services/backend/spec", "users.yaml")
BACKEND_ORDERS = spec("services/backend/spec", "orders.yaml")
BACKEND_MODELS = spec("services/backend/spec", "models.yaml")
TG_BOT_MANIFEST = spec("services/tg_bot/spec", "manifest.yaml")
BILLING_USERS = spec("services/billing/spec", "users.yaml")

RESOLVES = "{'python-default': 'default.lock', 'billing': 'billing.lock'}"


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    rule_runner = plugin_rule_runner(
        QueryRule(FirstPartyPythonModuleMapping, []),
        QueryRule(FirstPartyPythonMappingImpl, [SpecPythonMappingMarker]),
        QueryRule(Addresses, [DependenciesRequest]),
    )
    rule_runner.write_files(
        {
            **SPEC_REPO,
            # A service in a resolve of its own: its modules map in that resolve only.
            "services/billing/spec/BUILD": 'spec_sources(resolve="billing")',
            "services/billing/spec/users.yaml": "domain: users\n",
            # As in the repo: a `specforge_engine` target holds the engine's files.
            "engine/BUILD": 'specforge_engine(name="engine-files")',
            "engine/cli.py": "",
            "engine/templates/schemas.py.j2": "",
            "runtime/BUILD": "python_sources()",
            "runtime/__init__.py": "",
            "services/backend/src/backend/BUILD": "python_sources()",
            "services/backend/src/backend/main.py": dedent(
                """\
                import backend.generated.users.router
                from backend.generated.app import create_app
                from backend.generated.orders import protocol
                from shared.generated.schemas import UserRead
                """
            ),
        }
    )
    rule_runner.set_options(
        [
            "--specforge-engine-files=engine:engine-files",
            "--specforge-runtime=runtime",
            "--python-enable-resolves",
            f"--python-resolves={RESOLVES}",
            "--python-infer-use-rust-parser",
            "--source-root-patterns=['/', 'services/*/src']",
        ],
        env_inherit={"PATH", "PYENV_ROOT"},
    )
    return rule_runner


def test_generated_modules_map_to_their_spec_targets(rule_runner: RuleRunner) -> None:
    mapping = rule_runner.request(FirstPartyPythonModuleMapping, [])

    def providers(module: str, resolve: str = "python-default") -> set[Address]:
        return {
            p.provider.addr
            for p in mapping.providers_for_module(module, resolve)
            if p.provider.typ is ModuleProviderType.IMPL
        }

    assert providers("shared.generated.schemas") == {SHARED_MODELS}
    assert providers("shared.generated.events") == {SHARED_EVENTS}
    assert providers("backend.generated.users") == {BACKEND_USERS}
    assert providers("backend.generated.users.router") == {BACKEND_USERS}
    assert providers("backend.generated.users.protocol") == {BACKEND_USERS}
    # A name inside a module resolves to the module's owner.
    assert providers("backend.generated.users.router.router") == {BACKEND_USERS}
    assert providers("backend.generated.schemas") == {BACKEND_MODELS}
    assert providers("tg_bot.generated.clients") == {TG_BOT_MANIFEST}
    assert providers("backend.generated.app") == {app("backend")}
    assert providers("tg_bot.generated.app") == {app("tg_bot")}
    assert providers("billing.generated.users", "billing") == {BILLING_USERS}
    assert providers("billing.generated.users") == set()


def test_the_plugin_maps_exactly_the_generated_modules(rule_runner: RuleRunner) -> None:
    # Nothing for the registry, nor for the `generated` packages themselves.
    impl = rule_runner.request(FirstPartyPythonMappingImpl, [SpecPythonMappingMarker()])
    assert set(impl) == {"python-default", "billing"}
    assert dict(impl["billing"]) == {
        f"billing.generated.users{m}": (ModuleProvider(BILLING_USERS, ModuleProviderType.IMPL),)
        for m in ("", ".protocol", ".router", ".subscribers")
    } | {"billing.generated.app": (ModuleProvider(app("billing"), ModuleProviderType.IMPL),)}
    assert dict(impl["python-default"]) == {
        "backend.generated.app": (ModuleProvider(app("backend"), ModuleProviderType.IMPL),),
        "backend.generated.orders": (ModuleProvider(BACKEND_ORDERS, ModuleProviderType.IMPL),),
        "backend.generated.orders.protocol": (
            ModuleProvider(BACKEND_ORDERS, ModuleProviderType.IMPL),
        ),
        "backend.generated.orders.router": (
            ModuleProvider(BACKEND_ORDERS, ModuleProviderType.IMPL),
        ),
        "backend.generated.orders.subscribers": (
            ModuleProvider(BACKEND_ORDERS, ModuleProviderType.IMPL),
        ),
        "backend.generated.schemas": (ModuleProvider(BACKEND_MODELS, ModuleProviderType.IMPL),),
        "backend.generated.users": (ModuleProvider(BACKEND_USERS, ModuleProviderType.IMPL),),
        "backend.generated.users.protocol": (
            ModuleProvider(BACKEND_USERS, ModuleProviderType.IMPL),
        ),
        "backend.generated.users.router": (ModuleProvider(BACKEND_USERS, ModuleProviderType.IMPL),),
        "backend.generated.users.subscribers": (
            ModuleProvider(BACKEND_USERS, ModuleProviderType.IMPL),
        ),
        "shared.generated.events": (ModuleProvider(SHARED_EVENTS, ModuleProviderType.IMPL),),
        "shared.generated.schemas": (ModuleProvider(SHARED_MODELS, ModuleProviderType.IMPL),),
        "tg_bot.generated.app": (ModuleProvider(app("tg_bot"), ModuleProviderType.IMPL),),
        "tg_bot.generated.clients": (ModuleProvider(TG_BOT_MANIFEST, ModuleProviderType.IMPL),),
    }


def test_imports_of_generated_modules_infer_spec_dependencies(rule_runner: RuleRunner) -> None:
    tgt = rule_runner.get_target(
        Address("services/backend/src/backend", relative_file_path="main.py")
    )
    assert tgt.has_field(PythonSourceField)
    addresses = rule_runner.request(Addresses, [DependenciesRequest(tgt[Dependencies])])
    assert set(addresses) == {BACKEND_USERS, app("backend"), BACKEND_ORDERS, SHARED_MODELS}
