"""`pants tailor`: a `spec_sources` target for each `spec/` directory of `shared/` and
`services/<svc>/`, and one named `registry` for `services.yml`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pants.base.build_root import BuildRoot
from pants.core.goals.tailor import (
    PutativeTarget,
    PutativeTargets,
    PutativeTargetsRequest,
)
from pants.engine.rules import collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.dirutil import group_by_dir
from pants.util.logging import LogLevel

from specforge.layout import SpecKind, classify
from specforge_pants.links import LinkedSpecsError, linked_spec_errors
from specforge_pants.target_types import SpecSourcesGeneratorTarget
from specforge_pants.unowned import UnownedSpecs


@dataclass(frozen=True)
class PutativeSpecTargetsRequest(PutativeTargetsRequest):
    pass


@rule(level=LogLevel.DEBUG, desc="Determine candidate spec targets to create")
async def find_putative_spec_targets(
    request: PutativeSpecTargetsRequest, unowned_specs: UnownedSpecs, build_root: BuildRoot
) -> PutativeTargets:
    # Spec files that no *spec* target owns (a `files` target owning them too does not count).
    # Like every tailor, only files directly in the requested directories (`tailor dir` is that
    # directory alone; `tailor dir::` requests each directory below it).
    dirs = set(request.dirs)
    unowned = [p for p in unowned_specs.paths if os.path.dirname(p) in dirs]
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
