"""The engine's entry point: `specforge ARGS`.

With `SPECFORGE_SERVER_DIR` set (the Pants plugin sets it), the run goes to a warm engine
server below that directory (see `specforge.server`); otherwise, or when no server can take
it, the engine runs here. Either way the run is `specforge.cli.main(ARGS)`.
"""

from __future__ import annotations

import os
import sys

from specforge.server import ENV_VAR


def run_engine(argv: list[str]) -> int:
    from specforge.cli import main as cli_main

    return cli_main(argv)


def main() -> int:
    argv = sys.argv[1:]
    parent = os.environ.get(ENV_VAR)
    if parent:
        from specforge.server.client import run_on_server

        try:
            code = run_on_server(argv, parent)
        except KeyboardInterrupt:  # as the engine itself answers an interrupt
            return 130
        if code is not None:
            return code
    return run_engine(argv)


if __name__ == "__main__":
    sys.exit(main())
