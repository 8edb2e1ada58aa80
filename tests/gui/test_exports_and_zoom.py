"""Pictures for slides (a pane or the window at 1, 2 or 4 times its pixels, SVG, the clipboard, a
slide with a caption) and `z`, which makes one pane fill the window until z or Esc."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_a_pane_is_drawn_at_the_pixels_asked_for_not_enlarged(window, scale):
    from dlviz.gui import exports

    pane = window.unit
    image = exports.picture(pane, scale)
    assert (image.width(), image.height()) == (pane.width() * scale, pane.height() * scale)
    if scale > 1:  # drawn again at that size: text has edges finer than an enlarged copy's
        plain = exports.picture(pane, 1).scaled(image.width(), image.height())
        assert not np.array_equal(pixels(image), pixels(plain))


def test_plots_go_to_svg_with_their_text_as_text(window, tmp_path):
    from dlviz.gui import exports

    path = tmp_path / "predictions.svg"
    exports.save_svg(window.predictions, path, "Predictions")
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "tiger cat" in text  # the top class's name, as text in the file


def test_a_slide_puts_the_chosen_panes_and_the_caption_on_a_1920_by_1080_page(window):
    from dlviz.gui import exports, style

    bare = exports.slide([window.grid, window.unit])
    with_caption = exports.slide([window.grid, window.unit], "Edges first, then textures")
    assert (bare.width(), bare.height()) == (1920, 1080)
    a, b = pixels(bare), pixels(with_caption)
    background = np.array([int(style.BACKGROUND[k:k + 2], 16) for k in (1, 3, 5)])
    assert (np.abs(a.astype(int) - background).sum(axis=2) > 30).mean() > 0.25  # the panes fill the page
    bottom = slice(1000, 1080)
    assert not np.array_equal(a[bottom], b[bottom])  # the caption is under them


def test_the_export_dialog_copies_and_saves_a_picture(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from dlviz.gui.exports import ExportDialog

    dialog = ExportDialog(window)
    titles = [dialog.parts.item(k).text() for k in range(dialog.parts.count())]
    assert titles[:2] == ["The whole window", "Main view: Activations"] and "Unit" in titles
    dialog.parts.setCurrentRow(titles.index("Unit"))
    dialog.scales.button(4).setChecked(True)
    dialog.copy()
    copied = QGuiApplication.clipboard().image()
    assert (copied.width(), copied.height()) == (window.unit.width() * 4, window.unit.height() * 4)
    out = tmp_path / "unit.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(out), "PNG (*.png)"))
    with qtbot.waitSignal(window.message, timeout=30_000, check_params_cb=lambda text: "unit.png" in text):
        dialog.save("png")  # written on a thread of its own
    assert QImage(str(out)).width() == window.unit.width() * 4
    bad = tmp_path / "no-such-folder" / "unit.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(bad), "PNG (*.png)"))
    with qtbot.waitSignal(window.message, timeout=30_000, check_params_cb=lambda text: "Could not write" in text):
        dialog.save("png")


def test_z_zooms_the_pane_under_the_mouse_or_the_unit_and_esc_puts_it_back(window, qtbot):
    from PySide6.QtGui import QCursor

    QCursor.setPos(0, 0)  # over no pane: the unit is zoomed
    window.actions["zoom"].trigger()
    assert window.zoom.pane is window.unit and window.unit.isVisible()
    assert window.unit.width() > 0.9 * window.width()
    window.session.set_unit(5)  # the zoomed pane keeps following the session
    qtbot.waitUntil(lambda: "Unit 5 " in window.unit.title.text(), timeout=10_000)
    window.actions["escape"].trigger()
    assert not window.zoom.active and window.unit.parentWidget().objectName() == "dock-unit"
    window.zoom.enter(window.grid)  # a main view leaves its tab and comes back to it
    assert window.views.count() == 2 and window.session.to_dict()["panes"]["window"]["view"] == "activations"
    window.activateWindow()
    qtbot.keyClick(window.grid.map_canvas, Qt.Key_Z)
    assert not window.zoom.active and window.views.count() == 3 and window.views.currentWidget() is window.grid


def test_export_while_a_pane_is_zoomed_puts_it_back_and_lists_every_pane(window, monkeypatch):
    from dlviz.gui.exports import ExportDialog

    window.zoom.enter(window.backprop)  # out of its dock: the dock holds no pane meanwhile
    listed = []
    monkeypatch.setattr(ExportDialog, "exec", lambda dialog: listed.extend(dialog.choices()))
    window.actions["export-picture"].trigger()
    assert not window.zoom.active and window.backprop.parentWidget().objectName() == "dock-backprop"
    titles = [title for title, _ in listed]
    assert "Backprop" in titles and all(widget is not None for _, widget in listed)
