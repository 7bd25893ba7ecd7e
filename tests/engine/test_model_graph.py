"""Models may not nest deeper, through their references, than Pydantic can build a JSON schema
for (the OpenAPI document is made of them): check refuses exactly the structures whose schema
would blow Python's recursion limit, with room to spare for the caller."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specforge import model_graph
from specforge.frontend import check_sources
from specforge.render import generate_files, write_tree

MODELS = "shared/spec/models.yaml"


def chain(n: int) -> str:
    lines = ["models:"]
    for i in range(n):
        lines += [f"  M{i}:", "    fields:"]
        lines.append(
            f"      next: {{type: M{i + 1}, optional: true}}"
            if i + 1 < n
            else "      x: {type: int}"
        )
    return "\n".join(lines) + "\n"


def ring(n: int, depth: int) -> str:
    """n models in a cycle, each referring to three others through `depth` levels of lists and
    dicts, with constraints: the heaviest shape per model that Pydantic recurses through."""
    lines = ["models:"]
    for i in range(n):
        t = f"R{(i + 1) % n}"
        for k in range(depth):
            t = f"list[{t}]" if k % 2 else f"dict[string, {t}]"
        lines += [
            f"  R{i}:",
            "    fields:",
            f'      next: {{type: "{t}", optional: true, description: x, min_items: 0}}',
            f'      other: {{type: "list[R{(i + 3) % n}]", optional: true}}',
            f'      third: {{type: "dict[string, R{(i + 5) % n}]", default: {{}}}}',
        ]
    return "\n".join(lines) + "\n"


def errors(text: str) -> list[str]:
    _, found = check_sources({MODELS: text})
    return [e.format() for e in found]


def test_the_budget_admits_twenty_plain_levels() -> None:
    assert model_graph.BUDGET // model_graph.MODEL_COST == 20
    assert errors(chain(20)) == []
    (message,) = errors(chain(21))
    assert message.startswith(f"{MODELS}:2:3: error: model 'M0' nests models too deeply")
    assert "(M0 -> M1 -> M2 -> M3 -> M4 -> M5 -> ...: 21 models)" in message
    assert message.endswith("[models.M0]")


def test_a_cycle_counts_all_of_its_members() -> None:
    assert errors(ring(8, 8)) == []  # 8 x (35 + 6 x 8) = 664
    (message,) = errors(ring(9, 8))
    assert "nests models too deeply" in message and "{R0, R1, R2, ...}: 9 models" in message


@pytest.mark.parametrize("text", [chain(20), ring(8, 8)], ids=["chain", "ring"])
def test_what_check_accepts_builds_its_schema_with_room_to_spare(text: str, tmp_path: Path) -> None:
    project, found = check_sources({MODELS: text})
    assert project is not None and not found
    write_tree(tmp_path, generate_files(project, targets=[MODELS]))
    # 800 frames: 200 fewer than Python's default, for whatever calls Pydantic.
    probe = (
        "import sys; sys.setrecursionlimit(800)\n"
        "import shared.generated.schemas as s\n"
        "for name in dir(s):\n"
        "    m = getattr(s, name)\n"
        "    if isinstance(m, type) and issubclass(m, s.BaseModel) and m is not s.BaseModel:\n"
        "        m.model_json_schema()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
