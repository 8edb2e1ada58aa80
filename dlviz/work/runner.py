"""Runs jobs off the GUI thread: one worker thread, the newest request of each kind wins.

A job is a plain function `fn(state, *args)` that returns a value. `state` is a
`dlviz.core.progress.Progress`: the job hands it to core's long functions, which report progress
(and partial results) through it and stop when `state.should_stop()` turns true.

Whoever asks for a job owns its answer: `submit` takes the requester's own callbacks (done,
failed, partial, progress, cancelled), called on the GUI thread, only for the newest request of
the kind. A result of a request that a newer one replaced, or that was cancelled, is dropped.
The runner's signals repeat every answer for onlookers (the status bar, tests): after the
requester's callback for a result, before it for a failure.

Errors: a `DlvizError` is a sentence for the user and is passed on as it is; anything else is a
bug, passed on as "Unexpected error (...)" with its traceback, which the runner also logs.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal

from dlviz import runtime
from dlviz.core.errors import DlvizError, sentence
from dlviz.core.progress import Progress
from dlviz.work import kinds as kinds_table

log = logging.getLogger("dlviz")


class JobState(Progress):
    """What a running job sees: where to report progress, and whether it is still wanted."""

    def __init__(self, runner: "JobRunner", kind: str, ident: int):
        self._runner, self.kind, self.ident = runner, kind, ident

    def should_stop(self) -> bool:
        return self._runner.is_stale(self.kind, self.ident)

    def others_waiting(self) -> bool:
        return self._runner.waiting_before(self.kind)

    def report(self, fraction: float, text: str = "", partial=None) -> None:
        if not self.should_stop():
            self._runner._progress.emit(self.kind, self.ident, float(fraction), text, partial)


@dataclass
class _Job:
    kind: str
    ident: int
    fn: Callable[..., Any]
    args: tuple
    callbacks: dict = field(default_factory=dict)  # done, failed, partial, progress, cancelled


class _Worker(QThread):
    def __init__(self, runner: "JobRunner"):
        super().__init__()
        self.runner = runner

    def run(self):
        runner = self.runner
        runtime.make_way_for_the_window()  # the GUI thread runs first when the cores are busy
        while True:
            job = runner._next_job()
            if job is None:
                return
            try:
                with runtime.device_work(), _torch_threads(runner.threads):
                    result = job.fn(JobState(runner, job.kind, job.ident), *job.args)
            except Exception as exc:  # reported, never raised into Qt
                runner._job_done()
                trace = "" if isinstance(exc, DlvizError) else traceback.format_exc()
                runner._failed.emit(job.kind, job.ident, describe(exc), trace)
            else:
                runner._job_done()
                runner._finished.emit(job.kind, job.ident, result)


@contextmanager
def _torch_threads(count: int | None):
    if count is None:
        yield
        return
    from dlviz.core.activations import threads  # torch is in by the time a count is set

    with threads(count):
        yield


def describe(exc: BaseException) -> str:
    """A DlvizError is already a sentence; anything else is a bug, named as one."""
    if isinstance(exc, DlvizError):
        return sentence(exc)
    return f"Unexpected error ({type(exc).__name__}): {sentence(exc)}"


CALLBACKS = ("done", "failed", "partial", "progress", "cancelled")


class JobRunner(QObject):
    """Queues jobs by kind; of several waiting, the kind listed first in the table runs first."""

    finished = Signal(str, object)  # kind, result
    failed = Signal(str, str, str)  # kind, sentence, traceback (empty for a DlvizError)
    progress = Signal(str, float, str)  # kind, fraction, text
    partial = Signal(str, object)  # kind, a partial result sent with progress
    submitted = Signal(str)  # kind
    busy_changed = Signal(bool)
    cancelled = Signal(str)  # kind: its running or waiting request was cancelled; no result will come

    _finished = Signal(str, int, object)
    _failed = Signal(str, int, str, str)
    _progress = Signal(str, int, float, str, object)

    def __init__(self, table: dict | None = None, parent=None):
        super().__init__(parent)
        self.table = dict(kinds_table.TOOLBOX if table is None else table)
        self._order = {name: k for k, name in enumerate(self.table)}
        self._lock = threading.Condition()
        self._pending: dict[str, _Job] = {}
        self._latest: dict[str, _Job | None] = {}  # the request whose answer is wanted, per kind
        self._running: _Job | None = None
        self._counter = 0
        self._closing = False
        # Torch threads for the jobs that start from now on (None: torch's own count). While live
        # frames play, the window leaves a core for drawing; with torch on every core, a backward
        # pass took 0.9 s instead of 63 ms beside one busy program (OpenMP's threads wait for
        # each other, and one of them is always waiting for a core).
        self.threads: int | None = None
        self._finished.connect(self._on_finished)
        self._failed.connect(self._on_failed)
        self._progress.connect(self._on_progress)
        self._worker = _Worker(self)
        self._worker.start()

    # ---------------------------------------------------------------- GUI-thread API
    def submit(self, kind: str, fn: Callable[..., Any], *args, **callbacks) -> int:
        """Run `fn(state, *args)`; the requester's `callbacks` (done, failed, partial, progress,
        cancelled) answer this request only. Replaces a waiting request of the same kind and makes
        a running one stale."""
        if kind not in self.table:
            raise ValueError(f"no job kind '{kind}' in this runner's table")
        unknown = set(callbacks) - set(CALLBACKS)
        if unknown:
            raise TypeError(f"unknown callbacks: {', '.join(sorted(unknown))}")
        with self._lock:
            self._counter += 1
            job = _Job(kind, self._counter, fn, args, callbacks)
            self._latest[kind] = job
            self._pending[kind] = job
            self._lock.notify_all()
        self.submitted.emit(kind)
        self.busy_changed.emit(True)
        return job.ident

    def cancel(self, *names: str) -> None:
        """Forget the running and waiting requests of these kinds (of every kind if none is named);
        what is on screen stays. Each request dropped hears `cancelled`."""
        dropped = []
        with self._lock:
            for kind in names or list(self._latest):
                job = self._latest.get(kind)
                if job is not None:  # waiting, running, or done with its answer not yet handed over
                    dropped.append(job)
                self._latest[kind] = None
                self._pending.pop(kind, None)
        for job in dropped:  # so a view waiting for that result can stop waiting
            self._call(job, "cancelled")
            self.cancelled.emit(job.kind)
        self.busy_changed.emit(self.is_busy())

    def waiting_before(self, kind: str) -> bool:
        """Whether a request of a kind that goes before `kind` is waiting."""
        with self._lock:
            order = self._order[kind]
            return any(self._order[other] < order for other in self._pending)

    def is_busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or self._running is not None

    def awaited(self, but=()) -> bool:
        """Whether an answer of a kind not in `but` is still to come: a request waits or runs, or
        its result is on its way to the GUI thread (where the requester may ask for more)."""
        with self._lock:
            if self._running is not None and self._running.kind not in but:
                return True
            return any(job is not None and kind not in but for kind, job in self._latest.items())

    def running_kind(self) -> str | None:
        with self._lock:
            return self._running.kind if self._running else None

    def waiting(self, kind: str) -> bool:
        """Whether an answer of this kind is still to come."""
        with self._lock:
            return self._latest.get(kind) is not None

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop the worker; a running job is told to stop. True if the thread has ended."""
        with self._lock:
            self._closing = True
            self._pending.clear()
            self._latest.clear()
            self._lock.notify_all()
        return self._worker.wait(timeout_ms)

    def is_stale(self, kind: str, ident: int) -> bool:
        """True once a newer request of the kind, a cancel or the shutdown made this one worthless."""
        with self._lock:
            job = self._latest.get(kind)
            return self._closing or job is None or job.ident != ident

    # ---------------------------------------------------------------- worker side
    def _next_job(self) -> _Job | None:
        with self._lock:
            while not self._closing and not self._pending:
                self._lock.wait()
            if self._closing:
                return None
            kind = min(self._pending, key=self._order.__getitem__)
            self._running = self._pending.pop(kind)
            return self._running

    def _job_done(self) -> None:
        with self._lock:
            self._running = None

    # ---------------------------------------------------------------- back on the GUI thread
    def _wanted(self, kind, ident) -> _Job | None:
        with self._lock:
            job = self._latest.get(kind)
            return job if job is not None and job.ident == ident and not self._closing else None

    def _answered(self, kind, ident) -> _Job | None:
        """The request, if still wanted; it is answered now, so nothing of the kind is awaited."""
        with self._lock:
            job = self._wanted(kind, ident)
            if job is not None:
                self._latest[kind] = None
            return job

    @staticmethod
    def _call(job: _Job, name: str, *args) -> None:
        """A requester's callback; a bug in it is reported (sys.excepthook) and the runner goes on."""
        callback = job.callbacks.get(name)
        if callback is not None:
            try:
                callback(*args)
            except Exception:
                sys.excepthook(*sys.exc_info())

    def _on_finished(self, kind, ident, result):
        job = self._answered(kind, ident)
        if job is not None:
            self._call(job, "done", result)
            self.finished.emit(kind, result)
        self.busy_changed.emit(self.is_busy())

    def _on_failed(self, kind, ident, text, trace):
        job = self._answered(kind, ident)
        if job is not None:
            if trace:  # a bug, not a sentence for the user: its traceback goes to the log
                log.error("%s job failed:\n%s", kind, trace)
            # Onlookers first (the status bar shows the sentence), so that what the requester does
            # about its failure (a fallback, a note) is the last word.
            self.failed.emit(kind, text, trace)
            self._call(job, "failed", text)
        self.busy_changed.emit(self.is_busy())

    def _on_progress(self, kind, ident, fraction, text, partial):
        job = self._wanted(kind, ident)
        if job is not None:
            self._call(job, "progress", fraction, text)
            self.progress.emit(kind, fraction, text)
            if partial is not None:
                self._call(job, "partial", partial)
                self.partial.emit(kind, partial)
