"""`pants sync-services`: keep `services/`, `infra/compose.yml` and `infra/k8s/services.yaml` in
step with `services.yml`.

For every registered service, create the files of its type's scaffold that are missing (all of
them for a new service, also when its `spec/` was written first); for every domain spec of a
Python service without a controller, create a stub controller; regenerate the managed blocks of
`infra/compose.yml` and `infra/k8s/services.yaml`. Existing files are never overwritten. `--check` writes nothing and exits 1
when something is missing or stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

from pants.base.build_root import BuildRoot
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.console import Console
from pants.engine.fs import (
    Digest,
    DigestContents,
    GlobMatchErrorBehavior,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
)
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, collect_rules, goal_rule
from pants.option.option_types import BoolOption
from pants.util.logging import LogLevel

from specforge import layout
from specforge_pants.engine import EngineProcess
from specforge_pants.links import (
    LinkedOutputError,
    LinkedPaths,
    linked_spec_errors,
    write_beneath,
)
from specforge_pants.target_types import AllSpecTargets, SpecSourceField
from specforge_pants.unowned import UnownedSpecs

MANAGED = layout.MANAGED_PATHS
OUT = "__specforge_scaffold"


class SyncServicesSubsystem(GoalSubsystem):
    name = "sync-services"
    help = (
        "Create the missing scaffold files of every service in services.yml (all of them for a "
        "new service, also when its spec/ was written first), a stub controller for every "
        "domain spec without one, and the managed blocks of infra/compose.yml and "
        "infra/k8s/services.yaml. Never overwrites a file outside those blocks."
    )

    check = BoolOption(
        default=False,
        help="Write nothing; exit 1 if a service directory, a controller, or the compose or "
        "Kubernetes block is missing or out of date (for CI).",
    )


class SyncServices(Goal):
    subsystem_cls = SyncServicesSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@goal_rule(desc="Sync services with services.yml", level=LogLevel.DEBUG)
async def sync_services(
    console: Console,
    subsystem: SyncServicesSubsystem,
    build_root: BuildRoot,
    all_specs: AllSpecTargets,
    unowned: UnownedSpecs,
) -> SyncServices:
    specs = [t[SpecSourceField] for t in all_specs if t.has_field(SpecSourceField)]
    sources = await Get(SourceFiles, SourceFilesRequest(specs))
    # Specs written before their service has BUILD files (spec first) are read too, so that the
    # scaffold knows the service's domains (controllers, and main.py wired to them).
    spec_first = await Get(Digest, PathGlobs(unowned.paths))
    managed = await Get(
        Digest, PathGlobs(MANAGED, glob_match_error_behavior=GlobMatchErrorBehavior.ignore)
    )
    input_digest = await Get(Digest, MergeDigests([sources.snapshot.digest, spec_first, managed]))
    files = sorted({*sources.snapshot.files, *unowned.paths})
    root = Path(build_root.path)
    # The sandbox would hold a linked spec's target as a regular file: refuse it here, unread.
    linked = linked_spec_errors(build_root.path, files)
    if linked:
        for line in linked:
            console.print_stderr(line)
        console.print_stderr("sync-services: fix the specs above first.")
        return SyncServices(exit_code=1)
    result = await Get(
        FallibleProcessResult,
        EngineProcess(
            ("scaffold", "--out", OUT, *files),
            input_digest=input_digest,
            output_directories=(OUT,),
            description="Scaffold services from services.yml",
        ),
    )
    if result.exit_code != 0:
        console.print_stderr(result.stderr.decode("utf-8", errors="replace").rstrip())
        if result.exit_code == 1:
            console.print_stderr("sync-services: fix the specs above first.")
        return SyncServices(exit_code=1)
    proposed = await Get(DigestContents, RemovePrefix(result.output_digest, OUT))

    create: List[str] = []
    kept = 0
    stale: List[str] = []
    contents = {c.path: c.content for c in proposed}
    for rel, content in sorted(contents.items()):
        path = root / rel
        if rel in MANAGED:
            if not path.is_file() or path.read_bytes() != content:
                stale.append(rel)
            continue
        if path.exists():
            kept += 1
        else:  # every missing file of a registered service, also next to an existing spec/
            create.append(rel)

    links = LinkedPaths(build_root.path)
    writes = [*create, *stale]
    through_links = [(rel, link) for rel, link in ((r, links.link_of(r)) for r in writes) if link]
    for rel, link in through_links:
        console.print_stderr(f"sync-services: {LinkedOutputError(rel, link)}.")
    if through_links:
        return SyncServices(exit_code=1)

    if subsystem.check:
        for rel in create:
            console.print_stderr(f"sync-services: missing {rel}")
        for rel in stale:
            console.print_stderr(f"sync-services: {rel} is out of date with services.yml")
        if create or stale:
            console.print_stderr("Run `./pants sync-services` to create them.")
            return SyncServices(exit_code=1)
        console.print_stdout("Services are in step with services.yml.")
        return SyncServices(exit_code=0)

    for rel in create:
        write_beneath(str(root), rel, contents[rel])
        console.print_stdout(f"created {rel}")
        controller = layout.controller_of(rel)
        main = layout.main_path(controller[0]) if controller else ""
        if controller and main not in create:
            domain = controller[1]
            console.print_stdout(
                f"  wire it: pass {domain}={layout.controller_impl_class(domain)}() to "
                f"create_app/create_worker in {main}"
            )
    for rel in stale:
        write_beneath(str(root), rel, contents[rel])
        console.print_stdout(f"updated {rel} (its services.yml block)")
    current = [rel for rel in MANAGED if rel not in stale]
    console.print_stdout(
        f"sync-services: {len(create)} created, {kept} existing files left alone"
        + "".join(f", {rel} up to date" for rel in current)
        + "."
    )
    return SyncServices(exit_code=0)


def rules():
    return collect_rules()
