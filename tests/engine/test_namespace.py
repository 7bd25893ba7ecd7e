"""Spec names that Python, pydantic or the generated code reserve: fields, params and enum
members are renamed in Python and keep their spelling on the wire (JSON, JSON Schema, OpenAPI,
query strings); strings with quotes, backslashes and braces round-trip exactly."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from specforge.namespace import enum_member_py_names, field_py_names, param_py_names
from tests.engine.fakes import oddities_controller
from tests.engine.generated import load

ODD_WIRE = {
    "class": "c",
    "_secret": "s",
    "int": 5,
    "count": 2,
    "schema": "a",
    "schema_": "b",
    "model_config": "m",
    "list": ["x"],
    "Address": {"city": "Paris", "zip": "75001"},
    "sort": "mro",
    "mro": 1,
    "register": 2,
    "model_dump": 3,
}


def test_renaming_rules() -> None:
    assert field_py_names(["class", "_secret", "schema", "schema_", "id", "type"], ()) == [
        "class_",
        "secret",
        "schema__",
        "schema_",
        "id",
        "type",
    ]
    # A field named like a type the model refers to would shadow it in the class body.
    assert field_py_names(["Address", "int", "model_x"], ("Address",)) == [
        "Address_",
        "int_",
        "model_x_",
    ]
    assert param_py_names(["str", "controller", "_x", "x", "Query", "publish_a", "id"]) == [
        "str_",
        "controller_",
        "x_",
        "x",
        "Query_",
        "publish_a_",
        "id",
    ]
    # Without its underscores, `_6th` would start with a digit (found by the hostile fuzzer).
    assert field_py_names(["_6th", "__", "field__6th"], ()) == ["field_6th", "field", "field__6th"]
    assert param_py_names(["_1", "param_1"]) == ["param_1_", "param_1"]
    assert enum_member_py_names(["_9"]) == ["member_9"]
    # Without its underscores, a name is renamed like a spec name spelled that way (found by an
    # adversarial review: `_model_config` became `model_config`, overriding the model's config;
    # `_publish_x` hid the publisher; `_Item` shadowed the model in a client method).
    assert field_py_names(["_model_config", "_model_dump", "model_x"], ()) == [
        "model_config_",
        "model_dump_",
        "model_x_",
    ]
    assert param_py_names(["_publish_item_made", "_Item", "_Path", "Item_"]) == [
        "publish_item_made_",
        "Item_",
        "Path_",
        "Item__",  # a capital name is renamed too, and `Item_` is taken by then
    ]


@pytest.mark.filterwarnings("error")  # pydantic warns of fields that shadow its attributes
def test_fields_keep_their_wire_names(generated: Path) -> None:
    import importlib

    local = importlib.reload(load("backend.generated.schemas"))
    odd = local.Odd.model_validate(ODD_WIRE)
    assert odd.class_ == "c" and odd.secret == "s" and odd.int_ == 5 and odd.schema__ == "a"
    assert odd.schema_ == "b" and odd.model_config_ == "m" and odd.list_ == ["x"]
    assert (odd.mro_, odd.register_, odd.model_dump_) == (1, 2, 3)
    assert odd.Address_.city == "Paris" and odd.sort is local.Sort.mro_
    assert odd.model_dump(mode="json") == ODD_WIRE  # by alias, without asking
    assert local.Odd.model_validate_json(odd.model_dump_json()) == odd
    assert set(local.Odd.model_json_schema()["properties"]) == set(ODD_WIRE)
    # Python names are accepted too, for controllers that build models.
    assert local.Odd(class_="c").int_ == 3
    assert (
        local.Odd.__doc__
        == 'Wire names that Python reserves: """quotes""", a \\ backslash, {braces}.'
    )


def test_enum_members_keep_their_values(generated: Path) -> None:
    sort = load("backend.generated.schemas").Sort
    assert [m.value for m in sort] == [
        "name",
        "value",
        "upper",
        "class",
        "_private",
        "mro",
        "count",
    ]
    assert sort("upper") is sort.upper_ and sort("_private") is sort.private
    # The members do not shadow the methods of str.
    assert sort.name_.upper() == "NAME" and sort.count_.count("o") == 1


def test_union_discriminator_by_wire_name(generated: Path) -> None:
    local = load("backend.generated.schemas")
    shape = local.Shape.model_validate({"class": "circle", "radius": 2})
    assert isinstance(shape.root, local.Circle) and shape.root.radius == 2
    assert shape.model_dump() == {"class": "circle", "radius": 2.0}


@pytest.fixture
def odd_app(generated: Path) -> Iterator[tuple[Any, Any]]:
    from fastapi import FastAPI

    router = load("backend.generated.oddities.router")
    controller = oddities_controller()
    app = FastAPI()
    app.include_router(router.create_router(controller))
    yield app, controller


def test_params_keep_their_wire_names(odd_app: tuple[Any, Any]) -> None:
    app, controller = odd_app
    client = TestClient(app)
    query = {
        "controller": "2",
        "self": "me",
        "payload": "true",
        "Query": "mro",
        "publish_user_registered": "p",
        "_private": "7",
        "class": "k",
    }
    answer = client.get("/oddities/abc", params=query)
    assert answer.status_code == 200, answer.text
    assert answer.json()["class"] == "abc" and answer.json()["_secret"] == "me"
    assert controller.calls == [
        {
            "str": "abc",
            "controller_": 2,
            "self_": "me",
            "payload_": True,
            "Query_": load("backend.generated.schemas").Sort.mro_,
            "publish_user_registered_": "p",
            "private": 7,
            "class_": "k",
            # Defaults the server fills in, typed.
            "since": dt.date(2024, 1, 2),
            "at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "ref": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "amount": decimal.Decimal("1.50"),
        }
    ]
    missing = client.get("/oddities/none", params={"_private": "1"})
    assert missing.status_code == 404 and missing.json() == {"detail": 'no "odd" thing \\'}
    assert client.get("/oddities/abc").status_code == 422  # _private is required


def test_openapi_carries_the_spec_strings_exactly(odd_app: tuple[Any, Any]) -> None:
    app, _ = odd_app
    operation = app.openapi()["paths"]["/oddities/{str}"]["get"]
    assert operation["summary"] == 'Find with "quotes", a \\ backslash and {braces} in the summary.'
    assert operation["description"] == 'Line one.\nLine two: """ and } and {{ x }} stay text.'
    assert operation["tags"] == ['odd "tag"']
    assert operation["responses"]["404"]["description"] == 'no "odd" thing \\'
    names = [(p["name"], p["in"]) for p in operation["parameters"]]
    assert names == [
        ("str", "path"),
        ("controller", "query"),
        ("self", "query"),
        ("payload", "query"),
        ("Query", "query"),
        ("publish_user_registered", "query"),
        ("_private", "query"),
        ("class", "query"),
        ("since", "query"),
        ("at", "query"),
        ("ref", "query"),
        ("amount", "query"),
    ]
    described = {p["name"]: p.get("description") for p in operation["parameters"]}
    assert described["_private"] == "x = y" and described["class"] == " = trouble"


async def test_client_sends_wire_names(odd_app: tuple[Any, Any]) -> None:
    app, controller = odd_app
    clients = load("tg_bot.generated.clients")
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport) as http:
        backend = clients.BackendClient("http://backend", client=http)
        odd = await backend.find_odd("a b?&", controller_=4, self_="s", private=1)
        assert odd.class_ == "a b?&" and odd.int_ == 4 and odd.secret == "s"
        shape = await backend.shape_of(odd)
        assert shape.root.radius == 4
        with pytest.raises(clients.BackendNotFound):
            await backend.find_odd("none", private=1)
    assert controller.calls[0]["str"] == "a b?&" and controller.calls[0]["payload_"] is False
