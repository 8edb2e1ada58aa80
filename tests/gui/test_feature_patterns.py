"""Pattern mode's feature images: made in the background a batch at a time, drawn in the grid as
they form, kept on disk, and out of the way of anything else the user asks for."""

from __future__ import annotations

import numpy as np

from dlviz.gui.panes.grid import FEATURES


def finished(kind):
    return lambda k, result: k == kind


def test_feature_images_fill_the_grid_as_they_form_and_come_back_from_disk(make_window, qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("DLVIZ_HOME", str(tmp_path))
    window = make_window()
    s, grid = window.session, window.grid
    s.set_layer("blocks.0.0.conv_pw")  # 16 units: one batch
    qtbot.waitUntil(lambda: not window.runner.is_busy() and not window.backprop.waiting_to_rest("backprop"), timeout=60_000)
    partials = []
    window.runner.partial.connect(lambda kind, p: kind == "featureimages" and partials.append(sorted(p)))
    with qtbot.waitSignal(window.runner.finished, timeout=180_000, check_params_cb=finished("featureimages")):
        grid.set_patterns(FEATURES)
    assert partials and partials[0] == list(range(16))  # the whole batch, forming
    assert sorted(grid.features.results) == list(range(16))
    assert grid.pattern_shown and grid.image.image.ndim == 3
    assert "each unit's feature image, all 16 made" in grid.header.text()
    # Unit 5's tile is its feature image.
    y, x = grid.layout_.origin(5)
    tile = grid.image.image[y:y + grid.PATTERN_PX, x:x + grid.PATTERN_PX].astype(int)
    assert np.abs(tile - grid.features.tiles[5].astype(int)).max() == 0
    assert tile.std() > 5  # a picture, not the grey of a tile still to come
    assert len(list((tmp_path / "featurevis").glob("*.png"))) == 16

    # The next start: all of them come from the disk, nothing is optimised again.
    from dlviz.core import featurevis

    monkeypatch.setattr(featurevis, "Optimisation", None)
    again = make_window()
    again.session.set_layer("blocks.0.0.conv_pw")
    with qtbot.waitSignal(again.runner.finished, timeout=60_000, check_params_cb=finished("featureimages")) as done:
        again.grid.set_patterns(FEATURES)
    assert sorted(done.args[1].results) == list(range(16))
    assert np.array_equal(again.grid.features.results[5].image, grid.features.results[5].image)
    assert "all 16 made" in again.grid.header.text()


def test_other_work_goes_first_and_the_feature_images_go_on_after(window, qtbot, samples):
    s, grid = window.session, window.grid
    s.set_layer("blocks.1.0.bn2.act")  # 96 units: three batches
    with qtbot.waitSignal(window.runner.partial, timeout=120_000, check_params_cb=lambda k, p: k == "featureimages"):
        grid.set_patterns(FEATURES)
    paused = []
    window.runner.finished.connect(lambda k, r: k == "featureimages" and r.paused is not None and paused.append(r.paused.step))
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.loader.open_image(samples / "coffee.png")
    assert s.image_name == "coffee.png"
    assert paused and 0 < paused[0] < 128  # the batch stopped part way for the new image
    # ... and goes on where it stopped, to the end.
    qtbot.waitUntil(lambda: len(grid.features.results) == 96, timeout=180_000)
    assert "all 96 made" in grid.header.text() and not window.runner.waiting("featureimages")


def test_cancel_stops_them_at_once_and_coming_back_goes_on(window, qtbot):
    import time

    s, grid = window.session, window.grid
    assert s.layer == "blocks.4.1.bn2.act"  # 672 units: minutes of work
    with qtbot.waitSignal(window.runner.partial, timeout=120_000, check_params_cb=lambda k, p: k == "featureimages"):
        grid.set_patterns(FEATURES)
    assert window.status.cancel_button.isVisible()  # long work: progress and Cancel in the status bar
    start = time.monotonic()
    window.status.cancel()
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=5_000)
    assert time.monotonic() - start < 0.5
    assert grid.features.stopped and "stopped" in grid.header.text()
    grid.set_patterns(None)
    grid.set_patterns(FEATURES)  # asked for again: it goes on
    assert grid.features.asked and window.runner.waiting("featureimages")
    grid.set_patterns(None)
    assert not window.runner.waiting("featureimages")


def test_pattern_mode_is_part_of_a_saved_view(window, qtbot):
    s, grid = window.session, window.grid
    assert s.view_state()["panes"]["grid"] == {"patterns": None}
    s.set_layer("blocks.0.0.conv_pw")
    view = s.view_state()
    view["panes"]["grid"] = {"patterns": "features"}
    with qtbot.waitSignal(window.runner.finished, timeout=180_000, check_params_cb=finished("featureimages")):
        s.apply(view)  # a tour's step that shows feature images
    assert grid.patterns == FEATURES and grid.pattern_shown
    s.apply({**view, "panes": {"grid": {"patterns": "nonsense"}}})  # a hand-edited file: skipped
    assert grid.patterns == FEATURES
    s.apply({**view, "panes": {"grid": {"patterns": None}}})
    assert grid.patterns is None and not grid.pattern_shown


def test_a_new_fit_does_not_stop_them_and_a_vector_layer_says_it_has_no_pictures(window, qtbot):
    s, grid = window.session, window.grid
    with qtbot.waitSignal(window.runner.partial, timeout=120_000, check_params_cb=lambda k, p: k == "featureimages"):
        grid.set_patterns(FEATURES)
    features = grid.features
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.toggle_fit()  # the input changes, and the model is copied; feature images depend on neither
    qtbot.wait(50)
    assert grid.features is features and not features.stopped and window.runner.waiting("featureimages")
    grid.set_patterns(None)
    s.set_layer("classifier")
    grid.set_patterns("crops")
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.loader.request_forward()
    with qtbot.waitSignal(window.message, timeout=5_000) as said:
        grid.cycle_patterns()
    assert "layers with maps" in said.args[0] and not grid.pattern_shown


def _making_feature_images_of(window, qtbot, layer):
    """Pattern mode on `layer`, its feature images being made and the cursor at rest; the list of
    layers the feature-images requests from then on are for."""
    s, grid = window.session, window.grid
    s.set_layer(layer)
    qtbot.waitUntil(lambda: not window.runner.is_busy() and not window.backprop.waiting_to_rest("backprop"), timeout=60_000)
    grid.set_patterns(FEATURES)
    qtbot.waitUntil(lambda: window.runner.running_kind() == "featureimages", timeout=60_000)
    qtbot.wait(grid.REST_MS + 50)
    asked = []
    window.runner.submitted.connect(lambda kind: kind == "featureimages" and asked.append(s.layer))
    return asked


def test_layers_passed_in_pattern_mode_are_not_made_and_the_one_stopped_at_is(make_window, qtbot, monkeypatch, tmp_path):
    """A held PgDn in pattern mode: the layer being made when the key went down, and the layers
    passed, are dropped without the grid taking it for a Stop; the layer where it rests is made."""
    monkeypatch.setenv("DLVIZ_HOME", str(tmp_path))
    window = make_window()
    s, grid = window.session, window.grid
    asked = _making_feature_images_of(window, qtbot, "blocks.0.0.conv_dw")  # 32 units
    for name in ("blocks.0.0.bn1.act", "blocks.0.0.bn1", "blocks.0.0.conv_pw"):  # back to back, as a held key steps
        s.set_layer(name)
    assert asked == ["blocks.0.0.bn1.act"]  # the first step is answered at once, as a click is
    assert grid.waiting_to_rest("featureimages")
    assert not window.runner.waiting("featureimages")  # and dropped at the next step, with the first layer's batch
    qtbot.waitUntil(lambda: len(grid.features.results) == 16, timeout=180_000)
    assert set(asked[1:]) == {"blocks.0.0.conv_pw"}  # nothing of the layer passed between
    assert grid.features.of(s.model, "blocks.0.0.conv_pw") and not grid.features.stopped
    assert "all 16 made" in grid.header.text()


def test_a_cursor_that_rests_on_bars_in_pattern_mode_makes_nothing_for_the_maps_it_passed(make_window, qtbot, monkeypatch, tmp_path):
    """Bars have no feature images: what was held for the map layers passed on the way is dropped
    when the cursor rests on the bars, and the last of them asks again once it is shown."""
    monkeypatch.setenv("DLVIZ_HOME", str(tmp_path))
    window = make_window()
    s, grid = window.session, window.grid
    maps = [name for name in s.displayable_layers() if s.model.layer(name).kind == "map"]
    bars = [name for name in s.displayable_layers() if s.model.layer(name).kind == "vector"]
    asked = _making_feature_images_of(window, qtbot, maps[-3])
    for name in (maps[-2], maps[-1], bars[0]):  # back to back, as a held key steps
        s.set_layer(name)
    assert asked == [maps[-2]]  # the first step is answered at once, as a click is
    qtbot.wait(3 * grid.REST_MS)
    assert asked == [maps[-2]] and not grid.waiting_to_rest("featureimages")  # nothing made for maps[-1]
    assert not window.runner.waiting("featureimages")
    s.set_layer(maps[-1])
    qtbot.waitUntil(lambda: asked[-1:] == [maps[-1]], timeout=5_000)
    assert grid.features.of(s.model, maps[-1]) and not grid.features.stopped
