"""The REST path grammar: what `check` lets through is what FastAPI routes, the generated client
requests and the OpenAPI document lists; and `split_path` takes such paths apart."""

from __future__ import annotations

import os
import string

import pytest
from fastapi import FastAPI, Request
from fastapi.routing import APIRouter
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from specforge.rest_paths import (
    LITERAL_CHARS,
    PathSegment,
    full_path_problem,
    path_params,
    path_problem,
    prefix_problem,
    split_path,
)

SETTINGS = settings(max_examples=60, deadline=None, derandomize="CI" in os.environ)

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in ("if", "in", "is", "or", "as", "def", "for", "and", "not", "del", "try")
)
LITERALS = st.text(alphabet=sorted(LITERAL_CHARS), min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)


@st.composite
def routes(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """A valid (prefix, path, param names) triple."""
    prefix = "".join("/" + s for s in draw(st.lists(LITERALS, max_size=3)))
    names = draw(st.lists(NAMES, max_size=3, unique=True))
    segments: list[tuple[str, str | None]] = [("{" + n + "}", n) for n in names]
    segments += [(s, None) for s in draw(st.lists(LITERALS, max_size=3))]
    order = draw(st.permutations(segments))
    path = "".join("/" + s for s, _ in order)
    if not path and not prefix:
        path = "/"
    elif not path:
        path = draw(st.sampled_from(["", "/"]))
    return prefix, path, [n for _, n in order if n is not None]


@SETTINGS
@given(routes())
def test_valid_paths_are_routed_requested_and_documented_alike(
    route: tuple[str, str, list[str]],
) -> None:
    prefix, path, names = route
    assert prefix_problem(prefix) is None
    assert path_problem(path) is None
    assert full_path_problem(prefix, path) is None
    full = (prefix + path) or "/"
    assert path_params(full) == names

    router = APIRouter(prefix=prefix)

    async def echo(request: Request) -> dict[str, str]:
        return dict(request.path_params)

    router.add_api_route(path, echo, methods=["GET"])
    app = FastAPI()
    app.include_router(router)  # FastAPI accepts the prefix and the path
    assert list(app.openapi()["paths"]) == [full]
    # What the generated client does: literal segments as they are, each param a segment.
    values = {n: f"v{i}-x" for i, n in enumerate(names)}
    url = "".join("/" + (values[s.text] if s.is_param else s.text) for s in split_path(full))
    response = TestClient(app).get(url)
    assert response.status_code == 200, (full, url)
    assert response.json() == values


@SETTINGS
@given(st.text(alphabet=string.printable + "{}é\x00", max_size=30))
def test_any_text_is_valid_or_a_message_and_valid_paths_split_back(text: str) -> None:
    problem = path_problem(text)
    if problem is None:
        rebuilt = "".join(
            "/" + ("{" + s.text + "}" if s.is_param else s.text) for s in split_path(text)
        )
        assert rebuilt == text
    else:
        assert "\n" not in problem and "\x00" not in problem


def test_split_path() -> None:
    assert split_path("/users/{user_id}/posts") == (
        PathSegment("users"),
        PathSegment("user_id", is_param=True),
        PathSegment("posts"),
    )
    assert split_path("/") == (PathSegment(""),)
    assert split_path("/users/") == (PathSegment("users"), PathSegment(""))
    assert split_path("") == ()
    with pytest.raises(ValueError):
        split_path("users")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/{", "unmatched '{'"),
        ("/a}", "unmatched '}'"),
        ("/{a}{b}", "is not a path parameter"),
        ("/}{", "is not a path parameter"),
        ("/{__import__('os').system('x') or {user_id}}", "is not a path parameter"),
        ("/{id}.json", "must be a whole segment"),
        ("/x{id}", "must be a whole segment"),
        ("/{a b}", "not a valid parameter name"),
        ("/{}", "not a valid parameter name"),
        ("/a b", "a space is not allowed"),
        ("/a%2F", "'%' is not allowed"),
        ("/a\nb", "U+000A is not allowed"),
        ("/ü", "'ü' is not allowed"),
        ('/a"b', "'\"' is not allowed"),
        ("/a\\b", "'\\' is not allowed"),
        ("/a?b", "'?' is not allowed"),
        ("/a#b", "'#' is not allowed"),
        ("/.", "'.' is not allowed as a path segment"),
        ("/a/../b", "'..' is not allowed as a path segment"),
        ("/a//b", "empty segment"),
        ("//", "must not end with '/'"),
        ("/a/", "must not end with '/'"),
        ("a", "must be empty or start with '/'"),
    ],
)
def test_every_violation_is_named(path: str, words: str) -> None:
    problem = path_problem(path)
    assert problem is not None and words in problem, problem


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("/", "leave the prefix out"),
        ("users", "must start with '/'"),
        ("/users/", "not end with '/'"),
        ("/users/{id}", "cannot hold path parameters"),
        ("/a}", "cannot hold path parameters"),
        ("/a b", "a space is not allowed in a prefix"),
        ("/a/..", "'..' is not allowed as a prefix segment"),
        ("/a//b", "empty segment"),
    ],
)
def test_every_prefix_violation_is_named(prefix: str, words: str) -> None:
    problem = prefix_problem(prefix)
    assert problem is not None and words in problem, problem


def test_an_empty_route_needs_a_prefix() -> None:
    assert full_path_problem("", "") is not None
    assert full_path_problem("/users", "") is None
    assert full_path_problem("", "/") is None
