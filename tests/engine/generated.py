"""Generate code from a spec repo into a directory and import it, for the renderer tests."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import specforge_runtime
from specforge.frontend import load_project
from specforge.layout import service_root
from specforge.render import generate_files, write_tree
from tests.engine.cases import HERE, spec_language_files

RENDER_EXTRA = HERE / "render_extra"
SERVICES = ("backend", "tg_bot")
# Where the runtime library that generated code imports (`specforge_runtime`) is importable from.
RUNTIME_ROOT = str(Path(specforge_runtime.__file__).resolve().parents[1])
GENERATED_PACKAGES = ("shared", *SERVICES)


def render_repo_files() -> dict[str, str]:
    """The spec-language examples plus `render_extra/`: every construct the renderers know."""
    extra = {
        p.relative_to(RENDER_EXTRA).as_posix(): p.read_text()
        for p in sorted(RENDER_EXTRA.rglob("*"))
        if p.is_file()
    }
    return {**spec_language_files(), **extra}


def generate(
    out: Path, files: dict[str, str] | None = None, broker: str = "redis"
) -> dict[str, str]:
    files = files if files is not None else render_repo_files()
    project = load_project(files)
    generated = generate_files(project, targets=list(files), apps=SERVICES, broker=broker)
    write_tree(out, generated)
    return generated


def import_roots(out: Path) -> list[str]:
    return [str(out), *(str(out / service_root(s)) for s in SERVICES), RUNTIME_ROOT]


@contextmanager
def importable(out: Path) -> Iterator[None]:
    """Make the generated tree under `out` importable; forget it afterwards."""

    def forget() -> None:
        for name in list(sys.modules):
            if name.split(".")[0] in GENERATED_PACKAGES:
                del sys.modules[name]

    forget()
    roots = import_roots(out)
    sys.path[:0] = roots
    importlib.invalidate_caches()
    try:
        yield
    finally:
        for root in roots:
            sys.path.remove(root)
        forget()


def load(module: str) -> ModuleType:
    return importlib.import_module(module)
