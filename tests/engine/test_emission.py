"""The emission layer: text reaches generated files only escaped for their language, and the
template environment refuses anything else."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import jinja2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from specforge.emit import escape
from specforge.emit.code import (
    Ident,
    Python,
    UnsafeEmission,
    Yaml,
    py,
    py_join,
    py_str,
    py_value,
)
from specforge.emit.templates import language_of, make_environment

ENGINE = Path(__file__).resolve().parents[2] / "pants-plugins" / "specforge"
# Any text at all: every Unicode category, surrogates included.
TEXT = st.text(st.characters(codec=None, categories=None), max_size=40) | st.sampled_from(
    [
        '"""',
        "'''",
        "\\",
        '"',
        'a"',
        '\\"',
        "\n",
        "\r\n",
        "\x00",
        "\u2028",
        "\u202e",
        "}{",
        "{{ x }}",
    ]
)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_python_strings_round_trip(text: str) -> None:
    literal = escape.python_string(text)
    assert literal.isprintable()
    assert ast.literal_eval(literal) == text


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_docstrings_round_trip_and_stay_docstrings(text: str) -> None:
    source = f'def f():\n    """{escape.python_docstring(text)}"""\n    return 1\n'
    tree = ast.parse(source)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef) and len(fn.body) == 2
    assert ast.get_docstring(fn, clean=False) == text


DOCSTRINGS = [
    "plain",
    "  leading and trailing  ",
    "\nnewline first",
    "newline last\n",
    "two\n  indented\nlines \n",
    'ends with a quote"',
    "tab\there",
    "\r\n\x00\u2028",
    "A sentence.\n\nA paragraph with    inner   spaces.",
]


def test_docstrings_survive_the_formatter(tmp_path: Path) -> None:
    """ruff format re-indents and trims docstrings: module docstrings still hold the text
    exactly, class docstrings give it back through `inspect.cleandoc` whenever
    `docstring_is_exact` says so (otherwise the renderers tell the JSON schema the text)."""
    import inspect
    import subprocess

    from specforge.render.common import ruff_binary, ruff_config_args

    for n, text in enumerate(DOCSTRINGS):
        body = escape.python_docstring(text)
        (tmp_path / f"m{n}.py").write_text(f'"""{body}"""\n\n\nclass C:\n    """{body}"""\n')
    subprocess.run([ruff_binary(), "format", *ruff_config_args(), "."], cwd=tmp_path, check=True)
    for n, text in enumerate(DOCSTRINGS):
        tree = ast.parse((tmp_path / f"m{n}.py").read_text())
        assert ast.get_docstring(tree, clean=False) == text, text
        cls = tree.body[1]
        assert isinstance(cls, ast.ClassDef)
        doc = ast.get_docstring(cls, clean=False)
        assert doc is not None
        if escape.docstring_is_exact(text):
            assert inspect.cleandoc(doc) == text


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_comments_stay_one_line(text: str) -> None:
    comment = escape.line_comment(text)
    assert comment.isprintable()
    tree = ast.parse(f"# {comment}\nx = 1\n")
    assert len(tree.body) == 1


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_json_and_yaml_strings_round_trip(text: str) -> None:
    literal = escape.json_string(text)
    assert literal.isprintable()
    assert json.loads(literal) == text
    scalar = escape.yaml_string(text)
    assert scalar.isprintable()
    if all(not 0xD800 <= ord(c) <= 0xDFFF for c in text):  # YAML cannot hold surrogates
        assert yaml.safe_load(f"key: {scalar}\n") == {"key": text}


def test_python_bytes_and_values() -> None:
    data = bytes(range(256))
    assert ast.literal_eval(escape.python_bytes(data)) == data
    value = {"a": [1, 2.5, None, True, 'x"y'], "b": b"\x00"}
    assert ast.literal_eval(py_value(value)) == value
    with pytest.raises(ValueError):
        py_value(float("nan"))


def test_code_cannot_be_mixed_with_text() -> None:
    code = py("{}[{}]", Ident("list"), Ident("int"))
    assert code == "list[int]" and isinstance(code, Python)
    with pytest.raises(UnsafeEmission):
        py("{}", "raw text")  # type: ignore[arg-type]
    with pytest.raises(UnsafeEmission):
        code + " or __import__('os')"
    with pytest.raises(UnsafeEmission):
        code.format("x")
    with pytest.raises(UnsafeEmission):
        py_join(", ", [code, "x"])  # type: ignore[list-item]
    with pytest.raises(UnsafeEmission):
        Ident("a-b")
    with pytest.raises(UnsafeEmission):
        Ident("x\n")
    assert type(code.replace("int", "str")) is str  # other str methods give plain text back


@pytest.fixture
def env(tmp_path: Path) -> jinja2.Environment:
    (tmp_path / "m.py.j2").write_text("x = {{ value }}\n")
    (tmp_path / "lit.py.j2").write_text("x = {{ value | literal }}  # {{ value | comment }}\n")
    (tmp_path / "doc.py.j2").write_text('"""{{ value | docstring }}"""\n')
    (tmp_path / "Dockerfile.j2").write_text("# {{ value | comment }}\nFROM x\n")
    (tmp_path / "a.json.j2").write_text('{"d": {{ value | literal }}}\n')
    (tmp_path / "a.md.j2").write_text("{{ value | prose }}\n")
    (tmp_path / "bad.json.j2").write_text("{{ value | docstring }}\n")
    return make_environment(tmp_path)


def test_templates_refuse_plain_text(env: jinja2.Environment) -> None:
    template = env.get_template("m.py.j2")
    with pytest.raises(UnsafeEmission, match="cannot be written"):
        template.render(value="1; import os")
    with pytest.raises(UnsafeEmission):
        template.render(value=Yaml("1"))  # code of another language
    with pytest.raises(UnsafeEmission):
        template.render(value=True)
    assert template.render(value=py_str("a")) == 'x = "a"\n'
    assert template.render(value=Ident("name")) == "x = name\n"
    assert template.render(value=3) == "x = 3\n"


def test_filters_escape_for_the_template_language(env: jinja2.Environment) -> None:
    evil = '"""\n__import__("os").system("x")  # {{ }}'
    out = env.get_template("lit.py.j2").render(value=evil)
    tree = ast.parse(out)
    assert len(tree.body) == 1 and ast.literal_eval(tree.body[0].value) == evil  # type: ignore[attr-defined]
    doc = env.get_template("doc.py.j2").render(value=evil)
    assert ast.get_docstring(ast.parse(doc)) == evil.strip()
    docker = env.get_template("Dockerfile.j2").render(value="x\nRUN touch /pwned")
    assert docker.splitlines()[1] == "FROM x" and len(docker.splitlines()) == 2
    assert json.loads(env.get_template("a.json.j2").render(value=evil)) == {"d": evil}
    assert "<script>" not in env.get_template("a.md.j2").render(value="<script>x</script>")
    with pytest.raises(UnsafeEmission):
        env.get_template("bad.json.j2").render(value="x")


def test_macros_return_code_made_only_of_code(tmp_path: Path) -> None:
    """A macro of a macro template is a function of every template; what it returns is code,
    because whatever it writes went through `finalize` too."""
    (tmp_path / "_signatures.py.j2").write_text(
        "{% macro pair(a, b) -%}{{ a }}, {{ b }}{%- endmacro %}\n"
    )
    (tmp_path / "use.py.j2").write_text("f({{ pair(first, second) }})\n")
    (tmp_path / "use.yml.j2").write_text("x: {{ pair(first, second) }}\n")
    env = make_environment(tmp_path)
    use = env.get_template("use.py.j2")
    assert use.render(first=Ident("a"), second=py_str("b")) == 'f(a, "b")\n'
    with pytest.raises(UnsafeEmission, match="cannot be written"):
        use.render(first=Ident("a"), second="b); import os; (")
    with pytest.raises(UnsafeEmission):  # Python code in a YAML template
        env.get_template("use.yml.j2").render(first=Ident("a"), second=Ident("b"))


def test_every_template_has_a_language() -> None:
    templates = sorted(ENGINE.rglob("*.j2"))
    assert templates
    for path in templates:
        language_of(path.name)


CODE_TYPES = {"Code", "Python", "Dockerfile", "JavaScript", "Json", "Yaml", "Markdown"}


def test_only_the_emission_layer_mints_code() -> None:
    """Outside `specforge/emit`, code is built with py()/py_join() from a literal template, never
    by wrapping text in a Code type."""
    for path in sorted(ENGINE.rglob("*.py")):
        if "emit" in path.relative_to(ENGINE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            where = f"{path.relative_to(ENGINE)}:{node.lineno}"
            assert node.func.id not in CODE_TYPES, f"{where} makes {node.func.id} directly"
            if node.func.id in ("py", "py_join"):
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                    f"{where}: {node.func.id}() takes an engine-written literal template"
                )
