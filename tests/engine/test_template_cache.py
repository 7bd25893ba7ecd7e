"""The template bytecode cache is loaded by unpickling its files, so it is used only from a
private, verified per-user directory, and only files that nobody else could have written."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
from jinja2.bccache import bc_magic

from specforge.private import open_private_directory
from specforge.render import common
from specforge.render.template_cache import (
    PrivateBytecodeCache,
    cache_home,
    private_bytecode_cache,
)

TEMPLATE = "t.j2"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
NOBODY = 65534


class Payload:
    """Unpickling this creates `marker`: what an attacker's cache file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def environment(cache: jinja2.BytecodeCache | None) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.DictLoader({TEMPLATE: "hello {{ name }}"}), bytecode_cache=cache
    )


def cache_file(directory: Path) -> Path:
    key = jinja2.BytecodeCache().get_cache_key(TEMPLATE)
    return directory / f"{key}.cache"


def plant(path: Path, marker: Path, mode: int = 0o600) -> None:
    path.write_bytes(bc_magic + pickle.dumps(Payload(marker)))
    path.chmod(mode)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def templates(home: Path) -> Path:
    return home / "specforge" / "templates"


def cache_in(home: Path) -> PrivateBytecodeCache:
    cache = private_bytecode_cache({"XDG_CACHE_HOME": str(home)})
    assert cache is not None
    return cache


def test_the_cache_directory_is_per_user_and_never_guessed() -> None:
    assert cache_home({"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}) == Path("/x/cache")
    assert cache_home({"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}) == Path("/home/u/.cache")
    assert cache_home({"HOME": "/home/u"}) == Path("/home/u/.cache")
    assert cache_home({"HOME": ""}) is None
    assert cache_home({}) is None  # e.g. in a Pants sandbox without XDG_CACHE_HOME


def test_the_engine_uses_no_shared_temp_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)
    assert common.bytecode_cache() is None
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert isinstance(common.bytecode_cache(), PrivateBytecodeCache)
    assert (tmp_path / "cache/specforge/templates").is_dir()


def test_compiled_templates_are_cached_privately(home: Path, templates: Path) -> None:
    assert environment(cache_in(home)).get_template(TEMPLATE).render(name="a") == "hello a"
    assert templates.stat().st_mode & 0o777 == 0o700
    assert (templates.parent).stat().st_mode & 0o777 == 0o700
    assert [p.name for p in templates.iterdir()] == [cache_file(templates).name]
    assert cache_file(templates).stat().st_mode & 0o777 == 0o600
    # A second process loads it (and renders the same).
    assert environment(cache_in(home)).get_template(TEMPLATE).render(name="b") == "hello b"


def test_a_cache_file_of_the_user_is_loaded(home: Path, templates: Path, tmp_path: Path) -> None:
    # The control for the tests below: such a file is really unpickled.
    cache = cache_in(home)
    plant(cache_file(templates), tmp_path / "marker")
    assert environment(cache).get_template(TEMPLATE).render(name="a") == "hello a"
    assert (tmp_path / "marker").exists()


def test_a_cache_file_others_can_write_is_not_loaded(
    home: Path, templates: Path, tmp_path: Path
) -> None:
    cache = cache_in(home)
    for mode in (0o620, 0o602, 0o666):
        plant(cache_file(templates), tmp_path / "marker", mode)
        assert environment(cache).get_template(TEMPLATE).render(name="a") == "hello a"
        assert not (tmp_path / "marker").exists()


def test_a_linked_cache_file_is_not_loaded(home: Path, templates: Path, tmp_path: Path) -> None:
    cache = cache_in(home)
    plant(tmp_path / "elsewhere.cache", tmp_path / "marker")
    cache_file(templates).symlink_to(tmp_path / "elsewhere.cache")
    assert environment(cache).get_template(TEMPLATE).render(name="a") == "hello a"
    assert not (tmp_path / "marker").exists()


@as_root
def test_a_cache_file_of_another_user_is_not_loaded(
    home: Path, templates: Path, tmp_path: Path
) -> None:
    cache = cache_in(home)
    plant(cache_file(templates), tmp_path / "marker")
    os.chown(cache_file(templates), NOBODY, NOBODY)
    assert environment(cache).get_template(TEMPLATE).render(name="a") == "hello a"
    assert not (tmp_path / "marker").exists()


def test_a_directory_others_can_use_is_not_used(templates: Path, home: Path) -> None:
    templates.mkdir(parents=True)
    for mode in (0o750, 0o705, 0o770, 0o777, 0o1777):
        templates.chmod(mode)
        assert private_bytecode_cache({"XDG_CACHE_HOME": str(home)}) is None
    templates.chmod(0o700)
    assert private_bytecode_cache({"XDG_CACHE_HOME": str(home)}) is not None


def test_a_linked_directory_is_not_used(templates: Path, home: Path, tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    templates.parent.mkdir(parents=True)
    templates.symlink_to(private)
    assert private_bytecode_cache({"XDG_CACHE_HOME": str(home)}) is None
    # The directories above it are the user's to arrange (Pants links its named caches in).
    (home / "specforge").rename(tmp_path / "real")
    (home / "specforge").symlink_to(tmp_path / "real")
    (tmp_path / "real/templates").unlink()
    assert private_bytecode_cache({"XDG_CACHE_HOME": str(home)}) is not None
    assert (tmp_path / "real/templates").is_dir()


@as_root
def test_a_directory_of_another_user_is_not_used(templates: Path, home: Path) -> None:
    templates.mkdir(parents=True, mode=0o700)
    os.chown(templates, NOBODY, NOBODY)
    assert open_private_directory(templates) is None
    assert private_bytecode_cache({"XDG_CACHE_HOME": str(home)}) is None


def test_an_unusable_cache_directory_means_no_cache(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert private_bytecode_cache({"XDG_CACHE_HOME": str(tmp_path / "file")}) is None


def test_a_cache_that_cannot_be_written_is_a_miss_not_an_error(
    home: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = cache_in(home)

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert environment(cache).get_template(TEMPLATE).render(name="a") == "hello a"
    assert list(templates.iterdir()) == []  # the temp file is gone too
