"""The JSON Schemas of the spec files (shared/schemas/*.schema.json), for editors.

- They are what the engine renders from its readers' shapes: refresh them with
  `python -m specforge json-schema --out .` (from the repo root, with pants-plugins on the path).
- They cannot drift from what the engine accepts: while the engine reads every valid spec we
  have, each mapping's keys are checked against exactly one shape, and every shape is used.
- `check-jsonschema` (the CLI editors' CI uses) accepts every example spec (the example system,
  the spec-language examples) and rejects the malformed cases whose mistake is a key or a value
  type; spec projects drawn across the whole language (spec_strategies.py) validate too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from specforge.frontend import check_sources
from specforge.frontend.shapes import FILE_SHAPES, SHAPES
from specforge.layout import SpecKind, classify
from specforge.reader import Reader
from specforge.render.spec_schema import render_spec_schemas, schema_file, spec_schema
from tests.engine.cases import CORPUS, SPEC_LANGUAGE, all_cases, spec_language_files
from tests.engine.spec_strategies import SpecProject, spec_projects

REPO = Path.cwd()
# The malformed cases a schema can see: a key or a value's JSON type is wrong.
STRUCTURAL = (
    "unknown key",
    "missing required key",
    "expected true or false",
    "expected an integer",
    "expected a list",
    "expected a mapping",
    "unknown service type",
    "unknown param source",
    "unknown format",
    "unknown condition",
    "invalid HTTP method",
)


def kind_of(path: str) -> str | None:
    kind = classify(path).kind
    return None if kind is SpecKind.OPENAPI else kind.value


def example_files() -> dict[str, str]:
    paths = [REPO / "services.yml", *REPO.glob("shared/spec/*.yaml")]
    paths += REPO.glob("services/*/spec/*.yaml")
    return {p.relative_to(REPO).as_posix(): p.read_text() for p in sorted(paths)}


def check_jsonschema(kind: str, files: Iterable[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(REPO / schema_file(kind)),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def write(root: Path, files: dict[str, str]) -> dict[str, list[Path]]:
    """Writes the spec files under `root`; their paths by kind."""
    by_kind: dict[str, list[Path]] = {}
    for rel, text in files.items():
        kind = kind_of(rel)
        if kind is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        by_kind.setdefault(kind, []).append(path)
    return by_kind


def test_the_committed_schemas_are_the_rendered_ones() -> None:
    for rel, text in render_spec_schemas().items():
        committed = REPO / rel
        assert committed.is_file(), f"{rel} is missing: run `python -m specforge json-schema`"
        assert committed.read_text() == text, f"{rel} is stale: run `specforge json-schema`"
        assert json.loads(text)["$schema"] == "http://json-schema.org/draft-07/schema#"
        jsonschema.Draft7Validator.check_schema(json.loads(text))


@pytest.fixture
def checked_shapes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, ...]]]:
    """The key tuples `Reader.check_keys` is called with."""
    seen: list[tuple[str, ...]] = []
    original = Reader.check_keys

    def recording(self: Reader, allowed: Iterable[str], required: Iterable[str] = ()) -> bool:
        allowed = tuple(allowed)
        seen.append(allowed)
        return original(self, allowed, required)

    monkeypatch.setattr(Reader, "check_keys", recording)
    yield seen


def test_every_key_check_is_a_shape_and_every_shape_is_checked(
    checked_shapes: list[tuple[str, ...]],
) -> None:
    """A reader that accepted a key outside the shapes (so outside the schemas), or a shape that
    no reader checks (so a schema of keys the engine does not read), fails here."""
    for files in (example_files(), spec_language_files()):
        project, errors = check_sources(files)
        assert not errors, [e.format() for e in errors]
        assert project is not None
    shapes = {s.allowed: name for name, s in SHAPES.items()}
    outside = sorted(set(checked_shapes) - set(shapes))
    assert not outside, f"key checks outside the shapes: {outside}"
    unchecked = set(SHAPES) - {shapes[k] for k in checked_shapes}
    assert not unchecked, f"shapes no reader checks: {sorted(unchecked)}"


def test_every_file_kind_has_a_schema() -> None:
    kinds = {k.value for k in SpecKind} - {SpecKind.OPENAPI.value}
    assert set(FILE_SHAPES) == kinds
    for kind in kinds:
        assert spec_schema(kind)["type"] == "object"


@pytest.mark.parametrize("source", ["example", "spec-language"])
def test_check_jsonschema_accepts_every_example(source: str, tmp_path: Path) -> None:
    files = example_files() if source == "example" else spec_language_files()
    by_kind = write(tmp_path, files)
    assert set(by_kind) == set(FILE_SHAPES), sorted(by_kind)
    for kind, paths in by_kind.items():
        result = check_jsonschema(kind, paths)
        assert result.returncode == 0, result.stdout + result.stderr


# The malformed corpus, read once.
CASES = {c.name: c for c in all_cases()}


def structural_cases() -> list[tuple[str, str, str]]:
    """(case, file, kind) of the malformed cases whose mistake a schema can see."""
    out = []
    for case in CASES.values():
        for expected in case.expected:
            rel = expected.location.rsplit(":", 2)[0]
            kind = kind_of(rel)
            if kind and any(w in " ".join(expected.words) for w in STRUCTURAL):
                out.append((case.name, rel, kind))
                break
    return out


STRUCTURAL_CASES = structural_cases()


def test_the_structural_sample_is_large_enough() -> None:
    assert len(STRUCTURAL_CASES) >= 15, STRUCTURAL_CASES
    assert CORPUS.is_dir() and SPEC_LANGUAGE.is_dir()


@pytest.mark.parametrize(
    ("case", "rel", "kind"), STRUCTURAL_CASES, ids=[c[0] for c in STRUCTURAL_CASES]
)
def test_check_jsonschema_rejects_the_malformed_sample(
    case: str, rel: str, kind: str, tmp_path: Path
) -> None:
    found = CASES[case]
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(found.files[rel])
    result = check_jsonschema(kind, [path])
    assert result.returncode == 1, f"{case}: {rel} passed the schema\n{result.stdout}"
    assert "Schema validation errors were encountered." in result.stdout + result.stderr


VALIDATORS = {kind: jsonschema.Draft7Validator(spec_schema(kind)) for kind in FILE_SHAPES}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(project=spec_projects())
def test_drawn_valid_specs_validate(project: SpecProject) -> None:
    """Spec projects drawn across the language pass the engine, and each file the schema."""
    _, errors = check_sources(project.files)
    assert not errors, [e.format() for e in errors]
    for rel, text in project.files.items():
        kind = kind_of(rel)
        if kind is None:
            continue
        problems = [e.message for e in VALIDATORS[kind].iter_errors(yaml.safe_load(text))]
        assert not problems, f"{rel}: {problems}"


def test_every_example_spec_names_its_schema_for_editors() -> None:
    """The first line of each example spec is yaml-language-server's modeline, and the path it
    names (relative to the spec) is the schema of the spec's kind."""
    for rel in example_files():
        kind = kind_of(rel)
        if kind is None:
            continue
        first = (REPO / rel).read_text().splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix), f"{rel}: no modeline"
        named = ((REPO / rel).parent / first[len(prefix) :]).resolve()
        assert named == (REPO / schema_file(kind)).resolve(), f"{rel}: {first}"


EDGE_CASES = {
    # Values the engine reads as text, so the schema must take them too.
    "shared/spec/models.yaml": (
        "models:\n"
        "  Flag:\n"
        "    description: 42\n"
        "    fields:\n"
        "      state: {type: enum, values: [true, false, maybe]}\n"
    ),
    "services.yml": "services:\n  - {name: api, type: python-fastapi, description: 2024}\n",
}


@pytest.mark.parametrize("rel", sorted(EDGE_CASES))
def test_what_the_engine_takes_as_text_the_schema_takes(rel: str, tmp_path: Path) -> None:
    text = EDGE_CASES[rel]
    _, errors = check_sources({rel: text})
    assert not errors, [e.format() for e in errors]
    kind = kind_of(rel)
    assert kind is not None
    result = check_jsonschema(kind, write(tmp_path, {rel: text})[kind])
    assert result.returncode == 0, result.stdout + result.stderr
