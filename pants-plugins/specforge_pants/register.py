"""specforge: spec-first services on Pants.

Target types, codegen from specs to Python, spec linting and the `generate` and
`sync-services` goals.
"""

from specforge_pants import (
    api_docs,
    codegen,
    dependency_inference,
    engine,
    generate,
    lint,
    module_mapper,
    spec_diff,
    sync_services,
    tailor,
    typecheck,
    unowned,
)
from specforge_pants import target_types as spec_target_types
from specforge_pants.target_types import (
    SpecAppTarget,
    SpecforgeEngineTarget,
    SpecSourcesGeneratorTarget,
    SpecSourceTarget,
)


def target_types():
    return [
        SpecSourcesGeneratorTarget,
        SpecSourceTarget,
        SpecAppTarget,
        SpecforgeEngineTarget,
        api_docs.ApiDocsTarget,
    ]


def rules():
    return [
        *spec_target_types.rules(),
        *api_docs.rules(),
        *codegen.rules(),
        *dependency_inference.rules(),
        *engine.rules(),
        *generate.rules(),
        *lint.rules(),
        *module_mapper.rules(),
        *spec_diff.rules(),
        *sync_services.rules(),
        *tailor.rules(),
        *typecheck.rules(),
        *unowned.rules(),
    ]
