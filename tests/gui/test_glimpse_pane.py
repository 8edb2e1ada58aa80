"""The Attention crop tab, driven as a user would: a photo pasted off centre on a grey canvas."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

pytest.importorskip("dlviz.core.glimpse")

PASTED = (640, 420, 640 + 225, 420 + 150)  # where the photo lies on the canvas: x0, y0, x1, y1


@pytest.fixture(scope="module")
def composed(tmp_path_factory, chelsea):
    """chelsea shrunk to 225×150 and pasted off centre on a 1000×700 grey canvas."""
    from PIL import Image

    photo = Image.open(chelsea).convert("RGB").resize((PASTED[2] - PASTED[0], PASTED[3] - PASTED[1]), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (1000, 700), (128, 128, 128))
    canvas.paste(photo, PASTED[:2])
    path = tmp_path_factory.mktemp("glimpse") / "composed.png"
    canvas.save(path)
    return path


def _raise_tab(window):
    window.show_view(1)  # the Attention crop view


def _shown_frames(pane):
    return [frame for frame in pane.frames if frame.isVisible()]


def _overlap(box, other) -> float:
    """The share of `other`'s area inside `box`."""
    w = max(0.0, min(box[2], other[2]) - max(box[0], other[0]))
    h = max(0.0, min(box[3], other[3]) - max(box[1], other[1]))
    return w * h / ((other[2] - other[0]) * (other[3] - other[1]))


def test_box_over_the_pasted_photo_filmstrip_and_changes(make_window, qtbot, composed):
    window = make_window(image=composed)
    pane = window.glimpse
    pane.k.setValue(2)  # hidden: nothing runs yet
    with qtbot.waitSignal(pane.glimpses_shown, timeout=60_000):
        _raise_tab(window)
    run = pane.run
    assert len(run.steps) == 2 and len(_shown_frames(pane)) == 2

    # The attended box (drawn as it was computed) holds the pasted photo; the path ends on it.
    first = run.steps[0].box
    rect = pane.original.boxes[0].rect()
    assert (rect.x(), rect.y(), rect.right(), rect.bottom()) == pytest.approx(first)
    assert pane.original.boxes[0].isVisible()
    # most of the photo inside a box less than twice its area
    assert _overlap(first, PASTED) > 0.8
    assert (first[2] - first[0]) * (first[3] - first[1]) < 2 * (PASTED[2] - PASTED[0]) * (PASTED[3] - PASTED[1])
    fx, fy = run.steps[-1].fixation
    assert PASTED[0] < fx < PASTED[2] and PASTED[1] < fy < PASTED[3]
    assert pane.original.points.data["x"][-1] == pytest.approx(fx)  # the saccade path ends there
    # The crop is cut from the original: a box wider than the input, not a piece of the 224 px input.
    assert first[2] - first[0] > 224 and run.steps[0].crop.shape == (224, 224, 3)

    # Before and after side by side, with the changes marked.
    assert len(pane.before.rows) == 5 and len(pane.after.rows) == 5
    marks = " ".join(pane.after.marks())
    assert any(sign in marks for sign in ("NEW", "▲", "▼"))
    full = set(c for c, _ in run.full.top)
    for row in pane.after.rows:
        assert (row.tag == "NEW") == (row.index not in full)
    assert pane.headline.text()

    # Fewer glimpses come from the run on screen; more need a new run.
    pane.k.setValue(1)
    assert len(_shown_frames(pane)) == 1 and not pane.original.boxes[1].isVisible()
    with qtbot.waitSignal(pane.glimpses_shown, timeout=30_000):
        pane.k.setValue(3)
    assert pane.run.k == 3
    steps = pane.run.steps
    assert len(_shown_frames(pane)) == len(steps) >= 2
    if len(steps) < 3:  # a third box would hold almost all of the second: the strip says so
        assert not pane.strip_note.isHidden() and pane.strip_note.text().startswith(f"Stopped after {len(steps)}")
    assert pane.run.steps[1].box == pytest.approx(run.steps[1].box)  # the same looks, one more

    # A filmstrip frame chooses the glimpse the crop and the "after" list show.
    pane.select(2)
    assert pane.after.title.startswith("Glimpse 2")
    assert pane.frames[1].selected and not pane.frames[0].selected


def test_dragging_the_fixation_updates_the_fovea_live(window, qtbot):
    pane = window.glimpse
    with qtbot.waitSignal(pane.glimpses_shown, timeout=60_000):
        _raise_tab(window)
    with qtbot.waitSignal(pane.fovea_shown, timeout=20_000):
        pane.fovea_button.click()
    assert pane.fovea_result is not None and len(pane.after.rows) == 5

    # A mouse click on the photo moves the fixation there.
    view, canvas = pane.original.view, pane.original.canvas
    scene_point = view.mapViewToScene(QPointF(100, 120))
    widget_point = canvas.mapFromScene(scene_point)
    with qtbot.waitSignal(pane.fovea_shown, timeout=10_000):
        QTest.mouseClick(canvas.viewport(), Qt.LeftButton, Qt.NoModifier, QPoint(widget_point.x(), widget_point.y()))
    assert pane.fixation == pytest.approx((100, 120), abs=3)

    # A real press-move-release drag ends where the mouse let go.
    def to_widget(x, y):
        p = canvas.mapFromScene(view.mapViewToScene(QPointF(x, y)))
        return QPointF(p.x(), p.y())

    def send(kind, x, y, buttons):
        where = to_widget(x, y)
        event = QMouseEvent(kind, where, canvas.viewport().mapToGlobal(where), Qt.LeftButton, buttons, Qt.NoModifier)
        QApplication.sendEvent(canvas.viewport(), event)

    send(QEvent.MouseButtonPress, 150, 100, Qt.LeftButton)
    for step in range(1, 11):
        send(QEvent.MouseMove, 150 + 20 * step, 100 + 10 * step, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, 350, 200, Qt.NoButton)
    assert pane.fixation == pytest.approx((350, 200), abs=3)
    qtbot.waitUntil(lambda: pane.fovea_result.fixation == pane.fixation, timeout=5_000)

    # About a second of drag positions, one every 15 ms, as a mouse sends them.
    height, width = window.session.rgb.shape[:2]
    shown = []
    pane.fovea_shown.connect(lambda: shown.append(time.monotonic()))
    start = time.monotonic()
    timer = QTimer()
    timer.setInterval(15)

    def move():
        t = time.monotonic() - start
        if t > 1.0:
            timer.stop()
            return
        pane.set_fixation(width * (0.2 + 0.6 * t), height * (0.5 + 0.3 * np.sin(6 * t)))

    timer.timeout.connect(move)
    timer.start()
    qtbot.waitUntil(lambda: not timer.isActive(), timeout=5_000)
    during = [t for t in shown if t - start <= 1.0]
    rate = len(during) / 1.0
    print(f"\nfovea updates while dragging: {rate:.0f}/s ({pane.fovea_result.ms:.0f} ms per update, {pane.fovea_result.forward_ms:.0f} ms of it the forward pass)")
    assert rate >= 3
    # The last position is always classified, and the labels say so.
    qtbot.waitUntil(lambda: pane.fovea_result.fixation == pane.fixation, timeout=5_000)
    name = window.session.model.label(pane.fovea_result.top[0][0])
    assert name in pane.fovea_info.text()
    assert pane.after.rows[0].name == name

    with qtbot.waitSignal(pane.fovea_shown, timeout=10_000):
        pane.jump.click()
    assert pane.fixation == pytest.approx(pane.run.peak, abs=1)
    peak_x, peak_y = pane.run.peak
    from dlviz.core.glimpse import peak

    px, py = peak(pane.run.full.cam)  # the same point in the map's pixels
    view = pane.run.full.view
    side = pane.run.full.cam.shape[0]
    assert view[0] + px * (view[2] - view[0]) / side <= peak_x <= view[0] + (px + 1) * (view[2] - view[0]) / side
    assert view[1] + py * (view[3] - view[1]) / side <= peak_y <= view[1] + (py + 1) * (view[3] - view[1]) / side

    # A new image in fovea mode: the fixation returns to its centre and the fovea follows.
    with qtbot.waitSignal(pane.fovea_shown, timeout=30_000):
        window.loader.open_image(window.session.image_path.parent / "coffee.png")
    height, width = window.session.rgb.shape[:2]
    assert pane.fovea_result.fixation == (width / 2, height / 2)


def test_hidden_tab_computes_nothing_and_a_new_image_recomputes(window, qtbot, samples):
    pane = window.glimpse
    kinds = []
    window.runner.finished.connect(lambda kind, result: kinds.append(kind))
    window.loader.open_image(samples / "coffee.png")  # the tab is behind Backprop
    with qtbot.waitSignal(window.ready, timeout=30_000):
        pass
    assert pane.run is None and "glimpse" not in kinds and "fovea" not in kinds

    with qtbot.waitSignal(pane.glimpses_shown, timeout=60_000):
        _raise_tab(window)
    assert pane.run.full.box == (0.0, 0.0, *map(float, window.session.rgb.shape[1::-1]))
    first = pane.run

    with qtbot.waitSignal(pane.glimpses_shown, timeout=60_000):
        window.loader.open_image(samples / "rocket.jpg")  # on screen: the new image is looked at
    assert pane.run is not first
    assert pane.run.full.box[2:] == tuple(map(float, window.session.rgb.shape[1::-1]))


def test_headline_keeps_tiny_probabilities_readable(qtbot):
    """"<0.1%" in rich text once opened a tag and swallowed the rest of the sentence."""
    from types import SimpleNamespace

    import numpy as np
    from PySide6.QtGui import QTextDocument

    from dlviz.gui.panes.glimpse import GlimpsePane
    from dlviz.session import Session

    pane = GlimpsePane(Session(), None)
    qtbot.addWidget(pane)
    probs = np.zeros(10)
    probs[3] = 0.0004
    step = SimpleNamespace(top=[(3, 0.28)])
    html = pane._headline(lambda i: f"class {i}", (1, 0.3), step, probs, "crop")
    document = QTextDocument()
    document.setHtml(html)
    assert document.toPlainText().endswith("class 3 had <0.1% on the whole image")


def test_a_new_image_cancels_the_old_images_slow_looks(window, qtbot, samples):
    pane = window.glimpse
    with qtbot.waitSignal(pane.glimpses_shown, timeout=60_000):
        _raise_tab(window)
    pane.method.setCurrentIndex(pane.method.findData("scorecam"))  # seconds for every look
    pane.refresh()
    qtbot.waitUntil(lambda: window.runner.running_kind() == "glimpse", timeout=10_000)
    old_image = window.session.rgb
    began = time.perf_counter()
    with qtbot.waitSignal(window.runner.finished, timeout=30_000, check_params_cb=lambda kind, result: kind == "forward"):
        window.loader.open_image(samples / "rocket.jpg")
    assert time.perf_counter() - began < 8  # not held up behind Score-CAM's looks at the old image
    assert window.session.rgb is not old_image
    assert pane.run is None or pane.run.full.box[2:] == tuple(map(float, window.session.rgb.shape[1::-1]))
    pane.method.setCurrentIndex(pane.method.findData("gradcam"))
