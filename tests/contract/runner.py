"""Contract tests of one HTTP service: schemathesis against the service's own app, with its real
controllers on a fresh SQLite database, served by uvicorn in this process on a loopback port.

    python runner.pex --service backend --path services/backend/src --path . --report out.json

This runs in the `contract` resolve (schemathesis 4 needs a newer pytest than the test resolve's);
`test_contract.py` starts it and reads its report. The service's code comes from the `--path`
directories: its `<service>.main.build_app()` is the app, as `./pants run` serves it. Its event
broker is FastStream's in-memory test broker, so no broker is needed.

Three runs, each with a fixed seed, and these checks on every answer: no server error (5xx), a
documented status code, the documented content type and headers, and a body that matches the
documented schema.
- positive: every operation with valid requests;
- negative: every operation with invalid requests, which must be answered with a documented
  status (422, or 400 for an unreadable body);
- stateful: sequences of calls that follow the document's links (a create's `id` feeding get,
  update and delete), so that calls reach existing resources, not only 404s.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
import uvicorn
from hypothesis import HealthCheck, errors, given, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
Asgi = Callable[..., Any]
COMMON = settings(
    derandomize=True,  # a fixed seed: the same cases on every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Report:
    cases: Counter[str] = field(default_factory=Counter)  # per run
    answers: Counter[str] = field(default_factory=Counter)  # per run, operation and status
    failures: list[dict[str, str]] = field(default_factory=list)

    def fail(self, run: str, operation: str, exc: BaseException) -> None:
        """Record a failed run (schemathesis' failures are exception groups); re-raise an
        interruption."""
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise exc
        self.failures.append({"run": run, "operation": operation, "error": str(exc)})

    def json(self) -> str:
        return json.dumps(
            {
                "cases": dict(sorted(self.cases.items())),
                "answers": dict(sorted(self.answers.items())),
                "failures": self.failures,
            },
            indent=2,
        )


def in_memory_broker(app: Any) -> Asgi:
    """`app`, its broker (if it has one) replaced by FastStream's in-memory test broker for as long
    as the app runs (the ASGI lifespan)."""
    broker = getattr(app.state, "broker", None)
    if broker is None:
        return app  # type: ignore[no-any-return]
    # FastStream's test broker of each broker: `faststream.redis.TestRedisBroker`, and so on.
    package = "faststream." + type(broker).__module__.split(".")[1]
    test_broker = getattr(importlib.import_module(package), "Test" + type(broker).__name__)

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            async with test_broker(broker):
                await app(scope, receive, send)
        else:
            await app(scope, receive, send)

    return asgi


@contextlib.contextmanager
def serving(build_app: Callable[[], Any]) -> Iterator[str]:
    """A new app, from `build_app()` on a new SQLite database, served by uvicorn in a thread of
    this process; yields its base URL."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'contract.sqlite3'}"
        app = in_memory_broker(build_app())
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started and thread.is_alive():  # set after the lifespan's startup
            time.sleep(0.01)
        if not server.started:
            raise SystemExit("the app did not start (see its error above)")
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join()
            sock.close()


def check_operations(schema: Any, mode: GenerationMode, examples: int, report: Report) -> None:
    """Each operation with `examples` cases of `mode` (valid or invalid requests)."""
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(COMMON, max_examples=examples)
        def check(case: Any) -> None:
            report.cases[mode.value] += 1
            response = case.call_and_validate(checks=CHECKS)
            report.answers[f"{mode.value} {case.operation.label} {response.status_code}"] += 1

        try:
            check()
        except errors.Unsatisfiable:
            continue  # negative mode, for an operation that takes no input at all
        except BaseException as exc:  # a check failed: schemathesis says which, and how
            report.fail(mode.value, operation.label, exc)


def check_sequences(
    schema: Any, build_app: Callable[[], Any], examples: int, steps: int, report: Report
) -> None:
    """Sequences of calls that follow the links, each on a new app and database: what a
    sequence does depends only on its own calls, so every run of it is the same."""

    class Stateful(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.app = serving(build_app)
            self.base_url = self.app.__enter__()

        def teardown(self) -> None:
            self.app.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": self.base_url}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            report.cases["stateful"] += 1
            report.answers[f"stateful {case.operation.label} {response.status_code}"] += 1
            case.validate_response(response, checks=CHECKS)

    try:
        run_state_machine_as_test(
            Stateful, settings=settings(COMMON, max_examples=examples, stateful_step_count=steps)
        )
    except BaseException as exc:
        report.fail("stateful", "", exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", required=True)
    parser.add_argument("--path", action="append", default=[], help="a source root; repeatable")
    parser.add_argument("--report", required=True, help="where to write the JSON report")
    parser.add_argument("--examples", type=int, default=50, help="cases per operation and run")
    parser.add_argument("--steps", type=int, default=10, help="calls per stateful sequence")
    args = parser.parse_args(argv)
    sys.path[:0] = [os.path.abspath(p) for p in args.path]
    build_app = importlib.import_module(f"{args.service}.main").build_app
    report = Report()
    with serving(build_app) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            check_operations(schema, mode, args.examples, report)
    check_sequences(schema, build_app, args.examples, args.steps, report)
    Path(args.report).write_text(report.json() + "\n")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
