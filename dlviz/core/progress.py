"""One protocol for long work in core: say how far it is, hand over a partial result, and learn
that it is no longer wanted.

Every long function in core takes `progress: Progress | None`. The worker's job state, the command
line's progress line and the embedding explorer's control are all `Progress` objects; `None` means
nobody is listening and nothing stops the work. What a function does when told to stop (raise
`Cancelled`, or return what it has, marked) is written in its docstring.
"""

from __future__ import annotations

from typing import Callable

from dlviz.core.errors import Cancelled


class Progress:
    """The quiet default: reports go nowhere and the work is always wanted."""

    def report(self, fraction: float, text: str = "", partial=None) -> None:
        """`fraction` of the work is done (0 to 1); `partial` is a result so far for a view
        (an image forming, a layout moving), or None."""

    def should_stop(self) -> bool:
        return False

    def others_waiting(self) -> bool:
        """Whether other work waits that should go first: long work that can pause, pauses."""
        return False

    def check(self) -> None:
        """Raise `Cancelled` if the work is no longer wanted."""
        if self.should_stop():
            raise Cancelled()

    def within(self, start: float, end: float) -> "Progress":
        """The same listener for one stage of the work, which runs from `start` to `end`."""
        return Stage(self, start, end)


class Callbacks(Progress):
    """A Progress made of two plain functions (for scripts and tests)."""

    def __init__(self, report: Callable[[float, str, object], None] | None = None,
                 should_stop: Callable[[], bool] | None = None):
        self._report, self._should_stop = report, should_stop

    def report(self, fraction, text="", partial=None):
        if self._report is not None:
            self._report(fraction, text, partial)

    def should_stop(self):
        return bool(self._should_stop and self._should_stop())


class Stage(Progress):
    """One stage of some work: its reports, 0 to 1, are the outer work's from `start` to `end`."""

    def __init__(self, outer: Progress, start: float, end: float):
        self.outer, self.start, self.end = outer, start, end

    def report(self, fraction, text="", partial=None):
        self.outer.report(self.start + (self.end - self.start) * fraction, text, partial)

    def should_stop(self):
        return self.outer.should_stop()


QUIET = Progress()


def given(progress: Progress | None) -> Progress:
    """`progress`, or the quiet default."""
    return QUIET if progress is None else progress
