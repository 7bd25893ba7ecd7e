"""Find the interpreter for a set of interpreter constraints on `[python-bootstrap].search_path`.

The choice is Pex's: among the interpreters of the search path that satisfy the constraints, the
lowest major.minor version, and within it the highest patch; the first found wins a tie. The
answer is the interpreter's real path and the sha256 of its binary, as Pants' own search reports
them, so every process's cache key is the same as with Pants' search.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from textwrap import dedent

from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import PythonProvider
from pants.backend.python.util_rules.pex_environment import PexEnvironment, PythonExecutable
from pants.core.subsystems.python_bootstrap import PythonBootstrap
from pants.core.util_rules.adhoc_binaries import PythonBuildStandaloneBinary
from pants.core.util_rules.environments import EnvironmentTarget
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from pants.util.strutil import bullet_list, softwrap

# Run by Pants' own Python with the search path's directories as arguments. Prints one JSON
# list of [implementation, [major, minor, micro], real path, sha256] per interpreter found,
# in search path order. Each candidate is asked about itself, so a shim reports the interpreter
# it runs; each real binary is asked once, and in parallel.
PROBE = dedent(
    """\
    import concurrent.futures, hashlib, json, os, re, subprocess, sys

    ASK = (  # Python 2 too, as Pex
        "import os, platform, sys; sys.stdout.write(' '.join("
        "[platform.python_implementation()] + [str(v) for v in sys.version_info[:3]] + "
        "[os.path.realpath(sys.executable)]))"
    )
    NAME = re.compile(r"python(\\d+(\\.\\d+)?)?")

    def candidates(dirs):
        seen = set()
        for directory in dirs:
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                continue
            for name in names:
                path = os.path.join(directory, name)
                real = os.path.realpath(path)
                if NAME.fullmatch(name) and real not in seen and os.path.isfile(real):
                    if os.access(real, os.X_OK):
                        seen.add(real)
                        yield path

    def ask(path):
        try:
            out = subprocess.run(
                [path, "-s", "-E", "-c", ASK], capture_output=True, text=True, timeout=60,
                stdin=subprocess.DEVNULL,
            ).stdout.split(None, 4)
            return [out[0], [int(v) for v in out[1:4]], out[4].rstrip("\\r\\n")]
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            return None  # not an interpreter that answers: Pex skips it too

    def sha256(path):
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(65536), b""):
                digest.update(chunk)
        return digest.hexdigest()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, list(candidates(sys.argv[1:]))))
    found, reported = [], set()
    for answer in answers:
        if answer is not None and answer[2] not in reported:
            reported.add(answer[2])
            try:
                found.append(answer + [sha256(answer[2])])
            except OSError:
                pass  # it named a binary that is not there to read
    print(json.dumps(found))
    """
)


@dataclass(frozen=True)
class Interpreter:
    implementation: str
    version: tuple[int, int, int]
    path: str
    fingerprint: str


@dataclass(frozen=True)
class SearchPathPython(PythonProvider):
    pass


class NoInterpreterError(Exception):
    pass


def parse_probe(stdout: str) -> list[Interpreter]:
    return [
        Interpreter(impl, (version[0], version[1], version[2]), path, fingerprint)
        for impl, version, path, fingerprint in json.loads(stdout)
    ]


def choose(
    constraints: InterpreterConstraints, interpreters: Iterable[Interpreter]
) -> Interpreter | None:
    """Pex's choice: the lowest compatible major.minor, its highest patch; first found on a tie."""

    def matches(interpreter: Interpreter) -> bool:
        version = ".".join(str(v) for v in interpreter.version)
        return any(
            req.project_name == interpreter.implementation and version in req for req in constraints
        )

    compatible = [i for i in interpreters if matches(i)]
    if not compatible:
        return None
    return min(compatible, key=lambda i: (i.version[0], i.version[1], -i.version[2]))


def no_interpreter_message(
    constraints: InterpreterConstraints,
    search_path: Sequence[str],
    interpreters: Sequence[Interpreter],
) -> str:
    seen = [f"{i.implementation} {'.'.join(map(str, i.version))} at {i.path}" for i in interpreters]
    return softwrap(
        f"""
        No Python interpreter on [python-bootstrap].search_path satisfies {constraints}.

        Searched:

        {bullet_list(search_path) if search_path else "  (nothing: the search path is empty)"}

        Found:

        {bullet_list(seen) if seen else "  (no interpreters)"}

        Install a matching Python, or set `[python-bootstrap].search_path` (or
        PANTS_PYTHON_BOOTSTRAP_SEARCH_PATH) to directories that hold one.
        """
    )


@rule(desc="Find Python interpreter for constraints", level=LogLevel.DEBUG)
async def find_interpreter_on_search_path(
    request: SearchPathPython,
    bootstrap: PythonBootstrap,
    pants_python: PythonBuildStandaloneBinary,
    pex_environment: PexEnvironment,
    env_target: EnvironmentTarget,
) -> PythonExecutable:
    search_path = bootstrap.interpreter_search_paths
    result = await Get(
        ProcessResult,
        Process(
            argv=(pants_python.path, "-I", "-c", PROBE, *search_path),
            description=f"Find interpreter for constraints: {request.interpreter_constraints}",
            level=LogLevel.DEBUG,
            # The PATH Pex runs with ([pex].executable_search_paths): pyenv's shims need it.
            env={"PATH": os.pathsep.join(pex_environment.path)},
            append_only_caches=PythonBuildStandaloneBinary.APPEND_ONLY_CACHES,
            # What is installed can change between runs: as Pants' own search, once per pantsd.
            cache_scope=env_target.executable_search_path_cache_scope(),
        ),
    )
    interpreters = parse_probe(result.stdout.decode())
    chosen = choose(request.interpreter_constraints, interpreters)
    if chosen is None:
        raise NoInterpreterError(
            no_interpreter_message(request.interpreter_constraints, search_path, interpreters)
        )
    return PythonExecutable(path=chosen.path, fingerprint=chosen.fingerprint)


def rules():
    return [
        *collect_rules(),
        UnionRule(PythonProvider, SearchPathPython),
    ]
