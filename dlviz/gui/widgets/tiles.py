"""One augmented image of the perturbation lab's strip, with its top-1 marked right, near or wrong."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from dlviz.gui.widgets.images import qimage

GOOD, NEAR, BAD = QColor("#81c784"), QColor("#ffd54f"), QColor("#ff8a80")


class VerdictTile(QWidget):
    """One augmented image of the strip with its top-1, marked right (✓) or wrong (✗)."""

    clicked = Signal(int)

    def __init__(self, index):
        super().__init__()
        self.index = index
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignCenter)
        self.picture.setMinimumSize(24, 24)
        self.picture.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignCenter)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        self.image = None
        self.correct = None
        self.setCursor(Qt.PointingHandCursor)

    def show_item(self, image, text, verdict, tip):
        """verdict: "right" (the clean top-1), "near" (another class of its kind) or "wrong"."""
        self.image = np.ascontiguousarray(image)
        self.correct = verdict
        colour, mark = {"right": (GOOD, "✓"), "near": (NEAR, "≈"), "wrong": (BAD, "✗")}[verdict]
        self.caption.setText(f"<span style='color:{colour.name()}'>{mark}</span> {text}")
        self.setToolTip(tip)
        self._scale()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._scale()

    def _scale(self):
        if self.image is None:
            return
        side = max(16, min(self.picture.width(), self.picture.height()) - 4)
        pixmap = QPixmap.fromImage(qimage(self.image)).scaled(side, side, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        painter = QPainter(pixmap)
        painter.setPen({"right": GOOD, "near": NEAR}.get(self.correct, BAD))
        for inset in (0, 1):
            painter.drawRect(inset, inset, pixmap.width() - 1 - 2 * inset, pixmap.height() - 1 - 2 * inset)
        painter.end()
        self.picture.setPixmap(pixmap)

    def mousePressEvent(self, event):
        self.clicked.emit(self.index)
