"""Write the OpenAPI 3.1 and AsyncAPI 3.0 documents of one service, as its generated app serves
and declares them:

    python -m specforge_docs.extract <service> <out-dir>

The OpenAPI document is what `create_app()` serves at `/openapi.json`, so it cannot drift from
the routes: FastAPI derives it from the generated routers (operations, parameters, bodies,
declared errors, descriptions). The AsyncAPI document is FastStream's (schema 3.0.0) for the
broker of that same app: the events the service publishes (declared by the generated app) and the
ones it subscribes to, in its consumer group. Controllers are not needed to describe an app, so
none is passed; no broker or database is contacted.

The documents depend on nothing but the generated code: the broker's URL is its default and the
consumer name is the service's (at run time, each process has its own), so that two runs, on any
machine, write the same bytes.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI

from specforge import layout

OPENAPI = "openapi.json"
ASYNCAPI = "asyncapi.json"
BROKER_URL_ENVS = ("REDIS_URL", "RABBIT_URL", "NATS_URL", "KAFKA_URL")


def _controllers(factory: Any) -> dict[str, Any]:
    """`None` for each required keyword argument of `create_app()`: its controllers."""
    return {
        name: None
        for name, p in inspect.signature(factory).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    }


@contextlib.contextmanager
def pinned_environment(service: str) -> Iterator[None]:
    """The environment the generated code reads, pinned for the documents (and restored): no
    broker URL (so each broker's default), and the service's name as the consumer name."""
    saved = dict(os.environ)
    for name in BROKER_URL_ENVS:
        os.environ.pop(name, None)
    os.environ["EVENTS_CONSUMER"] = service
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def documents(service: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OpenAPI and AsyncAPI documents of `service`, whose generated package is importable."""
    with pinned_environment(service):
        app_module = importlib.import_module(layout.app_module(service))
        app = app_module.create_app(**_controllers(app_module.create_app))
        broker = getattr(app.state, "broker", None) or app_module.make_broker()
        openapi: dict[str, Any] = app.openapi()
        asyncapi = AsyncAPI(broker, title=service, schema_version="3.0.0").to_specification()
        return openapi, asyncapi.to_jsonable()


def dump(document: dict[str, Any]) -> bytes:
    """A document as JSON: indented, in the order its generator wrote it, newline-terminated."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m specforge_docs.extract <service> <out-dir>", file=sys.stderr)
        return 2
    service, out = args
    openapi, asyncapi = documents(service)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    (target / OPENAPI).write_bytes(dump(openapi))
    (target / ASYNCAPI).write_bytes(dump(asyncapi))
    return 0


if __name__ == "__main__":
    sys.exit(main())
