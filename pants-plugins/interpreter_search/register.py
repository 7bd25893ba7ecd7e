"""A Python provider for Pants 2.17 that finds interpreters on `[python-bootstrap].search_path`
with one small probe instead of a run of Pex.

Pants asks Pex for the interpreter that matches each set of interpreter constraints, once per
pantsd: Pex starts from its 4 MB zipapp, re-executes itself and builds an empty PEX to ask the
interpreter about itself, which costs seconds of every cold run. This backend answers the same
question (the same search path, the same choice, the same path and fingerprint, so the same
cache keys) with one process of Pants' own Python. It is not specific to specforge.
"""

from interpreter_search import rules as search_rules


def rules():
    return search_rules.rules()
