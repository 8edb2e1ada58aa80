"""The process environment that the numeric libraries read once, at import: set before torch,
numba or Qt load, by every entry point (the window, the command line, the self-test).
"""

from __future__ import annotations

import gc
import os
import sys

from dlviz import paths


def prepare() -> None:
    """Idempotent: a later call changes nothing a user or an earlier call has set."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(paths.cache_dir("numba")))
    # OpenMP threads that spin after torch's work (a neighbour search) steal the cores from
    # openTSNE's and numba's threads: t-SNE ran 4-6 times slower. Sleeping idle threads cost
    # torch's forward pass nothing measurable. Must be set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # A windowed build (Windows, macOS) has no console: printing must not crash it.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")


def freeze_long_lived() -> None:
    """Move every object alive now out of the garbage collector's sight, after a big import (torch,
    timm, numba) or model load. Those ~600k objects live as long as the process, yet each full
    collection walked them all: 400-500 ms on whichever thread allocated last, often the GUI
    thread drawing a t-SNE frame. Frozen objects are still freed by reference counting; only
    cycles among them would stay, and these modules and the bundled model make none worth the
    time. Cheap (a list splice), so call it after each such step; any thread may."""
    gc.freeze()
