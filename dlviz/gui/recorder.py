"""Recording the window or one pane to MP4 or GIF, for slides.

A timer grabs the widget a few times a second on the GUI thread (a grab is a paint into a
picture); a thread of its own encodes (core.recording). If the encoder falls behind, a grab
waits in one slot and a newer one takes its place, so the window never waits for the encoder.
The status bar shows a red "● REC 0:12 / 1:00" while it runs; it stops by itself at the limit.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QFileDialog

from dlviz.core.errors import DlvizError
from dlviz.gui.widgets.images import image_rgb
from dlviz.gui.widgets.notice import as_sentence

RATE = 15  # grabs a second: smooth enough for a slide, a fraction of the GUI thread's time
LIMIT_S = 60  # an MP4 stops by itself after a minute
GIF_LIMIT_S = 20  # a GIF is held in memory until it is written
FILTER = "MP4 video (*.mp4);;Animated GIF (*.gif)"


class Recorder(QObject):
    """One recording at a time. `changed` says it started, ticked or stopped."""

    changed = Signal()
    _finished = Signal(str, bool)  # the sentence, and whether it is an error (from the encoder's thread)

    def __init__(self, say, parent=None):
        super().__init__(parent)
        self.say = say
        self.widget = None
        self.name = ""
        self.started = 0.0
        self.limit_s = LIMIT_S
        self.grabs = self.dropped = 0
        self._writer = None
        self._slot = None  # the newest grab the encoder has not taken
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._grab)
        self._finished.connect(self._done)

    @property
    def recording(self) -> bool:
        return self._writer is not None

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started if self.recording else 0.0

    def choose_and_start(self, widget, name: str) -> None:
        """Ask where to save, then record `widget` (the window or a pane) until stopped."""
        if self.recording:
            self.stop()
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.MoviesLocation) or str(Path.home())
        suggested = Path(folder) / f"dlviz-{name.lower().replace(' ', '-')}-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        path, _ = QFileDialog.getSaveFileName(self.parent(), f"Record the {name}", str(suggested), FILTER)
        if path:
            self.start(widget, name, path)

    def start(self, widget, name: str, path, rate: int = RATE) -> bool:
        from dlviz.core.recording import VideoWriter

        if self.recording:
            self.say("A recording is already running; stop it first.", error=True)
            return False
        try:
            writer = VideoWriter(path, rate)
        except DlvizError as exc:
            self.say(as_sentence(exc), error=True)
            return False
        self.widget, self.name, self._writer = widget, name, writer
        self.limit_s = GIF_LIMIT_S if writer.kind == ".gif" else LIMIT_S
        self.grabs = self.dropped = 0
        self._slot, self._stopping = None, False
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._encode, args=(writer,), name="dlviz-recorder", daemon=True)
        self._thread.start()
        self._timer.start(round(1000 / rate))
        self._grab()
        self.say(f"Recording the {name} to {Path(path).name}; the same key stops it.")
        self.changed.emit()
        return True

    def stop(self) -> None:
        """Stop grabbing; the file is finished on the encoder's thread, then named in the status bar."""
        if not self.recording or self._stopping:
            return
        self._timer.stop()
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self.changed.emit()

    def _grab(self) -> None:
        if self.elapsed_s() >= self.limit_s:
            self.say(f"The recording reached its {self.limit_s} s limit.")
            self.stop()
            return
        rgb = image_rgb(self.widget.grab())
        with self._wake:
            if self._slot is not None:
                self.dropped += 1
            self._slot = rgb
            self._wake.notify_all()
        self.grabs += 1
        self.changed.emit()

    def _encode(self, writer) -> None:
        try:
            while True:
                with self._wake:
                    while self._slot is None and not self._stopping:
                        self._wake.wait()
                    rgb, self._slot = self._slot, None
                    stopping = self._stopping
                if rgb is not None:
                    writer.write(rgb)
                if stopping and rgb is None:
                    break
            seconds = writer.count / writer.rate
            path = writer.close()
            if path is None:
                self._finished.emit("Nothing was recorded.", True)
            else:
                self._finished.emit(f"Saved {path.name}: {seconds:.1f} s, {writer.count} frames"
                                    + (f" ({self.dropped} skipped while the encoder caught up)" if self.dropped else "")
                                    + ".", False)
        except DlvizError as exc:
            writer.discard()
            self._finished.emit(as_sentence(exc), True)
        except Exception as exc:  # a bug: said, never a recording that seems to run forever
            writer.discard()
            self._finished.emit(f"The recording failed (unexpected error: {type(exc).__name__}: {exc}).", True)

    def _done(self, sentence: str, error: bool) -> None:
        self._timer.stop()  # the encoder may have failed while grabs were still coming
        self._writer = None
        self._thread = None
        self.say(sentence, error=error)
        self.changed.emit()

    def wait(self, timeout_s: float = 10.0) -> bool:
        """For closing the window: let a recording in progress finish its file."""
        self.stop()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        return thread is None or not thread.is_alive()


def status_text(recorder: Recorder) -> str:
    seconds = int(recorder.elapsed_s())
    limit = recorder.limit_s
    return f"● REC {seconds // 60}:{seconds % 60:02d} / {limit // 60}:{limit % 60:02d}"
