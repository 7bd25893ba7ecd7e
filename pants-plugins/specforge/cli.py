"""The specforge command line.

    python -m specforge check [--root DIR] [FILE ...]
    python -m specforge generate --root DIR --out DIR [--broker redis] FILE ... [--target FILE ...]

`check` prints one `path:line:col: error: message [key.path]` line per problem and exits 1,
or prints nothing and exits 0. Without FILEs it checks every spec of the repo at --root.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from specforge.build import check_sources, iter_spec_files
from specforge.errors import Location, SpecError

# Exit codes: 0 fine, 1 invalid specs (located errors printed), 70 a bug in specforge.
INTERNAL_ERROR = 70


def read_sources(root: Path, files: Sequence[str]) -> tuple[dict[str, str], list[SpecError]]:
    """{repo-relative path: text} for the given files (or the whole repo), plus read errors."""
    rels = list(files) if files else list(iter_spec_files(str(root)))
    sources: dict[str, str] = {}
    problems: list[SpecError] = []
    for rel in rels:
        path = Path(rel)
        if path.is_absolute():
            try:
                rel = path.relative_to(root.resolve()).as_posix()
            except ValueError:
                rel = path.as_posix()
        else:
            path = root / rel
        try:
            sources[Path(rel).as_posix()] = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            problems.append(SpecError(Location(rel), "", "no such file"))
        except IsADirectoryError:
            problems.append(SpecError(Location(rel), "", "is a directory, not a spec file"))
        except UnicodeDecodeError as e:
            problems.append(
                SpecError(Location(rel), "", f"the file is not UTF-8 text ({e.reason})")
            )
        except OSError as e:
            problems.append(SpecError(Location(rel), "", f"cannot read the file: {e.strerror}"))
    return sources, problems


def cmd_check(args: argparse.Namespace) -> int:
    root = Path(args.root)
    sources, problems = read_sources(root, args.files)
    if args.files:
        # The rest of the repo's specs are the context of the given files (where the models
        # and events they use are defined); only the given files' errors are reported.
        context, _ = read_sources(root, [f for f in iter_spec_files(str(root)) if f not in sources])
        _, errors = check_sources({**context, **sources})
        errors = [e for e in errors if e.location.file in sources]
    else:
        _, errors = check_sources(sources)
    errors = sorted({*problems, *errors})
    for e in errors:
        print(e.format())
    return 1 if errors else 0


def cmd_generate(args: argparse.Namespace) -> int:
    from specforge.render import generate_files, write_tree

    root = Path(args.root)
    sources, problems = read_sources(root, args.files)
    # Without --target, every given file is a target, unless only app factories are asked for.
    targets = args.target if args.target else ([] if args.app else list(sources))
    # The files the targets merely use are checked by their own targets: index them only.
    project, errors = check_sources(sources, shallow=set(sources) - set(targets))
    errors = sorted({*problems, *errors})
    if errors or project is None:
        for e in errors:
            print(e.format(), file=sys.stderr)
        return 1
    files = generate_files(project, targets=targets, apps=args.app or (), broker=args.broker)
    write_tree(Path(args.out), files)
    return 0


def cmd_scaffold(args: argparse.Namespace) -> int:
    from specforge.render import write_tree
    from specforge.scaffold import COMPOSE_PATH, scaffold

    root = Path(args.root)
    sources, problems = read_sources(root, args.files)
    project, errors = check_sources(sources)
    errors = sorted({*problems, *errors})
    if not errors and project is not None and project.registry is None:
        errors = [SpecError(Location("services.yml"), "", "no services.yml among the spec files")]
    if errors or project is None:
        for e in errors:
            print(e.format(), file=sys.stderr)
        return 1
    compose_file = root / COMPOSE_PATH
    compose = compose_file.read_text() if compose_file.is_file() else None
    write_tree(Path(args.out), scaffold(project, compose))
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
        choices=("redis", "rabbit", "nats", "kafka"),
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

    scaf = sub.add_parser(
        "scaffold",
        help="propose the files of every registered service (sync-services writes them)",
    )
    scaf.add_argument("--root", default=".", help="the repo root (default: .)")
    scaf.add_argument("--out", required=True, help="directory to write the proposed files into")
    scaf.add_argument("files", nargs="*", help="spec files, services.yml included")
    scaf.set_defaults(func=cmd_scaffold)

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
