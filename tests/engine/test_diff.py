"""`specforge diff`: every rule, with a change that triggers it, its level, and the consumers
it reaches; and the command line on two repos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specforge.diff import Change, compare
from specforge.diff.rules import RULES, Level
from specforge.frontend import load_project

MODELS = "shared/spec/models.yaml"
EVENTS = "shared/spec/events.yaml"
ITEMS = "services/shop/spec/items.yaml"
WATCH = "services/watcher/spec/watch.yaml"

BASE = {
    "services.yml": """\
services:
  - {name: shop, type: python-fastapi, description: Sells items.}
  - {name: buyer, type: python-faststream, description: Buys items.}
  - {name: watcher, type: python-faststream, description: Watches items.}
""",
    MODELS: """\
enums:
  Color: {values: [red, green]}
models:
  Item:
    fields:
      id: {type: int, readonly: true}
      name: {type: string, max_length: 10}
      note: {type: string, optional: true}
      color: {type: Color, default: red}
      size: {type: int, ge: 1}
      pet: {type: Pet, optional: true}
    variants:
      Create: {}
  Cat:
    fields:
      kind: {type: "literal[cat]"}
  Dog:
    fields:
      kind: {type: "literal[dog]"}
  Fox:
    fields:
      kind: {type: "literal[fox]"}
  Pet:
    union: [Cat, Dog, Fox]
    discriminator: kind
  Gone:
    fields:
      id: {type: int}
""",
    EVENTS: """\
events:
  item_made: {message: Item, publish: true, subscribe: true, channel: items.made}
  item_gone: {message: Item, publish: true, subscribe: true}
""",
    ITEMS: """\
domain: items
config: {rest: {prefix: /items}}
operations:
  get_item:
    output: Item
    params:
      - {name: item_id, type: int, ge: 1}
      - {name: color, type: Color, source: query, required: false}
      - {name: tag, type: string, source: query}
      - {name: limit, type: int, source: query, default: 10, le: 100}
    rest: {method: GET, path: "/{item_id}", status: 200}
    errors:
      - {status: 404, description: no such item}
  make_item:
    input: ItemCreate
    output: Item
    rest: {method: POST, path: ""}
    events: {publish_on_success: item_made}
  ping:
    rest: {method: POST, path: /ping}
""",
    "services/buyer/spec/manifest.yaml": """\
consumes:
  - {service: shop, domain: items, operations: [get_item, make_item, ping]}
""",
    WATCH: """\
domain: watch
operations:
  on_item_made:
    input: Item
    events: {subscribe: item_made}
  on_item_gone:
    input: Item
    events: {subscribe: item_gone}
""",
}

# (what changes, [(file, old text, new text)], rules that must be reported)
CASES: list[tuple[str, list[tuple[str, str, str]], set[str]]] = [
    (
        "a required field",
        [
            (
                MODELS,
                "      size: {type: int, ge: 1}\n",
                "      size: {type: int, ge: 1}\n      weight: {type: int}\n",
            )
        ],
        {
            "request-field-added-required",
            "response-field-added-required",
            "event-field-added-required",
        },
    ),
    (
        "an optional field",
        [
            (
                MODELS,
                "      size: {type: int, ge: 1}\n",
                "      size: {type: int, ge: 1}\n      memo: {type: string, optional: true}\n",
            )
        ],
        {
            "request-field-added-optional",
            "response-field-added-optional",
            "event-field-added-optional",
        },
    ),
    (
        "a required field removed",
        [(MODELS, "      size: {type: int, ge: 1}\n", "")],
        {
            "request-field-removed-required",
            "response-field-removed-required",
            "event-field-removed-required",
        },
    ),
    (
        "an optional field removed",
        [(MODELS, "      note: {type: string, optional: true}\n", "")],
        {
            "request-field-removed-optional",
            "response-field-removed-optional",
            "event-field-removed-optional",
        },
    ),
    (
        "a field made required",
        [(MODELS, "note: {type: string, optional: true}", "note: {type: string}")],
        {
            "request-field-became-required",
            "response-field-became-required",
            "event-field-became-required",
        },
    ),
    (
        "a field given a default",
        [(MODELS, "size: {type: int, ge: 1}", "size: {type: int, ge: 1, default: 1}")],
        {
            "request-field-became-optional",
            "response-field-became-optional",
            "event-field-became-optional",
        },
    ),
    (
        "a field made nullable",
        [(MODELS, "size: {type: int, ge: 1}", "size: {type: int, ge: 1, nullable: true}")],
        {
            "request-field-became-nullable",
            "response-field-became-nullable",
            "event-field-became-nullable",
        },
    ),
    (
        "a field made non-nullable",
        [(MODELS, "note: {type: string, optional: true}", 'note: {type: string, default: ""}')],
        {
            "request-field-became-non-nullable",
            "response-field-became-non-nullable",
            "event-field-became-non-nullable",
        },
    ),
    (
        "a union member added",
        [
            (MODELS, "    union: [Cat, Dog, Fox]", "    union: [Cat, Dog, Fox, Owl]"),
            (
                MODELS,
                "  Pet:\n",
                '  Owl:\n    fields:\n      kind: {type: "literal[owl]"}\n  Pet:\n',
            ),
        ],
        {"request-union-member-added", "response-union-member-added", "event-union-member-added"},
    ),
    (
        "a union member removed",
        [(MODELS, "    union: [Cat, Dog, Fox]", "    union: [Cat, Dog]")],
        {
            "request-union-member-removed",
            "response-union-member-removed",
            "event-union-member-removed",
        },
    ),
    (
        "a field's type",
        [(MODELS, "size: {type: int, ge: 1}", "size: {type: string}")],
        {"request-type-changed", "response-type-changed", "event-type-changed"},
    ),
    (
        "an enum value added",
        [(MODELS, "values: [red, green]", "values: [red, green, blue]")],
        {
            "request-enum-value-added",
            "response-enum-value-added",
            "event-enum-value-added",
            "param-enum-value-added",
        },
    ),
    (
        "an enum value removed",
        [(MODELS, "values: [red, green]", "values: [red]")],
        {
            "request-enum-value-removed",
            "response-enum-value-removed",
            "event-enum-value-removed",
            "param-enum-value-removed",
        },
    ),
    (
        "a constraint narrowed",
        [(MODELS, "name: {type: string, max_length: 10}", "name: {type: string, max_length: 5}")],
        {
            "request-constraint-narrowed",
            "response-constraint-narrowed",
            "event-constraint-narrowed",
        },
    ),
    (
        "a constraint widened",
        [(MODELS, "name: {type: string, max_length: 10}", "name: {type: string, max_length: 20}")],
        {"request-constraint-widened", "response-constraint-widened", "event-constraint-widened"},
    ),
    (
        "a default",
        [(MODELS, "color: {type: Color, default: red}", "color: {type: Color, default: green}")],
        {"request-default-changed", "response-default-changed", "event-default-changed"},
    ),
    (
        "an operation removed",
        [
            (ITEMS, "  ping:\n    rest: {method: POST, path: /ping}\n", ""),
            ("services/buyer/spec/manifest.yaml", ", ping]", "]"),
        ],
        {"operation-removed"},
    ),
    (
        "an operation that events call instead",
        [
            (
                ITEMS,
                "  ping:\n    rest: {method: POST, path: /ping}\n",
                "  ping:\n    input: Item\n    events: {subscribe: item_gone}\n",
            ),
            ("services/buyer/spec/manifest.yaml", ", ping]", "]"),
        ],
        {"operation-no-longer-rest"},
    ),
    (
        "a method",
        [(ITEMS, "{method: POST, path: /ping}", "{method: PUT, path: /ping}")],
        {"method-changed"},
    ),
    (
        "a path",
        [(ITEMS, "{method: POST, path: /ping}", "{method: POST, path: /pong}")],
        {"path-changed"},
    ),
    (
        "a status",
        [(ITEMS, 'path: "/{item_id}", status: 200', 'path: "/{item_id}", status: 203')],
        {"status-changed"},
    ),
    (
        "a body answered no more",
        [(ITEMS, "  get_item:\n    output: Item\n", "  get_item:\n")],
        {"output-removed"},
    ),
    ("a body answered", [(ITEMS, "  ping:\n", "  ping:\n    output: int\n")], {"output-added"}),
    (
        "a body required",
        [(ITEMS, "  ping:\n", "  ping:\n    input: ItemCreate\n")],
        {"input-added"},
    ),
    (
        "a body read no more",
        [(ITEMS, "    input: ItemCreate\n    output: Item\n", "    output: Item\n")],
        {"input-removed"},
    ),
    (
        "the errors",
        [
            (
                ITEMS,
                "      - {status: 404, description: no such item}",
                "      - {status: 410, description: gone}",
            )
        ],
        {"error-added", "error-removed"},
    ),
    (
        "params added",
        [
            (
                ITEMS,
                "      - {name: tag, type: string, source: query}\n",
                "      - {name: tag, type: string, source: query}\n      - {name: q, type: string, source: query}\n      - {name: r, type: string, source: query, required: false}\n",
            )
        ],
        {"param-added-required", "param-added-optional"},
    ),
    (
        "a param removed",
        [(ITEMS, "      - {name: tag, type: string, source: query}\n", "")],
        {"param-removed"},
    ),
    (
        "params' requiredness",
        [
            (
                ITEMS,
                "{name: color, type: Color, source: query, required: false}",
                "{name: color, type: Color, source: query}",
            ),
            (
                ITEMS,
                "{name: tag, type: string, source: query}",
                "{name: tag, type: string, source: query, required: false}",
            ),
        ],
        {"param-became-required", "param-became-optional"},
    ),
    (
        "a param moved from the path to the query",
        [
            (
                ITEMS,
                "{name: item_id, type: int, ge: 1}",
                "{name: item_id, type: int, ge: 1, source: query}",
            ),
            (ITEMS, 'path: "/{item_id}", status: 200', 'path: "/one", status: 200'),
        ],
        {"param-source-changed", "path-changed"},
    ),
    (
        "a param's type",
        [
            (
                ITEMS,
                "{name: limit, type: int, source: query, default: 10, le: 100}",
                "{name: limit, type: float, source: query, default: 10, le: 100}",
            )
        ],
        {"param-type-changed"},
    ),
    (
        "a param's bound narrowed",
        [(ITEMS, "default: 10, le: 100}", "default: 10, le: 50}")],
        {"param-constraint-narrowed"},
    ),
    (
        "a param's bound widened",
        [(ITEMS, "default: 10, le: 100}", "default: 10, le: 200}")],
        {"param-constraint-widened"},
    ),
    (
        "a param's default",
        [(ITEMS, "default: 10, le: 100}", "default: 20, le: 100}")],
        {"param-default-changed"},
    ),
    (
        "an event removed",
        [
            (EVENTS, "  item_gone: {message: Item, publish: true, subscribe: true}\n", ""),
            (WATCH, "  on_item_gone:\n    input: Item\n    events: {subscribe: item_gone}\n", ""),
        ],
        {"event-removed"},
    ),
    (
        "an event published no more",
        [
            (
                EVENTS,
                "item_gone: {message: Item, publish: true,",
                "item_gone: {message: Item, publish: false,",
            )
        ],
        {"event-no-longer-published"},
    ),
    (
        "an event subscribable no more",
        [
            (EVENTS, "publish: true, subscribe: true}\n", "publish: true, subscribe: false}\n"),
            (WATCH, "  on_item_gone:\n    input: Item\n    events: {subscribe: item_gone}\n", ""),
        ],
        {"event-no-longer-subscribable"},
    ),
    ("a channel", [(EVENTS, "channel: items.made", "channel: items.created")], {"channel-changed"}),
    (
        "an event's message",
        [
            (EVENTS, "item_gone: {message: Item,", "item_gone: {message: Gone,"),
            (
                WATCH,
                "    input: Item\n    events: {subscribe: item_gone}",
                "    input: Gone\n    events: {subscribe: item_gone}",
            ),
        ],
        {"message-changed", "event-field-removed-required"},
    ),
]


def head_of(edits: list[tuple[str, str, str]]) -> dict[str, str]:
    files = dict(BASE)
    for path, old, new in edits:
        assert old in files[path], (path, old)
        files[path] = files[path].replace(old, new, 1)
    return files


def changes_of(edits: list[tuple[str, str, str]]) -> list[Change]:
    return compare(load_project(BASE), load_project(head_of(edits)))


def test_the_same_specs_have_no_changes() -> None:
    assert compare(load_project(BASE), load_project(BASE)) == []


@pytest.mark.parametrize(("what", "edits", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_change_is_reported_by_its_rule(
    what: str, edits: list[tuple[str, str, str]], expected: set[str]
) -> None:
    reported = {c.rule.id for c in changes_of(edits)}
    assert expected <= reported, f"{what}: missing {expected - reported}; got {reported}"


def test_every_rule_has_a_case() -> None:
    covered = set().union(*(expected for _, _, expected in CASES))
    assert set(RULES) - covered == set()
    assert len(RULES) >= 40


def test_who_is_broken_comes_from_the_old_manifests_and_subscriptions() -> None:
    changes = changes_of([(MODELS, "      size: {type: int, ge: 1}\n", "")])
    by_rule = {(c.rule.id, c.subject): c for c in changes}
    response = by_rule[("response-field-removed-required", "shop/items.get_item")]
    assert response.rule.level is Level.BREAKING and response.affected == ("buyer",)
    assert response.breaks_a_consumer
    assert "`Item.size` was removed" in response.detail
    event = by_rule[("event-field-removed-required", "event item_made")]
    assert event.affected == ("watcher",) and event.breaks_a_consumer
    # Safe changes break nobody, consumed or not.
    safe = changes_of(
        [
            (
                MODELS,
                "      size: {type: int, ge: 1}\n",
                "      size: {type: int, ge: 1}\n      memo: {type: string, optional: true}\n",
            )
        ]
    )
    assert safe and all(c.rule.level is Level.INFO and not c.breaks_a_consumer for c in safe)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def run_diff(base: Path, head: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "specforge",
            "diff",
            "--base",
            str(base),
            "--root",
            str(head),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_command_exits_1_only_when_a_consumer_breaks(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, BASE)
    write(
        head,
        head_of(
            [
                (
                    MODELS,
                    "      note: {type: string, optional: true}\n",
                    "      note: {type: string, optional: true}\n      memo: {type: string, optional: true}\n",
                )
            ]
        ),
    )
    safe = run_diff(base, head)
    assert safe.returncode == 0, safe.stderr
    assert (
        "INFO     request-field-added-optional: shop/items.make_item: request: "
        "`ItemCreate.memo` was added (it may be absent) (consumed by buyer)"
    ) in safe.stdout.splitlines()
    assert safe.stdout.endswith(
        "0 breaking (0 breaking a consumer, 0 allowed), 0 warning(s), 5 info.\n"
    )

    write(head, head_of([(MODELS, "      size: {type: int, ge: 1}\n", "")]))
    broken = run_diff(base, head)
    assert broken.returncode == 1
    assert (
        "BREAKING response-field-removed-required: shop/items.get_item: response: `Item.size` "
        "was removed; breaks buyer"
    ) in broken.stdout.splitlines()
    as_json = json.loads(run_diff(base, head, "--format", "json").stdout)
    assert {"rule": "event-field-removed-required", "level": "breaking"}.items() <= next(
        c for c in as_json if c["subject"] == "event item_made"
    ).items()


def test_the_command_reports_spec_errors_of_either_version(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, BASE)
    write(head, {**BASE, MODELS: "models: [oops\n"})
    result = run_diff(base, head)
    assert result.returncode == 1 and result.stdout == ""
    assert f"head ({head}): {MODELS}:2:1: error: invalid YAML" in result.stderr


REMOVED_SIZE = [(MODELS, "      size: {type: int, ge: 1}\n", "")]


def test_an_allow_list_entry_with_a_reason_lets_a_break_through(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, BASE)
    allow = """\
allow:
  - rule: response-field-removed-required
    subject: shop/items.get_item
    reason: buyer stopped reading size in its 2.3 release
  - rule: response-field-removed-required
    subject: shop/items.make_item
    reason: the same
  - rule: event-field-removed-required
    subject: event item_made
    reason: watcher ignores size
  - rule: event-field-removed-required
    subject: event item_gone
    reason: watcher ignores size
  - rule: path-changed
    subject: shop/items.ping
    reason: a stale entry
"""
    write(head, {**head_of(REMOVED_SIZE), "spec-diff-allow.yaml": allow})
    result = run_diff(base, head)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert (
        "BREAKING response-field-removed-required: shop/items.get_item: response: `Item.size` "
        "was removed; breaks buyer (allowed: buyer stopped reading size in its 2.3 release)"
    ) in lines
    assert (
        "spec-diff-allow.yaml:14:11: warning: the allow-list entry for path-changed on "
        "shop/items.ping matches no change; remove it" in lines
    )
    # Without the get_item entry, that break fails the check again.
    write(
        head, {"spec-diff-allow.yaml": allow.replace("subject: shop/items.get_item", "subject: x")}
    )
    assert run_diff(base, head).returncode == 1


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (
            "  - {rule: response-field-removed, subject: x, reason: y}",
            "spec-diff-allow.yaml:2:12: error: unknown rule 'response-field-removed' (did you "
            "mean 'response-field-removed-required'?) [allow[0].rule]",
        ),
        (
            "  - {rule: path-changed, subject: x}",
            "spec-diff-allow.yaml:2:5: error: missing required key 'reason' [allow[0].reason]",
        ),
        (
            "  - {rule: path-changed, subject: x, reason: y, why: z}",
            "spec-diff-allow.yaml:2:49: error: unknown key 'why'; expected one of: rule, "
            "subject, reason [allow[0].why]",
        ),
    ],
)
def test_a_bad_allow_list_is_a_located_error(tmp_path: Path, entry: str, error: str) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, BASE)
    write(head, {**BASE, "spec-diff-allow.yaml": f"allow:\n{entry}\n"})
    result = run_diff(base, head)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines()[0].startswith(error), result.stderr


def test_junit_has_a_failure_per_unallowed_break(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    base, head = tmp_path / "base", tmp_path / "head"
    write(base, BASE)
    write(head, head_of(REMOVED_SIZE))
    result = run_diff(base, head, "--format", "junit")
    assert result.returncode == 1
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite is not None
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert suite.get("failures") == str(len(failed)) and len(failed) == 4
    assert {c.get("classname") for c in failed} == {
        "shop/items.get_item",
        "shop/items.make_item",
        "event item_made",
        "event item_gone",
    }


def levels(edits: list[tuple[str, str, str]]) -> dict[str, Level]:
    return {c.rule.id: c.rule.level for c in changes_of(edits)}


SIZE = "size: {type: int, ge: 1}"
COLOR = "color: {type: Color, default: red}"
NOTE = "note: {type: string, optional: true}"
NAME = "name: {type: string, max_length: 10}"


@pytest.mark.parametrize(
    ("edit", "breaking"),
    [
        # A nullable field without a default must still be present: old clients never send it.
        (
            (SIZE, SIZE + "\n      memo: {type: string, nullable: true}"),
            {"request-field-added-required", "event-field-added-required"},
        ),
        # A field that may now be null, which old readers refuse.
        (
            (COLOR, "color: {type: Color, optional: true}"),
            {"response-field-became-nullable", "event-field-became-nullable"},
        ),
        (
            (COLOR, "color: {type: Color, nullable: true}"),
            {
                "request-field-became-required",
                "response-field-became-nullable",
                "event-field-became-required",
                "event-field-became-nullable",
            },
        ),
        # Old clients send null, which the new producer refuses.
        (
            (NOTE, 'note: {type: string, default: ""}'),
            {"request-field-became-non-nullable", "event-field-became-non-nullable"},
        ),
        # Generated writers send every field: a default makes nothing absent.
        ((SIZE, "size: {type: int, ge: 1, default: 1}"), set()),
        # A new pattern refuses values that were accepted.
        (
            (NAME, 'name: {type: string, max_length: 10, pattern: "^[a-z]+$"}'),
            {"request-constraint-narrowed", "event-constraint-narrowed"},
        ),
        # Equal bounds, spelled differently: no change; a stricter one narrows.
        ((SIZE, "size: {type: int, gt: 0}"), set()),
        (
            (SIZE, "size: {type: int, gt: 1}"),
            {"request-constraint-narrowed", "event-constraint-narrowed"},
        ),
        # Union members in another order: no change.
        (("    union: [Cat, Dog, Fox]", "    union: [Fox, Cat, Dog]"), set()),
    ],
)
def test_absence_null_bounds_and_unions(edit: tuple[str, str], breaking: set[str]) -> None:
    found = levels([(MODELS, *edit)])
    assert {rule for rule, level in found.items() if level is Level.BREAKING} == breaking


def test_a_changed_pattern_breaks_both_ways() -> None:
    letters = 'name: {type: string, max_length: 10, pattern: "^[a-z]+$"}'
    digits = 'name: {type: string, max_length: 10, pattern: "^[0-9]+$"}'
    before = load_project(head_of([(MODELS, NAME, letters)]))
    after = load_project(head_of([(MODELS, NAME, digits)]))
    found = {c.rule.id: c.rule.level for c in compare(before, after)}
    assert found["response-constraint-widened"] is Level.BREAKING
    assert found["request-constraint-narrowed"] is Level.BREAKING


def test_a_renamed_path_param_is_the_same_route() -> None:
    edits = [
        (ITEMS, "{name: item_id, type: int, ge: 1}", "{name: id, type: int, ge: 1}"),
        (ITEMS, 'path: "/{item_id}", status: 200', 'path: "/{id}", status: 200'),
    ]
    assert levels(edits) == {}


def test_a_huge_enum_is_compared_by_sets() -> None:
    values = ", ".join(f"v{i}" for i in range(30_000))
    old = {
        **BASE,
        MODELS: BASE[MODELS].replace("values: [red, green]", f"values: [red, green, {values}]"),
    }
    new = {**BASE, MODELS: old[MODELS].replace("v0, ", "")}
    found = {c.rule.id for c in compare(load_project(old), load_project(new))}
    assert "response-enum-value-removed" in found


def test_allow_list_text_cannot_forge_report_lines(tmp_path: Path) -> None:
    """The allow-list is repo text like any spec: its reason and subject are shown escaped."""
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, BASE)
    allow = (
        "allow:\n"
        "  - rule: response-field-removed-required\n"
        "    subject: shop/items.get_item\n"
        '    reason: "ok\\nINFO     forged: a line\\u001b[2K"\n'
        "  - rule: path-changed\n"
        '    subject: "x\\nBREAKING forged"\n'
        "    reason: stale\n"
    )
    write(head, {**head_of(REMOVED_SIZE), "spec-diff-allow.yaml": allow})
    out = run_diff(base, head).stdout
    assert not any(
        line.startswith(("INFO     forged", "BREAKING forged")) for line in out.splitlines()
    )
    assert "\x1b" not in out
    assert "(allowed: ok\\nINFO     forged: a line\\x1b[2K)" in out
    assert "on x\\nBREAKING forged matches no change" in out
