"""A pane's contents in a scroll area: on a small screen the pane scrolls rather than making the
whole window taller, and on a big one the contents fill it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget


class WrapLabel(QLabel):
    """A word-wrapped label that does not make the layout height-for-width: in a scroll area that
    would size the contents by their preferred height (taller than the pane) instead of filling it.
    (QLabel turns height-for-width back on with every setText, so a size policy cannot.)"""

    def hasHeightForWidth(self):
        return False


class Content(QWidget):
    """Contents that ask for no more than their minimum, so they fill the scroll area (pyqtgraph
    views would otherwise ask for ~640×480 each and always scroll)."""

    def sizeHint(self):
        return self.minimumSizeHint()


def scroll_area(content: QWidget, min_height: int = 40) -> QScrollArea:
    """`content` in a frameless scroll area that resizes it to fit."""
    scroller = QScrollArea()
    scroller.setWidget(content)
    scroller.setWidgetResizable(True)
    scroller.setFrameShape(QScrollArea.NoFrame)
    scroller.setMinimumHeight(min_height)
    return scroller


def scrolled(owner: QWidget, content: QWidget, minimum: int = 120) -> QScrollArea:
    """Put `content` in a frameless scroll area that fills `owner`."""
    scroller = scroll_area(content, minimum)
    scroller.setMinimumWidth(minimum)
    outer = QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroller)
    return scroller
