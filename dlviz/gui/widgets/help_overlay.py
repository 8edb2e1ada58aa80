"""A translucent card over the window listing every key (h or F1 shows it, any key hides it).
The rows come from the window's action table (dlviz.gui.actions.key_rows)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget, keys: list[tuple[str, str]]):
        super().__init__(parent)
        self.keys = keys
        rows = "".join(
            f"<tr><td style='padding:4px 18px 4px 0'><b>{key}</b></td><td style='padding:4px 0'>{what}</td></tr>"
            for key, what in keys
        )
        label = QLabel(
            "<h2 style='margin-bottom:8px'>Keys</h2>"
            f"<table>{rows}</table>"
            "<p style='color:#b0b0b0'>Everything here is also in the menus. Drop or paste an image anywhere.</p>"
        )
        label.setTextFormat(Qt.RichText)
        label.setStyleSheet("color: #f0f0f0; font-size: 13pt")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(label, 0, Qt.AlignCenter)
        layout.addStretch(1)
        self.setFocusPolicy(Qt.StrongFocus)
        parent.installEventFilter(self)
        self.hide()

    def toggle(self):
        if self.isVisible():
            self.hide()
        else:
            self.setGeometry(self.parentWidget().rect())
            self.show()
            self.raise_()
            self.setFocus()

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def keyPressEvent(self, event):
        self.hide()

    def mousePressEvent(self, event):
        self.hide()

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(10, 12, 16, 225))
        painter.end()
