"""Hostile strings and names at random positions of a valid project, end to end.

Each example takes the example repo (`spec_language/` plus `render_extra/`), puts one hostile
string into a string position or one hostile name into a name position, and runs the real
command line on it: `check` exits 0 or 1 with well-formed, located errors; when it exits 0,
`generate` and `scaffold` succeed, everything compiles and imports without side effects, and
the strings come back exactly (see `hostile_harness.check_case`, outcome `safe`).

With `CI` set the examples are derandomized (the same on every run); HOSTILE_FUZZ_EXAMPLES
raises their number for a longer local run.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st

from tests.engine.hostile_harness import (
    PAYLOADS,
    RESERVED_NAMES,
    Case,
    base_files,
    check_case,
    close_probe_servers,
    new_workdir,
    reference_scaffold,
)

EXAMPLES = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "10"))

MODELS = "shared/spec/models.yaml"
EVENTS = "shared/spec/events.yaml"
USERS = "services/backend/spec/users.yaml"
NOTES = "services/backend/spec/notes.yaml"
LOCAL = "services/backend/spec/models.yaml"
REGISTRY = "services.yml"

Spec = dict[str, Any]
Mutation = Callable[[dict[str, Spec], str], str]  # puts the value somewhere; the path it changed


def _set(path: str, *keys: str | int) -> Mutation:
    """Replace the value at `keys` of file `path`."""

    def mutate(files: dict[str, Spec], value: str) -> str:
        node: Any = files[path]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        return path

    return mutate


def _add(
    path: str, keys: tuple[str | int, ...], make: Callable[[str], tuple[str, Any]]
) -> Mutation:
    """Add an entry made from the value to the mapping at `keys` of file `path`."""

    def mutate(files: dict[str, Spec], value: str) -> str:
        node: Any = files[path]
        for key in keys:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        name, body = make(value)
        node[name] = body
        return path

    return mutate


def _append(path: str, keys: tuple[str | int, ...], make: Callable[[str], Any]) -> Mutation:
    def mutate(files: dict[str, Spec], value: str) -> str:
        node: Any = files[path]
        for key in keys:
            node = node[key]
        node.append(make(value))
        return path

    return mutate


def usable_file_name(name: str) -> bool:
    """Whether a name can be a file name at all (the file system, not the engine, says no)."""
    encoded = name.encode("utf-8", "surrogatepass")
    return (
        bool(name)
        and name not in (".", "..")
        and "/" not in name
        and "\0" not in name
        and len(encoded) < 200
    )


def _new_domain(files: dict[str, Spec], value: str) -> str:
    path = f"services/backend/spec/{value}.yaml"
    files[path] = {
        "domain": value,
        "operations": {"fuzz_ping": {"rest": {"method": "GET", "path": "/fuzz"}}},
    }
    return path


STRING_POSITIONS: dict[str, Mutation] = {
    "model description": _set(MODELS, "models", "User", "description"),
    "field description": _set(MODELS, "models", "User", "fields", "name", "description"),
    "enum description": _set(MODELS, "enums", "Role", "description"),
    "local model description": _set(LOCAL, "models", "Note", "description"),
    "inline enum description": _set(LOCAL, "models", "Note", "fields", "status", "description"),
    "string default": _add(
        LOCAL, ("models", "Note", "fields"), lambda v: ("fuzz", {"type": "string", "default": v})
    ),
    "dict default key": lambda files, v: _set(
        LOCAL, "models", "Note", "fields", "scores", "default"
    )(
        files,
        {v: 1.5},  # type: ignore[arg-type]
    ),
    "literal value": _add(
        MODELS, ("models", "Cat", "fields"), lambda v: ("tag", {"type": f"literal['{v}']"})
    ),
    "pattern": _set(MODELS, "models", "Address", "fields", "zip", "pattern"),
    "event channel": _set(EVENTS, "events", "user_registered", "channel"),
    "event description": _set(EVENTS, "events", "user_deleted", "description"),
    "operation summary": _set(USERS, "operations", "create_user", "summary"),
    "operation description": _set(USERS, "operations", "get_user", "description"),
    "error description": _set(USERS, "operations", "create_user", "errors", 0, "description"),
    "param description": _set(USERS, "operations", "list_users", "params", 1, "description"),
    "query param default": _set(NOTES, "operations", "find_notes", "params", 0, "default"),
    "tag": _set(USERS, "config", "rest", "tags", 0),
    "prefix": lambda files, v: _set(USERS, "config", "rest", "prefix")(files, "/" + v),
    "path": lambda files, v: _set(NOTES, "operations", "count_notes", "rest", "path")(
        files, "/" + v
    ),
    "service description": _set(REGISTRY, "services", 0, "description"),
    "profile": lambda files, v: _set(REGISTRY, "services", 0, "profiles")(files, [v]),  # type: ignore[arg-type]
    "node service description": _append(
        REGISTRY, ("services",), lambda v: {"name": "fuzz_web", "type": "node", "description": v}
    ),
    "default service description": _append(
        REGISTRY, ("services",), lambda v: {"name": "fuzz_box", "type": "default", "description": v}
    ),
}

NAME_POSITIONS: dict[str, Mutation] = {
    "model": _add(MODELS, ("models",), lambda v: (v, {"fields": {"x": {"type": "string"}}})),
    "local model": _add(LOCAL, ("models",), lambda v: (v, {"fields": {"x": {"type": "string"}}})),
    "enum": _add(LOCAL, ("enums",), lambda v: (v, {"values": ["a", "b"]})),
    "variant": _add(MODELS, ("models", "Address", "variants"), lambda v: (v, {})),
    "field": _add(
        LOCAL, ("models", "Note", "fields"), lambda v: (v, {"type": "string", "optional": True})
    ),
    "inline enum field": _add(
        MODELS,
        ("models", "Address", "fields"),
        lambda v: (v, {"type": "enum", "values": ["a"], "default": "a"}),
    ),
    "query param": _append(
        NOTES,
        ("operations", "find_notes", "params"),
        lambda v: {"name": v, "type": "string", "source": "query", "required": False},
    ),
    "operation": _add(
        NOTES, ("operations",), lambda v: (v, {"rest": {"method": "GET", "path": "/fuzz"}})
    ),
    "event": _add(EVENTS, ("events",), lambda v: (v, {"message": "UserRead", "publish": True})),
    "domain": _new_domain,
    "service": _append(
        REGISTRY,
        ("services",),
        lambda v: {"name": v, "type": "python-faststream", "description": "Fuzz."},
    ),
}

# Strings of every Unicode category (surrogates included), and the payload alphabet.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(st.characters(), max_size=30),
    st.lists(st.sampled_from(PAYLOADS), min_size=2, max_size=3).map("".join),
)
HOSTILE_NAMES = st.one_of(
    st.sampled_from(RESERVED_NAMES),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
    st.text(st.characters(), min_size=1, max_size=12),
)


class _Quoted(yaml.SafeDumper):
    """Every string double-quoted, so that it reads back as the same string."""


_Quoted.add_representer(
    str, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
)


@cache
def parsed_base() -> dict[str, Spec]:
    return {path: yaml.safe_load(text) for path, text in base_files("render").items()}


@pytest.fixture(scope="module", autouse=True)
def probe_servers() -> Iterator[None]:
    reference_scaffold()
    yield
    close_probe_servers()


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _settings() -> settings:
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        database=None,
        # Each example runs the engine in several processes: report the failing example as
        # found rather than spend minutes shrinking it.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def _run(workdir: Path, mutation: Mutation, value: str, label: str) -> None:
    files = copy.deepcopy(parsed_base())
    changed = mutation(files, value)
    texts: dict[str, str | bytes] = {
        path: yaml.dump(spec, Dumper=_Quoted, sort_keys=False, allow_unicode=False, width=1 << 30)
        for path, spec in files.items()
    }
    case = Case(
        name="fuzz", description=label, outcome="safe", files=texts, own=frozenset([changed])
    )
    problems = check_case(case, new_workdir(workdir, "fuzz"))
    assert not problems, f"{label} = {value!r}:\n" + "\n".join(problems)


@_settings()
@given(position=st.sampled_from(sorted(STRING_POSITIONS)), value=HOSTILE_TEXT)
# Found by a run without CI's seed: an empty description made the docstring "backend:".
@example(position="service description", value="")
def test_hostile_strings_in_string_positions(fuzz_dir: Path, position: str, value: str) -> None:
    _run(fuzz_dir, STRING_POSITIONS[position], value, position)


@_settings()
@given(position=st.sampled_from(sorted(NAME_POSITIONS)), value=HOSTILE_NAMES)
def test_hostile_names_in_name_positions(fuzz_dir: Path, position: str, value: str) -> None:
    assume(position != "domain" or usable_file_name(value))
    _run(fuzz_dir, NAME_POSITIONS[position], value, f"{position} name")
