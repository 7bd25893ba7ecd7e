"""The Jinja2 environment of every template: it writes identifiers and escaped code only.

Each template has a target language, known from its file name (`*.py.j2` and `*BUILD.j2` are
Python, `Dockerfile.j2`, `*.js.j2`, `*.json.j2`, `*.yml.j2`, `*.md.j2`). The environment's
`finalize` hook sees every `{{ ... }}` before it is written: it lets through an `Ident`, an
integer, or `Code` of the template's own language, and raises `UnsafeEmission` for anything else,
a plain `str` above all. Text gets into a template only through the filters below, which escape
it for the template's language:

- `{{ text | literal }}`: a string (or number, or list of those) literal;
- `{{ text | docstring }}`: the body of a Python docstring;
- `{{ text | comment }}`: the rest of a one-line comment;
- `{{ text | prose }}`: Markdown prose.

Code that templates share, such as signatures and calls, is written as macros in a macro
template (`_<name>.<lang>.j2`) and called like a function: `{{ signature(op.params) }}`. A macro
returns a plain string, which `finalize` would refuse, so each macro of the files named in
`MACRO_FILES` is a global of the environment wrapped in `CodeMacro`, which returns its output
as `Code` of the macro template's language. That is sound: every `{{ ... }}` inside the macro
went through `finalize` itself.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path, PurePosixPath

import jinja2

from specforge.emit import escape
from specforge.emit.code import (
    Code,
    Dockerfile,
    Ident,
    JavaScript,
    Json,
    Markdown,
    Python,
    UnsafeEmission,
    Yaml,
    py_comment,
    py_docstring,
    py_value,
)

LANGUAGES: dict[str, type[Code]] = {
    "python": Python,
    "dockerfile": Dockerfile,
    "javascript": JavaScript,
    "json": Json,
    "yaml": Yaml,
    "markdown": Markdown,
}


@functools.lru_cache(maxsize=256)
def language_of(template: str) -> str:
    """The target language of a template, from its file name."""
    name = PurePosixPath(template).name
    if not name.endswith(".j2"):
        raise UnsafeEmission(f"template {template!r}: template files end in .j2")
    stem = name[: -len(".j2")]
    if stem.endswith("BUILD") or stem.endswith(".py"):
        return "python"
    if stem == "Dockerfile":
        return "dockerfile"
    suffix = PurePosixPath(stem).suffix
    by_suffix = {".js": "javascript", ".json": "json", ".yml": "yaml", ".md": "markdown"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    raise UnsafeEmission(f"template {template!r}: unknown target language")


def _language(ctx: jinja2.runtime.Context) -> str:
    return language_of(ctx.name or "")


@jinja2.pass_context
def _finalize(ctx: jinja2.runtime.Context, value: object) -> object:
    language = _language(ctx)
    if isinstance(value, Ident):
        return value
    if isinstance(value, Code) and value.language == language:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UnsafeEmission(
        f"template {ctx.name}: a {type(value).__name__} ({str(value)[:60]!r}) cannot be written "
        f"into {language} as it is; pass it through a filter (literal, docstring, comment, "
        "prose) or make it an Ident"
    )


def _data_literal(value: object) -> str:
    """A JSON literal (also JavaScript, YAML flow and Dockerfile exec-form syntax)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise UnsafeEmission(f"{value!r} has no JSON literal")
        return repr(value)
    if isinstance(value, str):
        return escape.json_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_data_literal(v) for v in value) + "]"
    raise UnsafeEmission(f"no literal for {type(value).__name__}")


@jinja2.pass_context
def _literal(ctx: jinja2.runtime.Context, value: object) -> Code:
    language = _language(ctx)
    if language == "python":
        return py_value(value)
    if language == "markdown":
        raise UnsafeEmission(f"template {ctx.name}: Markdown has no literals; use prose")
    if language == "yaml" and isinstance(value, str):
        return Yaml(escape.yaml_string(value))
    return LANGUAGES[language](_data_literal(value))


@jinja2.pass_context
def _docstring(ctx: jinja2.runtime.Context, value: str) -> Code:
    if _language(ctx) != "python":
        raise UnsafeEmission(f"template {ctx.name}: docstrings are Python")
    return py_docstring(_text(value))


@jinja2.pass_context
def _comment(ctx: jinja2.runtime.Context, value: str) -> Code:
    language = _language(ctx)
    if language in ("json", "markdown"):
        raise UnsafeEmission(f"template {ctx.name}: {language} has no line comments")
    if language == "python":
        return py_comment(_text(value))
    return LANGUAGES[language](escape.line_comment(_text(value)))


@jinja2.pass_context
def _prose(ctx: jinja2.runtime.Context, value: str) -> Code:
    if _language(ctx) != "markdown":
        raise UnsafeEmission(f"template {ctx.name}: prose is for Markdown")
    return Markdown(escape.markdown_text(_text(value)))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise UnsafeEmission(f"expected text, got {type(value).__name__}")
    return value


# The macro templates whose macros every template can call (see the module docstring).
MACRO_FILES = ("_signatures.py.j2",)


class CodeMacro:
    """A macro of a macro template, returning its output as code of that template's language."""

    def __init__(self, env: jinja2.Environment, template: str, name: str) -> None:
        self.env = env
        self.template = template
        self.name = name
        self.language = LANGUAGES[language_of(template)]

    def __call__(self, *args: object, **kwargs: object) -> Code:
        macro = getattr(self.env.get_template(self.template).module, self.name)
        return self.language(str(macro(*args, **kwargs)))


def _add_macros(env: jinja2.Environment) -> None:
    for template in MACRO_FILES:
        try:
            source = env.loader.get_source(env, template)[0] if env.loader else ""
        except jinja2.TemplateNotFound:
            continue
        for node in env.parse(source).find_all(jinja2.nodes.Macro):
            env.globals[node.name] = CodeMacro(env, template, node.name)


def make_environment(
    *templates: Path, bytecode_cache: jinja2.BytecodeCache | None = None
) -> jinja2.Environment:
    """The environment of the templates in the `templates` directories (searched in order):
    strict undefined, the escaping `finalize`, the filters above, block tags that leave no
    blank lines."""
    env = jinja2.Environment(
        bytecode_cache=bytecode_cache,
        loader=jinja2.FileSystemLoader([str(t) for t in templates]),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(literal=_literal, docstring=_docstring, comment=_comment, prose=_prose)
    _add_macros(env)
    return env
