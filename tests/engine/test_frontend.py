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
