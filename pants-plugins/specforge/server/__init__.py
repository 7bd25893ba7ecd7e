"""The engine server: one warm engine process that forks a worker per engine run.

A cold `./pants generate ::` runs one engine process per spec directory (so that an edit
re-runs two processes, not fifty), and each would spend half its time importing the engine.
The codegen and lint rules of the Pants plugin therefore run the engine's `launch` entry
point with `SPECFORGE_SERVER_DIR` set: the launcher connects to a server that has imported the
engine and compiled its templates once, passes it the run (its argv, environment, working
directory and output streams, the last two as descriptors), and exits with the worker's exit
code. A forked worker starts where a new process would have finished importing; what it does
from there is exactly what the engine does in a process of its own (`specforge.cli.main`),
in the sandbox it was handed.

The same design as Pants' nailgun for JVM tools and Bazel's persistent workers, kept to what
this engine needs:

- **Keyed by the engine.** A server serves one engine build: its socket is named after the
  venv it runs from (which Pex names after the PEX's contents) and the Python it runs on. A
  changed engine starts a new server; the old one exits when idle.
- **Private.** Sockets live in a directory that is the user's own with no group or other
  permissions (checked before use, never followed through a link), and a server serves only
  its own user (the peer's credentials are checked).
- **Optional.** Whenever no server can be used (no such directory, as under remote execution;
  a path too long for a socket; a server that does not answer), the launcher runs the engine
  in its own process. The result is the same; only the time differs.
- **Short-lived.** A server exits after `IDLE_SECONDS` without a request, or as soon as its
  socket is removed (its directory deleted, or another server took its place).
- **Tied to its client.** A worker whose client goes away (Pants cancelled or timed out the
  run) kills itself at once.
"""

from __future__ import annotations

ENV_VAR = "SPECFORGE_SERVER_DIR"
IDLE_SECONDS = 120.0
