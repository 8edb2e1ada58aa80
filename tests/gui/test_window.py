"""The window as a user meets it: panes filled, mouse and keys, files in and bad files out."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage

from dlviz.core.mosaic import make_layout


def _tile_widget_pos(grid, unit):
    """Where unit `unit`'s tile centre is on the grid's canvas, in widget pixels."""
    layout = grid.layout_
    y, x = layout.origin(unit)
    scene = grid.map_view.mapViewToScene(QPointF(x + layout.tile_w / 2, y + layout.tile_h / 2))
    return grid.map_canvas.mapFromScene(scene)


def test_opens_on_bundled_model_with_every_pane_filled(window):
    s = window.session
    assert s.model.name == "efficientnet_lite0"
    assert s.layer == s.model.start_layer and s.layer_info().kind == "map"
    # Predictions: the cat.
    assert [label for _, label, _ in window.predictions.rows[:3]] == ["tiger cat", "Egyptian cat", "tabby"]
    # The grid shows every channel of the layer, tiled.
    act = s.activation()
    rgb = window.grid.image.image
    assert rgb.shape[:2] == window.grid.layout_.shape
    assert window.grid.layout_.channels == act.shape[0]
    # The layer tree has the layer selected.
    assert window.layers.tree.currentItem().data(0, Qt.UserRole) == s.layer
    # The input pane outlines the crop inside the photo.
    rect = window.input_pane.crop.rect()
    assert window.input_pane.crop.isVisible() and 0 <= rect.left() < rect.right() <= 451
    # The unit pane shows unit 0's map at the layer's resolution.
    assert window.unit.map.image.shape == act.shape[1:]
    # Status bar names model, layer, unit and times.
    text = window.status.info.text()
    for part in ("efficientnet_lite0", s.layer, "unit 0/", "forward", "render"):
        assert part in text


def test_click_and_hover_select_and_describe_a_unit(window, qtbot):
    grid = window.grid
    pos = _tile_widget_pos(grid, 5)
    qtbot.mouseMove(grid.map_canvas.viewport(), pos)
    qtbot.waitUntil(lambda: grid.readout.text().startswith("unit 5 · at"))
    qtbot.mouseClick(grid.map_canvas.viewport(), Qt.LeftButton, pos=pos)
    assert window.session.unit == 5
    # The selection outline sits on tile 5.
    y, x = grid.layout_.origin(5)
    rect = grid.cursor.rect()
    assert abs(rect.left() - (x - 0.5)) < 1e-6 and abs(rect.top() - (y - 0.5)) < 1e-6
    act = window.session.activation()
    assert np.array_equal(window.unit.map.image, act[5])


def test_keys_move_the_unit_cursor_and_change_layer(window, qtbot):
    s = window.session
    cols = window.grid.layout_.cols
    qtbot.keyClick(window, Qt.Key_Right)
    assert s.unit == 1
    qtbot.keyClick(window, Qt.Key_Down)
    assert s.unit == 1 + cols
    qtbot.keyClick(window, Qt.Key_Left)
    qtbot.keyClick(window, Qt.Key_Up)
    qtbot.keyClick(window, Qt.Key_Up)  # clamped at the top row
    assert s.unit == 0
    start = s.layer
    qtbot.keyClick(window, Qt.Key_PageDown)
    assert s.layer != start and s.displayable_layers().index(s.layer) > s.displayable_layers().index(start)
    qtbot.keyClick(window, Qt.Key_PageUp)
    assert s.layer == start


def test_boost_keys_change_the_grid(window, qtbot):
    before = window.grid.image.image.copy()
    qtbot.keyClick(window, Qt.Key_T)  # gamma 1 -> 0.7
    assert window.session.gamma == pytest.approx(0.7)
    lifted = window.grid.image.image
    assert lifted.mean() > before.mean()  # weak activations brighter
    qtbot.keyClick(window, Qt.Key_T, Qt.ShiftModifier)  # per-channel contrast up
    assert window.session.contrast == pytest.approx(0.3)
    assert window.grid.contrast.currentData() == pytest.approx(0.3)


def test_help_overlay_lists_keys_and_closes(window, qtbot):
    qtbot.keyClick(window, Qt.Key_H)
    assert window.help.isVisible()
    assert window.help.geometry() == window.rect()
    qtbot.keyClick(window.help, Qt.Key_Escape)
    assert not window.help.isVisible()
    qtbot.keyClick(window, Qt.Key_F1)
    assert window.help.isVisible()


def test_vector_layer_shows_bars_with_class_names(window, qtbot):
    s = window.session
    s.set_layer("classifier")
    assert window.grid.stack.currentWidget() is window.grid.bar_plot
    labels = {item.toPlainText() for item in window.grid.bar_labels}
    assert labels == {label for _, label, _ in window.predictions.rows}
    assert s.unit == 282  # the cursor lands on the top class
    assert not window.grid.gamma.isEnabled()  # bars have no colour scale
    # Clicking a prediction jumps to its output unit.
    pane = window.predictions
    row = [index for index, _, _ in pane.rows].index(285)
    qtbot.mouseClick(pane, Qt.LeftButton, pos=QPoint(40, int(4 + (row + 0.5) * pane._row_height())))
    assert s.unit == 285
    assert "Egyptian cat" in window.unit.scalar.text()
    assert "Egyptian cat" in window.grid.readout.text()


def test_next_and_previous_image_in_the_folder(window, qtbot):
    with qtbot.waitSignal(window.ready, timeout=60_000):
        qtbot.keyClick(window, Qt.Key_N)
    assert window.session.image_name == "china.jpg"
    with qtbot.waitSignal(window.ready, timeout=60_000):
        qtbot.keyClick(window, Qt.Key_P)
    assert window.session.image_name == "chelsea.png"
    assert window.settings.value("recent")[0].endswith("chelsea.png")


def test_bad_file_gives_one_sentence_and_keeps_the_image(window, qtbot, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    with qtbot.waitSignal(window.message, timeout=30_000) as blocker:
        window.loader.open_image(bad)
    sentence = blocker.args[0]
    assert "notes.png" in sentence and "\n" not in sentence
    assert window.session.image_name == "chelsea.png" and window.session.result is not None


def test_drop_and_paste_open_images(window, qtbot, samples):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples / "coffee.png"))])
    with qtbot.waitSignal(window.ready, timeout=60_000):
        assert window.loader.open_mime(mime)
    assert window.session.image_name == "coffee.png"
    assert window.predictions.rows[0][1] == "espresso"

    image = QImage(str(samples / "rocket.jpg"))
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.loader.paste()
    assert window.session.image_name == "pasted image"
    assert window.session.rgb.shape == (image.height(), image.width(), 3)
    assert window.session.image_path is None


def test_newest_image_wins(window, qtbot, samples):
    with qtbot.waitSignal(window.ready, timeout=60_000):
        for name in ("astronaut.png", "rocket.jpg", "flower.jpg", "coffee.png"):
            window.loader.open_image(samples / name)
    assert window.session.image_name == "coffee.png"
    assert window.predictions.rows[0][1] == "espresso"


def test_window_state_is_remembered(make_window, settings, qtbot):
    from PySide6.QtWidgets import QDockWidget

    first = make_window()
    first.resize(first.width(), 600)  # the offscreen screen is 800 px: restoring clamps wider windows
    first.findChild(QDockWidget, "dock-predictions").hide()
    first.close()
    assert settings.value("geometry") is not None
    second = make_window(wait=False, size=None)
    assert second.height() == 600
    assert second.findChild(QDockWidget, "dock-predictions").isHidden()
    second.reset_layout()
    assert not second.findChild(QDockWidget, "dock-predictions").isHidden()


def test_window_appears_before_the_model_is_loaded(make_window):
    window = make_window(wait=False)
    assert window.isVisible() and window.session.model is None


def test_the_model_is_asked_for_once_the_photo_is_on_screen(make_window, qtbot, monkeypatch):
    """Start-up shows the photo first and loads the model after it (its libraries loading during
    the first paints held the GUI thread); the model still comes, once."""
    from dlviz.gui import loading
    from dlviz.gui.loading import Loader

    monkeypatch.setattr(loading, "MODEL_WAIT_MS", 60_000)  # no cap: the photo, however slow, comes first

    asked = []
    original = Loader.load_model

    def spy(self, *args, **kwargs):
        asked.append(self.session.rgb is not None)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Loader, "load_model", spy)
    window = make_window(wait=False)
    assert asked == []  # not yet: the photo is on its way
    with qtbot.waitSignal(window.ready, timeout=90_000):
        pass
    assert asked == [True] and window.session.model is not None


def test_resize_retiles_the_grid_to_the_pane(window, qtbot):
    channels = window.grid.layout_.channels
    window.resize(1600, 600)
    qtbot.waitUntil(lambda: window.grid.layout_.cols > window.grid.layout_.rows)
    layout = window.grid.layout_
    assert layout == make_layout(channels, layout.tile_h, layout.tile_w, window.grid._aspect())


def test_layer_filter_keeps_matches_and_their_parents(window, qtbot):
    tree = window.layers
    qtbot.keyClicks(tree.filter, "conv_pwl")
    visible = [name for name, item in tree.items.items() if not item.isHidden()]
    assert visible and all(
        name.endswith("conv_pwl") or any(other.startswith(name + ".") and other.endswith("conv_pwl") for other in visible)
        for name in visible
    )
    assert "blocks.4.1.conv_pwl" in visible and "blocks.4.1" in visible and "conv_stem" not in visible
    tree.filter.clear()
    assert not tree.items["conv_stem"].isHidden()


def test_unreachable_zoo_model_says_so_and_keeps_the_current_model(window, qtbot):
    with qtbot.waitSignal(window.runner.failed, timeout=60_000) as blocker:
        window.loader.load_model("resnet18")
    sentence = blocker.args[1]
    assert "resnet18-" in sentence and "checkpoints" in sentence
    assert window.session.model.name == "efficientnet_lite0"
    assert window.session.result is not None
    # The whole sentence stays readable until closed (the status bar cut it mid-URL, then let it go).
    box = window.notices[-1]
    assert box.isVisible() and box.text() == sentence and "https://" in box.text()
    copy = next(button for button in box.buttons() if button.text() == "Copy")
    copy.click()
    assert QGuiApplication.clipboard().text() == sentence


def test_class_names_file_renames_the_predictions(window, qtbot, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(f"thing {i}" for i in range(1000)))
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        window.loader.read_labels(names)
    assert window.predictions.rows[0][1] == "thing 282"
    short = tmp_path / "short.txt"
    short.write_text("a\nb\n")
    with qtbot.waitSignal(window.message, timeout=30_000) as blocker:
        window.loader.read_labels(short)
    assert "2 class names" in blocker.args[0] and "1000 outputs" in blocker.args[0]
    assert window.predictions.rows[0][1] == "thing 282"


def test_arrows_stay_with_the_layer_tree_when_it_has_focus(window, qtbot):
    tree = window.layers.tree
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus)
    before = tree.currentItem()
    qtbot.keyClick(tree, Qt.Key_Down)
    assert window.session.unit == 0
    assert tree.currentItem() is not before


def test_hover_reads_the_pixel_under_the_mouse_even_near_its_far_corner(window, qtbot):
    grid = window.grid
    layout = grid.layout_
    y, x = layout.origin(3)
    # The lower-right quarter of the tile's last pixel still belongs to that pixel.
    px, py = x + layout.tile_w - 0.2, y + layout.tile_h - 0.2
    scene = grid.map_view.mapViewToScene(QPointF(px, py))
    assert grid._map_hit(scene) == (3, layout.tile_h - 1, layout.tile_w - 1)


def test_pooled_one_by_one_maps_are_shown_as_bars(window):
    s = window.session
    pooled = [info.name for info in s.model.layers if len(info.shape) == 3 and info.shape[1:] == (1, 1)]
    assert pooled, "the bundled model has a C×1×1 pooling output"
    s.set_layer(pooled[0])
    assert s.activation().ndim == 1
    assert window.grid.stack.currentWidget() is window.grid.bar_plot


def test_bars_have_a_grid_line_at_each_labelled_value(window, qtbot):
    """The bars' grid is drawn as lines of our own (pyqtgraph's took 11 ms a paint): one at each
    value the axis labels, following the range from one layer to the next."""
    s, grid = window.session, window.grid
    axis = grid.bar_plot.getAxis("left")

    def lines_and_labels():
        qtbot.wait(50)  # the range settles on the next turn of the loop
        low, high = grid.bar_plot.getViewBox().viewRange()[1]
        labelled = sorted({v for _, level in axis.tickValues(low, high, axis.height())[:2] for v in level})
        shown = sorted(line.value() for line in grid.bar_grid if line.isVisible())
        return shown, labelled, (low, high)

    s.set_layer("classifier")
    shown, labelled, (low, high) = lines_and_labels()
    assert len(shown) >= 3 and np.allclose(shown, labelled)
    assert low < 0 < high and any(v < 0 for v in shown)  # logits go below zero
    s.set_layer("global_pool.flatten")
    shown, labelled, (low, _) = lines_and_labels()
    assert np.allclose(shown, labelled) and low > -1  # pooled ReLU6 features: the range moved, the lines too


def test_page_down_follows_the_data_not_the_module_tree(window, qtbot):
    s = window.session
    s.set_layer("bn1")  # the stem's batch norm with its activation: finishes after bn1.act
    qtbot.keyClick(window, Qt.Key_PageDown)
    # Next comes the first block's first layer, not the whole 'blocks' container (its output is last).
    assert s.layer.startswith("blocks.0.0")


def test_progress_bar_shows_while_a_model_loads(make_window, qtbot):
    window = make_window(wait=False)  # the model is asked for once the photo is painted
    qtbot.waitUntil(lambda: window.status.progress_bar.isVisibleTo(window), timeout=5000)
    assert window.status.cancel_button.isVisibleTo(window) and window.session.model is None


def test_view_settings_are_remembered(make_window, settings):
    first = make_window()
    first.session.set_view(gamma=0.5, cmap="ice", opacity=0.25)
    first.close()
    second = make_window(wait=False)
    assert (second.session.gamma, second.session.cmap, second.session.opacity) == (0.5, "ice", 0.25)
    assert second.unit.opacity.value() == 25 or second.session.result is None


def test_layout_kernels_warm_up_in_the_background_after_the_first_image(make_window, qtbot, monkeypatch):
    import threading

    from dlviz.core import embedding
    from dlviz.gui import loading

    calls = []
    monkeypatch.setenv("DLVIZ_WARM_UP", "1")
    monkeypatch.setattr(loading, "_warming", None)
    monkeypatch.setattr(embedding, "warm_up", lambda: calls.append(threading.current_thread()) or "ready")
    window = make_window()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10_000)
    assert calls[0] is not threading.main_thread() and window.session.result is not None
    window.loader.request_forward()  # a second image does not warm up again
    with qtbot.waitSignal(window.ready, timeout=30_000):
        pass
    assert len(calls) == 1


def test_an_error_goes_once_the_next_image_opens_fine(window, qtbot, tmp_path, samples):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    with qtbot.waitSignal(window.message, timeout=30_000):
        window.loader.open_image(bad)
    assert "notes.png" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.loader.open_image(samples / "coffee.png")
    assert "notes.png" not in window.statusBar().currentMessage() and not window.statusBar().styleSheet()


def test_pattern_mode_says_so_in_the_grid_header_and_starts_the_scan_it_needs(window, qtbot):
    with qtbot.waitSignal(window.runner.finished, timeout=180_000, check_params_cb=lambda k, r: k == "scan"):
        qtbot.keyClick(window, Qt.Key_S)  # no scan yet: the Top images tab comes to the front and scans
        assert "pattern mode: waiting for the Top images scan" in window.grid.header.text()
    assert window.grid.pattern_shown and "pattern mode: each unit's best crop" in window.grid.header.text()
    qtbot.keyClick(window, Qt.Key_S)
    assert window.grid.pattern_shown and "pattern mode: each unit's feature image" in window.grid.header.text()
    qtbot.keyClick(window, Qt.Key_S)
    assert not window.grid.pattern_shown and "pattern mode" not in window.grid.header.text()
    assert not window.runner.waiting("featureimages")  # leaving the mode stops the feature images


def test_page_down_steps_past_a_layer_that_outputs_the_same_tensor(window, qtbot):
    s = window.session
    assert s.layer == "blocks.4.1.bn2.act"  # the bundled model's start
    assert s.model.layer("blocks.4.1.bn2").same_as == "blocks.4.1.bn2.act"  # its container returns act's output
    qtbot.keyClick(window, Qt.Key_PageDown)
    assert s.layer == "blocks.4.1.conv_pwl"  # not 'bn2', the same picture again
    qtbot.keyClick(window, Qt.Key_PageUp)
    assert s.layer == "blocks.4.1.bn2.act"
    item = window.layers.items["blocks.4.1.bn2"]
    assert "= act" in item.text(2) and "same output as blocks.4.1.bn2.act" in item.toolTip(0)


def test_layer_filter_enter_picks_the_match_and_clearing_keeps_the_layer_in_view(window, qtbot):
    layers = window.layers
    qtbot.keyClicks(layers.filter, "conv_head")
    qtbot.keyClick(layers.filter, Qt.Key_Return)
    assert window.session.layer == "conv_head"
    window.session.set_layer("blocks.1.0.conv_pw")
    layers.filter.clear()
    item = layers.items["blocks.1.0.conv_pw"]
    assert layers.tree.viewport().rect().intersects(layers.tree.visualItemRect(item))


def test_after_the_perturb_sliders_the_arrows_move_the_unit_again(window, qtbot):
    window.show_view(2)
    slider = window.perturb.patch_size.slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key_Right)
    qtbot.keyClick(window, Qt.Key_1, Qt.ControlModifier)  # back to the activations
    assert window.views.currentIndex() == 0
    qtbot.keyClick(window.focusWidget(), Qt.Key_Right)
    assert window.session.unit == 1


def test_the_grid_has_the_keyboard_when_the_window_opens(window):
    from PySide6.QtWidgets import QApplication

    assert QApplication.focusWidget() is window.grid.map_canvas


def test_the_grid_exports_for_slides_labelled_and_large(window, tmp_path):
    from PySide6.QtGui import QImage

    layout = window.grid.layout_
    assert window.grid.export(tmp_path / "grid.png")
    picture = QImage(str(tmp_path / "grid.png"))
    assert picture.width() >= 1920 and picture.width() % layout.shape[1] == 0  # whole pixels per map pixel
    strip = picture.height() - picture.width() // layout.shape[1] * layout.shape[0]
    assert strip >= 32  # the title above the grid
    title = picture.copy(0, 0, picture.width() // 3, strip)
    assert len({title.pixel(x, y) for x in range(0, title.width(), 3) for y in range(title.height())}) > 5  # text
    assert window.grid.export(tmp_path / "shown.png", labelled=False)
    assert QImage(str(tmp_path / "shown.png")).size() == window.grid.map_canvas.size()


def test_recent_files_hold_one_entry_a_file_and_the_model_menu_marks_the_model(window, qtbot, samples, monkeypatch):
    monkeypatch.chdir(samples)
    for name in ("coffee.png", str(samples / "coffee.png")):
        with qtbot.waitSignal(window.ready, timeout=60_000):
            window.loader.open_image(name)
    recent = window.settings.value("recent")
    assert recent[0] == str(samples / "coffee.png") and len(recent) == len(set(recent))
    assert window.actions["bundled"].isChecked()


def test_the_photo_shows_while_the_model_still_loads(make_window, qtbot):
    window = make_window(wait=False)
    qtbot.waitUntil(lambda: window.session.rgb is not None, timeout=30_000)
    assert window.session.model is None  # torch is still loading
    assert window.input_pane.image.image is not None and "chelsea.png" in window.input_pane.caption.text()


def test_a_screenshot_of_a_layer_the_model_lacks_says_so_and_names_the_likely_one(chelsea, tmp_path):
    from dlviz.gui.offscreen import take_screenshot

    problem = take_screenshot(chelsea, tmp_path / "s.png", (1000, 700), layer="blocks.3.")
    assert problem.startswith("the model has no layer 'blocks.3.'; did you mean blocks.3.0"), problem
    assert not (tmp_path / "s.png").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_pipe_dropped_on_the_window_is_refused_and_the_next_photo_still_opens(window, qtbot, tmp_path, samples):
    """A FIFO named fifo.jpg used to block the one worker for good: no later image, no message."""
    fifo = tmp_path / "fifo.jpg"
    os.mkfifo(fifo)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(fifo))])
    with qtbot.waitSignal(window.message, timeout=10_000) as blocker:
        assert window.loader.open_mime(mime)
    assert blocker.args[0] == "fifo.jpg is a pipe (FIFO), not an image file."
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.loader.open_image(samples / "coffee.png")
    assert window.session.image_name == "coffee.png"


def test_a_huge_photo_is_drawn_from_a_copy_the_size_of_a_screen(window, qtbot, tmp_path):
    """Painting a 9000×9000 photo whole took 740 ms on the GUI thread."""
    from PIL import Image

    path = tmp_path / "wide.png"
    Image.new("RGB", (6000, 1500), (200, 30, 30)).save(path)
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.loader.open_image(path)
    assert window.session.rgb.shape == (1500, 6000, 3)  # the model still gets every pixel
    drawn = window.input_pane.image
    assert (drawn.width(), drawn.height()) == (2048, 512)
    bounds = drawn.mapRectToParent(drawn.boundingRect())
    assert (round(bounds.width()), round(bounds.height())) == (6000, 1500)  # laid over the photo's own pixels


def test_model_device_menu_lists_where_it_runs_and_remembers_the_choice(window, qtbot, settings):
    assert f"{window.session.model.name} on CPU" in window.status.info.text()
    model_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Model")
    device_menu = next(action.menu() for action in model_menu.actions() if action.text() == "&Device")
    device_menu.aboutToShow.emit()
    texts = [action.text() for action in device_menu.actions()]
    assert texts[0].startswith("Best Available (") and texts[-1] == "CPU  — in use"
    assert [action.isChecked() for action in device_menu.actions()][0]  # nothing asked for yet: the best
    before = window.session.model
    with qtbot.waitSignal(window.ready, timeout=60_000):
        device_menu.actions()[-1].trigger()
    assert settings.value("model/device") == "cpu"
    assert window.session.model is not before and window.session.model.device.type == "cpu"
    assert window.session.result is not None
    device_menu.aboutToShow.emit()
    assert [action.isChecked() for action in device_menu.actions()][-1]


def test_the_unit_maps_colour_range_is_kept_briefly_between_quick_frames(window, monkeypatch, qtbot):
    """Frames in quick succession keep the map's colour range (and the bar's) while theirs fills
    at least half of it and reaches beyond it by at most a quarter of its span: the bar's numbers
    are not drawn again at every live frame. Anything else, or a quarter of a second after the
    range was set, gets the frame's own range."""
    from dlviz.gui.panes import unit as unit_pane

    pane, now = window.unit, [100.0]
    monkeypatch.setattr(unit_pane.time, "monotonic", lambda: now[0])
    base = np.array([[0.0, 1.0], [2.0, 4.0]], dtype=np.float32)
    assert pane._levels(base) == (0.0, 4.0)
    now[0] += 0.05
    assert pane._levels(base * 0.9 + 0.1) == (0.0, 4.0)  # within, filling 90%: kept
    now[0] += 0.02
    assert pane._levels(base * 1.2) == (0.0, 4.0)  # 20% beyond: kept (its top takes the top colour)
    now[0] += 0.02
    assert pane._levels(base * 0.55) == (0.0, 4.0)  # fills 55%: kept
    now[0] += 0.02
    assert pane._levels(base * 0.45) == pytest.approx((0.0, 1.8))  # fills less than half: its own
    now[0] += 0.02
    assert pane._levels(base * 0.45 * 1.3) == pytest.approx((0.0, 2.34))  # 30% beyond: its own
    now[0] += 0.02
    assert pane._levels(base * 0.45 * 1.3 - 1.0) == pytest.approx((-1.0, 1.34))  # 43% below: its own
    now[0] += 0.3
    assert pane._levels(base) == (0.0, 4.0)  # later than HOLD_S: its own
    now[0] += 0.01
    window.session.unit += 1  # (no signal: the pane does not draw in between)
    assert pane._levels(base * 0.95) == pytest.approx((0.0, 3.8))  # another unit: its own
    window.session.unit -= 1
    # What the pane shows: the map and the bar on one range, holding the map's values; once the
    # frames stop, the last one gets its own range.
    now[0] += 1.0
    pane.refresh()
    channel = window.session.activation()[window.session.unit]
    exact = (float(channel.min()), float(channel.max()))
    assert tuple(pane.bar.levels()) == tuple(pane.map.levels) == exact
    wide = (exact[0], exact[0] + (exact[1] - exact[0]) * 1.1)
    pane._held = (pane._held[0], *wide, now[0])  # as if the frame before had a 10% wider range
    pane.refresh()
    assert tuple(pane.bar.levels()) == tuple(pane.map.levels) == wide
    now[0] += 0.3
    qtbot.waitUntil(lambda: tuple(pane.map.levels) == exact, timeout=2000)
    assert tuple(pane.bar.levels()) == exact
