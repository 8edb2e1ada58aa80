"""Labels whose text changes often without making the widgets around them move."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget


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


class Quiet(QWidget):
    """A box for a label whose text changes many times a second: a new text does not lay the
    window out again unless the label then needs other room.

    Why: QLabel.setText asks the layout it is in to be done again, and every layout done asks the
    one above it, up to the main window, whether anything changed or not. The grid's readout, the
    unit pane's title, the video's clock and the status bar change at every live frame, and the
    window was laid out again at each: about 1 ms of the GUI thread a frame (docs/decisions/0010).
    Here the label has no layout above it. The box hears of a new text (a LayoutRequest) and passes
    it on only when the label's size hints changed. It shows and hides with the label."""

    def __init__(self, label: QLabel, parent=None):
        super().__init__(parent)
        self.label = label
        label.setParent(self)
        self.setSizePolicy(label.sizePolicy())
        if label.isHidden():  # (not shown at once otherwise: without a parent yet it would be a window)
            self.hide()
        label.installEventFilter(self)
        self._hints = self._now()

    def _now(self) -> tuple:
        label = self.label
        return (label.sizeHint(), self.minimumSizeHint(),
                label.heightForWidth(self.width()) if label.hasHeightForWidth() else -1)

    def sizeHint(self) -> QSize:
        return self.label.sizeHint()

    def minimumSizeHint(self) -> QSize:
        """The label's, or the minimum size set on it where one is (as a layout would take it): a
        status bar's figures are clipped on a narrow window rather than widening it."""
        hint, least = self.label.minimumSizeHint(), self.label.minimumSize()
        if least.width() > 0:
            hint.setWidth(least.width())
        if least.height() > 0:
            hint.setHeight(least.height())
        return hint

    def hasHeightForWidth(self) -> bool:
        return self.label.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        return self.label.heightForWidth(width)

    def _pass_on(self) -> None:
        """Tell the layout above only if the label's size hints changed."""
        hints = self._now()
        if hints != self._hints:
            self._hints = hints
            self.updateGeometry()

    def showEvent(self, event) -> None:
        """A text or font the label was given while the box could not be seen reached no layout
        (Qt tells only a visible parent): told now."""
        self._pass_on()
        super().showEvent(event)

    def resizeEvent(self, event) -> None:
        self.label.setGeometry(self.rect())
        super().resizeEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.LayoutRequest:  # the label's text, font or size changed
            self._pass_on()
            return True
        return super().event(event)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.label and event.type() in (QEvent.ShowToParent, QEvent.HideToParent):
            self.setVisible(event.type() == QEvent.ShowToParent)
        return False
