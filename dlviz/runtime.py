"""The process environment that the numeric libraries read once, at import: set before torch,
numba or Qt load, by every entry point (the window, the command line, the self-test).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from contextlib import contextmanager

from dlviz import paths

log = logging.getLogger(__name__)


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


_preloaded: set[str] = set()


def _package_file(package: str, relative: str):
    """The path of `relative` inside `package`'s folder, found without importing it; None if absent."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    return next((Path(folder) / relative for folder in folders if (Path(folder) / relative).is_file()), None)


def preload(package: str, library: str) -> None:
    """Load the shared library `library` (a path inside `package`'s folder) on the calling thread
    without holding the GIL, before `package` is imported there.

    CPython holds the GIL while it loads an extension module, and ctypes holds it too while it
    loads a library, so the dynamic loader's work (300-450 ms for torch._C, which brings in
    libtorch and its CUDA libraries, about 1 GB of code; tens of ms for numba's libllvmlite)
    held every other thread, the GUI thread's event loop included. Called first from a worker,
    the loader runs through a plain foreign call, which releases the GIL; the import then finds
    the library in place. Linux only (the platform measured: benchmarks/stalls.py,
    docs/decisions/0009); anything unexpected leaves the loading to the import, as before.
    Once per library; it imports nothing."""
    key = f"{package}/{library}"
    if key in _preloaded or package in sys.modules or not sys.platform.startswith("linux"):
        return
    _preloaded.add(key)
    try:
        import ctypes

        path = _package_file(package, library)
        if path is None:
            return
        dlopen = ctypes.CDLL(None).dlopen  # a foreign call: ctypes lets go of the GIL around it
        dlopen.restype, dlopen.argtypes = ctypes.c_void_p, (ctypes.c_char_p, ctypes.c_int)
        if not dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL):  # kept for good
            log.debug("preloading %s failed; the import loads it", path)
    except Exception:  # noqa: BLE001 - an optimisation only: the import does the loading instead
        log.debug("preloading %s/%s failed", package, library, exc_info=True)


def preload_torch() -> None:
    """torch's libraries (libtorch, which needs the rest), before the first `import torch`. Not
    for a CUDA build whose CUDA libraries are not beside it: torch's import then finds them in
    its own order (pip's copies before the system's), which loading libtorch first would bypass."""
    if "torch" in sys.modules or not sys.platform.startswith("linux"):
        return
    try:
        cuda = _package_file("torch", "lib/libtorch_cuda.so")
    except Exception:  # noqa: BLE001 - as in preload: the import decides
        return
    if cuda is None or (cuda.parents[2] / "nvidia").is_dir():
        preload("torch", "lib/libtorch.so")
    # A CUDA build brings triton, whose extension (500 MB) torch._dynamo imports as soon as
    # torchvision's models are: 100-200 ms with the GIL held, measured at start-up.
    preload("triton", "_C/libtriton.so")


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


class _WhileAny:
    """A process-wide setting that threads share: made by the first of them to ask (`on`, which
    returns what was there before), undone when the last is done (`off(before)`), whatever order
    they end in."""

    def __init__(self, on, off):
        self._on, self._off = on, off
        self._lock = threading.Lock()
        self._depth = 0
        self._before = None

    def enter(self) -> None:
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._before = self._on()

    def leave(self) -> None:
        with self._lock:
            self._depth = max(0, self._depth - 1)
            if self._depth == 0:
                self._off(self._before)


_by_hand = False  # automatic collection is off for good: the window collects between its events


def collect_by_hand(on: bool) -> None:
    """Turn the interpreter's own (automatic) garbage collection off for good, or back on: with it
    off, only explicit collections run (`dlviz.gui.collector`, on the GUI thread)."""
    global _by_hand
    _by_hand = on
    gc.disable() if on or settling_now() else gc.enable()


def settling_now() -> bool:
    """Whether a start-up stage (`settling`) is under way: no collection meanwhile."""
    return _quiet._depth > 0


_quiet = _WhileAny(gc.disable, lambda _: None if _by_hand else gc.enable())


@contextmanager
def settling(stage: str):
    """Around a start-up stage that imports big libraries ("model", "layout kernels"), the first
    time only: no garbage collection while it runs, then its survivors frozen
    (`freeze_long_lived`). While torch imported, full collections walked the growing heap, 50-270
    ms each with every thread held, the GUI's too. Stages on two threads share the switch:
    collection resumes when the last one ends."""
    if stage in _FROZEN:
        yield
        return
    _quiet.enter()
    try:
        yield
    finally:
        freeze_long_lived(stage)
        _quiet.leave()


SHORT_TURN_S = 0.0005


def _shorten() -> float:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(SHORT_TURN_S, before))
    return before


_turns = _WhileAny(_shorten, sys.setswitchinterval)


@contextmanager
def short_turns():
    """Around work on a worker that lets go of the GIL and takes it back itself, often (reading a
    file a piece at a time), or that is Python from end to end (tracing a model): a thread that
    wants the GIL asks for it after 0.5 ms instead of Python's 5 ms.

    A waiting thread asks the holder to let go only when no switch happened during its wait, and
    a worker taking the GIL back itself counts as one: the GUI thread never asked, and a 400k-row
    read kept the window from ticking for 0.3-2.7 s at a time. Not for good: with every job under
    it, the window's own drawing was cut into 0.5 ms turns too, and stepping through layers drew
    more slowly (docs/decisions/0009). Work on two threads shares the setting; the interval goes
    back when the last ends. `begin_short_turns`/`end_short_turns` are the same for a span that is
    not one block (live input, while its frames play)."""
    _turns.enter()
    try:
        yield
    finally:
        _turns.leave()


begin_short_turns, end_short_turns = _turns.enter, _turns.leave


def make_way_for_the_window(step: int = 10) -> None:
    """Lower the calling thread's scheduling priority by `step`: every worker thread calls it as it
    starts, so that when the cores are all busy the GUI thread is the one that runs. Linux only,
    where each thread has its own nice value (Qt's thread priorities do nothing under Linux's
    default scheduler); threads a worker starts (torch's, numba's) inherit it. Live input with two
    frames in flight on two cores: the longest GUI pause 70-100 ms -> 48-73 ms
    (docs/decisions/0010)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + step))
    except (OSError, AttributeError):
        log.debug("could not lower a worker's priority", exc_info=True)
