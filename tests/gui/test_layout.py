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
