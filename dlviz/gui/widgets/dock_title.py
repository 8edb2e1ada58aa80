"""A dock's title bar that follows the presenter scale.

Qt's own dock title keeps the font the application had when the dock was made, so a change of
presenter scale left every title small. This one is a label (in the title font, kept at the scale
by `style.set_font`) and the float button; dragging it moves the dock and a double click floats
it, as with Qt's own.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QStyle, QToolButton, QWidget

from dlviz.gui import style


class DockTitle(QWidget):
    def __init__(self, dock: QDockWidget):
        super().__init__(dock)
        self.label = QLabel(dock.windowTitle())
        style.set_font(self.label, 9)
        style.set_sheet(self.label, "color: {muted}")
        self.float_button = QToolButton()
        self.float_button.setAutoRaise(True)
        self.float_button.setIcon(self.style().standardIcon(QStyle.SP_TitleBarNormalButton))
        self.float_button.setToolTip("Float this pane in a window of its own, or put it back")
        self.float_button.clicked.connect(lambda: dock.setFloating(not dock.isFloating()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 1, 2, 1)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.float_button)
        dock.windowTitleChanged.connect(self.label.setText)
