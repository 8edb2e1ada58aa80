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
