"""The toolbox window's status bar: a sentence for the user, the model, layer, unit and timings,
and, while long work runs (the job-kind table says which), its progress and a Cancel button."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QToolButton

from dlviz.core.catalogue import DEVICES
from dlviz.gui import style
from dlviz.gui.widgets.notice import tell
from dlviz.gui.widgets.steady import Quiet, SteadyLabel
from dlviz.gui.widgets.text import duration
from dlviz.work import kinds

SHOW_AFTER_MS = 250  # long work that ends sooner never flashes a progress bar


def live_text(kind: str, playing: bool, frozen: bool, figures: dict) -> str:
    """The status bar's live figures, e.g. "● live 14.2 fps · video 20 fps · 31 dropped · 95 ms"."""
    if frozen:
        state = "❚❚ frozen"
    elif not playing:
        state = "❚❚ paused"
    else:
        state = f"● live {figures['shown_fps']:.1f} fps"
    parts = [state]
    if playing:
        parts.append(f"{kind} {figures['source_fps']:.3g} fps")
        parts.append(f"{figures['dropped']} dropped")
        if figures["latency_s"]:
            parts.append(f"{figures['latency_s'] * 1000:.0f} ms behind")
    return " · ".join(parts)


class StatusBar(QObject):
    message = Signal(str)  # every sentence put in the status bar (tests listen)

    def __init__(self, bar, runner, session):
        super().__init__(bar)
        self.bar, self.runner, self.session = bar, runner, session
        self.long = kinds.long_kinds(runner.table)
        self._started: dict[str, tuple | None] = {}  # per long kind: (time, fraction) of its current request's first report
        self.info = SteadyLabel("starting…", wrap=False)  # its figures change at every step: the window is not laid out again for each
        self.info.setMinimumWidth(40)  # clipped on a narrow window rather than widening it
        self.info.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(300)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the long work in progress; what is on screen stays")
        self.cancel_button.clicked.connect(self.cancel)
        self.live_info = SteadyLabel(wrap=False)
        self.live_info.setToolTip("Live input: frames a second through the model and on screen, the "
                                  "source's rate, frames dropped because a newer one came, capture to screen")
        self.live_info.hide()
        bar.addPermanentWidget(Quiet(self.live_info))  # both change at every live frame
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(Quiet(self.info))
        bar.messageChanged.connect(lambda text: text or bar.setStyleSheet(""))
        self.show_progress(False)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.timeout.connect(self._long_work_still_running)
        runner.submitted.connect(self._submitted)
        runner.progress.connect(self._progress)
        runner.busy_changed.connect(self._busy)
        runner.failed.connect(self._failed)
        for signal in (session.layer_changed, session.unit_changed, session.forward_changed,
                       session.view_changed, session.model_changed):
            signal.connect(self.update_info)

    # ---------------------------------------------------------------- sentences
    def say(self, sentence: str, error: bool = False):
        tell(self.bar, sentence, error)  # only the message turns red, not the model/layer/timing line
        self.message.emit(sentence)

    def clear_error(self):
        """Take an error sentence off once what the user did next went well."""
        if self.bar.styleSheet():
            self.bar.clearMessage()

    def _failed(self, kind, sentence, trace):
        self.say(sentence, error=True)

    # ---------------------------------------------------------------- live input
    def watch_live(self, live):
        """Show the live figures while a source plays, refreshed twice a second."""
        self.live = live
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(500)
        self._live_timer.timeout.connect(self.update_live)
        live.changed.connect(self.update_live)
        live.changed.connect(self.update_info)

    def watch_recorder(self, recorder):
        """A red "● REC 0:12 / 1:00" while a recording runs."""
        from dlviz.gui.recorder import status_text

        self.recording = QLabel()
        self.recording.setStyleSheet("color: #ff5252; font-weight: bold;")
        self.recording.setToolTip("Recording for slides: Ctrl+R stops it")
        self.recording.hide()
        self.bar.insertPermanentWidget(0, self.recording)

        def show():
            self.recording.setVisible(recorder.recording)
            if recorder.recording:
                self.recording.setText(status_text(recorder))

        recorder.changed.connect(show)

    def update_live(self):
        live = self.live
        if not live.active:
            self._live_timer.stop()
            self.live_info.hide()
            return
        if not self._live_timer.isActive():
            self._live_timer.start()
        self.live_info.setText(live_text(live.source_kind, live.playing, live.frozen, live.figures()))
        self.live_info.show()

    def update_info(self):
        s = self.session
        plain = style.scale() == 1.0  # at a presenter scale only the layer and unit: messages need the room
        parts = [f"{s.model.name} on {DEVICES.get(s.model.device.type, s.model.device.type)}" if s.model else "no model"] if plain else []
        if s.layer:
            parts.append(f"layer {s.layer}")
            count = s.unit_count()
            if count:
                parts.append(f"unit {s.unit}/{count}")
        if s.result is not None and plain:
            parts.append(f"forward {s.result.total_ms:.0f} ms")
            parts.append(f"render {s.render_ms:.1f} ms")
        live = getattr(self, "live", None)
        if plain and (live is None or not live.active):  # live, the frame figures need the room
            parts.append(f"γ {s.gamma:g} · contrast {s.contrast:g}")
        shape = (s.model, plain, live is not None and live.active)  # another model, scale or live: other lengths
        if shape != getattr(self, "_info_for", None):
            self._info_for = shape
            self.info.settle()
        self.info.setText("  ·  ".join(parts))

    # ---------------------------------------------------------------- long work
    def _waiting_for_long_work(self) -> bool:
        return any(self.runner.waiting(kind) for kind in self.long)

    def _submitted(self, kind):
        self._started[kind] = None  # measured from the job's first report
        if kind == kinds.MODEL_LOAD:
            self.show_progress(True)  # seconds at least: import torch, maybe a download
        elif kind in self.long and not self.progress_bar.isVisible():
            self._soon.start(SHOW_AFTER_MS)

    def _long_work_still_running(self):
        if self._waiting_for_long_work():
            self.show_progress(True, reset=False)  # its progress so far is already in the bar

    def _progress(self, kind, fraction, text):
        if kind in self.long:
            text = text or f"{self.runner.table[kind].title}: %p%"
            # The pace is measured from the first report: a job that goes on where another of its
            # kind stopped (pattern mode's feature images, a batch at a time) starts part way.
            now = time.monotonic()
            started, first = self._started.get(kind) or (now, None)
            if first is None:
                self._started[kind] = (now, fraction)
                started, first = now, fraction
            elapsed, gained = now - started, fraction - first
            if gained >= 0.01 and fraction < 1 and elapsed > 2:  # enough to go on: how long is left, at this pace
                text += f" · about {duration(elapsed * (1 - fraction) / gained)} left"
            self.progress_bar.setValue(int(fraction * 100))
            self.progress_bar.setFormat(text)
            self.progress_bar.setToolTip(text)

    def _busy(self, busy):
        if not self._waiting_for_long_work():
            self.show_progress(False)

    def show_progress(self, visible: bool, reset: bool = True):
        """The progress bar and the Cancel button beside it."""
        self.progress_bar.setVisible(visible)
        self.cancel_button.setVisible(visible)
        if visible and reset:
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("starting…")

    def cancel(self):
        """Stop the long work in progress (the button beside the progress bar); what is shown stays."""
        self.runner.cancel(*self.long)
        self.show_progress(False)
        self.say("Cancelled; what is on screen stays.")
