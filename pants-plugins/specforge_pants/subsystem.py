"""The `[specforge]` options."""

from __future__ import annotations

from pants.option.option_types import BoolOption, EnumOption, SkipOption, StrOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import softwrap

from specforge.layout import BrokerKey


class Specforge(Subsystem):
    options_scope = "specforge"
    name = "specforge"
    help = "Spec-first services: code generation and checks for `spec_sources` targets."

    engine = StrOption(
        default="pants-plugins/specforge:engine",
        advanced=True,
        help=softwrap(
            """
            The address of the `python_sources` target of the specforge engine. The plugin runs
            it as a sandboxed process, and every spec target depends on it, so that editing a
            renderer or a template regenerates exactly the outputs it affects.
            """
        ),
    )
    engine_files = StrOption(
        default="pants-plugins/specforge:engine-files",
        advanced=True,
        help=softwrap(
            """
            The address of a `files` target holding the engine's sources and templates. Every
            spec target depends on it, so that a change to the engine reaches every generated
            output and is selected by `--changed-since --changed-dependents=transitive`,
            without packaging the engine into services.
            """
        ),
    )
    api_docs_extractor = StrOption(
        default="pants-plugins/specforge_docs",
        advanced=True,
        help=softwrap(
            """
            The address of the `python_sources` target that reads a service's OpenAPI and
            AsyncAPI documents off its generated app (`spec_api_docs` targets, and
            `./pants generate`). It runs in the resolve of the generated code.
            """
        ),
    )
    runtime = StrOption(
        default="pants-plugins/specforge_runtime",
        advanced=True,
        help=softwrap(
            """
            The address of the `python_sources` target of the runtime library that generated
            event code imports (`specforge_runtime`: event identities, the transactional
            outbox, dead letters). Spec targets whose code imports it depend on it, so that it
            is packaged with the services that use it.
            """
        ),
    )
    broker = EnumOption(
        default=BrokerKey.REDIS,
        help=softwrap(
            """
            The FastStream broker of the generated events code. The broker's URL comes from
            the environment at run time (`REDIS_URL`, `RABBIT_URL`, `NATS_URL` or
            `KAFKA_URL`).
            """
        ),
    )
    infer_runtime_dependencies = BoolOption(
        default=True,
        advanced=True,
        help=softwrap(
            """
            Infer a dependency of every spec target on the `python_requirement` targets of the
            libraries its generated code imports (pydantic, fastapi, faststream, httpx2 and
            email-validator), found through the module mapping of the target's resolve, and of
            event code on the `[specforge].runtime` target. Turn this off to declare those
            dependencies by hand.
            """
        ),
    )
    engine_server = BoolOption(
        default=True,
        advanced=True,
        help=softwrap(
            """
            Hand each engine run (code generation, `lint`, spec diffs) to a warm engine server
            that forks a worker for it in the run's sandbox, instead of importing the engine
            anew in every process: a cold `generate` runs one process per spec directory, and
            importing the engine was half of each. The server is per user and per engine build,
            listens on a private socket in the `specforge_server` named cache, and exits after
            two minutes without work. Results are the same either way (a run that finds no
            server runs the engine itself); turn this off to run every engine process on its
            own.
            """
        ),
    )
    skip = SkipOption("lint")
