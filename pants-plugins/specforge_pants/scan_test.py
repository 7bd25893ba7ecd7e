from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from textwrap import dedent

import pytest

from specforge.layout import SpecKind
from specforge_pants.scan import SpecScan, scan

MIB = 1 << 20


def test_models() -> None:
    result = scan(
        SpecKind.MODELS,
        dedent(
            """\
            enums: {Role: {values: [a]}}
            models:
              User:
                fields:
                  id: {type: int}
                  role: {type: Role}
                  kind: {type: enum, values: [x]}
                  home: {type: "list[Address]", format: email}
                  money: {type: !!str Money}
                variants: {Read: {}}
              Pet: {union: [Cat, Dog], discriminator: kind}
            """
        ),
    )
    assert result == SpecScan(
        defines=frozenset({"Role", "User", "UserRead", "UserKind", "Pet"}),
        type_refs=frozenset({"Address", "Money", "Cat", "Dog"}),
        mentions_email=True,
    )


def test_events_domain_and_manifest() -> None:
    events = "events: {user_registered: {message: UserRead}, other: {message: 12}}\n"
    assert scan(SpecKind.EVENTS, events) == SpecScan(
        events_defined=frozenset({"user_registered", "other"}), type_refs=frozenset({"UserRead"})
    )
    domain = dedent(
        """\
        domain: users
        operations:
          create: {input: UserCreate, output: "list[UserRead]", events: {publish_on_success: done}}
          get: {params: [{name: id, type: UserId}], events: {subscribe: 7}}
          hear: {input: UserRead, events: {subscribe: heard, publish_on_success: echoed}}
        """
    )
    assert scan(SpecKind.DOMAIN, domain) == SpecScan(
        type_refs=frozenset({"UserCreate", "UserRead", "UserId"}),
        event_refs=frozenset({"done", "heard", "echoed"}),
        events_published=frozenset({"done", "echoed"}),
        events_subscribed=frozenset({"heard"}),
    )
    manifest = "consumes: [{service: backend, domain: users}, {service: 1, domain: x}, oops]\n"
    assert scan(SpecKind.MANIFEST, manifest) == SpecScan(consumes=(("backend", "users"),))


def test_yaml_1_2_scalars_and_keys_that_are_not_names() -> None:
    # `yes` is a string in YAML 1.2 (a model named Yes is not, but the scan is lenient: it
    # reports what the file names); keys that are not strings name nothing.
    text = "models: {123: {fields: {}}, true: {}, yes: {fields: {a: {type: On}}}}\n"
    assert scan(SpecKind.MODELS, text) == SpecScan(
        defines=frozenset({"yes"}), type_refs=frozenset({"On"})
    )


def test_what_the_loader_refuses_is_left_out() -> None:
    text = "models:\n  A: {fields: {a: {type: !custom X}}}\n  B: {fields: {b: {type: Y}}}\n"
    assert scan(SpecKind.MODELS, text) == SpecScan(
        defines=frozenset({"A", "B"}), type_refs=frozenset({"Y"})
    )


def alias_bomb() -> str:
    lines = ["operations:", "  a0: {input: &a0 [x, x, x, x, x, x, x, x, x, x]}"]
    for i in range(1, 9):
        lines.append(f"  a{i}: {{input: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]}}")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "broken": "operations: [unclosed\n  get: {output: UserRead\n",
    "two_documents": "operations: {a: {input: A}}\n---\noperations: {}\n",
    "alias_bomb": alias_bomb(),
    "deep_flow": "operations: {op: {input: " + "[" * (MIB // 2 - 20),
    "deep_block": "operations:\n  op:\n    input:\n" + "- " * (MIB // 2 - 20),
    "flat_flow": "operations: {op: {params: [" + "{}," * (MIB // 3 - 20) + "]}}\n",
    "too_large": "operations: {op: {input: A}}\n" + "#" * MIB,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_specs_that_do_not_load_define_and_use_nothing(name: str) -> None:
    assert scan(SpecKind.DOMAIN, HOSTILE[name]) == SpecScan()


def test_hostile_specs_are_scanned_in_bounded_memory() -> None:
    """Inference runs inside the Pants process: whatever a spec holds, scanning it must stay
    small. Measured in a child process (peak RSS from wait4), over every hostile case."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in HOSTILE.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        code = (
            "import os, sys\n"
            "from specforge.layout import SpecKind\n"
            "from specforge_pants.scan import SpecScan, scan\n"
            "for name in sorted(os.listdir(sys.argv[1])):\n"
            "    with open(os.path.join(sys.argv[1], name), encoding='utf-8') as f:\n"
            "        assert scan(SpecKind.DOMAIN, f.read()) == SpecScan(), name\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", code, tmp],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0
    assert usage.ru_maxrss * 1024 < 200 * MIB


def test_external_apis() -> None:
    manifest = dedent(
        """\
        consumes:
          - {service: backend, domain: users, operations: [get_user]}
          - {api: weather, operations: [get_forecast]}
          - {api: 12, operations: []}
        """
    )
    found = scan(SpecKind.MANIFEST, manifest)
    assert found.consumes == (("backend", "users"),) and found.apis == ("weather",)
    document = "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {type: string, format: email}\n"
    assert scan(SpecKind.OPENAPI, document) == SpecScan(mentions_email=True)
    assert scan(SpecKind.OPENAPI, "openapi: 3.0.3\n") == SpecScan()
