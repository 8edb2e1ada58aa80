"""Room for every pane: no tab label is cut and no pane collapses, from 1400×880 up."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDockWidget, QTabBar


def cut_tabs(window) -> list[str]:
    """The labels of visible tab bars that are drawn narrower than they ask to be."""
    cut = []
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible():
            continue
        for i in range(bar.count()):
            if bar.tabRect(i).width() < bar.tabSizeHint(i).width() - 1 or bar.tabRect(i).right() > bar.width():
                cut.append(bar.tabText(i))
    return cut


@pytest.mark.parametrize("size", [(1400, 880), (1920, 1080)])
def test_no_tab_label_is_cut_and_no_pane_collapses(window, qtbot, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=5_000)
    qtbot.wait(100)
    assert cut_tabs(window) == []
    tabbed = [bar for bar in window.findChildren(QTabBar) if bar.isVisible()]
    labels = {bar.tabText(i) for bar in tabbed for i in range(bar.count())}
    assert {"Activations", "Attention crop", "Perturb", "Backprop", "Attention", "Top images", "Feature vis"} <= labels
    shown = [dock for dock in window.findChildren(QDockWidget) if dock.isVisible()]
    assert {dock.objectName() for dock in window.findChildren(QDockWidget)} - {d.objectName() for d in shown} == {"dock-tour"}
    for dock in shown:
        assert dock.width() >= 200 and dock.height() >= 100, dock.objectName()
    window.show_tour_panel()  # Tour ▸ Edit the Tour: a tab beside the explanations, as large as they are
    qtbot.wait(50)
    assert window.tour_dock.width() >= 200 and window.tour_dock.height() >= 100
    assert cut_tabs(window) == []
    for index in range(3):  # each main view gets the centre: most of the window's width
        window.show_view(index)
        qtbot.wait(50)
        assert window.views.currentWidget().width() > size[0] * 0.4
        assert cut_tabs(window) == []


@pytest.mark.parametrize("screen", [(1280, 720), (1600, 1000)])
def test_the_window_opens_within_its_screen(make_window, monkeypatch, screen):
    """On a screen smaller than its default size the window opens inside the screen's free area:
    on a 1280×720 screen it opened at 1400×880 before, its right-hand panes past the edge."""
    from PySide6.QtCore import QRect

    from dlviz.gui.main_window import MainWindow

    room = QRect(0, 0, *screen)

    class Screen:  # (offscreen's own screen is 800×800, too small for any layout of the window)
        def availableGeometry(self):
            return room

    monkeypatch.setattr(MainWindow, "screen", lambda self: Screen())
    window = make_window(size=None, wait=False)
    assert room.contains(window.frameGeometry()), (window.frameGeometry(), room)
    assert window.width() >= min(1400, 0.9 * room.width())  # no smaller than it must be
