"""The scatter view: points or density, in-view overlay, picking, selection, colours."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication

from dlviz.gui.explorer.colours import categorical, continuous, numeric, point_in_polygon
from dlviz.gui.explorer.scatter import ScatterView


def clustered(n, seed=0, k=8):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (k, 2))
    labels = rng.integers(0, k, n)
    return (centres[labels] + rng.normal(0, 1, (n, 2))).astype(np.float32), labels


@pytest.fixture
def make_view(qtbot):
    def make(**kwargs):
        view = ScatterView(**kwargs)
        qtbot.addWidget(view)
        view.resize(800, 600)
        view.show()
        qtbot.waitExposed(view)
        return view

    return make


def drawn(view) -> int:
    x, _ = view.scatter.getData()
    return 0 if x is None else len(x)


def inside(pos, x0, x1, y0, y1):
    return np.flatnonzero((pos[:, 0] >= x0) & (pos[:, 0] <= x1) & (pos[:, 1] >= y0) & (pos[:, 1] <= y1))


def test_small_sets_are_points_and_move_in_place(make_view):
    view = make_view()
    pos, labels = clustered(500)
    view.set_points(pos, labels.astype(str))
    assert view.mode == "points" and not view.density.isVisible()
    assert drawn(view) == 500
    item = view.scatter
    view.set_positions(pos * 2)
    assert view.scatter is item  # updated, not recreated
    x, y = view.scatter.getData()
    np.testing.assert_allclose(x, pos[:, 0] * 2)


def test_density_above_threshold_with_the_points_in_view_overlaid(make_view, qtbot):
    view = make_view(density_threshold=5_000, overlay_limit=2_000)
    pos, _ = clustered(20_000)
    modes = []
    view.mode_changed.connect(modes.append)
    view.set_points(pos)
    assert view.mode == "density" and modes == ["density"] and view.density.isVisible()
    # The whole set is in view: too many to overlay; the histogram holds every point.
    assert view.overlay_count == 0 and drawn(view) == 0
    assert round(float(np.expm1(view.density.image.astype(np.float64)).sum())) == 20_000

    # Zoom into one corner of one cluster: the points there are drawn on top of the density.
    cx, cy = (float(v) for v in pos[0])
    view.box.setRange(xRange=(cx - 0.5, cx + 0.5), yRange=(cy - 0.5, cy + 0.5), padding=0)
    qtbot.waitUntil(lambda: drawn(view) > 0, timeout=2000)
    x0, x1, y0, y1 = view.view_rect()
    expected = inside(pos, x0, x1, y0, y1)
    assert 0 < len(expected) <= 2_000
    assert view.overlay_count == len(expected) and drawn(view) == len(expected)
    x, _ = view.scatter.getData()
    assert sorted(x.tolist()) == sorted(pos[expected, 0].tolist())

    # Isolating a few points goes back to drawing them all as points.
    view.set_shown(np.arange(100))
    assert view.mode == "points" and drawn(view) == 100


def test_selected_points_are_always_drawn_in_density_mode(make_view):
    view = make_view(density_threshold=1_000)
    pos, _ = clustered(5_000)
    view.set_points(pos)
    view.set_selected([3, 10, 4000])
    x, _ = view.selected_item.getData()
    assert sorted(x.tolist()) == sorted(pos[[3, 10, 4000], 0].tolist())


def test_rectangle_and_lasso_select_exactly_the_points_inside(make_view):
    view = make_view()
    pos, _ = clustered(3_000)
    view.set_points(pos)
    got = []
    view.selection_changed.connect(got.append)
    view.select_rect(2.0, -5.0, -3.0, 4.0)  # corners in any order
    assert got[-1].tolist() == inside(pos, -3.0, 2.0, -5.0, 4.0).tolist()

    triangle = np.array([[-10, -10], [10, -10], [0, 10]], float)
    view.select_polygon(triangle)
    p = pos.astype(np.float64)
    # Inside the triangle: above the base, below both slanted sides.
    expected = np.flatnonzero((p[:, 1] > -10) & (p[:, 1] < 10 - 2 * np.abs(p[:, 0])))
    assert got[-1].tolist() == expected.tolist()


def test_shift_drag_on_the_plot_selects_a_rectangle(make_view, qtbot):
    view = make_view()
    pos, _ = clustered(2_000)
    view.set_points(pos)
    got = []
    view.selection_changed.connect(got.append)
    vp = view.viewport()
    a, b = QPoint(300, 200), QPoint(500, 420)

    def send(kind, point, buttons):
        event = QMouseEvent(kind, QPointF(point), QPointF(vp.mapToGlobal(point)), Qt.LeftButton, buttons, Qt.ShiftModifier)
        QApplication.sendEvent(vp, event)

    send(QEvent.MouseMove, a, Qt.NoButton)
    send(QEvent.MouseButtonPress, a, Qt.LeftButton)
    for t in np.linspace(0, 1, 8):
        qtbot.wait(10)
        send(QEvent.MouseMove, QPoint(int(a.x() + t * (b.x() - a.x())), int(a.y() + t * (b.y() - a.y()))), Qt.LeftButton)
    send(QEvent.MouseButtonRelease, b, Qt.NoButton)
    assert got, "no selection came from the drag"
    p0 = view.box.mapSceneToView(view.mapToScene(a))
    p1 = view.box.mapSceneToView(view.mapToScene(b))
    expected = inside(pos, min(p0.x(), p1.x()), max(p0.x(), p1.x()), min(p0.y(), p1.y()), max(p0.y(), p1.y()))
    # The drag's end points are mapped through the same transforms; allow the edge pixel.
    assert abs(len(got[-1]) - len(expected)) <= max(3, len(expected) // 100) and len(expected) > 0


def test_pick_and_click_find_the_point_under_the_mouse(make_view, qtbot):
    view = make_view()
    pos, labels = clustered(1_000)
    view.set_points(pos, [f"p{i}" for i in range(1000)])
    target = 123
    assert view.pick(float(pos[target, 0]), float(pos[target, 1])) == target
    far = pos.max(0) + 1000
    assert view.pick(float(far[0]), float(far[1])) == -1
    where = view.mapFromScene(view.box.mapViewToScene(QPointF(float(pos[target, 0]), float(pos[target, 1]))))
    # A dense cluster: the click lands on whichever point is nearest that pixel.
    expected = view.pick(*(lambda p: (p.x(), p.y()))(view.box.mapSceneToView(view.mapToScene(where))))
    with qtbot.waitSignal(view.clicked, timeout=2000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=where)
    assert blocker.args == [expected]
    hovered = []
    view.hovered.connect(hovered.append)
    view._mouse_moved(view.mapToScene(where))
    assert hovered == [expected] and view.tip.isVisible() and view.tip.text.text() == f"p{expected}"


def test_categorical_colours_and_legend(make_view):
    view = make_view()
    pos, _ = clustered(600)
    few = np.array(list("abcde"))[np.arange(600) % 5]
    codes, colours, names = categorical(few)
    view.set_points(pos)
    view.set_colours(codes, colours, legend=names)
    assert view.legend_entries() == 5 and sorted(names) == list("abcde")

    many = np.array([f"v{i % 30}" for i in range(600)])
    codes, colours, names = categorical(many)
    assert len(names) == 20 and names[-1] == "other" and codes.max() == 19
    view.set_colours(codes, colours, legend=names)
    assert view.legend_entries() == 20
    assert len(view.scatter.colours) == 20 and view.scatter.codes.max() == 19  # a colour code a point
    assert {c.name() for c in view.scatter.point_colours()} == {QColor(c).name() for c in colours}

    codes, colours, (low, high) = continuous(np.linspace(0, 1, 600))
    view.set_colours(codes, colours, bar=(low, high), title="score")
    assert view.key.isVisible() and view.legend_entries() == 0


def test_continuous_colours():
    values = numeric(np.array(["1", "2.5", "", "4"]))
    assert values is not None and np.isnan(values[2])
    codes, colours, (low, high) = continuous(values)
    assert (low, high) == (1.0, 4.0) and codes.tolist() == [0, 128, 256, 255] and len(colours) == 257
    assert numeric(np.array(["1", "cat"])) is None


def test_point_in_polygon_square():
    pts = np.array([[0.5, 0.5], [1.5, 0.5], [-0.1, 0.2]])
    assert point_in_polygon(pts, np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)).tolist() == [True, False, False]


def test_exports(make_view, tmp_path):
    view = make_view()
    pos, _ = clustered(200)
    view.set_points(pos)
    view.export_png(tmp_path / "plot.png", width=400)
    view.export_svg(tmp_path / "plot.svg")
    assert (tmp_path / "plot.png").stat().st_size > 1000
    view.set_selected([1, 2])
    view.export_svg(tmp_path / "plot.svg")
    svg = (tmp_path / "plot.svg").read_text()
    assert svg.startswith("<svg") and svg.count("<circle") == 202


def test_a_density_view_exports_its_picture_inside_the_svg(make_view, tmp_path):
    import base64
    import io
    import re

    from PIL import Image

    view = make_view(density_threshold=1_000)
    pos, _ = clustered(3_000)
    view.set_points(pos)
    assert view.mode == "density"
    view.export_svg(tmp_path / "dense.svg")
    found = re.search(r'href="data:image/png;base64,([^"]+)"', (tmp_path / "dense.svg").read_text())
    picture = Image.open(io.BytesIO(base64.b64decode(found.group(1))))
    assert picture.format == "PNG" and len(np.unique(np.asarray(picture.convert("L")))) > 2  # a picture, not a flat fill


def test_a_value_keeps_its_colour_across_subsets_and_runs():
    memory: dict = {}
    values = np.array(["dog"] * 50 + ["cat"] * 30 + ["bird"] * 20)
    _, colours, names = categorical(values, known=memory)
    before = dict(zip(names, colours))
    # Isolating the cats and birds makes cats the most frequent: their colour must not move.
    _, colours, names = categorical(values[50:], known=memory)
    assert dict(zip(names, colours)) == {name: before[name] for name in ("cat", "bird")}
    _, colours, names = categorical(np.array(["fish", "dog"]), known=memory)
    after = dict(zip(names, colours))
    assert after["dog"] == before["dog"] and after["fish"] not in before.values()


def test_selected_points_never_look_like_a_category(make_view):
    from dlviz.gui.explorer.colours import PALETTE

    view = make_view()
    pos, _ = clustered(300)
    view.set_points(pos)
    view.set_selected(np.arange(10))
    item = view.selected_item
    assert item.opts["brush"].color().alpha() == 0  # a ring, no fill
    assert item.opts["pen"].color().name() not in PALETTE


def test_exported_pictures_carry_the_colour_key(make_view, tmp_path):
    from PySide6.QtGui import QImage

    view = make_view()
    pos, _ = clustered(400)
    view.set_points(pos)
    codes, colours, names = categorical(np.array(list("ab"))[np.arange(400) % 2])
    view.set_colours(codes, colours, legend=names, title="kind")
    view.export_svg(tmp_path / "v.svg")
    svg = (tmp_path / "v.svg").read_text(encoding="utf-8")
    assert ">kind</text>" in svg and ">a</text>" in svg and ">b</text>" in svg
    view.export_png(tmp_path / "v.png", width=1200)
    view.set_colours(codes, colours)  # the same colours without a key
    view.export_png(tmp_path / "bare.png", width=1200)

    def corner(name):
        image = QImage(str(tmp_path / name))
        part = image.copy(image.width() - 200, 0, 200, 120)
        return {part.pixelColor(x, y).name() for x in range(0, 200, 2) for y in range(0, 120, 2)}

    keyed, bare = corner("v.png"), corner("bare.png")
    assert "#26272b" in keyed and "#26272b" not in bare  # the key's box, behind its dots and names
    assert colours[1] in keyed - bare or colours[0] in keyed - bare


def test_dots_grow_with_an_image_export_and_a_bad_set_changes_nothing(qapp):
    from PySide6.QtGui import QImage, QPainter

    from dlviz.gui.explorer.dots import Dots

    dots = Dots(6.0)
    dots.set([10.0, 40.0], [10.0, 30.0], [0, 1], ["#ff0000", "#00ff00"])

    def lit(export_scale=None):
        dots.setExportMode(export_scale is not None, {"resolutionScale": export_scale} if export_scale else None)
        image = QImage(64, 64, QImage.Format_ARGB32)
        image.fill(0)
        painter = QPainter(image)
        dots.paint(painter, None, None)
        painter.end()
        dots.setExportMode(False)
        pixels = np.frombuffer(image.constBits(), np.uint8).reshape(64, 64, 4)
        return int((pixels[..., 3] > 128).sum())

    plain, doubled = lit(), lit(2.0)
    assert plain > 20 and 3.0 < doubled / plain < 5.0  # twice as wide, four times the area
    with pytest.raises(ValueError):
        dots.set([1.0, 2.0, 3.0], [1.0], None)
    assert len(dots) == 2 and lit() == plain  # still drawable, as it was
