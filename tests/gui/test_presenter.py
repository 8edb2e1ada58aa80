"""The presenter view: at 2× on a 1920×1080 screen no text is under 18 px and no single-line label
is cut; the scale and the theme are remembered; with the menus hidden every key still works."""

from __future__ import annotations

import pytest
from test_layout import cut_tabs

MIN_PX = 18  # the floor for text at a presenter scale of 2 on a 1920×1080 screen


def texts(window):
    """(widget, what it says) for every widget on screen that shows text."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QHeaderView, QLabel, QLineEdit, QTabBar, QTreeView, QWidget

    found = []
    for widget in [window, *window.findChildren(QWidget)]:
        if not widget.isVisible() or widget.visibleRegion().isEmpty():
            continue
        if isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
            found.append((widget, widget.text()))
        elif isinstance(widget, QAbstractButton) and widget.text():
            found.append((widget, widget.text()))
        elif isinstance(widget, QComboBox):
            found.append((widget, widget.currentText()))
        elif isinstance(widget, QTabBar):
            found.append((widget, " / ".join(widget.tabText(k) for k in range(widget.count()))))
        elif isinstance(widget, (QHeaderView, QLineEdit, QTreeView)):
            found.append((widget, type(widget).__name__))
    return found


def test_at_twice_the_scale_no_text_is_under_18_px_and_no_label_is_cut(make_window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontInfo
    from PySide6.QtWidgets import QTabBar

    from dlviz.gui import style

    window = make_window(size=(1920, 1080))
    window.presenter.set_scale(2.0)
    qtbot.wait(200)  # the layout settles
    shown = texts(window)
    assert len(shown) > 20  # the test sees the window's text, not an empty list
    small = [(type(w).__name__, text[:40], QFontInfo(w.font()).pixelSize()) for w, text in shown
             if QFontInfo(w.font()).pixelSize() < MIN_PX]
    assert not small, small
    # What panes paint themselves (predictions, lists, the glimpse captions) uses these.
    assert QFontInfo(style.title_font(9)).pixelSize() >= MIN_PX
    assert QFontInfo(window.predictions.font()).pixelSize() >= MIN_PX
    predictions = window.predictions  # its texts, laid out once at the first scale, are laid out again
    predictions.repaint()
    figure = predictions._text(f"{predictions.rows[0][2]:.1%}", -1)
    assert figure.size().height() >= predictions.fontMetrics().height() - 1 >= MIN_PX
    assert cut_tabs(window) == []
    for bar in window.findChildren(QTabBar):  # every title whole: Qt shortens one a single pixel short
        if bar.isVisible():
            assert sum(bar.tabSizeHint(i).width() for i in range(bar.count())) <= bar.width(), bar.tabText(1)
    # The lines between the grid's tiles and its cursor are drawn twice as wide.
    grid = window.grid
    assert grid.borders.pen().widthF() == 2 and grid.cursor.pen().widthF() == 4 and not grid.borders.path().isEmpty()
    # The plots' tick labels (the unit's colour bar) take the canvas's font.
    assert QFontInfo(window.unit.canvas.font()).pixelSize() >= MIN_PX
    # A label on one line shows all of its text.
    cut, checked = [], 0
    for widget, text in shown:
        if type(widget).__name__ == "QLabel" and not widget.wordWrap() and widget.textFormat() != Qt.RichText \
                and "<" not in text and "\n" not in text:
            checked += 1
            need = widget.fontMetrics().horizontalAdvance(text)
            if need > widget.contentsRect().width() + 1:
                cut.append((text[:50], need, widget.contentsRect().width()))
    assert checked >= 5 and not cut, (checked, cut)
    # The key help is as readable.
    window.help.toggle()
    assert window.help.isVisible()
    rows = texts(window.help)
    assert rows and all(QFontInfo(w.font()).pixelSize() >= MIN_PX for w, _ in rows)
    hint = window.help.label.sizeHint()  # every key on screen at once
    assert hint.height() <= window.height() and hint.width() <= window.width()


def test_scale_and_theme_are_remembered(make_window, settings, qtbot):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from dlviz.gui import style

    first = make_window()
    first.actions["presenter-larger"].trigger()
    first.actions["theme"].trigger()
    assert (style.scale(), style.theme()) == (1.5, "contrast")
    base = QApplication.font().pointSizeF() / 1.5
    first.close()
    style.set_look(1.0, "dark")  # as a new run of the app starts
    second = make_window()
    assert (second.presenter.scale, second.presenter.theme) == (1.5, "contrast")
    assert (style.scale(), style.theme()) == (1.5, "contrast")
    assert QApplication.font().pointSizeF() == pytest.approx(base * 1.5)
    assert QApplication.palette().color(QPalette.Window).name() == "#000000"
    second.actions["presenter-normal"].trigger()
    second.actions["theme"].trigger()
    assert (style.scale(), style.theme()) == (1.0, "dark")
    assert QApplication.font().pointSizeF() == pytest.approx(base)
    assert settings.value("presenter/theme") == "dark" and float(settings.value("presenter/scale")) == 1.0


def test_with_the_menus_hidden_every_key_still_works(window, qtbot):
    from PySide6.QtCore import Qt

    window.activateWindow()
    window.grid.map_canvas.setFocus()
    window.actions["hide-chrome"].trigger()
    assert window.menuBar().isHidden() and window.statusBar().isHidden()
    before = window.session.layer
    qtbot.keyClick(window.grid.map_canvas, Qt.Key_PageDown)  # next layer
    qtbot.waitUntil(lambda: window.session.layer != before, timeout=10_000)
    qtbot.keyClick(window.grid.map_canvas, Qt.Key_M, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.menuBar().isVisible() and window.statusBar().isVisible()


def test_a_scale_too_large_for_the_screen_is_refused_in_one_sentence(make_window, qtbot):
    from dlviz.gui import style

    window = make_window(size=(1000, 700))
    window.presenter._room = lambda: (1000, 700)  # a small screen (offscreen, the screen is whatever)
    said = []
    window.status.bar.messageChanged.connect(said.append)
    window.presenter.set_scale(2.0)
    assert style.scale() == 1.0 and window.presenter.scale == 1.0
    assert any("does not fit this 1000×700 screen" in text for text in said), said
    assert window.width() <= 1000


def test_one_and_a_half_fits_a_1280_by_720_screen(make_window, qtbot):
    """A laptop on a projector at 1280×720: ×1.5 must fit (×2 need not)."""
    from dlviz.gui import style

    window = make_window(size=(1280, 720))
    window.presenter._room = lambda: (1280, 720)
    window.presenter.set_scale(1.5)
    assert style.scale() == 1.5
    assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 720


def test_f11_makes_the_window_full_screen_and_back(window, qtbot):
    window.actions["full-screen"].trigger()
    qtbot.waitUntil(window.isFullScreen, timeout=5_000)
    window.actions["full-screen"].trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)


def test_in_the_high_contrast_theme_a_check_box_can_be_seen(window, qtbot):
    import numpy as np
    from PySide6.QtGui import QImage

    box = window.backprop.freeze

    def lightest() -> int:
        image = box.grab().toImage().convertToFormat(QImage.Format_Grayscale8)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        square = rows[:, : box.height()]  # the indicator, left of the label's text
        return int(square.max())

    window.actions["theme"].trigger()
    assert lightest() > 200  # a white outline on black (Fusion's own was black on black)
