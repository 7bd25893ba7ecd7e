from specforge_runtime.cli import main

raise SystemExit(main())
