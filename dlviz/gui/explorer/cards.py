"""Cards over the explorer's plot: the hover tip (a thumbnail and the label) and the colour key."""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dlviz.gui.widgets.images import qimage


class Tip(QFrame):
    """The hover card: a thumbnail (for image points) above the label."""

    def __init__(self, parent):
        super().__init__(parent)
        self.setObjectName("tip")
        self.setStyleSheet("#tip { background: rgba(38, 39, 43, 235); border: 1px solid #4a4b50; border-radius: 4px; }"
                           "QLabel { color: #e6e6e6; }")
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.picture = QLabel()
        self.text = QLabel()
        self.text.setTextFormat(Qt.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addWidget(self.picture, 0, Qt.AlignHCenter)
        layout.addWidget(self.text)
        self.hide()

    def show_at(self, pos, text: str, thumb: np.ndarray | None):
        self.text.setText(text)
        if thumb is not None:
            self.picture.setPixmap(QPixmap.fromImage(qimage(thumb[..., :3])))
            self.picture.show()
        else:
            self.picture.hide()
        self.adjustSize()
        parent = self.parentWidget()
        x = min(pos.x() + 14, parent.width() - self.width() - 2)
        y = min(pos.y() + 14, parent.height() - self.height() - 2)
        if x < pos.x() and y < pos.y():  # would cover the point: go above-left instead
            x, y = pos.x() - self.width() - 10, pos.y() - self.height() - 10
        self.move(int(max(x, 2)), int(max(y, 2)))
        self.show()
        self.raise_()


class Legend(QFrame):
    """Colour key in the top-right corner: one row per category, or a colour bar."""

    def __init__(self, parent):
        super().__init__(parent)
        self.setObjectName("legend")
        self.setStyleSheet("#legend { background: rgba(38, 39, 43, 225); border: 1px solid #4a4b50; border-radius: 4px; }"
                           "QLabel { color: #d8d8d8; background: transparent; }")
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(8, 5, 8, 5)
        self.box.setSpacing(0)
        self.entries = 0
        self.hide()

    def _clear(self):
        while self.box.count():
            widget = self.box.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.entries = 0

    def show_categories(self, title: str, names, colours):
        self._clear()
        self.box.addWidget(QLabel(f"<b>{escape(title)}</b>"))
        for name, colour in zip(names, colours):
            self.box.addWidget(QLabel(f'<span style="color:{colour}; font-size:13pt">●</span>&nbsp;{escape(str(name))}'))
            self.entries += 1
        self._place()

    def show_bar(self, title: str, colours, low: float, high: float):
        self._clear()
        self.box.addWidget(QLabel(f"<b>{escape(title)}</b>"))
        rgb = np.array([QColor(c).getRgb()[:3] for c in colours[:256]], np.uint8)[::-1]
        bar = np.repeat(rgb[:, None, :], 14, axis=1)[::2]
        row = QHBoxLayout()
        picture = QLabel()
        picture.setPixmap(QPixmap.fromImage(qimage(bar)))
        ends = QVBoxLayout()
        ends.addWidget(QLabel(f"{high:.4g}"))
        ends.addStretch(1)
        ends.addWidget(QLabel(f"{low:.4g}"))
        row.addWidget(picture)
        row.addLayout(ends)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 4, 0, 0)
        self.box.addWidget(holder)
        self._place()

    def hide_key(self):
        self._clear()
        self.hide()

    def _place(self):
        self.adjustSize()
        parent = self.parentWidget()
        self.move(max(parent.width() - self.width() - 10, 0), 10)
        self.show()
        self.raise_()


def draw_key(painter, width: int, title: str, rows, scale: float = 1.0) -> None:
    """The colour key in the top-right corner of a picture `width` wide (for exports)."""
    from PySide6.QtCore import QRectF

    font = painter.font()
    font.setPixelSize(int(13 * scale))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    row_h = metrics.height() * 1.2
    inner = max([metrics.horizontalAdvance(title)] + [metrics.horizontalAdvance(name) for _, name in rows]) + row_h
    box = QRectF(width - inner - 24 * scale, 10 * scale, inner + 14 * scale, row_h * (len(rows) + 1) + 10 * scale)
    painter.setPen(QColor("#4a4b50"))
    painter.setBrush(QColor(38, 39, 43, 230))
    painter.drawRoundedRect(box, 4 * scale, 4 * scale)
    x, y = box.left() + 7 * scale, box.top() + 5 * scale
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#d8d8d8"))
    painter.drawText(QRectF(x, y, inner, row_h), Qt.AlignVCenter | Qt.AlignLeft, title)
    font.setBold(False)
    painter.setFont(font)
    for k, (colour, name) in enumerate(rows, start=1):
        top = y + k * row_h
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawEllipse(QRectF(x, top + row_h * 0.25, row_h * 0.5, row_h * 0.5))
        painter.setPen(QColor("#d8d8d8"))
        painter.drawText(QRectF(x + row_h * 0.8, top, inner, row_h), Qt.AlignVCenter | Qt.AlignLeft, name)
