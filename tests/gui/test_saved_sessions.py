"""Saved sessions: what is on screen turns into plain data and back into the same picture; files that
are damaged, from a newer dlviz or hand-edited are refused or read as far as they can be."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PySide6.QtGui import QImage

from dlviz.session import VERSION, Session, SessionError, read_file, save_file


def panes_picture(window) -> np.ndarray:
    """The window as pixels, above the status bar (whose timings differ from run to run)."""
    image = window.grab().toImage().convertToFormat(QImage.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3)
    return pixels[: window.statusBar().y()].copy()


def settle(qtbot, window):
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=60_000)
    qtbot.wait(200)


def test_a_saved_session_brings_back_the_same_picture(make_window, qtbot, samples, tmp_path):
    first = make_window(image=samples / "coffee.png")
    s = first.session
    s.set_layer("blocks.3.0.conv_pw")
    s.set_unit(7)
    s.set_view(gamma=0.5, cmap="ice", opacity=0.3)
    first.backprop.method.setCurrentIndex(first.backprop.method.findData("guided"))
    first.backprop.filter.setCurrentIndex(first.backprop.filter.findData("grey"))
    settle(qtbot, first)
    path = tmp_path / "view.dlviz"
    save_file(s.to_dict(), path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["version"] == VERSION and saved["input"]["path"].endswith("coffee.png")
    assert saved["panes"]["backprop"] == {"method": "guided", "filter": "grey", "frozen": None}

    second = make_window()  # the default photo, layer and view
    assert second.session.image_name == "chelsea.png"
    with qtbot.waitSignal(second.ready, timeout=90_000):
        assert second.restore_session(read_file(path))
    settle(qtbot, second)
    t = second.session
    assert (t.image_name, t.layer, t.unit, t.gamma, t.cmap, t.opacity) == ("coffee.png", "blocks.3.0.conv_pw", 7, 0.5, "ice", 0.3)
    assert second.backprop.shown == first.backprop.shown
    before, after = panes_picture(first), panes_picture(second)
    assert before.shape == after.shape
    assert np.array_equal(before, after), f"{(before != after).any(axis=2).mean():.2%} of the pixels differ"


def test_unknown_fields_are_kept_and_bad_values_skipped(make_window, qtbot):
    window = make_window()
    data = window.session.to_dict()
    data["annotations"] = [{"caption": "from a newer dlviz"}]
    data["view"] = {"gamma": "bright", "cmap": "no such map", "opacity": 7}
    data["panes"]["backprop"] = {"method": 3, "filter": "grey"}
    data["layer"] = "no.such.layer"
    with qtbot.waitSignal(window.message, timeout=30_000, check_params_cb=lambda text: "could not be put back" in text):
        window.restore_session(data)
    s = window.session
    assert s.gamma == 1.0 and s.cmap == "ember" and s.opacity == 1.0  # opacity clamped, the rest kept
    assert window.backprop.filter.currentData() == "grey" and window.backprop.method_name() == "gradient"
    assert s.layer == s.model.start_layer
    assert s.to_dict()["annotations"] == [{"caption": "from a newer dlviz"}]


@pytest.mark.parametrize("content, words", [
    ("{\"version\": 99, \"layer\": \"x\"}", "newer dlviz"),
    ("[1, 2, 3]", "not a dlviz session"),
    ("{\"layer\": \"blocks.3\"}", "no version"),
    ("{\"version\": 1, \"lay", "not JSON"),
])
def test_a_file_that_is_not_a_session_is_refused_in_one_sentence(tmp_path, content, words):
    path = tmp_path / "broken.dlviz"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SessionError) as info:
        read_file(path)
    assert words in str(info.value) and "broken.dlviz" in str(info.value) and "\n" not in str(info.value)


def test_a_failed_open_leaves_the_window_as_it_was(make_window, qtbot):
    window = make_window()
    before = window.session.to_dict()
    with qtbot.waitSignal(window.message, timeout=10_000) as said:
        assert not window.restore_session({"version": VERSION + 1})
    assert "newer dlviz" in said.args[0]
    assert window.session.to_dict() == before


def test_the_session_dict_holds_plain_values_only(make_window):
    window = make_window()
    text = json.dumps(window.session.to_dict())  # would raise on a Qt or numpy value
    assert Session.read(json.loads(text))["panes"].keys() >= {"backprop", "attention", "attention crop", "perturb",
                                                              "top images", "feature vis", "window", "explorer"}


def test_a_layout_saved_by_the_old_window_shape_does_not_break_the_window(make_window, tmp_path):
    """tests/data/layout-before-main-views.ini was saved by the window of 1 Dec 2026, where Attention
    crop and Perturb were docks (Attention crop raised, Perturb floating) at 1280×760."""
    import shutil
    from pathlib import Path

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDockWidget

    copy = tmp_path / "old.ini"
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "layout-before-main-views.ini", copy)
    window = make_window(settings=QSettings(str(copy), QSettings.IniFormat), size=None)
    assert window.height() == 760  # the window's size is kept (the offscreen screen clamps the width)
    docks = {dock.objectName(): dock for dock in window.findChildren(QDockWidget)}
    assert "dock-attention crop" not in docks and "dock-perturb" not in docks
    assert not docks["dock-tour"].isVisible()  # shown when asked for
    assert all(dock.isVisible() and not dock.isFloating() for name, dock in docks.items() if name != "dock-tour")
    assert window.views.currentIndex() == 0 and window.grid.isVisible()
    assert window.session.gamma == 1.0 and window.session.cmap == "ember"  # its view settings read as they were


def test_numbers_no_control_can_hold_are_brought_within_its_range(make_window, qtbot):
    window = make_window()
    data = window.session.to_dict()
    data["panes"]["attention crop"].update({"k": 10**12, "level": float("nan"), "opacity": -5})
    data["panes"]["perturb"].update({"patch": 10**12, "augment": {"rotate": 1e300, "zoom": float("inf")}})
    data["panes"]["feature vis"].update({"steps": 2**70, "l2": 1e9})
    with qtbot.waitSignal(window.ready, timeout=60_000):
        assert window.restore_session(data)
    glimpse, perturb, fv = window.glimpse, window.perturb, window.feature_vis
    assert glimpse.k.value() == glimpse.k.maximum() and glimpse.opacity.value() == 0
    assert perturb.patch_size.slider.value() == perturb.patch_size.slider.maximum()
    assert perturb.sliders["rotate"].value() == 180 and perturb.sliders["zoom"].value() == 1.0
    assert fv.steps.value() == fv.steps.maximum() and fv.l2.value() == fv.l2.maximum()


def test_open_recent_says_when_no_image_was_remembered_and_lists_them_once_there_are(window, samples):
    from PySide6.QtWidgets import QMenu

    recent = next(menu for menu in window.menuBar().findChildren(QMenu) if menu.title() == "Open &Recent")
    assert recent.menuAction().isEnabled()
    window.settings.remove("recent")
    recent.aboutToShow.emit()
    assert [(action.text(), action.isEnabled()) for action in recent.actions()] == [("(no image opened yet)", False)]
    window.recent_images.add(samples / "coffee.png")
    recent.aboutToShow.emit()
    assert [action.text() for action in recent.actions()] == [str((samples / "coffee.png").resolve())]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_open_session_reads_on_the_worker_and_a_pipe_gets_one_sentence(make_window, qtbot, tmp_path, monkeypatch):
    """The file was read on the GUI thread: a FIFO or a dead drive would have frozen the window."""
    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    fifo = tmp_path / "view.dlviz"
    os.mkfifo(fifo)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(fifo), ""))
    with qtbot.waitSignal(window.message, timeout=10_000) as blocker:
        window.open_session()
    assert blocker.args[0] == "view.dlviz is a pipe (FIFO), not a session file."

    saved = tmp_path / "good.dlviz"
    window.session.set_layer("blocks.3")
    save_file(window.session.to_dict(), saved)
    window.session.set_layer("blocks.5")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(saved), ""))
    window.open_session()
    qtbot.waitUntil(lambda: window.session.layer == "blocks.3", timeout=30_000)


def test_recent_sessions_list_what_was_saved_and_open_it_again(window, qtbot, tmp_path):
    from PySide6.QtWidgets import QMenu

    menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "Recen&t Sessions")
    window.settings.remove("recent-sessions")
    menu.aboutToShow.emit()
    assert [(a.text(), a.isEnabled()) for a in menu.actions()] == [("(no session saved or opened yet)", False)]
    layers = window.session.model.layer_names
    window.session.set_layer(layers[3])
    window.save_session(str(tmp_path / "first.dlviz"))
    window.save_session(str(tmp_path / "gone" / "x.dlviz"))  # cannot be written: not listed
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions()] == [str((tmp_path / "first.dlviz").resolve())]
    with qtbot.waitSignal(window.ready, timeout=60_000):
        window.session.set_layer(layers[5])
    with qtbot.waitSignal(window.ready, timeout=60_000):
        menu.actions()[0].trigger()  # opens it again: the layer it held comes back
    assert window.session.layer == layers[3]


def test_a_session_cut_short_opens_what_it_holds_and_names_what_it_lost(make_window, qtbot, tmp_path, samples):
    window = make_window()
    s = window.session
    s.set_layer("blocks.3")
    s.set_unit(9)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=60_000)
    whole = tmp_path / "whole.dlviz"
    save_file(s.to_dict(), whole)
    text = whole.read_text(encoding="utf-8")
    cut = tmp_path / "cut.dlviz"
    cut.write_text(text[: text.index('"panes"') + 40], encoding="utf-8")  # a copy stopped in the pane options
    data = read_file(cut)
    assert data["layer"] == "blocks.3" and data["unit"] == 9 and data["input"]["path"].endswith("chelsea.png")
    assert data.problems and "cut short" in data.problems[0] and "\n" not in data.problems[0]
    fresh = make_window(image=samples / "coffee.png")
    with qtbot.waitSignal(fresh.message, timeout=60_000, check_params_cb=lambda text: "cut short" in text):
        fresh.open_session(cut)
    settle(qtbot, fresh)
    assert (fresh.session.image_name, fresh.session.layer, fresh.session.unit) == ("chelsea.png", "blocks.3", 9)
    cut.write_text(text[: text.index('"layer"') + 3], encoding="utf-8")
    assert "layer, unit, view settings, pane options could not be read" in read_file(cut).problems[0]
    cut.write_text(text[:30], encoding="utf-8")  # before the model and input: nothing worth opening
    with pytest.raises(SessionError, match="not JSON"):
        read_file(cut)
