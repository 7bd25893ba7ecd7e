"""The committed golden record is exactly what the engine generates today (see refresh_golden.py)."""

from __future__ import annotations

import difflib

import pytest

from tests.engine.refresh_golden import committed, records

REFRESH = "./pants run tests/engine/refresh_golden.py"


@pytest.mark.parametrize("name", ["example", "corpus"])
def test_generated_code_matches_the_golden_record(name: str) -> None:
    want = records()[name]
    have = committed(name)
    assert sorted(have) == sorted(want), (
        f"files differ from the golden record (refresh with `{REFRESH}` and review the diff): "
        f"missing {sorted(set(want) - set(have))}, extra {sorted(set(have) - set(want))}"
    )
    for rel, text in sorted(want.items()):
        if have[rel] != text:
            diff = "".join(
                difflib.unified_diff(
                    have[rel].splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"golden/{name}/{rel}",
                    "generated now",
                    n=2,
                )
            )
            pytest.fail(
                f"{rel} differs from the golden record (refresh with `{REFRESH}`):\n{diff[:4000]}"
            )
