"""The window's docks: how each is made, and their default sizes (wider at a presenter scale)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QTabBar

from dlviz.gui.widgets.dock_title import DockTitle


def make(window, title: str, pane, area) -> QDockWidget:
    """A movable, floatable dock holding `pane`, named `dock-<title>` (saved layouts find it so)."""
    dock = QDockWidget(title, window)
    dock.setObjectName(f"dock-{title.lower()}")
    dock.setWidget(pane)
    dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
    dock.setTitleBarWidget(DockTitle(dock))  # follows the presenter scale, unlike Qt's own
    dock.visibilityChanged.connect(pane.visibility_changed)
    window.addDockWidget(area, dock)
    return dock


def size(window, left: list[QDockWidget], unit: QDockWidget, explain: QDockWidget, scale: float = 1.0) -> None:
    """The default widths and heights: the left column's three docks, the unit dock, and the
    explanation tabs under it. At a presenter scale the side columns grow, but the grid keeps at
    least two fifths of the window."""
    width = window.width()
    side = min(300 * scale, max(300, 0.27 * width)), min(380 * scale, max(380, 0.3 * width))
    window.resizeDocks(left + [unit], [int(side[0])] * 3 + [int(side[1])], Qt.Horizontal)
    window.resizeDocks(left, [int(h * scale) for h in (300, 160, 400)], Qt.Vertical)
    window.resizeDocks([unit, explain], [430, 430], Qt.Vertical)


def palette_size(window, scale: float = 1.0) -> tuple[int, int]:
    """A floating pane's size (the Tour pane): 460×420 at 1×, larger at a presenter scale, never
    more than half the window's width or four fifths of its height."""
    return (int(min(460 * scale, window.width() / 2)), int(min(420 * scale, window.height() * 0.8)))


def keep_tabs_whole(window, tabbed: list[QDockWidget], scale: float) -> None:
    """At a presenter scale, the docks in one tab group at least as wide as their tab titles, so no
    title is cut short (at ×2 the explanations' four titles need about 590 pixels). At ×1 a small
    screen comes first: the window may be narrower, the titles then shortened."""
    if scale == 1.0:
        for dock in tabbed:
            dock.setMinimumWidth(0)
        return
    titles = {dock.windowTitle() for dock in tabbed}
    for bar in window.findChildren(QTabBar):
        if bar.count() == len(tabbed) and {bar.tabText(i) for i in range(bar.count())} == titles:
            bar.setElideMode(Qt.ElideNone)  # measured whole, not as Qt would shorten them
            need = sum(bar.tabSizeHint(i).width() for i in range(bar.count())) + 4
            bar.setElideMode(Qt.ElideRight)
            for dock in tabbed:
                dock.setMinimumWidth(need)
