"""A translucent card over the window listing every key (h or F1 shows it, any key hides it).
The rows come from the window's action table (dlviz.gui.actions.key_rows)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dlviz.gui import style


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget, keys: list[tuple[str, str]]):
        super().__init__(parent)
        self.keys = keys
        self.label = QLabel()
        self.label.setTextFormat(Qt.RichText)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label, 0, Qt.AlignCenter)
        layout.addStretch(1)
        self.setFocusPolicy(Qt.StrongFocus)
        parent.installEventFilter(self)
        self.hide()

    def _text(self, columns: int) -> str:
        per = -(-len(self.keys) // columns)
        cells = [self.keys[k * per:(k + 1) * per] for k in range(columns)]
        rows = []
        for r in range(per):
            row = ""
            for c, column in enumerate(cells):
                key, what = column[r] if r < len(column) else ("", "")
                gap = "0 18px 0 36px" if c else "0 18px 0 0"
                row += f"<td style='padding:{gap}'><b>{key}</b></td><td>{what}</td>"
            rows.append(f"<tr>{row}</tr>")
        return ("<h2 style='margin-bottom:8px'>Keys</h2>"
                f"<table cellspacing='3'>{''.join(rows)}</table>"
                "<p style='color:#b0b0b0'>Everything here is also in the menus. Drop or paste an image anywhere.</p>")

    def _fit(self):
        """The keys in as large a font as fits the window (13 points at 1×, never below 9 points
        on screen, nor below 14 at ×2: 18 pixels), in one column or, when that does not fit, two:
        at the presenter scale they all stay on screen."""
        room = self.parentWidget().size()
        lowest = 7 if style.scale() >= 2 else 9
        for columns in (1, 2):
            self.label.setText(self._text(columns))
            for size in range(13, lowest - 1, -1):
                style.set_sheet(self.label, f"color: {{bright}}; font-size: {{pt{size}}}pt")
                hint = self.label.sizeHint()
                if hint.height() <= room.height() - 16 and hint.width() <= room.width() - 16:
                    return

    def toggle(self):
        if self.isVisible():
            self.hide()
        else:
            self.setGeometry(self.parentWidget().rect())
            self._fit()
            self.show()
            self.raise_()
            self.setFocus()

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Resize:
            self.setGeometry(self.parentWidget().rect())
            if self.isVisible():
                self._fit()
        return False

    def keyPressEvent(self, event):
        self.hide()

    def mousePressEvent(self, event):
        self.hide()

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(10, 12, 16, 225))
        painter.end()
