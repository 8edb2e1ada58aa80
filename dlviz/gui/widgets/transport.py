"""The transport under the Input pane's picture while a video or slideshow plays: play/pause, a
seek bar and where the video is. It only shows and asks; the window connects it to the live feed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSlider, QToolButton, QWidget

from dlviz.gui.widgets.steady import Quiet, SteadyLabel


def clock(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class Transport(QWidget):
    play_clicked = Signal()
    seek = Signal(int)  # a frame number

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rate = 1.0
        self.play = QToolButton()
        self.play.setToolTip("Play or pause (Space)")
        self.play.clicked.connect(self.play_clicked)
        self.bar = QSlider(Qt.Horizontal)
        self.bar.setToolTip("Drag to move through the video (comma and full stop step one frame)")
        self.bar.setFocusPolicy(Qt.NoFocus)  # Space and the arrows stay with the window
        self.bar.sliderMoved.connect(self.seek)
        self.bar.sliderReleased.connect(lambda: self.seek.emit(self.bar.value()))
        self.where = SteadyLabel(wrap=False)
        self.where.setMinimumWidth(40)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.play)
        layout.addWidget(self.bar, 1)
        layout.addWidget(Quiet(self.where))  # the clock changes at every frame
        self.show_state(False, 0, 0, 1.0, 1.0)

    def show_state(self, playing: bool, frame: int, count: int, rate: float, speed: float) -> None:
        self.rate = rate or 1.0
        self.play.setText("❚❚" if playing else "▶")
        if self.bar.maximum() != max(count - 1, 0):
            self.bar.setRange(0, max(count - 1, 0))
        if not self.bar.isSliderDown():
            self.bar.blockSignals(True)
            self.bar.setValue(frame)
            self.bar.blockSignals(False)
        text = f"{clock(frame / self.rate)} / {clock(count / self.rate)}"
        if speed != 1.0:
            text += f" ×{speed:g}"
        self.where.setText(text)
        self.where.setToolTip(f"frame {frame} of {count}")
