"""The model's top-5 classes as a horizontal bar chart."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter

from dlviz.gui import style
from dlviz.gui.pane import Pane


class PredictionsPane(Pane):
    """Draws itself: one row per class with its name, a bar and its probability. A click goes to
    the class's output unit."""

    def __init__(self, session, runner, top: int = 5, parent=None):
        super().__init__(session, runner, parent)
        self.top = top
        self.rows: list[tuple[int, str, float]] = []
        self._shown = None  # (result, model, its labels, top) the rows were made for
        self.setToolTip("Click a class to see its output unit")
        session.forward_changed.connect(self.refresh)
        session.model_changed.connect(self.refresh)
        session.image_changed.connect(self.refresh)

    def minimumSizeHint(self):
        line = self.fontMetrics().height()  # so the rows grow with the presenter scale
        return QSize(int(8 * line), self.top * (line + 2) + 12)

    def sizeHint(self):
        line = self.fontMetrics().height()
        return QSize(int(22 * line), self.top * int(line * 1.6) + 16)

    def refresh(self):
        result, model = self.session.result, self.session.model
        shown = (result, model, getattr(model, "labels", None), self.top)
        if result is not None and self._shown is not None and all(a is b for a, b in zip(shown, self._shown)):
            return  # (a live frame says so twice: a new image, and its pass)
        self._shown = shown
        if result is None or model is None:
            self.rows = []
        else:
            self.rows = [(i, model.label(i), p) for i, p in result.forward.top(self.top)]
        self.update()

    def _row_height(self) -> float:
        line = self.fontMetrics().height()  # grows with the presenter scale
        return max(line + 2.0, min(line * 2.0, (self.height() - 8) / self.top))

    def mousePressEvent(self, event):
        index = int((event.position().y() - 4) // self._row_height())
        if 0 <= index < len(self.rows):
            self.session.show_class(self.rows[index][0])

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), QColor(style.BACKGROUND))
        if not self.rows:
            painter.setPen(style.MUTED)
            painter.drawText(self.rect(), Qt.AlignCenter, "Predictions appear here")
            return
        row_h = self._row_height()
        label_w = min(190.0 * style.scale(), self.width() * 0.45)
        value_w = painter.fontMetrics().horizontalAdvance("100.0%") + 4.0
        bar_w = max(10.0, self.width() - label_w - value_w - 16)
        metrics = painter.fontMetrics()
        for k, (index, label, prob) in enumerate(self.rows):
            y = 4 + k * row_h
            painter.setPen(style.TEXT)
            name = metrics.elidedText(label, Qt.ElideRight, int(label_w - 6))
            painter.drawText(QRectF(6, y, label_w - 6, row_h), Qt.AlignVCenter | Qt.AlignLeft, name)
            painter.fillRect(QRectF(label_w, y + 3, bar_w, row_h - 6), QColor(255, 255, 255, 18))
            color = QColor(style.ACCENT) if k == 0 else QColor(style.ACCENT).darker(150)
            painter.fillRect(QRectF(label_w, y + 3, max(1.0, bar_w * prob), row_h - 6), color)
            painter.setPen(style.TEXT)
            painter.drawText(
                QRectF(label_w + bar_w + 4, y, value_w, row_h), Qt.AlignVCenter | Qt.AlignRight, f"{prob:.1%}"
            )
        painter.end()
