"""Runs core functions off the GUI thread: one worker thread, the newest request of each kind wins.

A job is a plain function `fn(state, *args)` that returns a value. It may call
`state.report(fraction, text)` to show progress and should return early when
`state.should_stop()` is true. Results and errors come back on the GUI thread as signals; a result
of a request that a newer one of the same kind has replaced is dropped, never shown.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal


class TaskState:
    """What a running job sees: a way to report progress and to learn it is no longer wanted."""

    def __init__(self, runner: "TaskRunner", kind: str, ident: int):
        self._runner, self.kind, self.ident = runner, kind, ident

    def should_stop(self) -> bool:
        return self._runner._is_stale(self.kind, self.ident)

    def report(self, fraction: float, text: str = "", partial=None) -> None:
        """Progress, with an optional partial result for the view (an image forming, say)."""
        if not self.should_stop():
            self._runner._progress.emit(self.kind, self.ident, float(fraction), text, partial)


class UserError(Exception):
    """An error a user caused; its text is shown as is."""


@dataclass
class _Job:
    kind: str
    ident: int
    fn: Callable[..., Any]
    args: tuple


class _Worker(QThread):
    def __init__(self, runner: "TaskRunner"):
        super().__init__()
        self.runner = runner

    def run(self):
        runner = self.runner
        while True:
            job = runner._next_job()
            if job is None:
                return
            state = TaskState(runner, job.kind, job.ident)
            try:
                result = job.fn(state, *job.args)
            except Exception as exc:  # reported, never raised into Qt
                runner._job_done(job)
                runner._failed.emit(job.kind, job.ident, _sentence(exc), traceback.format_exc())
            else:
                runner._job_done(job)
                runner._finished.emit(job.kind, job.ident, result)


def _sentence(exc: Exception) -> str:
    """Errors from core (ModelError, ImageError, UserError) are already sentences."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else name
    if name in ("ModelError", "ImageError", "UserError"):
        return text
    return f"Unexpected error ({name}): {text}"


class TaskRunner(QObject):
    """Queues jobs by kind; kinds listed first in `priority` run first when several wait."""

    finished = Signal(str, object)  # kind, result
    failed = Signal(str, str, str)  # kind, sentence, traceback
    progress = Signal(str, float, str)  # kind, fraction, text
    partial = Signal(str, object)  # kind, a partial result sent with progress
    busy_changed = Signal(bool)
    cancelled = Signal(str)  # kind: its running or waiting request was cancelled; no result will come

    _finished = Signal(str, int, object)
    _failed = Signal(str, int, str, str)
    _progress = Signal(str, int, float, str, object)

    def __init__(self, priority=("model", "labels", "image", "forward", "backprop", "cam", "scan", "topviews", "featurevis"), parent=None):
        super().__init__(parent)
        self.priority = list(priority)
        self._lock = threading.Condition()
        self._pending: dict[str, _Job] = {}
        self._latest: dict[str, int] = {}
        self._running: _Job | None = None
        self._counter = 0
        self._closing = False
        self._finished.connect(self._on_finished)
        self._failed.connect(self._on_failed)
        self._progress.connect(self._on_progress)
        self._worker = _Worker(self)
        self._worker.start()

    # ---------------------------------------------------------------- GUI-thread API
    def submit(self, kind: str, fn: Callable[..., Any], *args) -> int:
        with self._lock:
            self._counter += 1
            job = _Job(kind, self._counter, fn, args)
            self._latest[kind] = job.ident
            self._pending[kind] = job  # replaces an older pending request of the same kind
            self._lock.notify_all()
        self.busy_changed.emit(True)
        return job.ident

    def cancel(self, kind: str | None = None) -> None:
        """Forget the current and pending requests of a kind (or of every kind)."""
        with self._lock:
            kinds = [kind] if kind else list(self._latest)
            dropped = []
            for k in kinds:
                if k in self._pending or (self._running is not None and self._running.kind == k
                                          and self._latest.get(k) == self._running.ident):
                    dropped.append(k)
                self._counter += 1
                self._latest[k] = self._counter
                self._pending.pop(k, None)
        for k in dropped:  # so a view waiting for that result can stop waiting
            self.cancelled.emit(k)
        self.busy_changed.emit(self.is_busy())

    def is_busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or self._running is not None

    def running_kind(self) -> str | None:
        with self._lock:
            return self._running.kind if self._running else None

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop the worker; a running job is told to stop. True if the thread has ended."""
        with self._lock:
            self._closing = True
            self._pending.clear()
            for k in list(self._latest):
                self._latest[k] = -1
            self._lock.notify_all()
        return self._worker.wait(timeout_ms)

    # ---------------------------------------------------------------- worker side
    def _next_job(self) -> _Job | None:
        with self._lock:
            while not self._closing and not self._pending:
                self._lock.wait()
            if self._closing:
                return None
            kind = min(self._pending, key=lambda k: self.priority.index(k) if k in self.priority else len(self.priority))
            self._running = self._pending.pop(kind)
            return self._running

    def _job_done(self, job: _Job) -> None:
        with self._lock:
            self._running = None

    def _is_stale(self, kind: str, ident: int) -> bool:
        with self._lock:
            return self._closing or self._latest.get(kind) != ident

    # ---------------------------------------------------------------- back on the GUI thread
    def _on_finished(self, kind, ident, result):
        if not self._is_stale(kind, ident):
            self.finished.emit(kind, result)
        self.busy_changed.emit(self.is_busy())

    def _on_failed(self, kind, ident, sentence, trace):
        if not self._is_stale(kind, ident):
            self.failed.emit(kind, sentence, trace)
        self.busy_changed.emit(self.is_busy())

    def _on_progress(self, kind, ident, fraction, text, partial):
        if not self._is_stale(kind, ident):
            self.progress.emit(kind, fraction, text)
            if partial is not None:
                self.partial.emit(kind, partial)
