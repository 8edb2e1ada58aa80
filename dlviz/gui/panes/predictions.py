"""The model's top-5 classes as a horizontal bar chart."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QStaticText

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
        self._texts: dict[tuple[str, int], QStaticText] = {}  # (text, width) -> laid out, for the font
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

    def changeEvent(self, event):
        if event.type() == QEvent.FontChange:  # (the presenter scale): texts laid out again
            self._texts.clear()
        super().changeEvent(event)

    def _text(self, text: str, width: int) -> QStaticText:
        """`text` cut to `width` pixels (-1: as it is), laid out once and drawn at every frame.

        Why: live, the rows are drawn at every frame, mostly with the same names and figures;
        laid out anew at each, the pane's paint took 0.52 ms a frame of the GUI thread, 0.40 ms
        so (0.17 and 0.135 ms alone, without the live frames' other work)."""
        made = self._texts.get((text, width))
        if made is None:
            if len(self._texts) > 512:  # (percentages come and go)
                self._texts.clear()
            shown = text if width < 0 else self.fontMetrics().elidedText(text, Qt.ElideRight, width)
            made = self._texts[(text, width)] = QStaticText(shown)
            made.setTextFormat(Qt.PlainText)
            made.prepare(font=self.font())
        return made

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
        painter.setPen(style.TEXT)
        for k, (index, label, prob) in enumerate(self.rows):
            y = 4 + k * row_h
            name = self._text(label, int(label_w - 6))
            painter.drawStaticText(QPointF(6, y + (row_h - name.size().height()) / 2), name)
            painter.fillRect(QRectF(label_w, y + 3, bar_w, row_h - 6), QColor(255, 255, 255, 18))
            color = QColor(style.ACCENT) if k == 0 else QColor(style.ACCENT).darker(150)
            painter.fillRect(QRectF(label_w, y + 3, max(1.0, bar_w * prob), row_h - 6), color)
            value = self._text(f"{prob:.1%}", -1)
            right = label_w + bar_w + 4 + value_w
            painter.drawStaticText(QPointF(right - value.size().width(), y + (row_h - value.size().height()) / 2), value)
        painter.end()
