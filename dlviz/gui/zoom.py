"""`z`: one pane fills the window, as the toolbox's zoom did; `z` again or Esc puts it back.

The pane under the mouse is zoomed, or, with the mouse elsewhere, the Unit pane (the selected
unit enlarged). The pane itself moves into a sheet over the window and back into its dock or
tab afterwards, so it keeps working while zoomed: the cursor keys, live frames and clicks all
reach it. The menus and the status bar stay.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QVBoxLayout, QWidget

from dlviz.gui import style


class Zoom(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.sheet: QWidget | None = None
        self._home = None  # ("dock", dock) or ("tab", index, title): where the pane goes back to
        self.pane: QWidget | None = None
        self.under: dict = {}
        window.installEventFilter(self)

    @property
    def active(self) -> bool:
        return self.pane is not None

    def toggle(self) -> None:
        if self.active:
            self.leave()
        else:
            self.enter(self.pane_at_mouse() or self.window.unit)

    def pane_at_mouse(self) -> QWidget | None:
        """The main view or dock pane under the mouse, if any."""
        widget = QApplication.widgetAt(QCursor.pos())
        window = self.window
        while widget is not None and widget is not window:
            parent = widget.parentWidget()
            if isinstance(parent, QDockWidget) and parent.widget() is widget:
                return widget
            if widget in window.panes[:3]:  # the main views
                return widget
            widget = parent
        return None

    def enter(self, pane: QWidget) -> None:
        window = self.window
        self.under = window._window_state()  # what a session saved meanwhile keeps of the window
        dock = pane.parentWidget()
        if isinstance(dock, QDockWidget) and dock.widget() is pane:
            self._home = ("dock", dock)
            title = dock.windowTitle()
        else:
            index = window.views.indexOf(pane)
            if index < 0:
                return
            title = window.views.tabText(index)
            self._home = ("tab", index, title)
        self.sheet = QWidget(window)
        self.sheet.setAutoFillBackground(True)
        layout = QVBoxLayout(self.sheet)
        layout.setContentsMargins(6, 4, 6, 6)
        label = QLabel(f"{title} · z or Esc goes back")
        style.set_font(label, 10)
        style.set_sheet(label, "color: {muted}")
        layout.addWidget(label)
        layout.addWidget(pane, 1)  # taken out of its dock or tab
        pane.show()
        self.pane = pane
        self._place()
        self.sheet.show()
        self.sheet.raise_()
        if hasattr(window, "tour"):
            window.tour.caption.raise_()  # a tour's caption stays over what is shown
        pane.setFocus()
        window.say(f"{title} fills the window: z or Esc goes back.")

    def leave(self) -> bool:
        """Put the pane back; False if nothing was zoomed."""
        if not self.active:
            return False
        pane, home, window = self.pane, self._home, self.window
        if home[0] == "dock":
            home[1].setWidget(pane)
        else:
            window.views.insertTab(home[1], pane, home[2])
            window.views.setCurrentIndex(home[1])
        pane.show()
        self.sheet.hide()  # at once: what lies under it is seen again before it is deleted
        self.sheet.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.LayoutRequest)  # the pane back in its place now
        self.sheet, self.pane, self._home = None, None, None
        return True

    def _place(self) -> None:
        """Between the menu bar and the status bar, whichever are shown."""
        window = self.window
        top = window.menuBar().height() if window.menuBar().isVisible() else 0
        bottom = window.statusBar().height() if window.statusBar().isVisible() else 0
        self.sheet.setGeometry(0, top, window.width(), window.height() - top - bottom)

    def eventFilter(self, watched, event):
        if self.sheet is not None and event.type() in (QEvent.Resize, QEvent.LayoutRequest):
            self._place()
        return False
