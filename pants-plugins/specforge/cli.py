"""The specforge command line.

    python -m specforge check [--root DIR] [FILE ...]
    python -m specforge generate --root DIR --out DIR [--broker redis] FILE ...
        [--target FILE ...] [--app SERVICE ...]

`check` prints one `path:line:col: error: message [key.path]` line per problem and exits 1,
or prints nothing and exits 0. Without FILEs it checks every spec of the repo at --root.

FILEs are read as `specforge.sources` says: regular files inside --root, never through a link,
at most 1 MiB each. A `--target` must be one of the FILEs, an `--app` a service the FILEs or
services.yml know; generated files are written only below --out.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from specforge.errors import Location, SpecError, SpecErrors, report, suggest
from specforge.files import shown
from specforge.frontend import check_sources, check_targets
from specforge.layout import BROKER_KEYS, DIFF_FORMATS, SPEC_DIFF_ALLOW_LIST, service_of
from specforge.sources import (
    MISSING,
    MISSING_DIRECTORY,
    iter_spec_files,
    read_sources,
    read_spec,
    repo_path,
)

# Exit codes: 0 fine, 1 invalid specs or arguments (located errors or a message printed),
# 70 a bug in specforge.
INTERNAL_ERROR = 70
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

__all__ = ["main", "read_sources"]


def cmd_check(args: argparse.Namespace) -> int:
    root = Path(args.root)
    sources, problems = read_sources(root, args.files)
    if args.files:
        # The rest of the repo's specs are the context of the given files (where the models
        # and events they use are defined); only the given files' errors are reported.
        context, _ = read_sources(root, [f for f in iter_spec_files(str(root)) if f not in sources])
        project, errors = check_sources({**context, **sources})
        if project is not None and not errors:
            from specforge.render.external import external_problems

            errors = external_problems(project)
        errors = [e for e in errors if e.location.file in sources]
    else:
        project, errors = check_sources(sources)
        if project is not None and not errors:
            from specforge.render.external import external_problems

            errors = external_problems(project)
    errors = report([*problems, *errors])
    for e in errors:
        print(e.format())
    return 1 if errors else 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare the specs under --base (the old version) with those under --root (the new one);
    exit 1 when a change breaks a consumer and no allow-list entry accepts it (or when either
    version, or the allow-list, has errors), else 0."""
    from specforge.diff import compare
    from specforge.diff.allow import read_allow_list
    from specforge.diff.report import as_json, judge, junit, text
    from specforge.errors import Diagnostics

    projects = []
    for name, where in (("base", args.base), ("head", args.root)):
        sources, problems = read_sources(Path(where), [])
        project, errors = check_sources(sources)
        errors = report([*problems, *errors])
        if errors or project is None:
            for e in errors:
                print(f"{name} ({shown(where)}): {e.format()}", file=sys.stderr)
            return 1
        projects.append(project)
    allowances = []
    root = Path(args.root)
    rel = repo_path(root, args.allow or SPEC_DIFF_ALLOW_LIST)
    allow = rel if isinstance(rel, SpecError) else read_spec(root, rel)
    if isinstance(allow, SpecError):
        if args.allow or allow.message != MISSING:  # the default allow-list is optional
            return fail([allow])
    else:
        assert isinstance(rel, str)
        diags = Diagnostics()
        allowances = read_allow_list(allow, rel, diags)
        if diags.errors:
            return fail(report(diags.sorted()))
    verdicts = judge(compare(projects[0], projects[1]), allowances)
    if args.format == "json":
        sys.stdout.write(as_json(verdicts))
    elif args.format == "junit":
        sys.stdout.write(junit(verdicts))
    else:
        sys.stdout.write(text(verdicts, allowances))
    return 1 if any(v.fails for v in verdicts) else 0


def requested(root: Path, files: Sequence[str]) -> set[str]:
    """The repo-relative paths of the spec files a command was given (or, with none given, of
    every spec file of the repo), whether or not they can be read."""
    if not files:
        return set(iter_spec_files(root))
    return {rel for rel in (repo_path(root, f) for f in files) if isinstance(rel, str)}


def argument_errors(root: Path, args: argparse.Namespace) -> list[str]:
    """What is wrong with `generate`'s --target and --app arguments, before the specs are read:
    a target must be one of the spec files given, an app a service name."""
    given = requested(root, args.files)
    problems: list[str] = []
    for target in args.target or ():
        rel = repo_path(root, target)
        if not isinstance(rel, str) or rel not in given:
            problems.append(
                f"specforge generate: --target {shown(target)} is not one of the spec files "
                "given; pass it as a spec file (FILE argument) too"
            )
    for app in args.app or ():
        if not SERVICE_NAME.match(app):
            problems.append(
                f"specforge generate: --app {shown(app)} is not a service name (lowercase "
                "letters, digits and '_', starting with a letter)"
            )
    return problems


def unknown_apps(
    apps: Sequence[str], sources: dict[str, str], registry: Sequence[str]
) -> list[str]:
    """The --app services that neither the given spec files (under services/<app>/spec/) nor
    the registry know. Without any spec file at all, an app is the empty app factory of a
    service that has no specs yet (a service just scaffolded)."""
    if not sources:
        return []
    known = {s for s in (service_of(p) for p in sources) if s is not None} | set(registry)
    return [
        f"specforge generate: --app {app} names no known service{suggest(app, known)}: no spec "
        f"file given is under services/{app}/spec/ and "
        + ("services.yml does not list it" if registry else "no services.yml is given")
        for app in apps
        if app not in known
    ]


def fail(messages: Sequence[str] | Sequence[SpecError]) -> int:
    for m in messages:
        print(m.format() if isinstance(m, SpecError) else m, file=sys.stderr)
    return 1


def cmd_generate(args: argparse.Namespace) -> int:
    from specforge.render import OutputPathError, generate_files, write_tree

    root = Path(args.root)
    misused = argument_errors(root, args)
    if misused:
        return fail(misused)
    sources, problems = read_sources(root, args.files)
    # Without --target, every given file is a target, unless only app factories are asked for.
    targets = (
        [t for t in (repo_path(root, t) for t in args.target) if isinstance(t, str)]
        if args.target
        else ([] if args.app else list(sources))
    )
    # The files the targets merely use are checked by their own targets: mostly indexed only.
    project, errors = check_targets(sources, targets)
    errors = report([*problems, *errors])
    if errors or project is None:
        return fail(errors)
    registry = [s.name for s in project.registry.services] if project.registry else []
    unknown = unknown_apps(args.app or (), sources, registry)
    if unknown:
        return fail(unknown)
    try:
        files = generate_files(project, targets=targets, apps=args.app or (), broker=args.broker)
    except SpecErrors as e:  # an external API's document that its model generator refuses
        return fail(report(e.errors))
    try:
        write_tree(Path(args.out), files)
    except OutputPathError as e:
        return fail([f"specforge generate: {e}"])
    return 0


def cmd_scaffold(args: argparse.Namespace) -> int:
    from specforge.layout import COMPOSE_PATH, K8S_PATH
    from specforge.render import OutputPathError, write_tree
    from specforge.scaffold import scaffold

    root = Path(args.root)
    sources, problems = read_sources(root, args.files)
    project, errors = check_sources(sources)
    errors = report([*problems, *errors])
    if not errors and project is not None and project.registry is None:
        errors = [SpecError(Location("services.yml"), "", "no services.yml among the spec files")]
    # infra/compose.yml and infra/k8s/services.yaml are read under the same rules as a spec
    # file; missing, they are created.
    managed: dict[str, str | None] = {COMPOSE_PATH: None, K8S_PATH: None}
    for rel in managed:
        read = read_spec(root, rel)
        if isinstance(read, str):
            managed[rel] = read
        elif read.message != MISSING and not read.message.startswith(MISSING_DIRECTORY):
            errors.append(read)
    if errors or project is None:
        return fail(errors)
    try:
        write_tree(Path(args.out), scaffold(project, managed[COMPOSE_PATH], managed[K8S_PATH]))
    except OutputPathError as e:
        return fail([f"specforge scaffold: {e}"])
    return 0


def cmd_json_schema(args: argparse.Namespace) -> int:
    from specforge.render import OutputPathError, write_tree
    from specforge.render.spec_schema import render_spec_schemas

    try:
        write_tree(Path(args.out), render_spec_schemas())
    except OutputPathError as e:
        return fail([f"specforge json-schema: {e}"])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="specforge", description="Check specs and generate code from them."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser(
        "check",
        help="validate specs; print located errors",
        description="Validate spec files (or every spec of the repo at --root). Prints "
        "'path:line:col: error: message [key.path]' per problem and exits 1, or exits 0.",
    )
    check.add_argument("--root", default=".", help="the repo root (default: .)")
    check.add_argument("files", nargs="*", help="spec files, relative to --root")
    check.set_defaults(func=cmd_check)

    gen = sub.add_parser("generate", help="generate Python code from specs")
    gen.add_argument("--root", default=".", help="the repo root (default: .)")
    gen.add_argument("--out", required=True, help="directory to write generated files into")
    gen.add_argument(
        "--broker",
        default="redis",
        choices=BROKER_KEYS,
        help="the FastStream broker of the generated events code (default: redis)",
    )
    gen.add_argument(
        "--target",
        action="append",
        help="generate only for these spec files (default: every given file); repeatable",
    )
    gen.add_argument(
        "--app",
        action="append",
        help="also generate the app factory of this service; repeatable",
    )
    gen.add_argument("files", nargs="*", help="spec files: the targets plus what they use")
    gen.set_defaults(func=cmd_generate)

    diff = sub.add_parser(
        "diff",
        help="classify what changed between two versions of the specs, and whom it breaks",
        description="Compare every spec of --base (the old version, e.g. a `git archive` of the "
        "merge base) with every spec of --root (the new one). Prints one line per change: its "
        "level (breaking, warning, info), its rule, the operation or event, and the services it "
        "breaks (from the old manifests and subscriptions). Exits 1 when a breaking change "
        "reaches a consumer and the allow-list does not accept it, or when either version has "
        "spec errors; else 0.",
    )
    diff.add_argument("--base", required=True, help="the repo root of the old specs")
    diff.add_argument("--root", default=".", help="the repo root of the new specs (default: .)")
    diff.add_argument(
        "--format", choices=DIFF_FORMATS, default=DIFF_FORMATS[0], help="(default: text)"
    )
    diff.add_argument(
        "--allow",
        help="the allow-list of intended breaking changes, relative to --root (default: "
        "spec-diff-allow.yaml when it exists): entries of rule, subject and reason",
    )
    diff.set_defaults(func=cmd_diff)

    scaf = sub.add_parser(
        "scaffold",
        help="propose the files of every registered service (sync-services writes them)",
    )
    scaf.add_argument("--root", default=".", help="the repo root (default: .)")
    scaf.add_argument("--out", required=True, help="directory to write the proposed files into")
    scaf.add_argument("files", nargs="*", help="spec files, services.yml included")
    scaf.set_defaults(func=cmd_scaffold)

    schema = sub.add_parser(
        "json-schema",
        help="write the JSON Schemas (draft-07) of the spec files, for editors",
        description="Write shared/schemas/<kind>.schema.json under --out for each kind of spec "
        "file (registry, models, events, domain, manifest), rendered from the engine's own key "
        "tables.",
    )
    schema.add_argument("--out", required=True, help="the repo root to write them under")
    schema.set_defaults(func=cmd_json_schema)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception:  # a bug in specforge, not in the specs: say so, with the traceback
        import traceback

        traceback.print_exc()
        print(
            "specforge: internal error (the specs passed validation; this is a bug in "
            "specforge, please report it with the traceback above)",
            file=sys.stderr,
        )
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
