"""The golden record: the code generated from the example system (this repo's own specs) and
from the renderer corpus (`spec_language/` plus `render_extra/`), committed under
`tests/engine/golden/` so that every change to a template or a renderer shows up as a diff to
review. `test_golden.py` compares it with freshly generated code, byte for byte.

Refresh it after a deliberate change (and review the diff):

    ./pants run tests/engine/refresh_golden.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from specforge.frontend import load_project
from specforge.layout import service_of
from specforge.render import generate_files
from specforge.sources import iter_spec_files
from tests.engine.generated import render_repo_files

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
REPO = HERE.parents[1]


def example_specs() -> dict[str, str]:
    """The example system's spec files, as they are in this repo."""
    return {rel: (REPO / rel).read_text() for rel in iter_spec_files(str(REPO))}


def generated(files: dict[str, str]) -> dict[str, str]:
    """Everything generated from `files`: every spec a target, every service's app factory."""
    project = load_project(files)
    services = {s for s in map(service_of, files) if s is not None}
    return generate_files(project, targets=sorted(files), apps=sorted(services))


def records() -> dict[str, dict[str, str]]:
    """{record name: {path: generated source}}."""
    return {"example": generated(example_specs()), "corpus": generated(render_repo_files())}


def committed(name: str) -> dict[str, str]:
    root = GOLDEN / name
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def update() -> list[str]:
    """Write the golden record afresh; the paths that changed, were added or removed."""
    changed: list[str] = []
    for name, files in records().items():
        old = committed(name)
        for rel in sorted(set(old) - set(files)):
            (GOLDEN / name / rel).unlink()
            changed.append(f"removed {name}/{rel}")
        for rel, text in sorted(files.items()):
            if old.get(rel) != text:
                path = GOLDEN / name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                changed.append(f"{'updated' if rel in old else 'added'} {name}/{rel}")
    for directory in sorted(GOLDEN.rglob("*"), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    return changed


def main() -> int:
    changed = update()
    for line in changed:
        print(line)
    print(f"golden record: {len(changed)} file(s) changed under {GOLDEN.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
