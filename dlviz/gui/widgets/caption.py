"""A tour step's caption over the bottom of the main view, large enough to be read from the back of
a room: the caption, where the tour is ("3 / 8"), and, in amber, what the step could not bring
back. Clicks go through it to the view under it."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPainter, QTextDocument
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dlviz.gui import style


class CaptionOverlay(QWidget):
    POINTS = 18  # the caption's size at ×1; the presenter scale multiplies it

    def __init__(self, window: QWidget, anchor: QWidget):
        """Over `window`, along the bottom of `anchor` (the main view)."""
        super().__init__(window)
        self.anchor = anchor
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.RichText)
        self.label.setAlignment(Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.addWidget(self.label)
        self._parts = ("", "", "")
        anchor.installEventFilter(self)
        style.on_change(self._refresh)
        self.hide()

    def show_text(self, caption: str, where: str, problem: str = "") -> None:
        self._parts = (caption, where, problem)
        self._refresh()
        self.setVisible(any(self._parts))  # a step with no caption, in a picture for slides: nothing over the view
        self.raise_()

    def text(self) -> str:
        """What it says, as plain text (tests read it)."""
        return " ".join(part for part in self._parts if part)

    def _refresh(self) -> None:
        """The text in the largest size (18 points at 1×, down to 11) that keeps the caption within
        a third of the view's height: a long caption on a small screen leaves the view to be seen."""
        width = self._width() - 32
        for points in range(self.POINTS, 10, -1):
            html = self._html(style.points(points), style.points(points * 0.7))
            document = QTextDocument()
            document.setDefaultFont(self.label.font())
            document.setHtml(html)
            document.setTextWidth(width)
            if document.size().height() + 20 <= self.anchor.height() / 3:
                break
        self.label.setText(html)
        self._place()

    def _html(self, big: float, small: float) -> str:
        caption, where, problem = self._parts
        lines = []
        if caption:
            lines.append(f"<span style='font-size:{big:g}pt; color:#ffffff'>{escape(caption)}</span>")
        if problem:
            lines.append(f"<span style='font-size:{small:g}pt; color:#ffd54f'>{escape(problem)}</span>")
        if where:
            lines.append(f"<span style='font-size:{small:g}pt; color:#c8c8c8'>{escape(where)}</span>")
        return "<br>".join(lines)

    def _width(self) -> int:
        return int(self.anchor.width() * 0.9)

    def _place(self) -> None:
        anchor = self.anchor
        if not anchor.isVisible():
            return
        width = self._width()
        self.label.setFixedWidth(max(width - 32, 100))
        height = self.label.heightForWidth(self.label.width()) + 20
        top_left = anchor.mapTo(self.parentWidget(), anchor.rect().bottomLeft())
        self.setGeometry(top_left.x() + (anchor.width() - width) // 2, top_left.y() - height - 12, width, height)

    def eventFilter(self, watched, event):
        if event.type() in (QEvent.Resize, QEvent.Move, QEvent.Show) and self.isVisible():
            self._place()
        elif event.type() == QEvent.ZOrderChange and self.isVisible():
            self.raise_()  # the view was raised over the caption (the window does it as docks move)
        return False

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(0, 0, 0, 205))
        painter.drawRoundedRect(self.rect(), 10, 10)
        painter.end()
