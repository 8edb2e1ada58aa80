"""The Perturb tab driven as a user would: drag the patch, move sliders, shuffle, map and cancel."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
def _raise(window):
    window.show_view(2)  # the Perturb view
    return window.perturb


def _wait_kind(qtbot, window, kind, timeout=30_000):
    with qtbot.waitSignal(window.runner.finished, timeout=timeout, check_params_cb=lambda k, r: k == kind) as blocker:
        pass
    return blocker.args[1]


def _probs(pane):
    return [round(row.prob, 4) for row in pane.top5.rows]


def test_hidden_tab_asks_nothing_then_the_patch_moves_the_predictions(window, qtbot, monkeypatch):
    asked = []
    submit = window.runner.submit
    monkeypatch.setattr(window.runner, "submit", lambda kind, *a, **k: asked.append(kind) or submit(kind, *a, **k))
    pane = window.perturb
    pane.move_patch(100, 100)
    window.session.set_unit(3)
    qtbot.wait(50)
    assert not set(asked) & set(pane.kinds), "the view is hidden behind the activations"
    assert pane.result is None

    with qtbot.waitSignal(window.runner.finished, timeout=30_000, check_params_cb=lambda k, r: k == "perturb"):
        _raise(window)
    assert len(pane.top5.rows) == 5
    first = _probs(pane)
    assert pane.unit_line.text().startswith(f"Unit 3 of {window.session.layer}")

    pane.patch_size.slider.setValue(112)  # half the crop: hides most of the cat's face
    result = _wait_kind(qtbot, window, "perturb")
    assert result.mode == "occlude" and (result.image == 128).all(axis=2).sum() == 112 * 112
    assert _probs(pane) != first

    # A drag moves the ROI; every move asks again, the newest request wins.
    with qtbot.waitSignal(window.runner.finished, timeout=30_000, check_params_cb=lambda k, r: k == "perturb"):
        for x in range(0, 100, 20):
            pane.patch.setPos((x, 0))
    x0, y0, _, _ = pane.patch_rect()
    assert (x0, y0) == (80, 0)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=30_000)
    assert (pane.result.image[0:112, 80:192] == 128).all()


def test_sliders_change_the_image_and_the_strip_shows_eight_predictions(window, qtbot):
    pane = _raise(window)
    _wait_kind(qtbot, window, "perturb")
    crop = window.session.result.crop
    with qtbot.waitSignal(window.runner.finished, timeout=30_000, check_params_cb=lambda k, r: k == "perturb"):
        pane.tabs.setCurrentIndex(pane.AUGMENT)
    clean = _probs(pane)
    assert np.array_equal(pane.result.image, crop)

    pane.sliders["brightness"].set_value(0.3)
    result = _wait_kind(qtbot, window, "perturb")
    assert result.mode == "augment"
    assert result.image.mean() < 0.4 * crop.mean()
    assert _probs(pane) != clean
    assert np.array_equal(pane.image.image, result.image)

    pane.reset.click()
    _wait_kind(qtbot, window, "perturb")
    assert np.array_equal(pane.result.image, crop) and _probs(pane) == clean

    with qtbot.waitSignal(window.runner.finished, timeout=30_000, check_params_cb=lambda k, r: k == "perturb-strip"):
        pane.tabs.setCurrentIndex(pane.STRIP)
    strip = pane.strip_result
    assert len(strip.items) == 8 and strip.seed == 0
    assert all(tile.caption.text().endswith("%") and tile.picture.pixmap() is not None for tile in pane.tiles)
    assert all(tile.correct in ("right", "near", "wrong") for tile in pane.tiles)
    assert "keep the clean top-1" in pane.strip_caption.text()

    with qtbot.waitSignal(window.runner.finished, timeout=30_000, check_params_cb=lambda k, r: k == "perturb-strip"):
        pane.shuffle.click()
    assert pane.strip_result.seed == 1
    assert not np.array_equal(pane.strip_result.items[0].image, strip.items[0].image)

    pane._tile_clicked(0)  # opens that augmentation on the sliders
    assert pane.tabs.currentIndex() == pane.AUGMENT
    assert pane.augment() == pane.strip_result.items[0].augment


def test_the_sensitivity_map_shows_progress_and_can_be_cancelled(window, qtbot):
    pane = _raise(window)
    _wait_kind(qtbot, window, "perturb")
    pane.patch_size.slider.setValue(112)
    pane.stride.setCurrentIndex(pane.stride.findData(56))
    fractions = []
    window.runner.progress.connect(lambda kind, f, text: kind == "occlusion" and fractions.append(f))
    pane.run_map.click()
    assert not pane.run_map.isEnabled() and pane.cancel_map.isEnabled()
    result = _wait_kind(qtbot, window, "occlusion")
    assert result.map.shape == (224, 224) and fractions and fractions[-1] == 1.0
    assert pane.overlay.image is not None and pane.overlay.image.shape == (224, 224, 4)
    assert pane.run_map.isEnabled() and "s" in pane.map_progress.format()
    # The map has a key: which colour lowers the top class, which raises it, and by how much at most.
    assert pane.map_key.isVisible() and "lowers" in pane.map_key.high.text() and "raises the top class" in pane.map_key.low.text()
    pane.show_map.setChecked(False)
    assert not pane.map_key.isVisible()
    pane.show_map.setChecked(True)

    # A fine map takes minutes: cancel it after its first batch.
    finished = []
    window.runner.finished.connect(lambda kind, r: kind == "occlusion" and finished.append(r))
    pane.patch_size.slider.setValue(32)
    pane.stride.setCurrentIndex(pane.stride.findData(4))
    fractions.clear()
    pane.run_map.click()
    qtbot.waitUntil(lambda: bool(fractions), timeout=30_000)
    pane.cancel_map.click()
    assert pane.map_progress.format() == "cancelled" and pane.run_map.isEnabled()
    qtbot.waitUntil(lambda: window.runner.running_kind() != "occlusion", timeout=30_000)
    qtbot.wait(50)
    assert not finished, "a cancelled map is never shown"
    assert fractions[-1] < 0.1


def test_the_status_bar_cancel_puts_the_map_controls_back(window, qtbot):
    pane = _raise(window)
    _wait_kind(qtbot, window, "perturb")
    pane.patch_size.slider.setValue(32)
    pane.stride.setCurrentIndex(pane.stride.findData(4))  # minutes of work
    fractions = []
    window.runner.progress.connect(lambda kind, f, text: kind == "occlusion" and fractions.append(f))
    pane.run_map.click()
    qtbot.waitUntil(lambda: bool(fractions), timeout=30_000)
    qtbot.waitUntil(lambda: window.status.cancel_button.isVisibleTo(window), timeout=2_000)  # a tester found it hidden
    qtbot.mouseClick(window.status.cancel_button, Qt.LeftButton)  # the status bar's Cancel, not the tab's own button
    assert pane.run_map.isEnabled() and not pane.cancel_map.isEnabled()
    assert pane.map_progress.format() == "cancelled"
    qtbot.waitUntil(lambda: window.runner.running_kind() != "occlusion", timeout=5_000)  # the worker is free again
