"""Shared helpers of the plugin's `RuleRunner` tests: a RuleRunner with the Python backend and
the whole plugin, a small spec repo, and a fake, stdlib-only engine that records its argv."""

from __future__ import annotations

import hashlib
import inspect
import os
from dataclasses import dataclass
from textwrap import dedent
from typing import Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import urlparse

from pants.backend.python import target_types_rules as python_target_types_rules
from pants.backend.python.dependency_inference import rules as python_inference_rules
from pants.backend.python.target_types import (
    PythonRequirementTarget,
    PythonSourcesGeneratorTarget,
    PythonSourceTarget,
)
from pants.backend.python.util_rules import pex_from_targets
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.core.target_types import rules as core_target_types_rules
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from specforge import layout
from specforge_pants import (
    api_docs,
    codegen,
    dependency_inference,
    engine,
    generate,
    lint,
    module_mapper,
    register,
    spec_diff,
    tailor,
    target_types,
    unowned,
)


def plugin_rule_runner(*query_rules: QueryRule) -> RuleRunner:
    """A RuleRunner with Python and `files` targets and the plugin's rules (all but its ruff
    backend, which needs Pants' own ruff and lint machinery)."""
    return RuleRunner(
        rules=[
            *python_target_types_rules.rules(),
            *python_inference_rules.rules(),
            *pex_from_targets.rules(),
            *core_target_types_rules(),
            *target_types.rules(),
            *api_docs.rules(),
            *codegen.rules(),
            *dependency_inference.rules(),
            *engine.rules(),
            *generate.rules(),
            *lint.rules(),
            *module_mapper.rules(),
            *spec_diff.rules(),
            *tailor.rules(),
            *unowned.rules(),
            *query_rules,
        ],
        target_types=[
            PythonSourcesGeneratorTarget,
            PythonSourceTarget,
            PythonRequirementTarget,
            FilesGeneratorTarget,
            FileTarget,
            *register.target_types(),
        ],
    )


def only_error(error: ExecutionError) -> BaseException:
    """The one exception a failed request raised (as a rule raised it)."""
    wrapped: tuple[BaseException, ...] = tuple(error.wrapped_exceptions)
    assert len(wrapped) == 1, wrapped
    return wrapped[0]


# -- a small repo --------------------------------------------------------------------------

ENGINE_FILES = "tools/src/specforge:engine-files"
RUNTIME = "tools/src/specforge_runtime"
FAKE_ENGINE = "tools/src/specforge:engine"

REQUIREMENTS_BUILD = dedent(
    """\
    python_requirement(name="pydantic", requirements=["pydantic==2.7.0"])
    python_requirement(name="fastapi", requirements=["fastapi==0.110.0"])
    python_requirement(name="faststream", requirements=["faststream==0.5.0"])
    python_requirement(name="httpx2", requirements=["httpx2==0.1.0"])
    python_requirement(name="email-validator", requirements=["email-validator==2.1.0"])
    """
)

SHARED_MODELS = dedent(
    """\
    enums:
      Role:
        values: [admin, member]
    models:
      User:
        fields:
          id: {type: int, readonly: true}
          email: {type: string, format: email}
          role: {type: Role, default: member}
        variants:
          Create: {}
          Read: {}
      Money:
        fields:
          amount: {type: decimal}
    """
)

SHARED_EVENTS = dedent(
    """\
    events:
      user_registered:
        message: UserRead
        publish: true
        subscribe: true
    """
)

BACKEND_USERS = dedent(
    """\
    domain: users
    operations:
      create_user:
        input: UserCreate
        output: UserRead
        rest: {method: POST, path: ""}
        events:
          publish_on_success: user_registered
      list_users:
        output: list[UserRead]
        params:
          - {name: role, type: Role, source: query, required: false}
        rest: {method: GET, path: ""}
    """
)

BACKEND_MODELS = dedent(
    """\
    models:
      Invoice:
        fields:
          total: {type: Money}
          note: {type: string}
    """
)

BACKEND_ORDERS = dedent(
    """\
    domain: orders
    operations:
      get_invoice:
        output: Invoice
        params:
          - {name: invoice_id, type: int}
        rest: {method: GET, path: "/{invoice_id}"}
    """
)

TG_BOT_MANIFEST = dedent(
    """\
    consumes:
      - service: backend
        domain: users
        operations: [create_user]
    """
)

REGISTRY = dedent(
    """\
    services:
      - name: backend
        type: python-fastapi
      - name: tg_bot
        type: python-faststream
    """
)

SPEC_REPO: Dict[str, str] = {
    "BUILD": 'spec_sources(name="registry", sources=["services.yml"])',
    "services.yml": REGISTRY,
    "3rdparty/BUILD": REQUIREMENTS_BUILD,
    "shared/spec/BUILD": "spec_sources()",
    "shared/spec/models.yaml": SHARED_MODELS,
    "shared/spec/events.yaml": SHARED_EVENTS,
    "services/backend/spec/BUILD": "spec_sources()",
    "services/backend/spec/users.yaml": BACKEND_USERS,
    "services/backend/spec/models.yaml": BACKEND_MODELS,
    "services/backend/spec/orders.yaml": BACKEND_ORDERS,
    "services/tg_bot/spec/BUILD": "spec_sources()",
    "services/tg_bot/spec/manifest.yaml": TG_BOT_MANIFEST,
}


# -- the fake engine -----------------------------------------------------------------------

FAKE_CLI = dedent(
    '''\
    """A fake specforge engine: the real one's argv, stdlib only, deterministic outputs that
    record what it was given."""

    import argparse
    import os
    import sys

    from specforge import layout

    INIT = "# Generated by specforge (package)\\n"


    def outputs_for(path):
        """The files of the modules `layout` says a spec generates (the real layout module, copied
        next to this fake: the plugin and the engine read the same one)."""
        spec = layout.classify(path)
        modules = layout.modules_for(spec)
        out = []
        for module in modules:
            if any(other.startswith(module + ".") for other in modules):
                out.append(layout.package_init_path(module, spec.service))
            else:
                out.append(layout.module_path(module, spec.service))
        return out


    def find_errors(files):
        errors = []
        for path in files:
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, start=1):
                    column = line.find("BROKEN")
                    if column >= 0:
                        errors.append(
                            "%s:%d:%d: error: broken spec [fake]" % (path, number, column + 1)
                        )
        return errors


    def write(out, rel, text):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


    def record(origin, args):
        lines = ["# Generated by specforge from %s" % origin, "# broker: %s" % args.broker]
        lines += ["# target: %s" % t for t in sorted(args.target or [])]
        lines += ["# app: %s" % a for a in sorted(args.app or [])]
        lines += ["# input: %s" % f for f in sorted(args.files)]
        return "\\n".join(lines) + "\\n"


    def cmd_generate(args):
        errors = find_errors(args.files)
        if errors:
            print("\\n".join(errors), file=sys.stderr)
            return 1
        outputs = {}
        for target in args.target or []:
            for rel in outputs_for(target):
                outputs[rel] = record(target, args)
        for service in args.app or []:
            outputs[layout.module_path(layout.app_module(service), service)] = record(
                "--app " + service, args
            )
        for rel in list(outputs):
            parts = rel.split("/")
            start = parts.index("generated")
            for i in range(start, len(parts) - 1):
                outputs.setdefault("/".join(parts[: i + 1]) + "/__init__.py", INIT)
        for rel, text in sorted(outputs.items()):
            write(args.out, rel, text)
        return 0


    def cmd_check(args):
        errors = find_errors(args.files)
        for e in errors:
            print(e)
        return 1 if errors else 0


    def cmd_diff(args):
        """Lists what it was given: each spec file of --base and of --root with its first line."""

        def specs(root):
            found = []
            for directory, _, names in os.walk(root):
                for name in names:
                    path = os.path.relpath(os.path.join(directory, name), root)
                    if path.endswith((".yaml", ".yml")) and not path.startswith("__"):
                        with open(os.path.join(root, path), encoding="utf-8") as f:
                            found.append("%s %s" % (path, f.readline().strip()))
            return sorted(found)

        for side, root in (("base", args.base), ("head", args.root)):
            for line in specs(root):
                print("%s: %s" % (side, line))
        print("format: %s" % args.format)
        allow = os.path.join(args.root, "spec-diff-allow.yaml")
        print("allow-list: %s" % ("yes" if os.path.exists(allow) else "no"))
        with_break = any("BREAK" in line for line in specs(args.root))
        return 1 if with_break else 0


    def main(argv=None):
        parser = argparse.ArgumentParser(prog="specforge")
        sub = parser.add_subparsers(dest="command", required=True)
        check = sub.add_parser("check")
        check.add_argument("files", nargs="*")
        check.set_defaults(func=cmd_check)
        gen = sub.add_parser("generate")
        gen.add_argument("--out", required=True)
        gen.add_argument("--broker", default="redis", choices=("redis", "rabbit", "nats", "kafka"))
        gen.add_argument("--target", action="append")
        gen.add_argument("--app", action="append")
        gen.add_argument("files", nargs="*")
        gen.set_defaults(func=cmd_generate)
        diff = sub.add_parser("diff")
        diff.add_argument("--base", required=True)
        diff.add_argument("--root", default=".")
        diff.add_argument("--format", default="text")
        diff.set_defaults(func=cmd_diff)
        args = parser.parse_args(argv)
        return args.func(args)
    '''
)

FAKE_ENGINE_FILES: Dict[str, str] = {
    "tools/src/specforge/BUILD": dedent(
        """\
        python_sources(name="engine")
        files(name="engine-files", sources=["*.py"])
        """
    ),
    "tools/src/specforge/__init__.py": "",
    # What generated event code imports at run time (`[specforge].runtime`).
    "tools/src/specforge_runtime/BUILD": "python_sources()",
    "tools/src/specforge_runtime/__init__.py": "",
    "tools/src/specforge/cli.py": FAKE_CLI,
    # The PEX's entry point (the real one may hand the run to the engine server; this one
    # runs the fake, which is what the plugin's rules are tested against).
    "tools/src/specforge/launch.py": dedent(
        """\
        import sys

        from specforge.cli import main as cli_main


        def main():
            return cli_main(sys.argv[1:])
        """
    ),
    # The real layout module: the fake writes where the engine does, by the same rules.
    "tools/src/specforge/layout.py": inspect.getsource(layout),
}


def _pex_cli_args() -> List[str]:
    """Use the pex tool that ./pants provides (and has checked) rather than a download.

    ./pants passes it as `PANTS_PEX_CLI_URL_TEMPLATE=file://...`; the test BUILD lets that variable
    through. Without it, the RuleRunner falls back to Pants' default (a download).
    """
    template = os.environ.get("PANTS_PEX_CLI_URL_TEMPLATE", "")
    if not template.startswith("file://"):
        return []
    path = urlparse(template).path
    with open(path, "rb") as f:
        content = f.read()
    digest = hashlib.sha256(content).hexdigest()
    version = "v2.1.137"
    known = [
        f"{version}|{plat}|{digest}|{len(content)}"
        for plat in ("linux_x86_64", "linux_arm64", "macos_x86_64", "macos_arm64")
    ]
    return [
        f"--pex-cli-url-template={template}",
        f"--pex-cli-version={version}",
        f"--pex-cli-known-versions={known!r}",
    ]


def engine_options(extra: Iterable[str] = ()) -> List[str]:
    return [
        f"--specforge-engine={FAKE_ENGINE}",
        f"--specforge-engine-files={ENGINE_FILES}",
        f"--specforge-runtime={RUNTIME}",
        "--python-interpreter-constraints=['CPython>=3.9,<3.12']",
        "--python-bootstrap-search-path=['<PATH>', '<PYENV>']",
        *_pex_cli_args(),
        *extra,
    ]


ENV_INHERIT = {"PATH", "PYENV_ROOT", "HOME"}


def set_engine_options(
    rule_runner: RuleRunner, extra: Iterable[str] = (), env: Optional[Mapping[str, str]] = None
) -> None:
    rule_runner.set_options(engine_options(extra), env=env, env_inherit=ENV_INHERIT)


@dataclass(frozen=True)
class EngineRun:
    """What one process of the fake engine was given: its `--target`s, `--app`s, broker and
    input files."""

    targets: Tuple[str, ...] = ()
    apps: Tuple[str, ...] = ()
    inputs: Tuple[str, ...] = ()
    broker: str = "redis"

    def record(self, origin: str) -> str:
        """What the fake engine writes into each file it generates in that run: the file's
        origin (its spec, or `--app <service>`), then what the run was given."""
        lines = [f"# Generated by specforge from {origin}", f"# broker: {self.broker}"]
        lines += [f"# target: {t}" for t in sorted(self.targets)]
        lines += [f"# app: {a}" for a in sorted(self.apps)]
        lines += [f"# input: {i}" for i in sorted(self.inputs)]
        return "\n".join(lines) + "\n"


FAKE_INIT = "# Generated by specforge (package)\n"


# What the engine process of backend's spec directory is given: the specs of that directory's
# targets plus every spec they depend on, transitively (not the registry, nor other services').
BACKEND_BATCH = EngineRun(
    targets=(
        "services/backend/spec/models.yaml",
        "services/backend/spec/orders.yaml",
        "services/backend/spec/users.yaml",
    ),
    apps=("backend",),
    # Not the registry, nor any other service's specs.
    inputs=(
        "services/backend/spec/models.yaml",
        "services/backend/spec/orders.yaml",
        "services/backend/spec/users.yaml",
        "shared/spec/events.yaml",
        "shared/spec/models.yaml",
    ),
)
