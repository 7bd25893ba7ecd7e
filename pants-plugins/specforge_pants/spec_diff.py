"""`pants spec-diff`: what the specs of the working tree change against a git ref (by default the
merge base with main), by rule, and which consumers it breaks; exits 1 when a break reaches a
consumer and the allow-list (`spec-diff-allow.yaml`) does not accept it.

The specs at the ref are read from git (`git archive`, in memory: only regular files that are
spec files, at most 1 MiB each), the working tree's from the spec targets, and the
engine's `diff` compares them in one sandboxed process.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from typing import Dict, List, Optional

from pants.base.build_root import BuildRoot
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.console import Console
from pants.engine.fs import CreateDigest, Digest, FileContent, MergeDigests, PathGlobs
from pants.engine.goal import Goal, GoalSubsystem, Outputting
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, collect_rules, goal_rule
from pants.option.option_types import EnumOption, StrOption

from specforge import layout
from specforge.files import shown
from specforge.yamlio import MAX_DOCUMENT_BYTES
from specforge_pants.engine import EngineProcess
from specforge_pants.target_types import AllSpecTargets, SpecSourceField

BASE_DIR = "__specforge_base"


class SpecDiffSubsystem(Outputting, GoalSubsystem):
    name = "spec-diff"
    help = (
        "Compare the specs of the working tree with those at a git ref: every change by rule "
        "and level (breaking, warning, info), and the services it breaks. Exits 1 when a "
        f"breaking change reaches a consumer and `{layout.SPEC_DIFF_ALLOW_LIST}` does not allow it."
    )

    base = StrOption(
        default=None,
        help="The git ref of the old specs (default: the merge base of HEAD with main, or with "
        "origin/main).",
    )
    format = EnumOption(
        default=layout.DiffFormat.TEXT,
        help="text for people; json or junit (a test case per change) for tools and CI reports.",
    )


class SpecDiff(Goal):
    subsystem_cls = SpecDiffSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


class SpecDiffError(Exception):
    pass


def _git(root: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False, timeout=120)


def base_ref(root: str, given: Optional[str]) -> str:
    """The commit to compare with: `given`, else the merge base of HEAD with main."""
    if given:
        # Never an option of git's: a ref cannot start with '-'.
        result = None
        if not given.startswith("-"):
            result = _git(root, "rev-parse", "--verify", "--quiet", f"{given}^{{commit}}")
        if result is not None and result.returncode == 0:
            return result.stdout.decode().strip()
        raise SpecDiffError(f"spec-diff: {shown(given)} is not a commit of this repository")
    for ref in ("main", "origin/main"):
        result = _git(root, "merge-base", "HEAD", ref)
        if result.returncode == 0:
            return result.stdout.decode().strip()
    raise SpecDiffError(
        "spec-diff: no merge base of HEAD with main or origin/main; pass --spec-diff-base=<ref>"
    )


def specs_at(root: str, commit: str) -> Dict[str, bytes]:
    """{path: content} of the spec files at `commit`: regular files where specs live, none
    larger than a spec may be. Only those are read from git, and only into memory."""
    listing = _git(root, "ls-tree", "-r", "-l", "-z", commit)
    if listing.returncode != 0:
        raise SpecDiffError(f"spec-diff: cannot list {commit}: {_stderr(listing)}")
    paths: List[str] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, _, size = meta.split()
        path = raw_path.decode("utf-8", errors="surrogateescape")
        regular = kind == b"blob" and mode in (b"100644", b"100755")
        if regular and layout.is_spec_location(path) and int(size) <= MAX_DOCUMENT_BYTES:
            paths.append(path)
    if not paths:
        return {}
    archive = _git(root, "archive", "--format=tar", commit, "--", *paths)
    if archive.returncode != 0:
        raise SpecDiffError(f"spec-diff: git archive {commit} failed: {_stderr(archive)}")
    files: Dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
        for member in tar:
            data = tar.extractfile(member) if member.isfile() else None
            if data is not None and member.name in paths:
                files[member.name] = data.read()
    return files


def _stderr(result: subprocess.CompletedProcess) -> str:
    return shown(result.stderr.decode("utf-8", errors="replace").strip())


@goal_rule
async def spec_diff(
    console: Console,
    subsystem: SpecDiffSubsystem,
    all_specs: AllSpecTargets,
    build_root: BuildRoot,
) -> SpecDiff:
    try:
        commit = base_ref(build_root.path, subsystem.base)
        old = specs_at(build_root.path, commit)
    except (SpecDiffError, OSError, subprocess.SubprocessError, tarfile.TarError) as e:
        console.print_stderr(str(e))
        return SpecDiff(exit_code=1)
    head = await Get(
        SourceFiles,
        SourceFilesRequest([t[SpecSourceField] for t in all_specs if t.has_field(SpecSourceField)]),
    )
    base = await Get(
        Digest, CreateDigest([FileContent(f"{BASE_DIR}/{p}", c) for p, c in sorted(old.items())])
    )
    allow = await Get(Digest, PathGlobs([layout.SPEC_DIFF_ALLOW_LIST]))
    digest = await Get(Digest, MergeDigests([head.snapshot.digest, base, allow]))
    result = await Get(
        FallibleProcessResult,
        EngineProcess(
            ("diff", "--base", BASE_DIR, "--root", ".", "--format", subsystem.format.value),
            input_digest=digest,
            description=f"Compare the specs with {commit[:12]}",
        ),
    )
    with subsystem.output(console) as write_stdout:
        write_stdout(result.stdout.decode("utf-8", errors="replace"))
    stderr = result.stderr.decode("utf-8", errors="replace")
    if stderr:
        console.print_stderr(stderr.rstrip("\n"))
    if result.exit_code not in (0, 1):
        console.print_stderr(f"spec-diff: the engine failed (exit {result.exit_code})")
    return SpecDiff(exit_code=0 if result.exit_code == 0 else 1)


def rules():
    return collect_rules()
