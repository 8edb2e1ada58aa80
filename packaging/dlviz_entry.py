"""Entry script of the frozen app (packaging/dlviz.spec): the same as main.py, plus freeze_support.

multiprocessing's spawn start method (the default on Windows and macOS) re-runs the frozen
executable for each worker process; freeze_support() makes those children run the worker
instead of a second dlviz. On Linux (fork) it does nothing.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from dlviz.app import main

    raise SystemExit(main())
