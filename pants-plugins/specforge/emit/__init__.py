"""Emission: the only door through which spec text becomes generated files.

Spec strings are data. They reach generated Python, Dockerfiles, BUILD files, YAML, JSON, Markdown
and JavaScript only through the escapers of `escape`, applied by the template environment of
`templates` itself: a template cannot write a plain `str` at all, only `Ident`s (validated
identifiers) and `Code` of the template's own language. Renderers build Python fragments with
`code.py()`, which accepts nothing but `Ident`, `Code` and integers, so spec text cannot be pasted
into code by mistake either.
"""
