"""specforge: spec-first services on Pants.

Target types, codegen from specs to Python, spec linting and the `generate` and
`sync-services` goals.
"""

from specforge_pants import engine, lint, ruff
from specforge_pants.target_types import SpecSourcesGeneratorTarget, SpecSourceTarget


def target_types():
    return [SpecSourcesGeneratorTarget, SpecSourceTarget]


def rules():
    return [*engine.rules(), *lint.rules(), *ruff.rules()]
