"""The hostile corpus (`hostile/*.case`) and the end-to-end checks every hostile spec must pass.

A case file is the malformed-case format (see `cases.py`) with more headers:

    # what the attacker tries
    # outcome: reject | accept | safe
    # base: spec-language | render       start from an example repo (see `base_files`)
    # drop: path                          leave a base file out (repeatable)
    # expect: LOC [key.path] words | more words      (reject; LOC is path:line:col, `*` for
    #                                                 any line or column; `[*]` for any path)
    # generate: NAME ARGS...              add files built by a generator (big or binary input)
    # more: allowed                       (reject) other located errors may be reported too
    # symlink: LINK -> TARGET             LINK in the repo; TARGET a path, or @SECRET@ (a valid
    #                                     domain spec outside the repo holding a secret token),
    #                                     @LEAK@ (a non-spec file holding it), @OUTSIDE_SVC@ (a
    #                                     service directory outside the repo)
    # fifo: PATH                          a named pipe in the repo that nobody writes to
    # args: FILE...                       give `check` these files instead of the whole repo
    # generate-target: FILE               also run `generate` with only FILE as target (the rest
    #                                     read shallowly, as Pants does); must stay bounded
    # request: SERVICE METHOD URL => VALUE...   (accept) an HTTP request to SERVICE's app whose
    #                                     controller must receive every VALUE
    # schema: MODULE MODEL.FIELD KEY JSON (accept) a JSON-schema property of a generated model
    --- path/of/a/file                    (or --- "a Python string literal" for odd names)
    file text, where @MARKER@ is the path of a file that a successful payload would create

Outcomes:
- reject: `check` exits 1 and reports exactly the expected errors.
- accept: `check` exits 0; `generate` (every target, every app) and `scaffold` succeed; every
  generated and scaffolded Python file compiles; every generated module imports in a fresh
  process without side effects (the marker is never created, nothing is printed); the spec's
  strings come back exactly from the OpenAPI documents and the JSON schemas, and field and param
  names keep their wire names; scaffolded BUILD, Dockerfile, package.json, server.js,
  compose.yml and `__init__.py` have the template's structure and carry the description exactly.
  (`scaffold` runs when the case changes what it is made of: services.yml or a domain spec.)
- safe: either of the two (a located rejection, or everything `accept` asserts).

The import probe runs in a child forked from a process that has loaded FastAPI, FastStream,
Pydantic and httpx2 and nothing generated: a fresh process for the generated code, without
paying two seconds of library imports per case. Node checks (`new vm.Script` of the CommonJS
wrapper, as `node --check` does, then `require` of each server.js) run in one node process.

Environment: HOSTILE_JOBS (cases run at once, default 2), HOSTILE_HANG_GUARD (seconds before a
process is killed, default 60; no timing is asserted), HOSTILE_DIAGNOSE (for a reject case
that `check` wrongly accepts, also report what the generated code then does).

Every case: `check` exits 0 or 1 (never 70), prints no traceback, prints one well-formed line
per error (no control characters), never echoes a secret, peaks at or below 300 MB, and writes
nothing; `generate` and `scaffold` write nothing outside their `--out`.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

import yaml

import specforge_runtime

HERE = Path(__file__).parent
# Where the runtime library that generated code imports is importable from.
RUNTIME_ROOT = str(Path(specforge_runtime.__file__).resolve().parents[1])
CORPUS = HERE / "hostile"
SPEC_LANGUAGE = HERE / "spec_language"
RENDER_EXTRA = HERE / "render_extra"

MARKER = "@MARKER@"
SECRET = "@SECRET@"
LEAK = "@LEAK@"
OUTSIDE_SVC = "@OUTSIDE_SVC@"
PEAK_RSS_MB = 300
HANG_GUARD_S = int(os.environ.get("HOSTILE_HANG_GUARD", "60"))  # only stops a runaway process
MEMORY_GUARD = 2 << 30  # address-space cap of each child, so that a bomb cannot take the machine
PYTHON_SERVICE_TYPES = ("python-fastapi", "python-faststream")
BUILD_CALLS = (
    "python_sources",
    "python_tests",
    "python_test_utils",
    "pex_binary",
    "docker_image",
    "spec_sources",
    "spec_api_docs",
    "files",
    "resources",
)

# -- the hostile alphabet ----------------------------------------------------------------------

CODE = "__import__('pathlib').Path('@MARKER@').touch()"
JS_CODE = "require('fs').writeFileSync('@MARKER@', '')"
SHELL = "touch @MARKER@"

#: Strings that break out of a Python, Jinja, Dockerfile, YAML, BUILD or JS context, each of
#: which would create the marker if it ever became code.
PAYLOADS: tuple[str, ...] = (
    f'"""\n{CODE}\n"""',
    f"'''\n{CODE}\n'''",
    f'"\n{CODE}\n#',
    f"'\n{CODE}\n#",
    f'"+{CODE}+"',
    f"'+{CODE}+'",
    f"\\\n{CODE}",
    f'\\"\n{CODE}',
    "ends with a backslash \\",
    'ends with a quote "',
    "ends with a quote '",
    f"\n{CODE}",
    f"\r{CODE}",
    f"\r\n{CODE}",
    f"\x00{CODE}",
    f"# \n{CODE}",
    f"{{{CODE}}}",
    f"{{0}}{{{CODE}!r}}%s%(x)s",
    "{{ cycler.__init__.__globals__.os.system('touch @MARKER@') }}",
    "{% set x = cycler.__init__.__globals__.os.system('touch @MARKER@') %}",
    "{# unterminated jinja comment",
    f"\u2028{CODE}",
    f"\u2029{CODE}",
    f"\x85{CODE}",
    f"\x1c{CODE}",
    f"\x0b\x0c{CODE}",
    "\u202eevil\u202c \u2066isolate\u2069 \u200b\ufeff",
    "non-BMP \U0001f600 \U0001d54f \U0010fffd",
    "\x1b[2J\x1b[31mred\x07",
    f"\nRUN {SHELL}",
    f"\\\nRUN {SHELL}",
    "\n  evil: true\nservices:\n  evil:\n    image: evil",
    f"*/ {JS_CODE}; /*",
    f"\n{JS_CODE};",
    f'";{JS_CODE};"',
    f"${{{JS_CODE}}}",
    "</script><script>alert(1)</script>",
    f'")\n{CODE}\n("',
    f"$({SHELL}) `{SHELL}`",
    "\\N{",
    "\\u12",
    "\\x",
    f";{CODE}",
    "  leading and trailing spaces  ",
    "\t",
)

#: Names that a generated module already means something by, by category.
KEYWORDS = [
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
]
SOFT_KEYWORDS = ["match", "case", "type", "_"]
BUILTINS = [
    "int",
    "list",
    "bool",
    "str",
    "type",
    "id",
    "object",
    "dict",
    "set",
    "tuple",
    "float",
    "bytes",
    "print",
    "len",
    "range",
    "input",
    "open",
    "exec",
    "eval",
    "compile",
    "format",
    "hash",
    "iter",
    "next",
    "vars",
    "super",
    "property",
    "classmethod",
    "staticmethod",
    "Exception",
    "BaseException",
    "ValueError",
    "TypeError",
    "NotImplemented",
    "Ellipsis",
    "__import__",
    "__name__",
    "__file__",
    "__builtins__",
]
IMPORTED = [
    "BaseModel",
    "Field",
    "RootModel",
    "StrEnum",
    "Annotated",
    "Literal",
    "Decimal",
    "UUID",
    "AwareDatetime",
    "EmailStr",
    "AnyUrl",
    "TypeAdapter",
    "Protocol",
    "ClassVar",
    "Any",
    "Self",
    "APIRouter",
    "HTTPException",
    "Query",
    "Path",
    "Response",
    "FastAPI",
    "FastStream",
    "AckPolicy",
    "RedisBroker",
    "StreamSub",
    "Broker",
    "Awaitable",
    "Callable",
    "TracebackType",
    "UTC",
    "date",
    "datetime",
    "quote",
    "os",
    "socket",
    "asyncio",
    "httpx2",
    "annotations",
    "AsyncIterator",
    "asynccontextmanager",
]
DEFINED = [
    "ErrorBody",
    "UsersController",
    "UsersError",
    "BackendClient",
    "BackendError",
    "create_router",
    "register_subscribers",
    "make_broker",
    "BROKER_URL_ENV",
    "DEFAULT_BROKER_URL",
    "USER_REGISTERED",
    "publish_user_registered",
    "subscribe_user_registered",
    "create_app",
    "create_worker",
    "SERVICE",
    "aclose",
    "base_url",
    "service",
    "url_env",
    "router",
    "controller",
    "broker",
    "result",
]
BASEMODEL_ATTRIBUTES = [
    "schema",
    "json",
    "dict",
    "copy",
    "model_config",
    "model_dump",
    "model_fields",
    "validate",
    "construct",
    "model_validate",
    "parse_obj",
    "__class__",
    "__dict__",
    "__init__",
    "_private",
    "__fields__",
]
RESERVED_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [*KEYWORDS, *SOFT_KEYWORDS, *BUILTINS, *IMPORTED, *DEFINED, *BASEMODEL_ATTRIBUTES]
    )
)

# -- case files --------------------------------------------------------------------------------

_EXPECT = re.compile(r"^(?P<loc>.+?) \[(?P<path>.*?)\](?: (?P<words>.+))?$")
_REQUEST = re.compile(r"^(?P<service>\S+) (?P<method>[A-Z]+) (?P<url>\S+)(?: => (?P<values>.*))?$")
_SCHEMA = re.compile(r"^(?P<module>\S+) (?P<model>\w+)\.(?P<field>\S+) (?P<key>\S+) (?P<json>.+)$")


@dataclass(frozen=True)
class Expected:
    location: str  # path:line:col, `*` for any line or column
    path: str  # key path, `*` for any
    words: tuple[str, ...]

    def matches(self, line: str, substitutions: dict[str, str]) -> bool:
        loc = substitute(self.location, substitutions)
        file, _, rest = loc.rpartition(":")
        file, _, line_no = file.rpartition(":")
        pattern = (
            re.escape(file)
            + ":"
            + (r"\d+" if line_no == "*" else re.escape(line_no))
            + ":"
            + (r"\d+" if rest == "*" else re.escape(rest))
            + ": error: "
        )
        head = re.match(pattern, line)
        if not head:
            return False
        message = line[head.end() :]
        if self.path != "*":
            suffix = f" [{self.path}]" if self.path else ""
            if suffix and not message.endswith(suffix):
                return False
            if not suffix and message.endswith("]") and " [" in message:
                return False
        return all(word in message for word in self.words)


@dataclass(frozen=True)
class Request:
    service: str
    method: str
    url: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class SchemaAssertion:
    module: str
    model: str
    field: str
    key: str
    value: object


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    outcome: str
    files: dict[str, str | bytes]
    own: frozenset[str] = frozenset()  # the files the case writes itself (not its base's)
    expected: tuple[Expected, ...] = ()
    symlinks: tuple[tuple[str, str], ...] = ()
    fifos: tuple[str, ...] = ()
    more_allowed: bool = False
    args: tuple[str, ...] = ()
    generate_targets: tuple[str, ...] = ()
    requests: tuple[Request, ...] = ()
    schemas: tuple[SchemaAssertion, ...] = ()


def substitute(text: str, substitutions: dict[str, str]) -> str:
    for key, value in substitutions.items():
        text = text.replace(key, value)
    return text


def _read_dir(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


#: The registry of the example repos: the spec-language example's, plus tg_bot, whose manifest
#: the example has (an unregistered service directory is an error).
BASE_REGISTRY = """\
services:
  - name: backend
    type: python-fastapi
    description: REST API that owns the users.
    depends_on: {redis: service_healthy}
    profiles: []
  - name: notifications
    type: python-faststream
    description: Sends a welcome message when a user registers.
  - name: tg_bot
    type: python-faststream
    description: Turns chat commands into backend calls.
"""


def base_files(name: str) -> dict[str, str]:
    """`spec-language`: the spec contract's example repo; `render`: that plus `render_extra/`
    (service-local models, a second domain, a client of both). Both register every service."""
    files = _read_dir(SPEC_LANGUAGE)
    if name == "render":
        files.update(_read_dir(RENDER_EXTRA))
    elif name != "spec-language":
        raise ValueError(f"unknown base {name!r}")
    files["services.yml"] = BASE_REGISTRY
    return files


def load_case(path: Path) -> Case:
    description = ""
    outcome = ""
    base: str | None = None
    dropped: list[str] = []
    expected: list[Expected] = []
    symlinks: list[tuple[str, str]] = []
    fifos: list[str] = []
    more_allowed = False
    args: list[str] = []
    targets: list[str] = []
    requests: list[Request] = []
    schemas: list[SchemaAssertion] = []
    generated: dict[str, str | bytes] = {}
    files: dict[str, str | bytes] = {}
    current: str | None = None
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for line in lines:
        if current is None and line.startswith("# "):
            key, sep, value = line[2:].partition(": ")
            if not sep:
                description = description or line[2:]
            elif key == "outcome":
                outcome = value
            elif key == "base":
                base = value
            elif key == "drop":
                dropped.append(value)
            elif key == "expect":
                m = _EXPECT.match(value)
                if not m:
                    raise ValueError(f"{path}: bad expect line: {value}")
                words = tuple(w.strip() for w in (m["words"] or "").split("|") if w.strip())
                expected.append(Expected(m["loc"], m["path"], words))
            elif key == "symlink":
                link, _, target = value.partition(" -> ")
                symlinks.append((link, target))
            elif key == "fifo":
                fifos.append(value)
            elif key == "more":
                more_allowed = value == "allowed"
            elif key == "args":
                args.extend(value.split())
            elif key == "generate-target":
                targets.append(value)
            elif key == "request":
                m = _REQUEST.match(value)
                if not m:
                    raise ValueError(f"{path}: bad request line: {value}")
                values = tuple((m["values"] or "").split())
                requests.append(Request(m["service"], m["method"], m["url"], values))
            elif key == "schema":
                m = _SCHEMA.match(value)
                if not m:
                    raise ValueError(f"{path}: bad schema line: {value}")
                schemas.append(
                    SchemaAssertion(
                        m["module"], m["model"], m["field"], m["key"], json.loads(m["json"])
                    )
                )
            elif key == "generate":
                name, *gen_args = value.split()
                built, more = GENERATORS[name](*gen_args)
                generated.update(built)
                expected.extend(more)
            else:
                description = description or line[2:]
            continue
        if line.startswith("--- "):
            raw = line[4:].strip()
            current = ast.literal_eval(raw) if raw.startswith('"') else raw
            assert isinstance(current, str)
            files[current] = ""
            continue
        if current is not None:
            body = files[current]
            assert isinstance(body, str)
            files[current] = body + line + "\n"
    if outcome not in ("reject", "accept", "safe"):
        raise ValueError(f"{path}: '# outcome: reject|accept|safe' is required")
    if outcome == "reject" and not expected:
        raise ValueError(f"{path}: a rejected case names its errors ('# expect: ...')")
    merged: dict[str, str | bytes] = {}
    if base is not None:
        merged.update({k: v for k, v in base_files(base).items() if k not in dropped})
    merged.update(generated)
    merged.update(files)
    return Case(
        name=path.stem,
        description=description,
        outcome=outcome,
        files=merged,
        own=frozenset([*generated, *files, *(link for link, _ in symlinks)]),
        expected=tuple(expected),
        symlinks=tuple(symlinks),
        fifos=tuple(fifos),
        more_allowed=more_allowed,
        args=tuple(args),
        generate_targets=tuple(targets),
        requests=tuple(requests),
        schemas=tuple(schemas),
    )


def all_cases() -> list[Case]:
    return [load_case(p) for p in sorted(CORPUS.glob("*.case"))]


# -- generators: inputs too big or too binary for a case file --------------------------------

Generated = tuple[dict[str, str | bytes], list[Expected]]


def _alias_bomb(path: str, shape: str = "top", levels: str = "9") -> Generated:
    """A billion-laughs document: each level is a list of ten aliases of the one before, used
    as the whole top-level value (`top`), as an enum's values (`enum-values`: what a shallow
    index turns into strings), or as an event's channel (`channel`)."""
    n = int(levels)
    lines = ['x0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, n)]
    bomb = f"*a{n - 1}"
    if shape == "enum-values":
        lines += ["enums:", f"  Bomb: {{values: [{bomb}]}}", "models:", "  Boom:", "    fields:"]
        lines += [f"      b: {{type: enum, values: [{bomb}]}}"]
    elif shape == "channel":
        lines += ["events:", f"  boom: {{message: UserRead, channel: {bomb}}}"]
    else:
        top = {"shared/spec/events.yaml": "events", "services.yml": "services"}.get(path, "models")
        lines.append(f"{top}: {bomb}")
    return {path: "\n".join(lines) + "\n"}, []


def _deep_flow(path: str, depth: str) -> Generated:
    n = int(depth)
    return {path: "models: " + "[" * n + "]" * n + "\n"}, []


def _deep_block(path: str, depth: str) -> Generated:
    n = int(depth)
    lines = ["models:"] + [" " * (i + 1) + "a:" for i in range(n)]
    return {path: "\n".join(lines) + " x\n"}, []


def _deep_types(path: str, depth: str) -> Generated:
    """A field type nested `depth` times: list[list[...[int]...]]."""
    n = int(depth)
    text = "list[" * n + "int" + "]" * n
    body = f"models:\n  Deep:\n    fields:\n      x: {{type: '{text}'}}\n"
    return {path: body}, []


def _unknown_types(path: str, count: str) -> Generated:
    """`count` models, and as many fields whose types are near misses of their names: each
    unknown name has a "did you mean" among `count` candidates."""
    n = int(count)
    lines = ["models:"] + [f"  Known{i}: {{fields: {{x: {{type: string}}}}}}" for i in range(n)]
    lines += ["  Many:", "    fields:"]
    expected = []
    for i in range(n):
        lines.append(f"      f{i}: {{type: Knwon{i}}}")
        expected.append(
            Expected(
                f"{path}:{len(lines)}:{len(f'      f{i}: {{type: ') + 1}",
                f"models.Many.fields.f{i}.type",
                (f"Knwon{i}",),
            )
        )
    return {path: "\n".join(lines) + "\n"}, expected


def _model_chain(count: str) -> Generated:
    """Chain0 -> Chain1 -> ... -> ChainN-1: each model holds the next, in reverse order."""
    n = int(count)
    lines = ["models:"]
    for i in reversed(range(n)):
        lines.append(f"  Chain{i}:")
        lines.append("    fields:")
        if i + 1 < n:
            lines.append(f"      next: {{type: Chain{i + 1}, optional: true}}")
        lines.append("      label: {type: string, description: link}")
    return {"services/backend/spec/models.yaml": "\n".join(lines) + "\n"}, []


def _long_description(path: str, size: str) -> Generated:
    text = ("0123456789\"'\\{}" * (int(size) // 15 + 1))[: int(size)]
    body = "models:\n  Long:\n    description: " + json.dumps(text) + "\n"
    body += "    fields:\n      x: {type: string}\n"
    return {path: body}, []


def _huge_literal(path: str, size: str) -> Generated:
    text = ("0123456789\"'\\{}[)" * (int(size) // 17 + 1))[: int(size)]
    body = (
        "models:\n  Huge:\n    fields:\n      x: {type: " + json.dumps(f"literal['{text}']") + "}\n"
    )
    return {path: body}, []


def _big_file(path: str, size: str) -> Generated:
    """A models file larger than `size` bytes, made of small valid models."""
    lines = ["models:"]
    total = 8
    i = 0
    while total <= int(size):
        line = f"  Big{i}:\n    fields:\n      x: {{type: string, description: padding padding}}"
        lines.append(line)
        total += len(line) + 1
        i += 1
    return {path: "\n".join(lines) + "\n"}, []


def _raw(path: str, *escaped: str) -> Generated:
    """A file of raw bytes, given as a Python bytes literal body (`\\xff\\xfe...`)."""
    data = ast.literal_eval("b'" + " ".join(escaped) + "'")
    assert isinstance(data, bytes)
    return {path: data}, []


def _many_operations(count: str) -> Generated:
    n = int(count)
    lines = ["domain: bulk", "config:", "  rest: {prefix: /bulk}", "operations:"]
    for i in range(n):
        lines.append(f"  op_{i}: {{rest: {{method: GET, path: /o{i}}}}}")
    return {"services/backend/spec/bulk.yaml": "\n".join(lines) + "\n"}, []


GENERATORS: dict[str, Callable[..., Generated]] = {
    "alias-bomb": _alias_bomb,
    "deep-flow": _deep_flow,
    "deep-block": _deep_block,
    "deep-types": _deep_types,
    "unknown-types": _unknown_types,
    "model-chain": _model_chain,
    "long-description": _long_description,
    "big-file": _big_file,
    "huge-literal": _huge_literal,
    "raw": _raw,
    "many-operations": _many_operations,
}


# -- running the engine ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    hung: bool

    def describe(self) -> str:
        return f"`{' '.join(self.argv[2:])}` exited {self.code}"


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # Absolute: the children run elsewhere (Pants' sandbox puts relative entries on sys.path).
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_GUARD, MEMORY_GUARD))


def run_measured(argv: Sequence[str], cwd: Path, timeout: float = HANG_GUARD_S) -> Run:
    """Run `argv`; its exit code, output, and the peak RSS of that child (`wait4`)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=child_env(),
            preexec_fn=_limit_memory,
            start_new_session=True,
        )
        hung = threading.Event()

        def guard() -> None:
            hung.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, guard)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            tuple(argv),
            proc.returncode,
            out.read().decode("utf-8", "backslashreplace"),
            err.read().decode("utf-8", "backslashreplace"),
            usage.ru_maxrss / 1024,
            hung.is_set(),
        )


def specforge(*args: str, cwd: Path) -> Run:
    return run_measured([sys.executable, "-m", "specforge", *args], cwd)


# -- what every run must look like --------------------------------------------------------------

_LINE = re.compile(r"^(?P<file>.+?):(?P<line>[1-9][0-9]*):(?P<col>[1-9][0-9]*): error: \S")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9_./-]+$")


def unsafe_char(text: str) -> str | None:
    """The first character that must not reach a terminal or log raw, if any."""
    for c in text:
        if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") or c in _BIDI:
            return c
    return None


def run_problems(run: Run, what: str, secrets: Sequence[str] = ()) -> list[str]:
    """What is wrong with any run of the engine, whatever its input."""
    problems = []
    output = run.stdout + run.stderr
    if run.hung:
        problems.append(f"{what}: still running after {HANG_GUARD_S} s (killed)")
    elif run.code not in (0, 1):
        problems.append(f"{what}: exit {run.code} (only 0 or 1 may come from specs)")
    if "Traceback (most recent call last)" in output:
        problems.append(f"{what}: printed a traceback:\n{output[-1500:]}")
    if run.peak_rss_mb > PEAK_RSS_MB:
        problems.append(f"{what}: peak RSS {run.peak_rss_mb:.0f} MB > {PEAK_RSS_MB} MB")
    for secret in secrets:
        if secret in output:
            problems.append(f"{what}: echoed the content of a file it must not read")
    return problems


def error_lines(run: Run, what: str, repo: Path, args: Sequence[str] = ()) -> list[str]:
    """Problems with the error lines a run printed (stdout for check, stderr otherwise)."""
    text = run.stdout if what.startswith("check") else run.stderr
    problems = []
    for line in text.splitlines() if text else []:
        bad = unsafe_char(line)
        m = _LINE.match(line)
        if bad is not None:
            problems.append(f"{what}: raw control character {bad!r} in: {line!r}")
        elif not m:
            problems.append(f"{what}: not a 'path:line:col: error: message' line: {line!r}")
        elif not _names_a_spec(m["file"], repo, args):
            problems.append(f"{what}: the error names no file of the repo: {line!r}")
    # `str.splitlines` splits at more than '\n': a line that `check` meant as one must be one.
    if text and text.count("\n") != len(text.splitlines()):
        problems.append(f"{what}: an error message holds a line separator: {text!r}")
    return problems


def _names_a_spec(file: str, repo: Path, args: Sequence[str]) -> bool:
    if file in args or not _PLAIN_PATH.match(file):
        return True  # given as is, or a name the engine had to escape
    return (repo / file).exists() or (repo / file).is_symlink()


def match_expected(
    lines: Sequence[str], expected: Sequence[Expected], subs: dict[str, str], more: bool = False
) -> list[str]:
    problems = []
    by_location: dict[str, list[str]] = {}
    for line in lines:
        by_location.setdefault(line.split(": error: ", 1)[0], []).append(line)
    for e in expected:
        location = substitute(e.location, subs)
        scan = "*" in location or ": error: " in location
        candidates = lines if scan else by_location.get(location, [])
        if not any(e.matches(line, subs) for line in candidates):
            words = " | ".join(e.words)
            problems.append(f"missing error: {e.location} [{e.path}] {words}")
    if len(lines) != len(expected) and not (more and len(lines) > len(expected)):
        problems.append(f"{len(lines)} errors reported, {len(expected)} expected")
    if problems:
        problems.append("reported:\n" + "\n".join(lines[:30]))
    return problems


# -- reading specs the way the contract says (YAML 1.2 core schema), for the round trip --------

_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL: dict[str, bool | None] = {"~": None, "null": None, "Null": None, "NULL": None, "": None}
_SPECIAL.update({t: True for t in ("true", "True", "TRUE")})
_SPECIAL.update({f: False for f in ("false", "False", "FALSE")})
_RESOLVER = yaml.resolver.Resolver()


class NotAString:
    """A scalar that the contract does not read as a string (a number, a bool, null)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"NotAString({self.text!r})"


def _scalar(node: yaml.ScalarNode) -> object:
    text = str(node.value)
    if node.style not in (None, ""):
        return text
    implicit = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if node.tag != implicit:  # an explicit tag
        return text if node.tag == "tag:yaml.org,2002:str" else NotAString(text)
    if text in _SPECIAL:
        value = _SPECIAL[text]
        return NotAString(text) if value is not None or text else None
    if _INT.match(text):
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _FLOAT.match(text):
        return float(text)
    if text.lstrip("+-") in (".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"):
        return NotAString(text)
    return text


def _value(node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [_value(n) for n in node.value]
    assert isinstance(node, yaml.MappingNode)
    return {_key(k): _value(v) for k, v in node.value}


def _key(node: yaml.Node) -> object:
    value = _value(node)
    return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


def read_spec(text: str) -> dict[str, Any]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    value = _value(node) if node is not None else None
    return value if isinstance(value, dict) else {}


def _s(value: object) -> str | None:
    """A non-empty string from the spec, else None (no round trip to check)."""
    return value if isinstance(value, str) and value else None


def _d(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Project:
    """What the accept checks need to know of a repo's specs."""

    files: dict[str, dict[str, Any]]
    services: list[dict[str, Any]]

    @classmethod
    def read(cls, repo: Path) -> Project:
        files: dict[str, dict[str, Any]] = {}
        for path in sorted(repo.rglob("*")):
            rel = path.relative_to(repo).as_posix()
            if path.suffix in (".yaml", ".yml") and path.is_file() and not path.is_symlink():
                files[rel] = read_spec(path.read_bytes().decode("utf-8", "replace"))
        registry = files.get("services.yml", {})
        services = [s for s in _l(registry.get("services")) if isinstance(s, dict)]
        return cls(files, services)

    def service_type(self, name: str) -> str | None:
        for s in self.services:
            if s.get("name") == name:
                return _s(s.get("type"))
        return None

    def python_services(self) -> list[str]:
        return [str(s["name"]) for s in self.services if s.get("type") in PYTHON_SERVICE_TYPES]

    def domains(self, service: str) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for rel, spec in self.files.items():
            parts = rel.split("/")
            if len(parts) == 4 and parts[0] == "services" and parts[1] == service:
                if parts[2] == "spec" and Path(parts[3]).stem not in ("models", "manifest"):
                    out.append((rel, spec))
        return out

    def models_files(self) -> list[tuple[str, dict[str, Any]]]:
        """(schemas module, spec) of every models file."""
        out = []
        for rel, spec in self.files.items():
            parts = rel.split("/")
            if rel in ("shared/spec/models.yaml", "shared/spec/models.yml"):
                out.append(("shared.generated.schemas", spec))
            elif len(parts) == 4 and parts[0] == "services" and parts[3].startswith("models."):
                out.append((f"{parts[1]}.generated.schemas", spec))
        return out


# -- the import probe: runs in a forked child of a process that preloaded the libraries --------

MAX_PROBED_MODELS = 100  # per kind and models file
_SIMPLE_TYPES = {"string": "s", "str": "s", "int": 1, "float": 1.5, "bool": True}
_SIMPLE_KEYS = {"type", "description", "optional", "nullable", "readonly", "deprecated"}


def sample_payload(fields: dict[str, Any]) -> dict[str, Any] | None:
    """A JSON object with every field of a model, when each is a plain scalar; else None."""
    payload: dict[str, Any] = {}
    for name, f in fields.items():
        f = _d(f)
        if not isinstance(name, str) or set(f) - _SIMPLE_KEYS or f.get("type") not in _SIMPLE_TYPES:
            return None
        payload[name] = _SIMPLE_TYPES[str(f["type"])]
    return payload or None


def probe_plan(project: Project, out: Path, scaffold: Path | None) -> dict[str, Any]:
    roots = [str(out)]
    services_dir = out / "services"
    if services_dir.is_dir():
        roots += [str(p / "src") for p in sorted(services_dir.iterdir()) if (p / "src").is_dir()]
    modules = []
    for root in map(Path, roots):
        top = [root / "shared"] if root == out else [root]
        for start in top:
            for py in sorted(start.rglob("*.py")) if start.is_dir() else []:
                rel = py.relative_to(root).with_suffix("")
                parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
                modules.append(".".join(parts))
    apps = []
    for name in project.python_services():
        if (out / "services" / name / "src" / name / "generated" / "app.py").is_file():
            apps.append({"service": name, "module": f"{name}.generated.app"})
    models = []
    for module, spec in project.models_files():
        for kind in ("models", "enums"):
            # Enough to see every kind of string; the JSON schema of a model grows with
            # everything it holds, so all of a thousand-model chain would take minutes.
            for name, body in list(_d(spec.get(kind)).items())[:MAX_PROBED_MODELS]:
                sample = sample_payload(_d(_d(body).get("fields"))) if kind == "models" else None
                models.append({"module": module, "name": str(name), "sample": sample})
    scripts: list[str] = []
    builds: list[str] = []
    if scaffold is not None:
        for p in sorted(scaffold.rglob("*")):
            if p.name == "BUILD":
                builds.append(str(p))
            elif p.suffix == ".py" and (p.name == "__init__.py" or p.parent.name == "controllers"):
                scripts.append(str(p))
    return {
        "roots": roots,
        "modules": modules,
        "apps": apps,
        "models": models,
        "scripts": scripts,
        "builds": builds,
    }


class _Fake:
    """A controller whose every method records the values it was given and returns None."""

    def __init__(self, calls: list[list[str]]) -> None:
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        async def method(*args: Any, **kwargs: Any) -> None:
            self._calls.append([name, *(str(a) for a in (*args, *kwargs.values()))])

        return method


def _error() -> str:
    import traceback

    return traceback.format_exc(limit=-3)[-2000:]


def _attempt(into: dict[str, Any], key: str, action: Callable[[], Any]) -> Any:
    """Run `action`; record None, or the error, under `key`."""
    try:
        value = action()
        into[key] = None
        return value
    except RecursionError:  # Pydantic's own limit on nested schemas, not the engine's
        into[key] = {"skipped": "too deep for pydantic's JSON schema"}
    except BaseException:  # the generated code may raise anything, SystemExit included
        into[key] = _error()
    return None


def _build_apps(
    plan: dict[str, Any], calls: list[list[str]], result: dict[str, Any]
) -> dict[str, Any]:
    """Each Python service's app factories, called with fake controllers; its OpenAPI."""
    import importlib
    import inspect

    built: dict[str, Any] = {}
    for app in plan["apps"]:
        module = importlib.import_module(app["module"])
        entry: dict[str, Any] = {}
        for factory in ("create_app", "create_worker"):
            fn = getattr(module, factory, None)
            if fn is None:
                continue
            required = [
                n
                for n, p in inspect.signature(fn).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
            ]
            made = fn(**{n: _Fake(calls) for n in required})
            if factory == "create_app":
                built[app["service"]] = made
                entry["openapi"] = made.openapi()
        result["apps"][app["service"]] = entry
    return built


def _model_entry(m: dict[str, Any]) -> dict[str, Any]:
    import importlib

    from pydantic import TypeAdapter

    cls = getattr(importlib.import_module(m["module"]), m["name"])
    schema = cls.model_json_schema() if hasattr(cls, "model_json_schema") else None
    entry: dict[str, Any] = {"schema": schema or TypeAdapter(cls).json_schema()}
    if m["sample"] is not None:
        obj = cls.model_validate_json(json.dumps(m["sample"]))
        entry["dump"] = json.loads(obj.model_dump_json(by_alias=True))
    return entry


def _serve_request(app: Any, request: dict[str, str]) -> Any:
    import asyncio

    import httpx2

    async def send() -> Any:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(request["method"], request["url"])

    return asyncio.run(send())


def _evaluate_build(path: str) -> None:
    """Evaluate a BUILD file as Pants does (its calls as no-ops): injected code would run."""
    import builtins

    namespace: dict[str, Any] = {n: (lambda *a, **k: None) for n in BUILD_CALLS}
    namespace["__builtins__"] = builtins
    exec(compile(Path(path).read_text(), path, "exec"), namespace)


def probe(plan: dict[str, Any], requests: list[dict[str, Any]]) -> dict[str, Any]:
    """In a fresh process: import every generated module, build the apps, probe the models,
    serve the requests, import the scaffolded Python, evaluate the scaffolded BUILD files;
    after each stage, whether the marker appeared."""
    import importlib
    import runpy

    keys = ("imports", "apps", "models", "scripts", "builds", "errors")
    result: dict[str, Any] = {key: {} for key in keys}
    result.update(requests=[], ran=[])
    marker = Path(plan["marker"]) if plan.get("marker") else None

    def ran(stage: str) -> None:
        if marker is not None and marker.exists():
            marker.unlink()
            result["ran"].append(stage)

    for module in plan["modules"]:
        _attempt(result["imports"], module, partial(importlib.import_module, module))
    ran("importing the generated modules")
    calls: list[list[str]] = []
    built = _attempt(result["errors"], "apps", lambda: _build_apps(plan, calls, result)) or {}
    ran("building the apps")
    for m in plan["models"]:
        key = f"{m['module']}:{m['name']}"
        entry = _attempt(result["errors"], key, partial(_model_entry, m))
        error = result["errors"][key]
        result["models"][key] = entry or (error if isinstance(error, dict) else {"error": error})
    for r in requests:
        del calls[:]
        found: dict[str, Any] = {}
        app = built.get(r["service"])
        response = _attempt(found, "error", partial(_serve_request, app, r))
        if response is None:
            result["requests"].append(found)
        else:
            body = {
                "status": response.status_code,
                "body": response.text[:500],
                "calls": list(calls),
            }
            result["requests"].append(body)
    ran("validating models and serving requests")
    for script in plan["scripts"]:
        _attempt(result["scripts"], script, partial(runpy.run_path, script, run_name="scaffolded"))
    ran("importing the scaffolded controllers and __init__.py")
    for build in plan["builds"]:
        _attempt(result["builds"], build, partial(_evaluate_build, build))
    ran("evaluating the scaffolded BUILD files")
    return result


def _site_only(paths: Sequence[str]) -> list[str]:
    prefixes = {sys.base_prefix, sys.prefix, sys.exec_prefix}
    return [p for p in paths if p and any(p.startswith(x) for x in prefixes)]


def _serve() -> None:  # pragma: no cover - the probe server process
    """Read probe requests (JSON lines); run each in a forked child, so that every probe
    starts from a process that has the libraries loaded and no generated module imported."""
    import email_validator  # noqa: F401
    import fastapi  # noqa: F401
    import faststream
    import faststream.redis  # noqa: F401
    import httpx2  # noqa: F401
    import pydantic  # noqa: F401

    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                signal.alarm(int(req["timeout"]))
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                for fd, name in ((1, "stdout"), (2, "stderr")):
                    target = os.open(req[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    os.dup2(target, fd)
                os.chdir(req["cwd"])
                sys.path[:] = [*req["plan"]["roots"], RUNTIME_ROOT, *_site_only(sys.path)]
                sys.dont_write_bytecode = True
                outcome = probe(req["plan"], req["requests"])
                tmp = req["result"] + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(outcome, f)
                os.replace(tmp, req["result"])
            except BaseException:
                pass
            finally:
                sys.stdout.flush()
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\n")
        sys.stdout.flush()


class ProbeServer:
    """One `_serve` process; not shared between threads."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.engine.hostile_harness import _serve; _serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env(),
            text=True,
            preexec_fn=_limit_memory,
        )

    def run(
        self, workdir: Path, plan: dict[str, Any], requests: list[dict[str, Any]]
    ) -> tuple[dict[str, Any] | None, int, str]:
        result = workdir / "probe.json"
        req = {
            "plan": plan,
            "requests": requests,
            "cwd": str(workdir),
            "result": str(result),
            "stdout": str(workdir / "probe.stdout"),
            "stderr": str(workdir / "probe.stderr"),
            "timeout": HANG_GUARD_S,
        }
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        status = json.loads(self.proc.stdout.readline())["status"]
        printed = (workdir / "probe.stdout").read_text(errors="replace")
        outcome = json.loads(result.read_text()) if result.exists() else None
        return outcome, int(status), printed

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


_local = threading.local()
_servers: list[ProbeServer] = []
_servers_lock = threading.Lock()


def probe_server() -> ProbeServer:
    server = getattr(_local, "server", None)
    if server is None or server.proc.poll() is not None:
        server = ProbeServer()
        _local.server = server
        with _servers_lock:
            _servers.append(server)
    return server


def close_probe_servers() -> None:
    with _servers_lock:
        for server in _servers:
            server.close()
        del _servers[:]


# -- the round trip ----------------------------------------------------------------------------


def openapi_problems(project: Project, service: str, doc: dict[str, Any]) -> list[str]:
    """Every spec string of a FastAPI service's domains comes back exactly from its OpenAPI."""
    problems = []
    paths = _d(doc.get("paths"))
    expected_routes = {("/health", "get")}
    for rel, spec in project.domains(service):
        rest_cfg = _d(_d(spec.get("config")).get("rest"))
        prefix = rest_cfg.get("prefix") if isinstance(rest_cfg.get("prefix"), str) else ""
        tags = [t for t in _l(rest_cfg.get("tags"))]
        for op_name, op in _d(spec.get("operations")).items():
            op = _d(op)
            rest = _d(op.get("rest"))
            if not rest:
                continue
            route = (str(prefix) + str(rest.get("path") or "")) or "/"
            method = str(rest.get("method", "")).lower()
            expected_routes.add((route, method))
            where = f"{rel}: {op_name} ({method.upper()} {route!r})"
            got = _d(_d(paths.get(route)).get(method))
            if not got:
                problems.append(f"{where}: no such route in the OpenAPI document")
                continue
            for key in ("summary", "description"):
                want = _s(op.get(key))
                if want is not None and got.get(key) != want:
                    problems.append(f"{where}: {key} {got.get(key)!r} != spec {want!r}")
            if tags and got.get("tags") != tags:
                problems.append(f"{where}: tags {got.get('tags')!r} != spec {tags!r}")
            want_params = {}
            for p in _l(op.get("params")):
                p = _d(p)
                want_params[(str(p.get("name")), str(p.get("source") or "path"))] = p
            got_params = {
                (str(p.get("name")), str(p.get("in"))): p for p in _l(got.get("parameters"))
            }
            if set(want_params) != set(got_params):
                problems.append(
                    f"{where}: parameters {sorted(got_params)} != spec {sorted(want_params)}"
                )
            for param, p in want_params.items():
                want = _s(p.get("description"))
                have = _d(got_params.get(param)).get("description")
                if want is not None and param in got_params and have != want:
                    problems.append(f"{where}: param {param[0]!r} description {have!r} != {want!r}")
            responses = _d(got.get("responses"))
            for e in _l(op.get("errors")):
                e = _d(e)
                want = _s(e.get("description"))
                have = _d(responses.get(str(e.get("status")))).get("description")
                if want is not None and have != want:
                    problems.append(
                        f"{where}: error {e.get('status')} description {have!r} != {want!r}"
                    )
    got_routes = {(p, m) for p, ops in paths.items() for m in _d(ops)}
    if got_routes != expected_routes:
        problems.append(
            f"{service}: routes {sorted(got_routes ^ expected_routes)} differ from the spec's"
        )
    return problems


def _property_description(prop: dict[str, Any]) -> object:
    if "description" in prop:
        return prop["description"]
    for sub in _l(prop.get("allOf")):
        if isinstance(sub, dict) and "description" in sub:
            return sub["description"]
    return None


def _literal_value(type_text: str) -> object:
    m = re.fullmatch(r"\s*literal\s*\[(.*)\]\s*", type_text, re.S)
    if not m:
        return None
    raw = m.group(1).strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return None


def model_problems(project: Project, models: dict[str, Any]) -> list[str]:
    problems = []

    def probed(kind: str, module: str, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The JSON schema the probe got for a model or enum (its description checked), or
        None when there is none."""
        got = _d(models.get(f"{module}:{name}"))
        if "error" in got:
            problems.append(f"{module}.{name}: {got['error']}")
        if "schema" not in got:
            return None
        schema = _d(got.get("schema"))
        want = _s(body.get("description"))
        if want is not None and schema.get("description") != want:
            problems.append(f"{kind} {name}: description {schema.get('description')!r} != {want!r}")
        return schema

    for module, spec in project.models_files():
        for name, body in _d(spec.get("enums")).items():
            body = _d(body)
            schema = probed("enum", module, name, body)
            if schema is None:
                continue
            if _l(schema.get("enum")) != _l(body.get("values")):
                problems.append(f"enum {name}: values {schema.get('enum')} != {body.get('values')}")
        for name, body in _d(spec.get("models")).items():
            body = _d(body)
            schema = probed("model", module, name, body)
            if schema is None:
                continue
            got = _d(models.get(f"{module}:{name}"))
            if "union" in body:
                continue
            fields = _d(body.get("fields"))
            props = _d(schema.get("properties"))
            if list(props) != [str(k) for k in fields]:
                problems.append(
                    f"model {name}: properties {list(props)} != spec fields {list(fields)}"
                )
            for fname, f in fields.items():
                f = _d(f)
                prop = _d(props.get(str(fname)))
                want = _s(f.get("description"))
                if want is not None and _property_description(prop) != want:
                    problems.append(
                        f"{name}.{fname}: description {_property_description(prop)!r} != {want!r}"
                    )
                if isinstance(f.get("pattern"), str) and prop.get("pattern") != f["pattern"]:
                    problems.append(
                        f"{name}.{fname}: pattern {prop.get('pattern')!r} != {f['pattern']!r}"
                    )
                literal = _literal_value(str(f.get("type", "")))
                if literal is not None and literal not in (
                    prop.get("const"),
                    *_l(prop.get("enum")),
                ):
                    problems.append(f"{name}.{fname}: literal {prop} does not hold {literal!r}")
                if "default" in f and f.get("type") in ("string", "str") and "format" not in f:
                    if prop.get("default") != f["default"]:
                        problems.append(
                            f"{name}.{fname}: default {prop.get('default')!r} != {f['default']!r}"
                        )
                if isinstance(f.get("default"), dict) and isinstance(prop.get("default"), dict):
                    if list(prop["default"]) != list(f["default"]):
                        problems.append(
                            f"{name}.{fname}: default keys {list(prop['default'])} != {list(f['default'])}"
                        )
            sample = sample_payload(fields)
            if sample is not None and got.get("dump") != sample:
                problems.append(f"model {name}: {sample} validated and dumped as {got.get('dump')}")
    return problems


# -- the scaffold ------------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[str]:
    out = []
    continued = False
    for line in text.split("\n"):
        stripped = line.strip()
        if continued:
            continued = stripped.endswith("\\")
            continue
        if not stripped or stripped.startswith("#"):
            continue
        out.append(stripped.split()[0].upper())
        continued = stripped.endswith("\\")
    return out


def build_calls(text: str) -> list[str] | str:
    """The names of a BUILD file's top-level calls, or why it is not only calls of literals."""
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        return f"does not parse: {e}"
    names = []
    for stmt in tree.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            return f"holds a statement that is not a call: {ast.unparse(stmt)[:200]!r}"
        try:
            for arg in [*call.args, *(k.value for k in call.keywords)]:
                ast.literal_eval(arg)
        except ValueError:
            return f"calls {call.func.id} with something other than literals"
        names.append(call.func.id)
    return names


@dataclass(frozen=True)
class ScaffoldShape:
    dockerfiles: dict[str, list[str]]  # service type -> instructions
    builds: dict[tuple[str, str], list[str]]  # (type, path under the service) -> calls
    compose_top: frozenset[str]
    infra: frozenset[str]  # compose services that are not registry services
    compose_keys: frozenset[str]


REFERENCE_REGISTRY = """\
services:
  - name: backend
    type: python-fastapi
    description: Reference.
    depends_on: {redis: service_healthy}
    profiles: [api]
  - name: notifications
    type: python-faststream
    description: Reference.
  - name: tg_bot
    type: python-faststream
    description: Reference.
  - name: webui
    type: node
    description: Reference.
  - name: box
    type: default
    description: Reference.
"""


@cache
def reference_scaffold() -> ScaffoldShape:
    """The shape of the scaffold of a plain registry, one service of each type."""
    work = Path(tempfile.mkdtemp(prefix="hostile-reference-"))
    try:
        repo = work / "repo"
        files = {**base_files("spec-language"), "services.yml": REFERENCE_REGISTRY}
        for rel, text in files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
        run = specforge(
            "scaffold", "--root", str(repo), "--out", str(work / "s"), *sorted(files), cwd=work
        )
        assert run.code == 0, run.stdout + run.stderr
        return _shape(work / "s", read_spec(REFERENCE_REGISTRY))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _shape(out: Path, registry: dict[str, Any]) -> ScaffoldShape:
    dockerfiles: dict[str, list[str]] = {}
    builds: dict[tuple[str, str], list[str]] = {}
    for s in _l(registry.get("services")):
        base = out / "services" / s["name"]
        dockerfiles[s["type"]] = dockerfile_instructions((base / "Dockerfile").read_text())
        for build in base.rglob("BUILD"):
            rel = build.relative_to(base).as_posix().replace(s["name"], "{svc}")
            calls = build_calls(build.read_text())
            assert isinstance(calls, list), calls
            builds[(s["type"], rel)] = calls
    compose = yaml.safe_load((out / "infra" / "compose.yml").read_text())
    names = {s["name"] for s in _l(registry.get("services"))}
    managed = [v for k, v in compose["services"].items() if k in names]
    return ScaffoldShape(
        dockerfiles,
        builds,
        frozenset(compose),
        frozenset(set(compose["services"]) - names),
        frozenset(k for v in managed for k in v),
    )


def scaffold_problems(project: Project, out: Path, case_dir: Path) -> list[str]:
    shape = reference_scaffold()
    problems = []
    node_files: list[Path] = []
    for s in project.services:
        name, kind, description = s.get("name"), s.get("type"), s.get("description")
        if not isinstance(name, str) or kind not in shape.dockerfiles:
            continue
        base = out / "services" / name
        where = f"scaffold of {name!r}"
        docker = base / "Dockerfile"
        if not docker.is_file():
            problems.append(f"{where}: no Dockerfile")
        elif dockerfile_instructions(docker.read_text()) != shape.dockerfiles[kind]:
            problems.append(
                f"{where}: Dockerfile instructions {dockerfile_instructions(docker.read_text())} "
                f"!= the template's {shape.dockerfiles[kind]}"
            )
        for build in base.rglob("BUILD"):
            rel = build.relative_to(base).as_posix().replace(name, "{svc}")
            calls = build_calls(build.read_text())
            if calls != shape.builds.get((str(kind), rel)):
                problems.append(
                    f"{where}: {rel} {calls} != the template's {shape.builds.get((str(kind), rel))}"
                )
        init = base / "src" / name / "__init__.py"
        if kind in PYTHON_SERVICE_TYPES and isinstance(description, str):
            problems += _docstring_problems(init, name, description, where)
        if kind == "node":
            problems += _package_problems(base, name, description, where)
            node_files += [base / "server.js", base / "server.test.js"]
    problems += node_problems(node_files, case_dir)
    compose_path = out / "infra" / "compose.yml"
    try:
        compose = yaml.safe_load(compose_path.read_text())
    except (OSError, yaml.YAMLError) as e:
        return [*problems, f"compose.yml does not parse: {e}"]
    if not isinstance(compose, dict) or set(compose) != shape.compose_top:
        return [
            *problems,
            f"compose.yml top level {list(compose or {})} != {sorted(shape.compose_top)}",
        ]
    services = _d(compose.get("services"))
    names = {s.get("name") for s in project.services}
    if set(services) != names | shape.infra:
        problems.append(
            f"compose.yml services {sorted(services)} != {sorted(map(str, names | shape.infra))}"
        )
    for s in project.services:
        entry = services.get(str(s.get("name")))
        if not isinstance(entry, dict):
            continue
        if set(entry) - shape.compose_keys:
            problems.append(
                f"compose.yml {s['name']}: unexpected keys {sorted(set(entry) - shape.compose_keys)}"
            )
        env = _d(entry.get("environment"))
        if not all(isinstance(v, str) for v in env.values()):
            problems.append(f"compose.yml {s['name']}: environment {env}")
        profiles = _l(s.get("profiles"))
        if profiles and entry.get("profiles") != profiles:
            problems.append(
                f"compose.yml {s['name']}: profiles {entry.get('profiles')!r} != {profiles!r}"
            )
        deps = s.get("depends_on")
        want = set(deps) if isinstance(deps, (dict, list)) else set()
        if not want <= set(_d(entry.get("depends_on"))):
            problems.append(
                f"compose.yml {s['name']}: depends_on {entry.get('depends_on')} lacks {want}"
            )
    return problems


def _docstring_problems(init: Path, name: str, description: str, where: str) -> list[str]:
    if not init.is_file():
        return [f"{where}: no {init.name}"]
    try:
        tree = ast.parse(init.read_text())
    except SyntaxError as e:
        return [f"{where}: __init__.py does not parse: {e}"]
    doc = ast.get_docstring(tree, clean=False)
    # An empty description leaves the name alone (not "name:", which a formatter would make of
    # "name: ").
    expected = (f"{name}: {description}", description) if description else (name,)
    if doc not in expected or len(tree.body) != 1:
        return [f"{where}: __init__.py docstring {doc!r} is not the description {description!r}"]
    return []


def _package_problems(base: Path, name: str, description: object, where: str) -> list[str]:
    try:
        package = json.loads((base / "package.json").read_text())
    except (OSError, ValueError) as e:
        return [f"{where}: package.json does not parse: {e}"]
    if package.get("description") != description or package.get("name") != name:
        return [f"{where}: package.json {package.get('name')!r}, {package.get('description')!r}"]
    return []


# `node --check` for every file (compiled as a CommonJS module is), then each server.js loaded:
# loading runs its top level (and nothing listens), so an injection would run here. One process.
_NODE_CHECK = """
const vm = require("node:vm"), fs = require("node:fs"), Module = require("node:module");
const files = process.argv.slice(1);
for (const f of files) {
  try { new vm.Script(Module.wrap(fs.readFileSync(f, "utf8")), { filename: f }); }
  catch (e) { console.log(`${f} does not compile: ${e.message}`); process.exitCode = 1; }
}
for (const f of files.filter((f) => f.endsWith("/server.js"))) {
  try { require(f); } catch (e) { console.log(`${f} does not load: ${e.message}`); process.exitCode = 1; }
}
"""


def node_problems(files: Sequence[Path], case_dir: Path) -> list[str]:
    node = shutil.which("node")
    if node is None or not files:
        return []
    run = run_measured([node, "-e", _NODE_CHECK, *map(str, files)], case_dir)
    if run.code != 0 or run.stdout or run.hung:
        return [f"node: exit {run.code}: {run.stdout[-1500:]}{run.stderr[-500:]}"]
    return []


# -- one case, end to end ----------------------------------------------------------------------


@dataclass
class Workspace:
    """A case's directory: the repo, the outputs, the marker and the secret around them."""

    root: Path
    repo: Path = field(init=False)
    marker: Path = field(init=False)
    outside: Path = field(init=False)
    secret_token: str = field(init=False)

    def __post_init__(self) -> None:
        self.repo = self.root / "repo"
        self.marker = self.root / "pwned" / "marker"
        self.outside = self.root / "outside"
        self.secret_token = "TOKEN" + os.urandom(8).hex()
        self.marker.parent.mkdir(parents=True)
        token = self.secret_token
        spec = (
            f"# {token}\ndomain: notes\noperations:\n  {token.lower()}:\n"
            f"    description: {token}\n    rest: {{method: GET, path: /{token}}}\n"
        )
        for rel, text in (
            ("secret.yaml", spec),
            ("leak.txt", f"{token}: {token}\n{token}\n"),
            ("svc/spec/evil.yaml", spec.replace("domain: notes", "domain: evil")),
        ):
            (self.outside / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.outside / rel).write_text(text)

    def payload_ran(self, stage: str) -> list[str]:
        """A problem if the marker exists (then removed, so that each stage is seen alone)."""
        if not self.marker.exists():
            return []
        self.marker.unlink()
        return [f"THE PAYLOAD RAN during {stage}: the marker file was created"]

    @property
    def substitutions(self) -> dict[str, str]:
        return {
            MARKER: str(self.marker),
            SECRET: str(self.outside / "secret.yaml"),
            LEAK: str(self.outside / "leak.txt"),
            OUTSIDE_SVC: str(self.outside / "svc"),
        }

    def write(self, case: Case) -> None:
        subs = self.substitutions
        for rel, content in case.files.items():
            path = self.repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                path.unlink()
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(substitute(content, subs).encode("utf-8", "surrogatepass"))
        for link, target in case.symlinks:
            path = self.repo / link
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() or path.is_symlink():
                path.unlink()
            path.symlink_to(substitute(target, subs))
        for fifo in case.fifos:
            (self.repo / fifo).parent.mkdir(parents=True, exist_ok=True)
            os.mkfifo(self.repo / fifo)

    def snapshot(self) -> dict[str, tuple[int, int]]:
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.root):  # not into symlinked dirs
            for n in [*dirnames, *filenames]:
                p = os.path.join(dirpath, n)
                st = os.lstat(p)
                out[p] = (st.st_size, st.st_mtime_ns)
        return out

    def spec_files(self) -> list[str]:
        found = []
        for path in sorted(self.repo.rglob("*")):
            if path.suffix in (".yaml", ".yml") and (path.is_file() or path.is_symlink()):
                found.append(path.relative_to(self.repo).as_posix())
        return found


def written_outside(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], allowed: Sequence[Path]
) -> list[str]:
    changed = [p for p, v in after.items() if before.get(p) != v]
    return [
        p for p in changed if not any(p == str(a) or p.startswith(str(a) + os.sep) for a in allowed)
    ]


def check_case(case: Case, workdir: Path) -> list[str]:
    """Every problem with one case; empty when the engine handles it as the contract says."""
    ws = Workspace(workdir)
    ws.write(case)
    subs = ws.substitutions
    secrets = [ws.secret_token]
    problems: list[str] = []
    before = ws.snapshot()
    args = [substitute(a, subs) for a in case.args]
    check = specforge("check", "--root", str(ws.repo), *args, cwd=ws.root)
    problems += run_problems(check, "check", secrets)
    problems += error_lines(check, "check", ws.repo, args)
    problems += [f"check wrote {p}" for p in written_outside(before, ws.snapshot(), [])]
    problems += ws.payload_ran("check")
    lines = check.stdout.splitlines()
    rejected = check.code == 1
    if check.code == 0 and (check.stdout or check.stderr):
        problems.append(f"check exited 0 but printed: {(check.stdout + check.stderr)[:500]!r}")
    if case.outcome == "reject":
        if check.code != 1:
            problems.append(
                f"check exited {check.code}, expected 1 (a rejection); output:\n{check.stdout[-2000:]}"
            )
        else:
            problems += match_expected(lines, case.expected, subs, case.more_allowed)
    elif case.outcome == "accept" and check.code != 0:
        problems.append(f"check rejected an acceptable spec:\n{check.stdout[-3000:]}")
    elif case.outcome == "safe" and rejected and not lines:
        problems.append("check exited 1 without saying why")
    for target in case.generate_targets:
        problems += _shallow_generate(ws, target, secrets)
    if check.code == 0 and case.outcome in ("accept", "safe"):
        problems += accept_problems(case, ws, secrets)
    elif check.code == 0 and os.environ.get("HOSTILE_DIAGNOSE"):
        # Not an assertion: what the wrongly accepted spec does further down, for the bug list.
        problems += [f"(diagnosis) {p}" for p in accept_problems(case, ws, secrets)]
    return problems + ws.payload_ran("the end of the case")


def _shallow_generate(ws: Workspace, target: str, secrets: Sequence[str]) -> list[str]:
    out = ws.root / "shallow-out"
    before = ws.snapshot()
    run = specforge(
        "generate",
        "--root",
        str(ws.repo),
        "--out",
        str(out),
        "--target",
        target,
        *ws.spec_files(),
        cwd=ws.root,
    )
    problems = run_problems(run, f"generate --target {target}", secrets)
    problems += error_lines(run, "generate", ws.repo)
    problems += [f"generate wrote {p}" for p in written_outside(before, ws.snapshot(), [out])]
    return problems + ws.payload_ran(f"generate --target {target}")


def shapes_the_scaffold(path: str) -> bool:
    """Whether a spec file feeds `scaffold`: the registry, and domain specs (stub controllers)."""
    parts = path.split("/")
    if path in ("services.yml", "services.yaml"):
        return True
    return (
        len(parts) == 4
        and parts[0] == "services"
        and parts[2] == "spec"
        and (parts[3].rsplit(".", 1)[0] not in ("models", "manifest", "events"))
    )


def accept_problems(
    case: Case, ws: Workspace, secrets: Sequence[str], scaffold: bool | None = None
) -> list[str]:
    """Generate, compile, import, round-trip; scaffold too when the case changes what the
    scaffold is made of (or when asked)."""
    if scaffold is None:
        scaffold = any(shapes_the_scaffold(p) for p in case.own)
    problems: list[str] = []
    project = Project.read(ws.repo)
    files = ws.spec_files()
    out, scaffold_out = ws.root / "out", ws.root / "scaffold"
    before = ws.snapshot()
    apps = [a for s in project.python_services() for a in ("--app", s)]
    targets = [a for f in files for a in ("--target", f)]
    gen = specforge(
        "generate", "--root", str(ws.repo), "--out", str(out), *apps, *targets, *files, cwd=ws.root
    )
    problems += run_problems(gen, "generate", secrets)
    problems += [f"generate wrote {p}" for p in written_outside(before, ws.snapshot(), [out])]
    problems += ws.payload_ran("generate")
    if gen.code != 0:
        return [*problems, f"generate failed on specs that check accepted:\n{gen.stderr[-3000:]}"]
    problems += compile_problems(out, "generated")
    scaffolded = False
    if scaffold:
        before = ws.snapshot()
        scaf = specforge(
            "scaffold", "--root", str(ws.repo), "--out", str(scaffold_out), *files, cwd=ws.root
        )
        problems += run_problems(scaf, "scaffold", secrets)
        problems += [
            f"scaffold wrote {p}" for p in written_outside(before, ws.snapshot(), [scaffold_out])
        ]
        problems += ws.payload_ran("scaffold")
        scaffolded = scaf.code == 0
        if not scaffolded:
            problems.append(f"scaffold failed on specs that check accepted:\n{scaf.stderr[-3000:]}")
        else:
            problems += compile_problems(scaffold_out, "scaffolded")
    if problems:
        return problems
    plan = probe_plan(project, out, scaffold_out if scaffolded else None)
    plan["marker"] = str(ws.marker)
    requests = [
        {"service": r.service, "method": r.method, "url": substitute(r.url, ws.substitutions)}
        for r in case.requests
    ]
    result, status, printed = probe_server().run(ws.root, plan, requests)
    if result is None:
        return [
            f"the import probe died (status {status}); its stderr:\n"
            + (ws.root / "probe.stderr").read_text(errors="replace")[-2000:]
        ]
    if printed:
        problems.append(f"importing the generated code printed: {printed[:500]!r}")
    problems += [
        f"THE PAYLOAD RAN during {stage}: the marker file was created" for stage in result["ran"]
    ]
    problems += ws.payload_ran("the import probe")
    problems += [f"import {m}: {e}" for m, e in result["imports"].items() if e]
    problems += [f"scaffolded {Path(s).name}: {e}" for s, e in result["scripts"].items() if e]
    problems += [f"scaffolded {b}: {e}" for b, e in result["builds"].items() if e]
    if result["errors"].get("apps"):
        problems.append(f"building the apps: {result['errors']['apps']}")
    for service, app in result["apps"].items():
        if "openapi" in app:
            problems += openapi_problems(project, service, app["openapi"])
    problems += model_problems(project, result["models"])
    problems += _assertion_problems(case, result)
    if scaffolded:
        problems += scaffold_problems(project, scaffold_out, ws.root)
        problems += ws.payload_ran("loading the scaffolded server.js")
    return problems


def _assertion_problems(case: Case, result: dict[str, Any]) -> list[str]:
    problems = []
    for r, got in zip(case.requests, result["requests"], strict=True):
        if "error" in got:
            problems.append(f"request {r.method} {r.url}: {got['error']}")
            continue
        received = {v for call in got["calls"] for v in call[1:]}
        if not 200 <= got["status"] < 300:
            problems.append(f"request {r.method} {r.url}: {got['status']} {got['body']}")
        missing = [v for v in r.values if v not in received]
        if missing:
            problems.append(
                f"request {r.method} {r.url}: the controller did not get {missing} (got {got['calls']})"
            )
    for s in case.schemas:
        entry = _d(result["models"].get(f"{s.module}:{s.model}"))
        prop = _d(_d(_d(entry.get("schema")).get("properties")).get(s.field))
        if prop.get(s.key) != s.value:
            problems.append(
                f"{s.model}.{s.field}: {s.key} is {prop.get(s.key)!r}, expected {s.value!r}"
            )
    return problems


def compile_problems(root: Path, what: str) -> list[str]:
    problems = []
    for py in sorted(root.rglob("*.py")):
        try:
            compile(py.read_bytes().decode("utf-8"), str(py), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError) as e:
            problems.append(f"{what} {py.relative_to(root)} does not compile: {e}")
    return problems


def new_workdir(parent: Path, name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{name[:40]}-", dir=parent))
