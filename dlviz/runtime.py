"""The process environment that the numeric libraries read once, at import: set before torch,
numba or Qt load, by every entry point (the window, the command line, the self-test).
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from contextlib import contextmanager

from dlviz import paths


def prepare() -> None:
    """Idempotent: a later call changes nothing a user or an earlier call has set."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(paths.cache_dir("numba")))
    # An operation Apple's MPS lacks (some backward passes, complex FFTs on older macOS) runs on
    # the CPU instead of failing the job.
    os.environ.setdefault("PYTORCH_ENABLE_MPS_FALLBACK", "1")
    # OpenMP's wait policy stays the default (spin a moment, then sleep). PASSIVE, set here once
    # for t-SNE's sake, made every forward pass 2.3 times slower (EfficientNet-Lite0: 21 -> 49 ms
    # on 2 cores) and no longer changes t-SNE or UMAP (docs/decisions/0006).
    # A windowed build (Windows, macOS) has no console: printing must not crash it.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")


_DEVICE_LOCK = threading.RLock()
_device_shared = False


def one_thread_on_the_device(needed: bool) -> None:
    """Set when a model goes to a device that torch cannot use from two threads at once (Apple's
    MPS under torch 2.14 ends the process with a Metal assertion), cleared when it leaves."""
    global _device_shared
    _device_shared = needed


@contextmanager
def device_work():
    """Hold while a job may use the model's device: the window's and the explorer's workers then
    take turns on such a device (the GUI thread never touches it: see activations.run)."""
    if not _device_shared:
        yield
        return
    with _DEVICE_LOCK:
        yield


_FROZEN: set[str] = set()


def freeze_long_lived(stage: str) -> None:
    """Move every object alive now out of the garbage collector's sight, once per `stage` of
    start-up ("model": torch, timm and the first model; "layout kernels": numba, umap, openTSNE).
    Those ~600k objects live as long as the process, yet each full collection walked them all:
    400-500 ms on whichever thread allocated last, often the GUI thread drawing a t-SNE frame.
    Frozen objects are still freed by reference counting (a replaced model goes at once); only
    reference cycles among them would stay, so it is done once per stage, early, and not again
    at each model load, when windows and point sets that may die in cycles are alive too.
    Cheap (a list splice); any thread may call it."""
    if stage not in _FROZEN:
        _FROZEN.add(stage)
        gc.freeze()


_quiet = threading.Lock()
_quiet_depth = 0


@contextmanager
def settling(stage: str):
    """Around a start-up stage that imports big libraries ("model", "layout kernels"), the first
    time only: no garbage collection while it runs, then its survivors frozen
    (`freeze_long_lived`). While torch imported, full collections walked the growing heap, 50-270
    ms each with every thread held, the GUI's too. Stages on two threads share the switch:
    collection resumes when the last one ends."""
    global _quiet_depth
    if stage in _FROZEN:
        yield
        return
    with _quiet:
        _quiet_depth += 1
        if _quiet_depth == 1:
            gc.disable()
    try:
        yield
    finally:
        freeze_long_lived(stage)
        with _quiet:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                gc.enable()
