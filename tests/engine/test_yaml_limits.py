"""Hostile YAML: every resource case gets one located error (or passes), in bounded memory.

Each case runs the real `python -m specforge` in a subprocess, whose peak RSS is read from
`os.wait4`. Nothing here measures wall time: memory is a property of the input, time is a
property of the machine's load. `tests/bench/yaml_bench.py` prints both for the same cases.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

# The budget of the issue (300 MB for any input of 1 MB or less).
MAX_RSS_BYTES = 300 * 1024 * 1024
# The child's address space is capped well above that, so that a regression fails the test
# (MemoryError) instead of exhausting the machine.
MEMORY_CAP = 2 * 1024 * 1024 * 1024
SIZE = 1 << 20  # one MiB: the largest input the engine promises to handle

MODELS = "shared/spec/models.yaml"
EVENTS = "shared/spec/events.yaml"
BACKEND_MODELS = "services/backend/spec/models.yaml"
SMALL_MODELS = "models:\n  Thing:\n    fields:\n      id: {type: int}\n"


def fill(head: str, unit: str, tail: str, size: int = SIZE) -> str:
    """`head`, then as many `unit`s as fit, then `tail`: at most `size` bytes of UTF-8."""
    room = size - len((head + tail).encode())
    return head + unit * (room // len(unit.encode())) + tail


def alias_bomb() -> str:
    """Nine levels of ten aliases each (a billion leaves, 700 bytes), used where names are."""
    lines = ["enums:", "  A0: {values: &a0 [x, x, x, x, x, x, x, x, x, x]}"]
    for i in range(1, 9):
        lines.append(f"  A{i}: {{values: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]}}")
    lines += ["  Bomb: {values: *a8}", "models:", "  M:", "    fields:", "      f: {type: A8}"]
    return "\n".join(lines) + "\n"


def long_string_aliases() -> str:
    """One 512 KiB string, then as many models as fit, each aliasing it as its description."""
    text = "models:\n  M: {description: &d " + "x" * (SIZE // 2) + ", fields: {}}\n"
    models = []
    for i in range(SIZE):
        model = f"  M{i}: {{description: *d, fields: {{id: {{type: int}}}}}}\n"
        if len(text) + len(model) > SIZE:
            break
        models.append(model)
        text += model
    return text


def nested(head: str, opening: str, closing: str, tail: str) -> str:
    """`head`, as many `opening`s as fit with their `closing`s, then `tail`."""
    n = (SIZE - len(head) - len(tail)) // (len(opening) + len(closing))
    return head + opening * n + closing * n + tail


def many_fields(count: int) -> str:
    lines = (f"      f{i}: {{type: int}}\n" for i in range(count))
    return "models:\n  M:\n    fields:\n" + "".join(lines)


@dataclass(frozen=True)
class ResourceCase:
    """A hostile spec repo, the engine command to run on it, and what it must report."""

    name: str
    files: Callable[[], dict[str, str]]
    # The first error line `check` (or `generate`) prints: a regex over `path:line:col: error:
    # message`; None when the input is valid and must pass.
    error: str | None
    generate_targets: tuple[str, ...] = ()  # run `generate --target ...` instead of `check`


RESOURCE_CASES = (
    ResourceCase(
        "alias_bomb",
        lambda: {MODELS: alias_bomb()},
        rf"{MODELS}:[3-9]:\d+: error: the document expands to more than \d+ nodes through "
        r"its aliases \[enums\.A\d",
    ),
    ResourceCase(
        # Code generation only indexes the files its target merely uses (models read
        # "shallowly"): the index must be as bounded as the full load.
        "alias_bomb_shallow",
        lambda: {MODELS: alias_bomb(), BACKEND_MODELS: SMALL_MODELS},
        rf"{MODELS}:[3-9]:\d+: error: the document expands to more than \d+ nodes through "
        r"its aliases",
        generate_targets=(BACKEND_MODELS,),
    ),
    ResourceCase(
        "long_string_aliases",
        lambda: {MODELS: long_string_aliases()},
        rf"{MODELS}:\d+:\d+: error: the document expands to more than \d+ nodes through "
        r"its aliases \[models\.M\d+\.description\]",
    ),
    ResourceCase(
        "deep_flow",
        lambda: {MODELS: nested("models:\n  M:\n    fields:\n      f: {type: ", "[", "]", "}\n")},
        rf"{MODELS}:4:\d+: error: the document nests lists and mappings more than 64 levels "
        r"deep",
    ),
    ResourceCase(
        "deep_flow_unbalanced",
        lambda: {MODELS: fill("models:\n  M: {fields: ", "{a: [", "\n")},
        rf"{MODELS}:2:\d+: error: the document nests lists and mappings more than 64 levels "
        r"deep",
    ),
    ResourceCase(
        "deep_block",
        lambda: {MODELS: fill("models:\n  M:\n    fields:\n      f:\n        ", "- ", "x\n")},
        rf"{MODELS}:5:129: error: the document nests lists and mappings more than 64 levels "
        r"deep \[models\.M\.fields\.f(\[0\]){60}\]$",
    ),
    ResourceCase(
        "flat_flow",
        lambda: {MODELS: fill("enums:\n  E:\n    values: [", "a, ", "a]\n")},
        rf"{MODELS}:3:\d+: error: the document has more than \d+ nodes .*\[enums\.E\.values",
    ),
    ResourceCase(
        "flat_block",
        lambda: {MODELS: fill("enums:\n  E:\n    values:\n", "    - a\n", "")},
        rf"{MODELS}:\d+:7: error: the document has more than \d+ nodes .*\[enums\.E\.values",
    ),
    ResourceCase(
        # A valid model with 12000 fields: four nodes each, within the limit.
        "many_fields",
        lambda: {MODELS: many_fields(12_000)},
        None,
    ),
    ResourceCase(
        "long_line",
        lambda: {
            MODELS: fill(
                "models:\n  M:\n    description: ", "x", "\n    fields: {id: {type: int}}\n"
            )
        },
        None,
    ),
    ResourceCase(
        "long_key",
        lambda: {MODELS: fill("models:\n  M", "m", ":\n    fields: {id: {type: int}}\n")},
        rf"{MODELS}:2:\d+: error: invalid YAML: mapping values are not allowed",
    ),
    ResourceCase(
        # Implicit keys are limited to 1024 characters by YAML itself; explicit ones are not.
        "long_explicit_key",
        lambda: {MODELS: fill("models:\n  ? M", "m", "\n  : {fields: {id: {type: int}}}\n")},
        rf"{MODELS}:2:5: error: a key is limited to 1024 characters \[models\]$",
    ),
    ResourceCase(
        "huge_integer",
        lambda: {
            MODELS: "models:\n  M:\n    fields:\n      f: {type: int, default: "
            + "9" * 5000
            + "}\n"
        },
        rf"{MODELS}:4:31: error: integer too large \(more than 4300 digits\) "
        r"\[models\.M\.fields\.f\.default\]",
    ),
    ResourceCase(
        "too_large",
        lambda: {MODELS: fill("models: {}\n", "#", "\n", SIZE + 1)},
        rf"{MODELS}:1:1: error: the file is larger than 1 MiB",
    ),
)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def engine_argv(case: ResourceCase, root: Path, out: Path) -> list[str]:
    files = sorted(case.files())
    if case.generate_targets:
        targets = [a for t in case.generate_targets for a in ("--target", t)]
        return ["generate", "--root", str(root), "--out", str(out), *targets, *files]
    return ["check", "--root", str(root), *files]


@dataclass(frozen=True)
class Run:
    code: int  # the exit code, or -signal
    output: str  # stdout and stderr
    max_rss: int  # peak resident memory, in bytes
    seconds: float  # wall time (for the benchmark; tests never look at it)


def run_engine(
    argv: list[str], env: dict[str, str], *, memory_cap: int, timeout: float | None = None
) -> Run:
    """Run `python -m specforge ARGV` with its address space capped at `memory_cap` bytes (a
    runaway case fails instead of taking the machine down), and measure it."""
    import resource
    import tempfile
    import threading
    import time

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))

    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "specforge", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=cap,
        )
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    return Run(proc.returncode, output, usage.ru_maxrss * 1024, seconds)


@pytest.mark.parametrize("case", RESOURCE_CASES, ids=[c.name for c in RESOURCE_CASES])
def test_resource_case(case: ResourceCase, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root, case.files())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = run_engine(engine_argv(case, root, tmp_path / "out"), env, memory_cap=MEMORY_CAP)
    out = run.output
    assert "Traceback" not in out, out[:2000]
    if case.error is None:
        assert run.code == 0, out[:2000]
    else:
        assert run.code == 1, out[:2000]
        first = out.splitlines()[0]
        assert re.match(case.error, first), first[:2000]
    assert run.max_rss < MAX_RSS_BYTES, f"{run.max_rss / 2**20:.0f} MiB"
