"""specforge: the spec engine.

Loads the YAML specs of a repo (models, events, domain specs, manifests and the service
registry), validates them into an immutable IR, and renders that IR into Python modules.
It does not import Pants; the Pants plugin runs it as a sandboxed process.
"""

__version__ = "0.1.0"
