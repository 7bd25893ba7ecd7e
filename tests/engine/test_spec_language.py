"""The examples of the spec-language contract load cleanly, and into the right IR."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pytest

from specforge import ir
from specforge.cli import main
from specforge.frontend import load_project
from tests.engine.cases import SPEC_LANGUAGE, spec_language_files


@pytest.fixture(scope="module")
def project() -> ir.Project:
    return load_project(spec_language_files())


def test_check_accepts_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--root", str(SPEC_LANGUAGE)]) == 0
    assert capsys.readouterr().out == ""


def test_check_discovers_every_spec_of_the_repo() -> None:
    from specforge.sources import iter_spec_files

    assert list(iter_spec_files(str(SPEC_LANGUAGE))) == [
        "services.yml",
        "services/backend/spec/users.yaml",
        "services/tg_bot/spec/manifest.yaml",
        "services/tg_bot/spec/weather.openapi.yaml",
        "shared/spec/events.yaml",
        "shared/spec/models.yaml",
    ]


def test_models_variants_and_union(project: ir.Project) -> None:
    names = [m.name for m in project.models]
    assert names == [
        "Address",
        "User",
        "UserCreate",
        "UserUpdate",
        "UserRead",
        "UserSummary",
        "UserDeleted",
        "Pet",
        "Cat",
        "Dog",
    ]
    user = project.model("User")
    assert user is not None and user.description == "A registered user."
    fields = {f.name: f for f in user.fields}
    assert fields["id"].readonly and fields["id"].required
    assert fields["email"].constraints == ir.Constraints(format="email", max_length=254)
    assert fields["age"].constraints == ir.Constraints(ge=0, le=150)
    assert not fields["age"].required and fields["age"].nullable and fields["age"].default is None
    role = fields["role"]
    assert isinstance(role.type, ir.EnumType) and role.type.enum.values == (
        "admin",
        "member",
        "guest",
    )
    assert role.default == ir.EnumValue(role.type.enum, "member") and not role.required
    assert fields["tags"].default == () and fields["tags"].type == ir.ListType(
        ir.ScalarType(ir.ScalarKind.STRING)
    )
    assert fields["attributes"].type == ir.DictType(ir.ScalarType(ir.ScalarKind.STRING))
    address = fields["address"].type
    assert isinstance(address, ir.ModelType) and address.model is project.model("Address")
    assert fields["score"].type == ir.ScalarType(ir.ScalarKind.DECIMAL)
    assert fields["created_at"].type == ir.ScalarType(ir.ScalarKind.DATETIME)

    def field_names(name: str) -> list[str]:
        model = project.model(name)
        assert model is not None
        return [f.name for f in model.fields]

    every = list(fields)
    writable = [n for n in every if n not in ("id", "created_at")]
    assert field_names("UserCreate") == writable
    assert field_names("UserUpdate") == writable
    assert field_names("UserRead") == every
    assert field_names("UserSummary") == [n for n in every if n not in ("attributes", "address")]
    update = project.model("UserUpdate")
    assert update is not None and update.variant_of == "User" and update.variant == "Update"
    for name in ("email", "name", "role"):
        f = update.field(name)
        assert f is not None and not f.required and f.default is None
    score = update.field("score")
    assert score is not None and score.required

    pet = project.model("Pet")
    assert pet is not None and pet.is_union and pet.discriminator == "kind"
    assert [m.name for m in pet.union] == ["Cat", "Dog"]
    cat = project.model("Cat")
    assert cat is not None and cat.fields[0].type == ir.LiteralType("cat")


def test_events(project: ir.Project) -> None:
    registered, deleted = project.events
    assert registered.name == "user_registered" and registered.channel == "users.registered"
    assert registered.message is project.model("UserRead")
    assert registered.publish and registered.subscribe
    assert deleted.channel == "user_deleted" and deleted.publish and not deleted.subscribe


def test_domain(project: ir.Project) -> None:
    (domain,) = project.domains
    assert (domain.name, domain.service, domain.prefix, domain.tags) == (
        "users",
        "backend",
        "/users",
        ("users",),
    )
    ops = {op.name: op for op in domain.operations}
    assert list(ops) == [
        "create_user",
        "list_users",
        "get_user",
        "update_user",
        "delete_user",
        "on_user_registered",
    ]
    create = ops["create_user"]
    assert create.rest == ir.Rest("POST", "", 201, "/users")
    assert create.input is project.model("UserCreate")
    assert create.errors[0].status == 409 and create.errors[0].name == "Conflict"
    assert create.publish_on_success is project.event("user_registered")
    role, limit, offset = ops["list_users"].params
    assert role.source is ir.ParamSource.QUERY and not role.required and role.default is None
    assert (limit.default, limit.constraints) == (50, ir.Constraints(ge=1, le=500))
    assert offset.default == 0
    get = ops["get_user"]
    assert get.rest == ir.Rest("GET", "/{user_id}", 200, "/users/{user_id}")
    assert get.path_params[0].name == "user_id" and get.path_params[0].required
    assert ops["update_user"].rest == ir.Rest("PATCH", "/{user_id}", 200, "/users/{user_id}")
    assert ops["delete_user"].rest == ir.Rest("DELETE", "/{user_id}", 204, "/users/{user_id}")
    handler = ops["on_user_registered"]
    assert handler.rest is None and handler.subscribe is project.event("user_registered")


def test_manifest_and_registry(project: ir.Project) -> None:
    (manifest,) = project.manifests
    assert manifest.service == "tg_bot" and manifest.producers() == ("backend", "weather")
    consumed, weather = manifest.consumes
    (forecast,) = weather.operations
    assert forecast.rest == ir.Rest("GET", "/forecasts/{city}", 200, "/forecasts/{city}")
    assert [(p.name, p.source.value, p.required) for p in forecast.params] == [
        ("city", "path", True),
        ("days", "query", False),
    ]
    assert isinstance(forecast.output, ir.ModelType)
    assert forecast.output.model.origin.scope == "external:tg_bot:weather"
    assert [(e.status, e.description) for e in forecast.errors] == [(404, "Unknown city.")]
    assert [op.name for op in consumed.operations] == ["create_user", "get_user", "list_users"]
    assert consumed.domain is project.domains[0]
    assert project.registry is not None
    backend, notifications, tg_bot = project.registry.services
    assert backend.type is ir.ServiceType.FASTAPI
    assert backend.depends_on == (("redis", "service_healthy"),)
    assert notifications.type is ir.ServiceType.FASTSTREAM and notifications.profiles == ()
    assert tg_bot.name == "tg_bot"


def test_typed_defaults_of_every_scalar() -> None:
    models = """\
models:
  Sample:
    fields:
      a: {type: decimal, default: "1.50"}
      b: {type: date, default: "2024-02-29"}
      c: {type: datetime, default: "2024-02-29T10:00:00+02:00"}
      d: {type: uuid, default: "12345678-1234-5678-1234-567812345678"}
      e: {type: float, default: 1}
      f: {type: "dict[string, list[int]]", default: {x: [1, 2]}}
      g: {type: bool, default: yes}
      h: {type: bytes, default: abc}
      i: {type: "literal[7]", default: 7}
"""
    # YAML 1.2: `yes` is a string, so it does not fit a bool.
    from specforge.frontend import check_sources

    _, errors = check_sources({"shared/spec/models.yaml": models})
    assert [e.path for e in errors] == ["models.Sample.fields.g.default"]
    project = load_project({"shared/spec/models.yaml": models.replace("yes", "true")})
    sample = project.model("Sample")
    assert sample is not None
    values = {f.name: f.default for f in sample.fields}
    assert values["a"] == decimal.Decimal("1.50")
    assert values["b"] == dt.date(2024, 2, 29)
    assert values["c"] == dt.datetime(2024, 2, 29, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert str(values["d"]) == "12345678-1234-5678-1234-567812345678"
    assert values["e"] == 1.0 and isinstance(values["e"], float)
    assert values["f"] == ir.DefaultMapping((("x", (1, 2)),))
    assert values["g"] is True and values["h"] == b"abc" and values["i"] == 7


def test_service_local_models_are_visible_to_their_service_only(tmp_path: Path) -> None:
    from specforge.frontend import check_sources

    files = {
        "shared/spec/models.yaml": "models:\n  Shared:\n    fields: {id: {type: int}}\n",
        "services/a/spec/models.yaml": (
            "models:\n  Local:\n    fields:\n      s: {type: Shared}\n"
        ),
        "services/a/spec/things.yaml": (
            "domain: things\noperations:\n  get:\n    output: Local\n"
            "    rest: {method: GET, path: /local}\n"
        ),
        "services/b/spec/things.yaml": (
            "domain: things\noperations:\n  get:\n    output: Local\n"
            "    rest: {method: GET, path: /local}\n"
        ),
    }
    _, errors = check_sources(files)
    assert [e.format() for e in errors] == [
        "services/b/spec/things.yaml:4:13: error: unknown type 'Local'; expected a scalar "
        "(int, float, bool, string, decimal, date, datetime, uuid, bytes), list[...], "
        "dict[string, ...], literal[...], or a model or enum name [operations.get.output]"
    ]


def test_recursive_models_point_at_themselves() -> None:
    project = load_project(
        {
            "shared/spec/models.yaml": (
                'models:\n  Node:\n    fields:\n      children: {type: "list[Node]"}\n'
            )
        }
    )
    node = project.model("Node")
    assert node is not None
    children = node.fields[0].type
    assert isinstance(children, ir.ListType) and isinstance(children.item, ir.ModelType)
    assert children.item.model is node
    assert repr(node) == "Model('Node')"


def test_checking_some_files_uses_the_rest_of_the_repo_as_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for rel, text in spec_language_files().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    domain = "services/backend/spec/users.yaml"
    assert main(["check", "--root", str(tmp_path), domain]) == 0
    # An error of a file that was not asked about is not reported...
    (tmp_path / "services.yml").write_text("services: 3\n")
    assert main(["check", "--root", str(tmp_path), domain]) == 0
    # ...and one of a given file is, even when it is about a definition elsewhere.
    (tmp_path / domain).write_text(
        (tmp_path / domain).read_text().replace("UserCreate", "UserMake")
    )
    assert main(["check", "--root", str(tmp_path), domain]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{domain}:10:12: error: unknown model 'UserMake'")
