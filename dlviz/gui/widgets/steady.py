"""Labels whose text changes often without making the widgets around them move."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QLabel


class SteadyLabel(QLabel):
    """A label that keeps the most room its texts have needed: word-wrapped (`wrap`, then drawn
    from the top), the tallest height at each width it is given; on one line, the widest width,
    given back by `settle()`. A new font starts both again.

    A label whose size hint changes makes Qt lay out again what holds it. The unit pane's title
    ("Unit 0 of blocks.4.2.conv_pw · 14×14 · max 3.21") took one line for some layers and two
    for others, so every PgDn step resized and repainted both maps under it; the status bar's
    figures changed width at every step, and each change laid out the whole main window again
    (every dock, and a paint of the window)."""

    def __init__(self, text: str = "", parent=None, wrap: bool = True):
        super().__init__(text, parent)
        self.setWordWrap(wrap)
        if wrap:
            self.setAlignment(Qt.AlignLeft | Qt.AlignTop)  # a short text in room kept for two lines: at the top, not floating
        self._tallest: dict[int, int] = {}  # width asked about -> the tallest height needed there
        self._widest = 0

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.FontChange:  # the presenter scale: the room kept was for another size
            self._tallest.clear()
            self._widest = 0
        super().changeEvent(event)

    def heightForWidth(self, width: int) -> int:
        needed = super().heightForWidth(width)
        if width not in self._tallest and len(self._tallest) >= 32:
            self._tallest.clear()  # the pane was resized many times: start again
        self._tallest[width] = max(self._tallest.get(width, 0), needed)
        return self._tallest[width]

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if not self.wordWrap():
            self._widest = max(self._widest, hint.width())
            hint.setWidth(self._widest)
        return hint

    def settle(self) -> None:
        """Give back the width texts no longer need (the text's own is used from now on)."""
        self._widest = 0
        self.updateGeometry()
