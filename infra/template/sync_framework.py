#!/usr/bin/env python3
"""Copies the framework's files from one version of the template (a checkout of this repo) into a
product repo made from it, replacing what was there. Run by copier's task on `copier copy` and
`copier update` (see copier.yml), so a product gets the framework of exactly the version it
asked for.

    sync_framework.py TEMPLATE_ROOT PRODUCT_ROOT

The framework is a fixed list of files and directories. A framework directory is mirrored: a
file the new version no longer has is removed. Nothing else of the product is read or written
(its specs, services, tests, README). Each file is written to a temporary file beside it and
renamed into place; a path that goes through a symbolic link is refused, in the template and
in the product.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

FRAMEWORK_FILES = (
    "pants",
    "pants.toml",
    "pants.remote-cache.toml",
    "pyproject.toml",
    ".gitignore",
    ".ci/run",
)
FRAMEWORK_DIRS = (
    "3rdparty",
    "pants-plugins",
    "docs",
    "infra/docker",
    "infra/remote-cache",
    "shared/schemas",
)
SKIPPED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


class SyncError(Exception):
    pass


def no_links(root: Path, rel: str) -> Path:
    """`root / rel`, refusing any component below `root` that is a symbolic link."""
    path = root
    for part in Path(rel).parts:
        path = path / part
        if path.is_symlink():
            raise SyncError(f"{path} is a symbolic link; refusing to go through it")
    return path


def source_files(template: Path, directory: str) -> list[str]:
    base = no_links(template, directory)
    if not base.is_dir():
        raise SyncError(f"the template has no {directory}/")
    out = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(template)
        if SKIPPED_PARTS & set(rel.parts) or path.suffix == ".pyc":
            continue
        if path.is_symlink():
            raise SyncError(f"{path} is a symbolic link; refusing to copy it")
        if path.is_file():
            out.append(rel.as_posix())
    return out


def write(product: Path, rel: str, data: bytes, mode: int) -> bool:
    """Writes `data` at `product/rel` atomically; False when it was already there."""
    target = no_links(product, rel)
    if target.is_file() and target.read_bytes() == data and target.stat().st_mode & 0o777 == mode:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    no_links(product, rel)  # a link created under us is still refused
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def sync(template: Path, product: Path) -> tuple[int, int]:
    """(files written, files removed)."""
    wanted = list(FRAMEWORK_FILES)
    for directory in FRAMEWORK_DIRS:
        wanted += source_files(template, directory)
    written = 0
    for rel in wanted:
        source = no_links(template, rel)
        if not source.is_file():
            raise SyncError(f"the template has no {rel}")
        mode = stat.S_IMODE(source.stat().st_mode) & 0o755 | 0o644
        written += write(product, rel, source.read_bytes(), mode)
    keep = set(wanted)
    removed = 0
    for directory in FRAMEWORK_DIRS:
        base = no_links(product, directory)
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*"), reverse=True):
            rel = path.relative_to(product).as_posix()
            if path.is_file() and not path.is_symlink() and rel not in keep:
                if SKIPPED_PARTS & set(Path(rel).parts):
                    continue
                path.unlink()
                removed += 1
    return written, removed


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: sync_framework.py TEMPLATE_ROOT PRODUCT_ROOT", file=sys.stderr)
        return 2
    template, product = Path(argv[1]).resolve(), Path(argv[2]).resolve()
    try:
        written, removed = sync(template, product)
    except (SyncError, OSError) as e:
        print(f"sync_framework: {e}", file=sys.stderr)
        return 1
    print(f"framework: {written} files written, {removed} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
