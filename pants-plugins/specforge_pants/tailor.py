"""`pants tailor`: a `spec_sources` target for each `spec/` directory of `shared/` and
`services/<svc>/`, and one named `registry` for `services.yml`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pants.base.build_root import BuildRoot
from pants.core.goals.tailor import (
    AllOwnedSources,
    PutativeTarget,
    PutativeTargets,
    PutativeTargetsRequest,
)
from pants.engine.fs import PathGlobs, Paths
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.dirutil import group_by_dir
from pants.util.logging import LogLevel

from specforge.layout import SpecKind, classify
from specforge_pants.links import LinkedSpecsError, linked_spec_errors
from specforge_pants.target_types import SpecSourcesGeneratorTarget

SPEC_GLOBS = (
    "shared/spec/*.yaml",
    "shared/spec/*.yml",
    "services/*/spec/*.yaml",
    "services/*/spec/*.yml",
)
REGISTRY_FILES = ("services.yml", "services.yaml")


@dataclass(frozen=True)
class PutativeSpecTargetsRequest(PutativeTargetsRequest):
    pass


@rule(level=LogLevel.DEBUG, desc="Determine candidate spec targets to create")
async def find_putative_spec_targets(
    request: PutativeSpecTargetsRequest, all_owned_sources: AllOwnedSources, build_root: BuildRoot
) -> PutativeTargets:
    found = await Get(Paths, PathGlobs([*SPEC_GLOBS, *REGISTRY_FILES]))
    # Like every tailor, only files directly in the requested directories (`tailor dir` is that
    # directory alone; `tailor dir::` requests each directory below it).
    dirs = set(request.dirs)
    unowned = sorted(
        p for p in set(found.files) - set(all_owned_sources) if os.path.dirname(p) in dirs
    )
    # Pants globs through links; a target would give the link's target as a spec.
    linked = linked_spec_errors(build_root.path, unowned)
    if linked:
        raise LinkedSpecsError(
            "Not creating targets for linked spec files:\n\n" + "\n".join(linked)
        )
    registry = [p for p in unowned if classify(p).kind is SpecKind.REGISTRY and "/" not in p]
    specs = [p for p in unowned if p not in registry]
    targets = [
        PutativeTarget.for_target_type(
            SpecSourcesGeneratorTarget, path=directory, name=None, triggering_sources=sorted(files)
        )
        for directory, files in group_by_dir(specs).items()
    ]
    for path in registry:
        targets.append(
            PutativeTarget.for_target_type(
                SpecSourcesGeneratorTarget,
                path="",
                name="registry",
                triggering_sources=[path],
                kwargs={"sources": (path,)},
            )
        )
    return PutativeTargets(targets)


def rules():
    return [*collect_rules(), UnionRule(PutativeTargetsRequest, PutativeSpecTargetsRequest)]
