"""A top-5 list drawn as bars, with what changed against a reference (the whole image, the clean
crop): a tick on each bar where the class stood there, and the change in percentage points, or a
tag for a class that entered or left the top 5."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from dlviz.gui import style
from dlviz.gui.widgets.text import percent

UP = QColor("#81c784")
DOWN = QColor("#e57373")
NEW = QColor("#ffb74d")


@dataclass
class Row:
    index: int
    name: str
    prob: float
    reference: float | None = None  # the class's probability on the reference: a tick, and the change
    tag: str = ""  # in place of the change: "NEW" (entered the top 5) or "left top 5"
    dim: bool = False  # drawn muted (a class that left the other list's top 5)
    highlight: bool = False  # the reference's top class: its name in the selection colour


def delta_text(delta: float) -> str:
    points = delta * 100
    if abs(points) < 0.5:
        return "= same"
    return f"{'▲' if points > 0 else '▼'} {abs(points):.0f} pts"


def compared(labels, top, reference_probs=None, reference_top=None, entering: bool = True) -> list[Row]:
    """Rows for `top` [(class, prob)] against a reference: `reference_probs` for each class's change,
    `reference_top` to tag the classes not in the reference's top 5, as entering ("NEW") or, with
    `entering` false, as leaving (dimmed)."""
    others = {c for c, _ in reference_top} if reference_top is not None else None
    rows = []
    for index, prob in top:
        reference = float(reference_probs[index]) if reference_probs is not None and index < len(reference_probs) else None
        row = Row(int(index), labels(index), float(prob), reference)
        if others is not None and index not in others:
            row.tag, row.dim = ("NEW", False) if entering else ("left top 5", True)
        rows.append(row)
    return rows


class TopList(QWidget):
    def __init__(self, title: str = "", count: int = 5):
        super().__init__()
        self.title, self.count = title, count
        self.rows: list[Row] = []
        self.note = ""
        head = 22 if title else 4
        self.setMinimumHeight(count * 18 + head)
        self.setMaximumHeight(count * 24 + head + 8)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def sizeHint(self):
        return QSize(300, self.count * 24 + (26 if self.title else 8))

    def set_rows(self, rows: list[Row], title: str | None = None):
        if title is not None:
            self.title = title
        self.rows = rows
        self.update()

    def clear(self, note: str = ""):
        self.rows, self.note = [], note
        self.update()

    def marks(self) -> list[str]:
        """What the list shows for each class, as text (for tests and tooltips)."""
        out = []
        for row in self.rows:
            mark = row.tag or (delta_text(row.prob - row.reference) if row.reference is not None else "")
            out.append(f"{row.name} {percent(row.prob)} {mark}".strip())
        return out

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), QColor(style.BACKGROUND))
        top = 4.0
        if self.title:
            painter.setFont(style.title_font(9))
            painter.setPen(style.TEXT)
            title = painter.fontMetrics().elidedText(self.title, Qt.ElideRight, self.width() - 12)
            painter.drawText(QRectF(6, 1, self.width() - 12, 20), Qt.AlignVCenter | Qt.AlignLeft, title)
            painter.setFont(QFont())
            top = 22.0
        if not self.rows:
            painter.setPen(style.MUTED)
            painter.drawText(self.rect().adjusted(0, int(top), 0, 0), Qt.AlignCenter, self.note or "Predictions appear here")
            painter.end()
            return
        metrics = painter.fontMetrics()
        row_h = max(16.0, min(24.0, (self.height() - top - 2) / self.count))
        marked = any(row.tag or row.reference is not None for row in self.rows)
        mark_w = float(metrics.horizontalAdvance("left top 5") + 14) if marked else 0.0
        value_w = float(metrics.horizontalAdvance("100.0%") + 8)
        bar_w = max(20.0, self.width() - value_w - mark_w - 8)
        for k, row in enumerate(self.rows):
            y = top + k * row_h
            painter.fillRect(QRectF(2, y + 2, bar_w, row_h - 4), QColor(255, 255, 255, 16))
            colour = QColor(style.MUTED).darker(140) if row.dim else QColor(style.ACCENT).darker(170 if k == 0 else 240)
            painter.fillRect(QRectF(2, y + 2, max(1.0, bar_w * row.prob), row_h - 4), colour)
            if row.reference is not None:  # where this class stood on the reference
                painter.fillRect(QRectF(2 + bar_w * row.reference - 1, y + 1, 2, row_h - 2), QColor("#f5f5f5"))
            painter.setPen(style.MUTED if row.dim else style.SELECT if row.highlight else style.TEXT)
            name = metrics.elidedText(row.name, Qt.ElideRight, int(bar_w - 10))
            painter.drawText(QRectF(7, y, bar_w - 10, row_h), Qt.AlignVCenter | Qt.AlignLeft, name)
            painter.setPen(style.MUTED if row.dim else style.TEXT)
            painter.drawText(QRectF(bar_w + 4, y, value_w - 4, row_h), Qt.AlignVCenter | Qt.AlignRight, percent(row.prob))
            mark = QRectF(bar_w + value_w + 6, y + 2, mark_w - 8, row_h - 4)
            if row.tag:
                painter.setPen(QPen(style.MUTED if row.dim else NEW, 1))
                painter.drawRoundedRect(mark, 4, 4)
                painter.drawText(mark, Qt.AlignCenter, row.tag)
            elif row.reference is not None:
                delta = row.prob - row.reference
                painter.setPen(UP if delta > 0.005 else DOWN if delta < -0.005 else style.MUTED)
                painter.drawText(mark, Qt.AlignVCenter | Qt.AlignRight, delta_text(delta))
        painter.end()
