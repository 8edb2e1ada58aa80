"""Tours in the window: record steps, play them with the keys a presenter remote sends, edit them,
save them with the session; a step that cannot be brought back says so and the tour goes on."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt


def settled(qtbot, window, timeout=90_000):
    qtbot.waitUntil(lambda: window._pending_session is None and not window.runner.is_busy()
                    and window.session.result is not None, timeout=timeout)


def press(qtbot, window, key, modifier=Qt.NoModifier):
    window.activateWindow()
    window.grid.map_canvas.setFocus()
    qtbot.keyClick(window.grid.map_canvas, key, modifier)


def record_two_steps(window, qtbot, samples):
    s = window.session
    s.set_layer("conv_stem")
    window.actions["add-step"].trigger()
    window.tour.set_caption(0, "Edges and colours")
    window.loader.open_image(samples / "coffee.png")
    qtbot.waitUntil(lambda: s.image_name == "coffee.png", timeout=30_000)
    settled(qtbot, window)
    s.set_layer("blocks.3")
    s.set_unit(11)
    window.show_view(1)
    window.actions["add-step"].trigger()
    window.tour.set_caption(1, "Where it looks")
    assert [step.caption for step in window.tour.steps] == ["Edges and colours", "Where it looks"]


def test_a_tour_plays_with_the_keys_a_presenter_remote_sends(make_window, qtbot, samples):
    window = make_window()
    record_two_steps(window, qtbot, samples)
    s = window.session
    press(qtbot, window, Qt.Key_F5)  # from the first step
    settled(qtbot, window)
    assert window.tour.playing and (s.image_name, s.layer, window.views.currentIndex()) == ("chelsea.png", "conv_stem", 0)
    caption = window.tour.caption
    assert caption.isVisible() and "Edges and colours" in caption.text() and "1 / 2" in caption.text()
    press(qtbot, window, Qt.Key_PageDown)
    settled(qtbot, window)
    assert (s.image_name, s.layer, s.unit, window.views.currentIndex()) == ("coffee.png", "blocks.3", 11, 1)
    assert "Where it looks" in caption.text() and "2 / 2" in caption.text()
    press(qtbot, window, Qt.Key_Space)  # past the end: the tour stays and says so
    assert window.tour.index == 1 and "last step" in caption.text()
    press(qtbot, window, Qt.Key_PageUp)
    settled(qtbot, window)
    assert (s.image_name, s.layer) == ("chelsea.png", "conv_stem")
    press(qtbot, window, Qt.Key_Escape)
    assert not window.tour.playing and not caption.isVisible()
    press(qtbot, window, Qt.Key_PageDown)  # the usual meaning again: the next layer
    qtbot.waitUntil(lambda: s.layer != "conv_stem", timeout=10_000)
    assert window.tour.index == 0


def test_the_tour_is_saved_with_the_session_and_comes_back(make_window, qtbot, samples, tmp_path):
    first = make_window()
    record_two_steps(first, qtbot, samples)
    assert first.tour.modified
    path = tmp_path / "lecture.dlviz"
    assert first.save_session(path) and not first.tour.modified
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [step["caption"] for step in saved["tours"][0]["steps"]] == ["Edges and colours", "Where it looks"]
    assert saved["tours"][0]["steps"][1]["view"]["input"]["path"].endswith("coffee.png")

    second = make_window()
    second.open_session(path)
    qtbot.waitUntil(lambda: len(second.tour.steps) == 2, timeout=30_000)
    settled(qtbot, second)
    assert second.session_path == path.resolve() and not second.tour.modified
    second.tour.set_caption(0, "Edges, colours")
    second.actions["save-session"].trigger()  # Ctrl+S: into the file it came from, no question
    assert not second.tour.modified
    assert json.loads(path.read_text(encoding="utf-8"))["tours"][0]["steps"][0]["caption"] == "Edges, colours"
    second.tour.play()
    second.tour.step(1)
    settled(qtbot, second)
    assert (second.session.image_name, second.session.layer, second.session.unit) == ("coffee.png", "blocks.3", 11)


def test_steps_are_edited_in_the_tour_pane(make_window, qtbot, samples):
    window = make_window()
    record_two_steps(window, qtbot, samples)
    window.show_tour_panel()
    panel = window.tour_dock.widget()
    assert window.tour_dock.isVisible() and panel.steps.count() == 2
    panel.steps.setCurrentRow(1)
    panel.caption.setPlainText("Where the network looks")
    assert window.tour.steps[1].caption == "Where the network looks"
    assert panel.steps.item(1).text().startswith("2. Where the network looks")
    panel.up_button.click()
    assert [step.caption for step in window.tour.steps] == ["Where the network looks", "Edges and colours"]
    assert panel.steps.currentRow() == 0
    panel.steps.setCurrentRow(1)
    panel.delete_button.click()
    assert [step.caption for step in window.tour.steps] == ["Where the network looks"]
    window.session.set_layer("blocks.5")
    panel.steps.setCurrentRow(0)
    panel.replace_button.click()
    assert window.tour.steps[0].view["layer"] == "blocks.5"


def test_a_step_whose_image_is_gone_says_so_and_the_tour_goes_on(make_window, qtbot, samples, tmp_path):
    import shutil

    window = make_window()
    gone = tmp_path / "gone.png"
    shutil.copy(samples / "coffee.png", gone)
    window.loader.open_image(gone)
    qtbot.waitUntil(lambda: window.session.image_name == "gone.png", timeout=30_000)
    settled(qtbot, window)
    window.tour.add_step()
    window.tour.set_caption(0, "A photo that will be deleted")
    window.loader.open_image(samples / "chelsea.png")
    qtbot.waitUntil(lambda: window.session.image_name == "chelsea.png", timeout=30_000)
    settled(qtbot, window)
    window.session.set_layer("blocks.2")
    window.tour.add_step()
    gone.unlink()
    window.tour.play()
    qtbot.waitUntil(lambda: "gone.png" in window.tour.caption.text(), timeout=30_000)
    text = window.tour.caption.text()
    assert "A photo that will be deleted" in text and "The tour goes on" in text
    window.tour.step(1)
    settled(qtbot, window)
    assert window.session.layer == "blocks.2" and "gone.png" not in window.tour.caption.text()


@pytest.mark.parametrize("answer, stays_open", [("Cancel", True), ("Discard", False)])
def test_closing_with_an_unsaved_tour_asks_first(make_window, qtbot, monkeypatch, answer, stays_open):
    from PySide6.QtWidgets import QMessageBox

    window = make_window()
    window.tour.add_step()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or getattr(QMessageBox, answer))
    window.close()
    assert asked and "(1 step)" in asked[0] and "not saved" in asked[0]
    assert window.isVisible() == stays_open


def test_the_sample_tour_plays_through_every_step(make_window, qtbot):
    window = make_window(size=(1600, 1000))
    window.actions["sample-tour"].trigger()
    qtbot.waitUntil(lambda: window.tour.playing, timeout=30_000)
    count = len(window.tour.steps)
    assert count >= 6 and all(step.caption for step in window.tour.steps)
    failures = []
    window.runner.failed.connect(lambda kind, sentence, trace: failures.append(sentence))
    seen = set()
    for index in range(count):
        settled(qtbot, window)
        s = window.session
        seen.add((s.image_name, s.layer, window.views.currentIndex()))
        assert window.tour.index == index and window.tour.caption.isVisible()
        stacked = window.children()  # a widget's children in the order they are drawn, the last on top
        assert stacked.index(window.tour.caption) > stacked.index(window.views)  # no dock raised the view over it
        if index < count - 1:
            window.tour.step(1)
    assert not failures and len(seen) >= 5  # different photos, layers and tabs, not one view again and again
    explorer = window.explorer  # the last step: the classes laid out, as saved, without a run
    assert explorer is not None and explorer.isVisible()
    qtbot.waitUntil(lambda: explorer.coords is not None, timeout=60_000)
    assert len(explorer.coords) == 1000 and not explorer._running
    assert window.session_path is not None and not window.recent_sessions.entries()  # the app's own file: not recent
    window.tour.step(-1)
    settled(qtbot, window)
    assert not explorer.isVisible()  # a step without the explorer puts it away


def test_a_long_caption_on_a_small_screen_leaves_the_view_to_be_seen(make_window, qtbot):
    window = make_window(size=(1280, 720))
    window.presenter._room = lambda: (1280, 720)
    window.presenter.set_scale(1.5)
    window.tour.add_step()
    window.tour.set_caption(0, "A caption long enough to need several lines on a projector: " * 3)
    window.tour.play()
    settled(qtbot, window)
    caption = window.tour.caption
    assert caption.isVisible() and caption.height() <= window.views.height() / 3
    assert "font-size:" in caption.label.text() and "font-size:27pt" not in caption.label.text()  # smaller than 18 × 1.5


def test_deleting_the_step_on_screen_while_playing_shows_the_next(make_window, qtbot, samples):
    window = make_window()
    record_two_steps(window, qtbot, samples)
    window.tour.play()
    settled(qtbot, window)
    window.tour.delete_step(0)
    settled(qtbot, window)
    assert window.tour.index == 0 and window.session.image_name == "coffee.png"
    assert "Where it looks" in window.tour.caption.text()
    window.tour.delete_step(0)
    assert not window.tour.playing and not window.tour.caption.isVisible()


def test_the_remote_keys_step_the_tour_from_the_explorer_window(make_window, qtbot):
    window = make_window(size=(1600, 1000))
    window.actions["sample-tour"].trigger()
    qtbot.waitUntil(lambda: window.tour.playing, timeout=30_000)
    last = len(window.tour.steps) - 1
    window.tour.go(last)  # the step that brings the explorer to the front
    settled(qtbot, window)
    explorer = window.explorer
    assert explorer.isVisible()
    qtbot.keyClick(explorer, Qt.Key_PageUp)
    assert window.tour.index == last - 1
    window.tour.stop()
    qtbot.keyClick(explorer, Qt.Key_PageUp)  # not playing: the key is the explorer's again
    assert window.tour.index == last - 1 and not window.tour.playing
