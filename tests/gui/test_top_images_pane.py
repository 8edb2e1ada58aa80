"""Top images tab and pattern mode, on the bundled samples."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget


def test_top_images_scan_shows_crops_and_feeds_pattern_mode(window, qtbot):
    dock = window.findChild(QDockWidget, "dock-top images")
    with qtbot.waitSignal(window.runner.finished, timeout=180_000, check_params_cb=lambda k, r: k == "scan"):
        dock.raise_()
    pane = window.top_images
    scan = pane.current()
    assert scan is not None and scan.top.complete and len(scan.top.files) == 6
    shown = [tile for tile in pane.tiles if tile.image.image is not None]
    assert len(shown) == 6  # six photos: six of the nine places filled
    assert "receptive field" in pane.caption.text()
    # The best crop is listed first, with the highest activation.
    values = [value for _, _, value in pane.best_crops(window.session.unit)]
    assert values == sorted(values, reverse=True)

    window.grid.map_canvas.setFocus()
    qtbot.keyClick(window, Qt.Key_S)
    assert window.grid.pattern_shown
    assert window.grid.image.image.ndim == 3  # RGB crops, not colour indices
    assert window.grid.layout_.tile_h == window.grid.PATTERN_PX
    qtbot.keyClick(window, Qt.Key_S)  # on to feature images, then back to activations
    assert window.grid.patterns == "features" and "feature image" in window.grid.header.text()
    qtbot.keyClick(window, Qt.Key_S)
    assert not window.grid.pattern_shown and window.grid.patterns is None


def test_guided_view_of_each_top_crop(window, qtbot):
    dock = window.findChild(QDockWidget, "dock-top images")
    pane = window.top_images
    if pane.current() is None:
        with qtbot.waitSignal(window.runner.finished, timeout=180_000, check_params_cb=lambda k, r: k == "scan"):
            dock.raise_()
    crops = [tile.image.image.copy() for tile in pane.tiles if tile.image.image is not None]
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "topviews"):
        pane.guided.setChecked(True)
    views = [tile.image.image for tile in pane.tiles if tile.image.image is not None]
    assert len(views) == len(crops)
    assert all(v.shape == c.shape for v, c in zip(views, crops))
    assert not any((v == c).all() for v, c in zip(views, crops))
