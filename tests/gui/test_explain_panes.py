"""The backprop and class-attention panes, driven as a user would."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

pytest.importorskip("dlviz.core.attribution")


def _wait_kind(qtbot, window, kind, timeout=120_000):
    with qtbot.waitSignal(window.runner.finished, timeout=timeout, check_params_cb=lambda k, r: k == kind) as blocker:
        pass
    return blocker.args[1]


def test_backprop_follows_the_cursor_and_cycles_methods(window, qtbot):
    pane = window.backprop
    qtbot.waitUntil(lambda: pane.grad is not None, timeout=60_000)
    assert pane.grad.shape == (3, 224, 224)
    assert pane.image.image.shape == (224, 224, 3)
    assert "gradient of unit 0 of" in pane.caption.text()

    window.grid.map_canvas.setFocus()
    with qtbot.waitSignal(window.runner.finished, timeout=60_000, check_params_cb=lambda k, r: k == "backprop"):
        qtbot.keyClick(window, Qt.Key_B)
    assert pane.shown[2] == "guided"

    qtbot.keyClick(window, Qt.Key_M)
    assert pane.filter.currentData() == "grey"
    assert pane.image.image.shape == (224, 224, 3)


def test_frozen_source_stays_while_the_cursor_moves(window, qtbot):
    pane = window.backprop
    qtbot.waitUntil(lambda: pane.grad is not None, timeout=60_000)
    qtbot.keyClick(window, Qt.Key_D)
    assert pane.frozen == (window.session.layer, 0)
    window.session.set_unit(3)
    assert pane.source() == (window.session.layer, 0)
    assert "frozen" in pane.caption.text()
    qtbot.keyClick(window, Qt.Key_D)
    assert pane.source() == (window.session.layer, 3)


def test_class_attention_compare_and_sanity_check(window, qtbot):
    pane = window.attention
    dock = window.findChild(QDockWidget, "dock-attention")
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "cam"):
        dock.raise_()
    result = pane.result
    assert list(result.maps) == ["gradcam"] and result.class_index == 282
    assert result.maps["gradcam"].shape == (224, 224)
    assert pane.verdict.text().startswith("<b>tiger cat</b>")

    with qtbot.waitSignal(window.runner.finished, timeout=300_000, check_params_cb=lambda k, r: k == "cam"):
        pane.compare.setChecked(True)
    assert list(pane.result.maps) == ["gradcam", "gradcam++", "layercam", "scorecam"]
    assert all(tile.isVisible() for tile in pane.tiles)

    pane.compare.setChecked(False)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "cam"):
        pane.randomise.setValue(pane.randomise.maximum())
    assert pane.result.randomised == pane.randomise.maximum()
    assert "similarity to trained" in pane.tiles[0].caption.text()
    assert "randomised" in pane.verdict.text()
