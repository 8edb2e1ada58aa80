"""Feature visualisation tab: the image forms live, the result says how strongly the unit fires."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget


def test_run_shows_partial_images_then_the_result(window, qtbot):
    window.findChild(QDockWidget, "dock-feature vis").raise_()
    pane = window.feature_vis
    pane.steps.setValue(24)
    pane.size.setValue(64)
    partials = []
    window.runner.partial.connect(lambda kind, image: partials.append(image.shape))
    with qtbot.waitSignal(window.runner.finished, timeout=120_000, check_params_cb=lambda k, r: k == "featurevis") as blocker:
        pane.run.click()
    result = blocker.args[1]
    assert partials and partials[-1] == (64, 64, 3)
    assert pane.image.image.shape == (64, 64, 3)
    first = result.results[0]
    assert first.unit == window.session.unit and first.steps_done == 24
    assert "against" in pane.caption.text() and "on noise" in pane.caption.text()

    # The same request again comes from the cache.
    with qtbot.waitSignal(window.runner.finished, timeout=60_000, check_params_cb=lambda k, r: k == "featurevis") as again:
        pane.run.click()
    assert again.args[1].from_cache and "from the cache" in pane.caption.text()


def test_stop_ends_a_long_run(window, qtbot):
    window.findChild(QDockWidget, "dock-feature vis").raise_()
    pane = window.feature_vis
    pane.steps.setValue(4000)
    pane.size.setValue(64)
    pane.seed.setValue(7)
    with qtbot.waitSignal(window.runner.partial, timeout=60_000):
        pane.run.click()
    pane.stop.click()
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=30_000)


def test_hours_of_work_are_announced_before_they_start(window, qtbot, monkeypatch):
    window.findChild(QDockWidget, "dock-feature vis").raise_()
    pane, asked, submitted = window.feature_vis, [], []
    monkeypatch.setattr(pane, "confirm", lambda question: asked.append(question) or False)
    monkeypatch.setattr(window.runner, "submit", lambda kind, *a, **k: submitted.append(kind))
    window.session.set_layer("conv_head")  # 1280 units
    pane.run_layer.click()
    assert len(asked) == 1 and "1280 units" in asked[0] and (" h" in asked[0] or "min" in asked[0])
    assert submitted == []  # the user said no: nothing started
    pane.steps.setValue(8)
    pane.size.setValue(32)
    with qtbot.assertNotEmitted(window.message):
        pane.run.click()  # one small unit: a second or so, no question, no warning
    assert len(asked) == 1 and submitted == ["featurevis"]


def test_the_progress_bar_says_how_long_is_left(window, qtbot):
    window.findChild(QDockWidget, "dock-feature vis").raise_()
    pane = window.feature_vis
    pane.steps.setValue(400)
    pane.size.setValue(64)
    bar = window.status.progress_bar
    pane.run.click()
    qtbot.waitUntil(lambda: "left" in bar.format(), timeout=60_000)
    assert bar.isVisible() and "about" in bar.format()
    pane.stop.click()
