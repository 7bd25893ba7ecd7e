import sys

from specforge.cli import main

sys.exit(main())
