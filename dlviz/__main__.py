"""`python -m dlviz`: the same as the `dlviz` command."""

from dlviz.app import main

raise SystemExit(main())
