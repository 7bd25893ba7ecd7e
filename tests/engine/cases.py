"""The malformed-spec corpus: `malformed/*.case` files.

A case file is a few `# key: value` header lines, then the spec files it holds:

    # a description of the mistake
    # base: spec-language          (optional: start from the spec-language example repo)
    # drop: path/of/a/base/file      (optional, repeatable: leave a file of the base out)
    # expect: path:line:col [key.path] word | other words
    --- shared/spec/models.yaml
    models: ...

Each `expect` line names an error that `check` must report: its exact location and key path,
and words its message must contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
CORPUS = HERE / "malformed"
SPEC_LANGUAGE = HERE / "spec_language"

_EXPECT = re.compile(r"^(?P<loc>\S+:\d+:\d+) \[(?P<path>.*?)\] (?P<words>.+)$")


@dataclass(frozen=True)
class Expected:
    location: str
    path: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    files: dict[str, str]
    expected: tuple[Expected, ...]


def spec_language_files() -> dict[str, str]:
    return {
        p.relative_to(SPEC_LANGUAGE).as_posix(): p.read_text()
        for p in sorted(SPEC_LANGUAGE.rglob("*"))
        if p.is_file()
    }


def load_case(path: Path) -> Case:
    description = ""
    base = False
    dropped: list[str] = []
    expected: list[Expected] = []
    files: dict[str, str] = {}
    current: str | None = None
    for line in path.read_text().splitlines(keepends=True):
        if current is None and line.startswith("# "):
            body = line[2:].rstrip("\n")
            if body.startswith("expect: "):
                m = _EXPECT.match(body[len("expect: ") :])
                if not m:
                    raise ValueError(f"{path}: bad expect line: {body}")
                words = tuple(w.strip() for w in m["words"].split("|") if w.strip())
                expected.append(Expected(m["loc"], m["path"], words))
            elif body.startswith("drop: "):
                dropped.append(body[len("drop: ") :])
            elif body.startswith("base: "):
                base = body[len("base: ") :] == "spec-language"
            elif not description:
                description = body
            continue
        if line.startswith("--- "):
            current = line[4:].strip()
            files[current] = ""
            continue
        if current is not None:
            files[current] += line
    if base:
        base_files = {k: v for k, v in spec_language_files().items() if k not in dropped}
        files = {**base_files, **files}
    return Case(path.stem, description, files, tuple(expected))


def all_cases() -> list[Case]:
    return [load_case(p) for p in sorted(CORPUS.glob("*.case"))]
