"""What every pane of the toolbox window is: built from the session and the runner, it declares
the job kinds it submits, knows whether it is on screen, and offers its options as plain data.

A pane reads the session and asks it to change; it never talks to another pane. The answers to its
jobs come back to its own `job_*` methods (never through the window), only for its newest request
of each kind.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from dlviz.gui.widgets.text import duration


class Pane(QWidget):
    name: str | None = None  # the key its options are saved under in a session (None: nothing to save)
    kinds: tuple[str, ...] = ()  # the job kinds it submits
    said = Signal(str, bool)  # a sentence for the status bar, and whether it reports an error

    def __init__(self, session, runner, parent=None):
        super().__init__(parent)
        self.session, self.runner = session, runner
        self._looking = False
        self._deferred: dict = {}  # drawing put off while the pane could not be seen, by function
        self._places: dict[str, tuple] = {}  # kind -> (the cursor place last asked for, when it was first asked)
        self._resting: dict[str, QTimer] = {}  # kind -> the timer of a request waiting for the cursor to rest
        self._held: dict[str, tuple] = {}  # kind -> (fn, args) of that request
        self._passing: set[str] = set()  # kinds whose job is being dropped for a place the cursor passed
        if self.name:
            session.register(self.name, self.state, self.restore)

    def say(self, sentence: str, error: bool = False) -> None:
        self.said.emit(sentence, error)

    LONG_S = 30  # work longer than this is announced with its expected time before it starts

    def forward_ms(self) -> float:
        """How long one forward pass of the model takes here (measured with the current image)."""
        result = self.session.result
        return result.total_ms if result is not None else 50.0

    def announce(self, seconds: float, what: str) -> None:
        """Say how long `what` will take, when that is long."""
        if seconds > self.LONG_S:
            self.say(f"{what} takes about {duration(seconds)} on this computer; Cancel stops it.")

    def confirm(self, question: str) -> bool:
        """Ask before starting something that takes very long (tests answer for the user)."""
        from PySide6.QtWidgets import QMessageBox

        return QMessageBox.question(self, "dlviz", question) == QMessageBox.Yes

    # ---------------------------------------------------------------- on screen
    def on_screen(self) -> bool:
        """Visible and not hidden behind another tab: only then is its (costly) picture worth making."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def came_on_screen(self) -> None:
        """Called when the pane comes into view: ask for what it shows, if it is out of date."""

    def visibility_changed(self, visible: bool) -> None:
        """Its dock was shown, hidden, or raised in or lowered behind its tab group."""
        if visible:
            self._look_soon()

    def showEvent(self, event):
        super().showEvent(event)
        self._look_soon()

    def _look_soon(self):
        """Once the layout has settled, and once for a show and a dock's report of the same moment."""
        if not self._looking:
            self._looking = True
            QTimer.singleShot(0, self._check_on_screen)

    def _check_on_screen(self):
        self._looking = False
        if self.on_screen():
            deferred, self._deferred = self._deferred, {}
            for draw in deferred.values():
                draw()
            self.came_on_screen()

    def when_seen(self, draw) -> None:
        """Call `draw` now if the pane can be seen, else once it comes into view (before
        `came_on_screen`, and once however often it was asked for meanwhile): a hidden tab does
        not redraw for every frame of a live video."""
        if self.on_screen():
            self._deferred.pop(draw.__name__, None)
            draw()
        else:
            self._deferred[draw.__name__] = draw

    def settle(self, draw, run: bool = True) -> None:
        """`draw`, if `when_seen` put it off: called now (`run`: what the pane saves must be
        current though it cannot be seen) or dropped (what it was to do was done otherwise)."""
        if self._deferred.pop(draw.__name__, None) is not None and run:
            draw()

    # ---------------------------------------------------------------- jobs
    def submit(self, kind: str, fn, *args) -> int:
        """Run `fn(state, *args)` on the worker; the answer comes to this pane's job_* methods."""
        if kind not in self.kinds:
            raise ValueError(f"{type(self).__name__} does not own job kind '{kind}'")
        return self.runner.submit(
            kind, fn, *args,
            done=lambda result: self.job_done(kind, result),
            failed=lambda sentence: self.job_failed(kind, sentence),
            partial=lambda partial: self.job_partial(kind, partial),
            progress=lambda fraction, text: self.job_progress(kind, fraction, text),
            cancelled=lambda: None if kind in self._passing else self.job_cancelled(kind),
        )

    REST_MS = 150  # a cursor that moves again sooner than this is still moving (a held key repeats every ~30 ms)

    def submit_at_rest(self, kind: str, place, fn, *args) -> None:
        """Submit a job that follows the cursor to `place` (a layer, a unit): at once when the
        cursor had rested, else once it rests REST_MS, with whatever ran for the places it passed
        dropped at once. A held PgDn asked for a picture of every layer in turn, each replaced
        30 ms later, which kept the worker (and both cores) busy while the window drew the layers
        it passed. A request for the same place (a new frame, an option) is never held back longer
        than the cursor's."""
        now = time.monotonic()
        last = self._places.get(kind)
        moving = last is not None and place != last[0] and now - last[1] < self.REST_MS / 1000
        if last is None or place != last[0]:
            self._places[kind] = (place, now)
        timer = self._resting.get(kind)
        if not moving and (timer is None or not timer.isActive()):
            self.submit(kind, fn, *args)
            return
        if timer is None:
            timer = self._resting[kind] = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda: self._rested(kind))
        if self.runner.waiting(kind):  # for a place passed: dropped without the pane hearing a cancel
            self._passing.add(kind)
            try:
                self.runner.cancel(kind)
            finally:
                self._passing.discard(kind)
        self._held[kind] = (fn, args)
        if moving or not timer.isActive():
            timer.start(self.REST_MS)

    def _rested(self, kind: str) -> None:
        held = self._held.pop(kind, None)
        if held is not None:
            self.submit(kind, held[0], *held[1])

    def waiting_to_rest(self, kind: str) -> bool:
        """Whether a request of `kind` waits for the cursor to rest."""
        return kind in self._held

    def drop_held(self, kind: str) -> None:
        """Forget a request of `kind` waiting for the cursor to rest (what it was for is gone); the
        pane hears `job_cancelled`, as for any request that will not be answered."""
        if self.release_held(kind):
            self.job_cancelled(kind)

    def release_held(self, kind: str) -> bool:
        """Drop the held request of `kind`, if any, without an answer; whether there was one. For a
        pane that undoes itself what the request had set."""
        timer = self._resting.get(kind)
        if timer is not None:
            timer.stop()
        return self._held.pop(kind, None) is not None

    def cancel(self, *kinds: str) -> None:
        """Forget this pane's requests of these kinds (all of its kinds if none is named), held or
        sent; each one dropped is answered with `job_cancelled`."""
        kinds = kinds or self.kinds
        unsent = [kind for kind in kinds if self.release_held(kind) and not self.runner.waiting(kind)]
        self.runner.cancel(*kinds)  # a sent one hears it from the runner
        for kind in unsent:
            self.job_cancelled(kind)

    def job_done(self, kind: str, result) -> None:
        """The answer to this pane's newest request of `kind`."""

    def job_failed(self, kind: str, sentence: str) -> None:
        """The request failed; the window has put the sentence in the status bar."""

    def job_partial(self, kind: str, partial) -> None:
        """A result so far (an image forming, a map filling in)."""

    def job_progress(self, kind: str, fraction: float, text: str) -> None:
        pass

    def job_cancelled(self, kind: str) -> None:
        """The request was cancelled (Cancel, a new image): no answer will come."""

    # ---------------------------------------------------------------- options
    def state(self) -> dict:
        """The pane's options as plain values (strings, numbers, lists, dicts)."""
        return {}

    def restore(self, state: dict) -> None:
        """Put options back; values that are missing or not what they should be are skipped."""
