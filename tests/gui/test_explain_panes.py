"""The backprop and class-attention panes, driven as a user would."""

from __future__ import annotations

import numpy as np
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


def test_a_moving_cursor_gets_its_picture_where_it_rests(window, qtbot):
    """A held key steps the cursor every ~30 ms: the first step is explained at once, the places
    passed are not, and the place where the cursor rests is."""
    pane = window.backprop
    qtbot.waitUntil(lambda: pane.grad is not None and not window.runner.waiting("backprop"), timeout=60_000)
    qtbot.wait(pane.REST_MS + 50)  # the cursor has rested
    asked, dropped = [], []
    window.runner.submitted.connect(lambda kind: asked.append(kind))
    window.runner.cancelled.connect(lambda kind: dropped.append(kind))
    for unit in range(1, 7):
        window.session.set_unit(unit)
    assert pane.waiting_to_rest("backprop") and asked.count("backprop") == 1
    assert dropped.count("backprop") == 1  # the first step's job, for a place already passed
    qtbot.waitUntil(lambda: pane.shown == (window.session.layer, 6, "gradient"), timeout=60_000)
    assert asked.count("backprop") == 2 and "computing" not in pane.caption.text()


def test_a_held_picture_dropped_while_hidden_is_asked_for_when_seen_again(window, qtbot):
    """Held for the cursor to rest, then dropped because the pane went out of sight: back in
    sight at the same place, the picture is asked for (it once waited for an answer that never
    came, "computing" for good)."""
    pane = window.backprop
    qtbot.waitUntil(lambda: pane.grad is not None and not window.runner.waiting("backprop"), timeout=60_000)
    qtbot.wait(pane.REST_MS + 50)
    for unit in (1, 2, 3):
        window.session.set_unit(unit)
    assert pane.waiting_to_rest("backprop")
    window.findChild(QDockWidget, "dock-attention").raise_()
    qtbot.waitUntil(lambda: not pane.on_screen(), timeout=10_000)
    pane.request()  # anything that asks while it cannot be seen (a new frame, an option)
    assert not pane.waiting_to_rest("backprop")
    window.findChild(QDockWidget, "dock-backprop").raise_()
    qtbot.waitUntil(lambda: pane.shown == (window.session.layer, 3, "gradient"), timeout=60_000)
    assert "computing" not in pane.caption.text()


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

    with qtbot.waitSignal(window.runner.finished, timeout=300_000, check_params_cb=lambda k, r: k == "scorecam"):
        pane.compare.setChecked(True)  # Score-CAM among the four: a snapshot kind of its own
    assert list(pane.result.maps) == ["gradcam", "gradcam++", "layercam", "scorecam"]
    assert all(tile.isVisible() for tile in pane.tiles)

    pane.compare.setChecked(False)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "cam"):
        pane.randomise.setValue(pane.randomise.maximum())
    assert pane.result.randomised == pane.randomise.maximum()
    assert "similarity to trained" in pane.tiles[0].caption.text()
    assert "randomised" in pane.verdict.text()


def test_backprop_never_shows_a_picture_of_another_image_or_unit(window, qtbot, samples):
    """Hidden behind another tab while the image and unit changed, the backprop view once came back
    with the old image's picture and kept it until a unit was clicked."""
    pane = window.backprop
    qtbot.waitUntil(lambda: pane.grad is not None, timeout=60_000)
    window.findChild(QDockWidget, "dock-attention").raise_()
    with qtbot.waitSignal(window.ready, timeout=120_000):
        window.loader.open_image(samples / "coffee.png")
    window.session.set_unit(5)
    assert pane.shown is None and pane.image.image is None  # the old picture is gone, not left as if current
    with qtbot.waitSignal(window.runner.finished, timeout=60_000, check_params_cb=lambda k, r: k == "backprop"):
        window.findChild(QDockWidget, "dock-backprop").raise_()
    assert pane.shown == (window.session.layer, 5, "gradient")
    assert "unit 5 of" in pane.caption.text() and "computing" not in pane.caption.text()


def test_a_frozen_source_follows_a_new_image(window, qtbot, samples):
    pane = window.backprop
    qtbot.waitUntil(lambda: pane.grad is not None, timeout=60_000)
    window.session.set_unit(4)
    qtbot.keyClick(window, Qt.Key_D)
    qtbot.waitUntil(lambda: pane.shown == (window.session.layer, 4, "gradient"), timeout=60_000)
    before = pane.grad.copy()
    with qtbot.waitSignal(window.runner.finished, timeout=60_000, check_params_cb=lambda k, r: k == "backprop"):
        window.loader.open_image(samples / "coffee.png")
    assert pane.shown == (window.session.layer, 4, "gradient") and "frozen" in pane.caption.text()
    assert not np.array_equal(pane.grad, before)  # the frozen unit, explained on the new image


def test_enter_on_a_typed_part_of_a_class_name_maps_that_class(window, qtbot):
    pane = window.attention
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "cam"):
        window.findChild(QDockWidget, "dock-attention").raise_()
    pane.target.setEditText("golden retr")
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "cam"):
        qtbot.keyClick(pane.target.lineEdit(), Qt.Key_Return)
    assert pane.result.class_index == 207 and pane.target.currentText() == "golden retriever"
    pane.target.setEditText("retriever")  # four of them: say so, map nothing new
    with qtbot.waitSignal(window.message, timeout=10_000) as said:
        qtbot.keyClick(pane.target.lineEdit(), Qt.Key_Return)
    assert "matches several classes" in said.args[0] and pane.result.class_index == 207


def test_class_attention_hidden_follows_the_top_class_once_seen_and_in_what_it_saves(window, qtbot, samples):
    """Out of sight, the pane does not move its class box at every new result (a live frame); in
    sight again, and in a saved session, the box holds the newest result's top class."""
    pane = window.attention
    window.findChild(QDockWidget, "dock-backprop").raise_()
    qtbot.waitUntil(lambda: not pane.on_screen(), timeout=10_000)
    before = pane.target.currentIndex()
    with qtbot.waitSignal(window.ready, timeout=120_000):
        window.loader.open_image(samples / "coffee.png")
    top = int(np.argmax(window.session.result.forward.probs))
    assert top != before and pane.target.currentIndex() == before  # hidden: left as it was
    assert pane.state()["class"] == pane.target.itemText(top)  # what a session saves is current
    pane.target.setCurrentIndex(before)  # (as if a frame had come since)
    pane.when_seen(pane._follow_top)  # (out of sight: put off again)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "cam"):
        window.findChild(QDockWidget, "dock-attention").raise_()
    assert pane.target.currentIndex() == top and pane.result.class_index == top
