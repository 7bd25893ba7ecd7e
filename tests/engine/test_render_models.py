"""Generated Pydantic models: imported and used."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from pathlib import Path

import pytest
from pydantic import AnyUrl, ValidationError

from tests.engine.generated import load

NOW = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


def test_models_validate_and_reject(generated: Path) -> None:
    s = load("shared.generated.schemas")
    user = s.UserRead(
        id=1,
        email="ada@example.com",
        name="Ada",
        score="12.50",
        external_id="12345678-1234-5678-1234-567812345678",
        created_at="2024-05-01T12:00:00+02:00",
    )
    assert user.role is s.Role.member and user.tags == [] and user.age is None
    assert user.score == decimal.Decimal("12.50") and isinstance(user.external_id, uuid.UUID)
    assert user.created_at.utcoffset() == dt.timedelta(hours=2)
    bad = {
        "email": "not-an-email",
        "name": "",
        "age": 151,
        "score": -1,
        "role": "owner",
        "created_at": "2024-05-01T12:00:00",  # naive: datetimes are timezone-aware
    }
    with pytest.raises(ValidationError) as exc:
        s.UserRead(id=1, external_id=uuid.uuid4(), **bad)
    assert {e["loc"][0] for e in exc.value.errors()} == set(bad)
    address = s.Address(city="Paris", zip="75001")
    with pytest.raises(ValidationError, match="pattern"):
        s.Address(city="Paris", zip="7500")
    assert address.model_dump() == {"city": "Paris", "zip": "75001"}


def test_variants(generated: Path) -> None:
    s = load("shared.generated.schemas")
    assert "id" not in s.UserCreate.model_fields and "created_at" not in s.UserCreate.model_fields
    assert set(s.UserUpdate.model_fields) == set(s.UserCreate.model_fields)
    update = s.UserUpdate(score=1, external_id=uuid.uuid4())
    assert update.email is None and update.name is None and update.role is None
    assert "attributes" not in s.UserSummary.model_fields
    assert s.UserRead.model_fields["created_at"].is_required()


def test_discriminated_union(generated: Path) -> None:
    s = load("shared.generated.schemas")
    pet = s.Pet.model_validate({"kind": "dog", "good": True})
    assert isinstance(pet.root, s.Dog)
    assert isinstance(s.Pet.model_validate({"kind": "cat", "lives": 9}).root, s.Cat)
    with pytest.raises(ValidationError, match="kind"):
        s.Pet.model_validate({"kind": "fish"})
    schema = s.Pet.model_json_schema()
    assert schema["discriminator"]["propertyName"] == "kind"


def test_service_local_models_defaults_and_descriptions(generated: Path) -> None:
    local = load("backend.generated.schemas")
    shared = load("shared.generated.schemas")
    note = local.Note(text="hi")
    assert note.at == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert note.amount == decimal.Decimal("1.50")
    assert note.ref == uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert note.day == dt.date(2024, 2, 29)
    assert note.status is local.NoteStatus.open and note.scores == {"a": 1.5}
    assert note.home == AnyUrl("https://example.com/notes")  # an AnyUrl, as validated ones are
    offset = note.due.utcoffset()
    assert offset == dt.timedelta(seconds=3630, microseconds=500000)  # to the microsecond
    assert note.json_ is None  # `json` would shadow BaseModel.json: renamed, aliased
    assert local.Note.model_validate({"text": "x", "json": "y"}).json_ == "y"
    assert local.Note(text="x", json="y").model_dump(by_alias=True)["json"] == "y"
    assert local.Note.model_fields["json_"].deprecated
    assert local.Note.model_fields["text"].description == "What the note says."
    assert local.Note.__doc__ == 'A note with "quotes" and a \\ backslash.'
    where = local.Note(text="x", where={"city": "Oslo", "zip": "01234"}).where
    assert isinstance(where, shared.Address)
    with pytest.raises(ValidationError):
        local.Note(text="x", amount="-1")
    pets = local.Note(text="x", pets=[{"kind": "cat", "lives": 3}]).pets
    assert isinstance(pets[0].root, shared.Cat)


def test_the_model_policy(generated: Path) -> None:
    """Every model: by wire name or Python name in, by wire name out, unknown fields ignored
    (a producer may add an optional field without breaking older consumers)."""
    local = load("backend.generated.schemas")
    by_wire = local.Odd.model_validate({"class": "c", "int": 4, "added_later": [1]})
    by_name = local.Odd.model_validate({"class_": "c", "int_": 4})
    assert by_wire == by_name
    assert by_wire.model_dump(exclude_unset=True) == {"class": "c", "int": 4}
    assert "added_later" not in by_wire.model_dump() and by_wire.model_extra is None
