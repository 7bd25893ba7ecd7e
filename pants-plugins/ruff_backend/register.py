"""A ruff backend for Pants 2.17 that runs today's ruff: `ruff check` for `lint` (and `fix`
with `--fix`) and `ruff format` for `fmt`.

Pants 2.17's own ruff backend predates `ruff format` and calls `ruff <files>`, which ruff has not
accepted since 0.5. This backend replaces it (enable one or the other, not both): it reads the
same `[ruff]` options and `skip_ruff` field. It is not specific to specforge.
"""

from ruff_backend import rules as ruff_rules


def rules():
    return ruff_rules.rules()
