"""The frontend's own mechanisms: the shallow index of the files a target only uses, the one
way to complete a frozen IR object, and error kinds."""

from __future__ import annotations

import pytest

from specforge import ir
from specforge.errors import Location, SpecError
from specforge.frontend import check_sources
from specforge.frontend.freeze import complete
from specforge.layout import inline_enum_name, variant_name
from tests.engine.cases import spec_language_files

MODELS = "shared/spec/models.yaml"
EVENTS = "shared/spec/events.yaml"
USERS = "services/backend/spec/users.yaml"


def messages(errors: list[SpecError]) -> list[str]:
    return [e.format() for e in errors]


def test_a_malformed_file_read_shallowly_loses_nothing_of_the_others() -> None:
    """A models file that the index cannot read is fully loaded, and reported where it is
    wrong; the events file next to it, indexed, still defines its events (it once cleared
    them, and a domain's events became 'unknown')."""
    files = spec_language_files()
    files[MODELS] = files[MODELS] + "  Broken: [not, a, model]\n"
    project, errors = check_sources(files, shallow=[MODELS, EVENTS])
    assert project is None
    shown = messages(errors)
    assert shown and all(m.startswith(f"{MODELS}:") for m in shown), shown
    assert not any("unknown event" in m or "duplicate name" in m for m in shown), shown


def test_shallow_files_define_their_names_without_building_fields() -> None:
    files = spec_language_files()
    full, errors = check_sources(files)
    assert full is not None and not errors
    shallow, errors = check_sources(files, shallow=[MODELS, EVENTS])
    assert shallow is not None and not errors
    names = {m.name for m in full.models}
    assert {m.name for m in shallow.models} == names
    # Variants and inline enums are named as the plugin's scanner names them (layout).
    assert variant_name("User", "Create") in names
    assert inline_enum_name("User", "role") == "UserRole"
    assert all(m.fields == () for m in shallow.models if m.origin.file == MODELS)
    assert {e.name for e in shallow.events} == {e.name for e in full.events}


def test_frozen_ir_is_completed_only_through_the_helper() -> None:
    model = ir.Model("M", ir.Origin(MODELS, ir.SHARED), Location(MODELS), None)
    complete(model, fields=(), union=(), discriminator=None)
    with pytest.raises(TypeError, match="not completed with"):
        complete(model, name="Other")
    with pytest.raises(TypeError, match="not completed with"):
        complete(ir.Enum("E", ("a",), model.origin, model.loc, None), values=())
    with pytest.raises(AttributeError):
        model.name = "Other"  # type: ignore[misc]


def test_error_kinds_are_per_status_with_every_declaring_operation() -> None:
    project, errors = check_sources(spec_language_files())
    assert project is not None and not errors
    users = next(d for d in project.domains if d.name == "users")
    kinds = ir.error_kinds(users.operations)
    assert [(k.status, k.name) for k in kinds] == sorted(
        {(e.status, e.name) for op in users.operations for e in op.errors}
    )
    for kind in kinds:
        assert kind.declared_by == tuple(
            (op.name, e.description)
            for op in users.operations
            for e in op.errors
            if e.status == kind.status
        )


def _directories(files: dict[str, str]) -> dict[str, list[str]]:
    """The spec files of each directory: what one code generation process of Pants targets."""
    groups: dict[str, list[str]] = {}
    for path in files:
        groups.setdefault(path.rsplit("/", 1)[0] if "/" in path else "", []).append(path)
    return groups


def test_code_generation_per_directory_is_the_whole_projects_code() -> None:
    """Pants generates each spec directory in a process of its own, which reads the files the
    directory only uses shallowly (names, and in full only the models its routes answer with:
    their links name fields). Each directory's files must be exactly those of one run over the
    whole project, read in full."""
    from specforge.frontend import check_targets
    from specforge.render import generate_files

    files = spec_language_files()
    full, errors = check_sources(files)
    assert full is not None and not errors, messages(errors)
    apps = [s.name for s in full.registry.services] if full.registry else []
    whole = generate_files(full, targets=list(files), apps=apps)
    covered: set[str] = set()
    directories = _directories(files)
    # A service without specs of its own still has an app (its target has no spec file).
    directories.update({f"services/{a}/spec": [] for a in apps} | directories)
    for directory, targets in directories.items():
        project, errors = check_targets(files, targets)
        assert project is not None and not errors, (directory, messages(errors))
        own = [a for a in apps if directory == f"services/{a}/spec"]
        part = generate_files(project, targets=targets, apps=own)
        assert part == {path: whole[path] for path in part}, directory
        covered |= set(part)
    assert covered == set(whole)


def test_the_models_a_route_answers_with_are_read_in_full_and_no_other() -> None:
    from specforge.frontend import check_targets

    files = spec_language_files()
    project, errors = check_targets(files, [USERS])
    assert project is not None and not errors, messages(errors)
    answers = {
        (op.output.model.variant_of or op.output.model.name)
        for d in project.domains
        if d.file == USERS
        for op in d.operations
        if op.rest is not None and isinstance(op.output, ir.ModelType)
    }
    assert answers
    built = {m.name for m in project.models if m.origin.file == MODELS and m.fields}
    bases = {m.variant_of or m.name for m in project.models if m.name in built}
    assert bases == answers


def test_a_file_read_twice_in_one_run_is_composed_once() -> None:
    from specforge.errors import Diagnostics
    from specforge.yamlio import Documents

    documents = Documents()
    text = "models:\n  A: {fields: {id: int}}\nbad: [\n"
    first, second = Diagnostics(), Diagnostics()
    assert documents.load(text, MODELS, first) is documents.load(text, MODELS, second)
    assert [e.format() for e in first.errors] == [e.format() for e in second.errors]
    assert first.errors  # the same located errors, each time it is read
    good = "models:\n  A: {fields: {id: int}}\n"
    assert documents.load(good, MODELS, Diagnostics()) is documents.load(
        good, MODELS, Diagnostics()
    )
    assert documents.load(good, EVENTS, Diagnostics()) is not documents.load(
        good, MODELS, Diagnostics()
    )
