"""A 2-D scatter plot that stays fluid from a handful of points to a million.

Below `density_threshold` shown points, one `Dots` item draws them all (two floats and a colour
code a point; no Python step per point, so a new layout or colouring of 20k points does not hold
the GUI thread). Above it, the points in the current view range are binned into a 2-D
histogram drawn as one ImageItem on a log scale, recomputed when the view changes; the points in
view are drawn on top of it once there are few enough (`overlay_limit`). Highlighted, selected and
neighbour points are always drawn, in their own items, whatever the mode.

Hover and click find the point under the mouse with a k-d tree built once per layout (lazily, on
the first mouse move after the layout changed). Rectangle select: Shift+drag, or the "rect" tool;
lasso: the "lasso" tool, or Ctrl+Shift+drag.

Indices in and out of this widget are always row numbers of the positions given to `set_points`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QGraphicsPathItem
from shiboken6 import isValid

from dlviz.core.mosaic import colormap_lut
from dlviz.gui import style
from dlviz.gui.explorer.cards import Legend, Tip, draw_key
from dlviz.gui.explorer.colours import DEFAULT_COLOUR, point_in_polygon
from dlviz.gui.explorer.dots import Dots
from dlviz.gui.widgets.images import png_bytes
from dlviz.gui.widgets.pictures import ImageItem

MAX_NAMED = 40  # text labels drawn next to points


class _Box(pg.ViewBox):
    """Pans and zooms as usual; a drag with the select tool (or Shift) draws a rectangle or lasso."""

    def __init__(self, owner: "ScatterView"):
        super().__init__(lockAspect=True, enableMenu=False)
        self.owner = owner
        self.border = None  # an invisible border still paints a path that the SVG export trips over
        self._path: list[tuple[float, float]] = []
        self._shape = "rect"
        self.outline = QGraphicsPathItem()
        pen = QPen(style.SELECT, 1.5, Qt.DashLine)
        pen.setCosmetic(True)
        self.outline.setPen(pen)
        self.outline.setBrush(QBrush(QColor(255, 213, 79, 30)))
        self.outline.setZValue(50)
        self.addItem(self.outline, ignoreBounds=True)

    def _selecting(self, ev) -> str | None:
        if ev.button() != Qt.LeftButton:
            return None
        mods = ev.modifiers()
        if mods & Qt.ShiftModifier:
            return "lasso" if mods & Qt.ControlModifier else "rect"
        return self.owner.tool if self.owner.tool in ("rect", "lasso") else None

    def mouseDragEvent(self, ev, axis=None):
        shape = self._selecting(ev) if ev.isStart() else (self._shape if self._path else None)
        if shape is None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            self._shape = shape
            start = self.mapSceneToView(ev.buttonDownScenePos())
            self._path = [(start.x(), start.y())]
        self._path.append((p.x(), p.y()))
        self._draw_outline()
        if ev.isFinish():
            path, self._path = np.asarray(self._path, np.float64), []
            self.outline.setPath(QPainterPath())
            if self._shape == "rect":
                (x0, y0), (x1, y1) = path[0], path[-1]
                self.owner.select_rect(x0, y0, x1, y1)
            else:
                self.owner.select_polygon(path)

    def _draw_outline(self):
        path = QPainterPath()
        if self._shape == "rect":
            (x0, y0), (x1, y1) = self._path[0], self._path[-1]
            path.addRect(QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized())
        else:
            path.moveTo(*self._path[0])
            for x, y in self._path[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
        self.outline.setPath(path)


# ---------------------------------------------------------------------------- the widget
class ScatterView(pg.GraphicsView):
    hovered = Signal(int)  # -1 when the mouse leaves every point
    clicked = Signal(int)
    activated = Signal(int)  # double-click
    selection_changed = Signal(object)  # sorted indices
    mode_changed = Signal(str)  # "points" or "density"
    rendered = Signal()  # after the items were updated for a layout or a view change

    def __init__(self, parent=None, density_threshold: int = 50_000, overlay_limit: int = 20_000,
                 point_size: float = 6.0, bin_px: int = 2):
        super().__init__(parent, background=style.BACKGROUND)
        self.density_threshold = density_threshold
        self.overlay_limit = overlay_limit
        self.point_size = point_size
        self.bin_px = bin_px
        self.tool = "pan"
        self.thumbnail = None  # callable(index) -> (h, w, 3) uint8 or None, set by the owner

        self.box = _Box(self)
        self.setCentralItem(self.box)
        self.box.setDefaultPadding(0.08)  # room for the names drawn beside points

        self.density = ImageItem()
        self.density.setZValue(-10)
        lut = np.zeros((256, 4), np.uint8)
        lut[:, :3] = colormap_lut("ice")
        lut[:, 3] = np.linspace(150, 255, 256).astype(np.uint8)
        lut[0, 3] = 0  # empty bins show the background
        self.density.setLookupTable(lut)
        self.density.hide()
        self.box.addItem(self.density, ignoreBounds=True)

        self.scatter = Dots(point_size, DEFAULT_COLOUR)
        self.scatter.setZValue(0)
        self.box.addItem(self.scatter, ignoreBounds=True)
        ring = QPen(QColor("#ffffff"), 1.2)
        ring.setCosmetic(True)
        # search matches: white with a dark edge, a colour no key uses
        self.marked_item = pg.ScatterPlotItem(pen=pg.mkPen("#101114", width=1.5), brush=pg.mkBrush("#ffffff"), size=point_size + 4, pxMode=True)
        # Selected points: a white ring around each, a mark no category's colour can be taken for.
        self.selected_item = pg.ScatterPlotItem(pen=pg.mkPen("#ffffff", width=2), brush=pg.mkBrush(0, 0, 0, 0),
                                                size=point_size + 4, pxMode=True)
        self.neighbour_item = pg.ScatterPlotItem(pen=pg.mkPen("#ffffff", width=1.5), brush=pg.mkBrush(0, 0, 0, 0), size=point_size + 7, pxMode=True)
        self.current_item = pg.ScatterPlotItem(pen=pg.mkPen("#ffffff", width=2.5), brush=pg.mkBrush("#ffffff"), size=point_size + 6, pxMode=True, symbol="o")
        self.hover_item = pg.ScatterPlotItem(pen=pg.mkPen("#ffffff", width=1.5), brush=pg.mkBrush(0, 0, 0, 0), size=point_size + 10, pxMode=True)
        for z, item in enumerate((self.selected_item, self.marked_item, self.neighbour_item, self.current_item, self.hover_item)):
            item.setZValue(10 + z)
            self.box.addItem(item, ignoreBounds=True)
        self.key = Legend(self)
        self.key_rows = None  # (title, [(colour, name)]) of the colour key, for exports
        self._names: list[pg.TextItem] = []
        self.tip = Tip(self)

        self.pos = np.zeros((0, 2), np.float32)
        self.labels: np.ndarray | None = None
        self.shown: np.ndarray | None = None  # indices drawn, None: all
        self.codes = np.zeros(0, np.int32)
        self.colours = [DEFAULT_COLOUR]
        self._colours_drawn = [QColor(DEFAULT_COLOUR)]  # self.colours with the alpha they are drawn at
        self.marked = np.zeros(0, np.int64)  # search matches
        self.selected = np.zeros(0, np.int64)
        self.neighbours = np.zeros(0, np.int64)
        self.current = -1
        self.named = np.zeros(0, np.int64)
        self.mode = "points"
        self.overlay_count = 0
        self._tree = None
        self._sorted = None  # (order by x, x sorted) of the shown points, for the density pass
        self._hover = -1
        self._follow = True  # the view follows the layout until the user pans or zooms

        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self._refresh_view)
        self.box.sigRangeChanged.connect(self._range_changed)
        self.box.sigRangeChangedManually.connect(self._manual_range)
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.setMouseTracking(True)

    # ------------------------------------------------------------------ data in
    def set_points(self, pos: np.ndarray, labels=None, fit: bool = True):
        """A new point set: positions (n × 2), optional labels; marks, selection and colours reset."""
        self.pos = np.ascontiguousarray(np.asarray(pos, np.float32)[:, :2])
        n = len(self.pos)
        self.labels = None if labels is None else np.asarray(labels).astype(str)
        self.shown = None
        self.codes = np.zeros(n, np.int32)
        self.colours = [DEFAULT_COLOUR]
        self._colours_drawn = [QColor(DEFAULT_COLOUR)]
        self.marked = self.selected = self.neighbours = self.named = np.zeros(0, np.int64)
        self.current = self._hover = -1
        self.key.hide_key()
        self._layout_changed(fit=fit)

    def set_positions(self, pos: np.ndarray):
        """The same points moved (a layout forming): every item updated in place."""
        pos = np.asarray(pos, np.float32)[:, :2]
        if len(pos) != len(self.pos):
            self.set_points(pos, self.labels)
            return
        self.pos = np.ascontiguousarray(pos)
        self._layout_changed(fit=self._follow, moved=True)

    def set_shown(self, indices=None):
        """Draw only these points (isolate), or all again with None."""
        self.shown = None if indices is None else np.unique(np.asarray(indices, np.int64))
        self._hover = -1
        self._layout_changed(fit=True)

    def set_colours(self, codes=None, colours=None, legend=None, bar=None, title: str = ""):
        """Per-point colour codes into `colours` (hex strings). `legend`: names per colour for a
        categorical key; `bar`: (low, high) for a continuous colour bar."""
        if codes is None:
            self.codes = np.zeros(len(self.pos), np.int32)
            self.colours = [DEFAULT_COLOUR]
        else:
            self.codes = np.asarray(codes, np.int32)
            self.colours = list(colours)
        alpha = 230 if len(self.pos) < 5000 else 190
        self._colours_drawn = []
        for c in self.colours:
            colour = QColor(c)
            colour.setAlpha(alpha)
            self._colours_drawn.append(colour)
        if legend is not None:
            self.key.show_categories(title, legend, self.colours)
            self.key_rows = (title, list(zip(self.colours, map(str, legend))))
        elif bar is not None:
            low, high = bar
            self.key.show_bar(title, self.colours, low, high)
            steps = np.linspace(0, len(self.colours) - 1, 5).round().astype(int)[::-1]
            self.key_rows = (title, [(self.colours[k], f"{low + (high - low) * k / max(len(self.colours) - 1, 1):.4g}")
                                     for k in steps])
        else:
            self.key.hide_key()
            self.key_rows = None
        self._redraw_points()

    def legend_entries(self) -> int:
        return self.key.entries if self.key.isVisible() else 0

    def set_marked(self, indices):
        """Search matches: drawn on top in orange, and named when few."""
        self.marked = np.unique(np.asarray(indices, np.int64))
        self._draw_marks()

    def set_selected(self, indices, emit: bool = True):
        self.selected = np.unique(np.asarray(indices, np.int64))
        self._draw_marks()
        if emit:
            self.selection_changed.emit(self.selected)

    def set_current(self, index: int, neighbours=()):
        """The clicked point and its nearest neighbours in the original space."""
        self.current = int(index)
        self.neighbours = np.asarray(neighbours, np.int64)
        self._draw_marks()

    def set_named(self, indices):
        """Points whose label is written next to them (at most MAX_NAMED)."""
        self.named = np.asarray(indices, np.int64)[:MAX_NAMED]
        self._draw_names()

    def set_tool(self, tool: str):
        self.tool = tool

    # ------------------------------------------------------------------ selection
    def _shown_idx(self) -> np.ndarray:
        return np.arange(len(self.pos)) if self.shown is None else self.shown

    def select_rect(self, x0, y0, x1, y1):
        xa, xb = sorted((x0, x1))
        ya, yb = sorted((y0, y1))
        idx = self._shown_idx()
        p = self.pos[idx]
        inside = (p[:, 0] >= xa) & (p[:, 0] <= xb) & (p[:, 1] >= ya) & (p[:, 1] <= yb)
        self.set_selected(idx[inside])

    def select_polygon(self, polygon):
        polygon = np.asarray(polygon, np.float64)
        if len(polygon) < 3:
            self.set_selected([])
            return
        idx = self._shown_idx()
        p = self.pos[idx]
        lo, hi = polygon.min(0), polygon.max(0)
        box = np.flatnonzero((p[:, 0] >= lo[0]) & (p[:, 0] <= hi[0]) & (p[:, 1] >= lo[1]) & (p[:, 1] <= hi[1]))
        inside = point_in_polygon(p[box].astype(np.float64), polygon)
        self.set_selected(idx[box[inside]])

    # ------------------------------------------------------------------ picking
    def pick(self, x: float, y: float, radius_px: float = 8.0) -> int:
        """The shown point nearest to (x, y) in view coordinates within `radius_px` screen pixels."""
        if not len(self._shown_idx()):
            return -1
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.pos[self._shown_idx()].astype(np.float64), balanced_tree=False, compact_nodes=False)
        px = self.box.viewPixelSize()
        radius = radius_px * max(px[0], px[1])
        dist, i = self._tree.query((x, y), k=1, distance_upper_bound=radius)
        if not np.isfinite(dist):
            return -1
        return int(self._shown_idx()[i])

    def _mouse_moved(self, scene_pos):
        if not self.box.sceneBoundingRect().contains(scene_pos) or not len(self.pos):
            self._set_hover(-1, None)
            return
        p = self.box.mapSceneToView(scene_pos)
        self._set_hover(self.pick(p.x(), p.y()), self.mapFromScene(scene_pos))

    def _set_hover(self, index, widget_pos):
        if index == self._hover and index < 0:
            return
        self._hover = index
        if index < 0:
            self.hover_item.setData([], [])
            self.tip.hide()
        else:
            self.hover_item.setData(self.pos[[index], 0], self.pos[[index], 1])
            thumb = self.thumbnail(index) if self.thumbnail is not None else None
            self.tip.show_at(widget_pos, self.label(index), thumb)
        self.hovered.emit(index)

    def leaveEvent(self, event):
        self._set_hover(-1, None)
        super().leaveEvent(event)

    def _mouse_clicked(self, ev):
        if ev.button() != Qt.LeftButton:
            return
        p = self.box.mapSceneToView(ev.scenePos())
        index = self.pick(p.x(), p.y())
        if index < 0:
            return
        ev.accept()
        (self.activated if ev.double() else self.clicked).emit(index)

    def label(self, index: int) -> str:
        return str(self.labels[index]) if self.labels is not None else f"point {index}"

    # ------------------------------------------------------------------ drawing
    def _layout_changed(self, fit: bool, moved: bool = False):
        """Positions changed; `moved`: the same points as before, only elsewhere."""
        self._tree = None
        idx = self._shown_idx()
        count = len(idx)
        mode = "density" if count > self.density_threshold else "points"
        if mode == "density":
            # Sorted by x once per layout, x and y kept contiguous: a view range is then a slice.
            # numpy's default sort (vectorised) takes 1 ms for 100k points, its stable one 7 ms,
            # at every partial layout; ties between equal x need no order.
            order = idx[np.argsort(self.pos[idx, 0])]
            self._sorted = (order, np.ascontiguousarray(self.pos[order, 0]), np.ascontiguousarray(self.pos[order, 1]))
        else:
            self._sorted = None
        if mode != self.mode:
            self.mode = mode
            self.density.setVisible(mode == "density")
            self.mode_changed.emit(mode)
        if fit and count:
            self.fit()
        self._redraw_points(moved and mode == "points" and self.mode == mode)
        self._draw_marks()
        self._draw_names()

    def fit(self):
        """Show every shown point; the view follows later layouts until the user moves it."""
        idx = self._shown_idx()
        if not len(idx):
            return
        p = self.pos[idx]
        lo, hi = np.nanmin(p, 0), np.nanmax(p, 0)
        span = np.maximum(hi - lo, 1e-6)
        x0, y0, w, h = float(lo[0]), float(lo[1]), float(span[0]), float(span[1])
        # names are written to the right of their points: leave them room on that side
        self.box.setRange(xRange=(x0, x0 + 1.15 * w), yRange=(y0, y0 + h), padding=0.05)
        self._follow = True

    @property
    def following(self) -> bool:
        """True while the view fits the layout (the user has not panned or zoomed)."""
        return self._follow

    def show_range(self, x0: float, x1: float, y0: float, y1: float):
        """Show this part of the plane (a saved camera); later layouts leave it where it is."""
        self.box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._follow = False

    def _manual_range(self, *args):
        self._follow = False

    def _range_changed(self, *args):
        if self.mode == "density":
            self._pending.start()
        self._draw_names_visible()

    def _redraw_points(self, moved: bool = False):
        if self.mode == "points":
            idx = self._shown_idx()
            if not (moved and self._move_scatter(idx)):
                self._set_scatter(idx)
            self.overlay_count = len(idx)
            self.rendered.emit()
        else:
            self._refresh_view()

    def _set_scatter(self, idx):
        p = self._positions(idx)
        codes = None if len(self._colours_drawn) == 1 else (self.codes if p is self.pos else self.codes[idx])
        self.scatter.set(p[:, 0], p[:, 1], codes, self._colours_drawn)

    def _positions(self, idx) -> np.ndarray:
        """The positions of the points at `idx`: `pos` itself when they are all of them, in order."""
        return self.pos if len(idx) == len(self.pos) and self.shown is None else self.pos[np.asarray(idx, np.int64)]

    def _move_scatter(self, idx) -> bool:
        """Move the drawn points in place (a layout forming); False when it holds other points."""
        if len(self.scatter) != len(idx) or not len(idx):
            return False
        p = self._positions(idx)
        self.scatter.move(p[:, 0], p[:, 1])
        return True

    def view_rect(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = self.box.viewRange()
        return x0, x1, y0, y1

    def _refresh_view(self):
        """Density mode: bin the shown points inside the view range; overlay them when few."""
        if self.mode != "density" or self._sorted is None or not isValid(self.box):
            return
        order, xs, ys = self._sorted
        x0, x1, y0, y1 = self.view_rect()
        a, b = (int(k) for k in np.searchsorted(xs, [x0, x1]))
        rect = self.box.sceneBoundingRect()
        w = max(int(rect.width() / self.bin_px), 8)
        h = max(int(rect.height() / self.bin_px), 8)
        # Rows 0 and h+1 collect the points below and above the view: no mask, no gather.
        fx = np.subtract(xs[a:b], np.float32(x0), dtype=np.float32)
        fx *= np.float32(w / (x1 - x0))
        fy = np.subtract(ys[a:b], np.float32(y0), dtype=np.float32)
        fy *= np.float32(h / (y1 - y0))
        np.clip(fy, -1.0, h, out=fy)
        np.clip(fx, 0.0, w - 1, out=fx)
        iy = fy.astype(np.int32)
        iy[fy < 0] = -1
        iy += 1
        iy *= w
        iy += fx.astype(np.int32)
        counts = np.bincount(iy, minlength=(h + 2) * w)[w: (h + 1) * w].reshape(h, w)
        total = int(counts.sum())
        image = np.log1p(counts, dtype=np.float32)
        top = float(image.max()) or 1.0
        self.density.setImage(image, levels=(0.0, top), autoLevels=False)
        self.density.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if total <= self.overlay_limit:
            keep = (ys[a:b] >= y0) & (ys[a:b] < y1)
            inview = order[a:b][keep]
            self.overlay_count = len(inview)
            self._set_scatter(inview)
        else:
            self.overlay_count = 0
            self._set_scatter(np.zeros(0, np.int64))
        self.rendered.emit()

    def _draw_marks(self):
        def put(item, idx):
            idx = np.asarray(idx, np.int64)
            if self.shown is not None and len(idx):
                idx = idx[np.isin(idx, self.shown)]
            idx = idx[(idx >= 0) & (idx < len(self.pos))]
            item.setData(x=self.pos[idx, 0], y=self.pos[idx, 1])

        put(self.selected_item, self.selected)
        put(self.marked_item, self.marked)
        put(self.neighbour_item, self.neighbours)
        put(self.current_item, [self.current] if self.current >= 0 else [])
        if self._hover >= len(self.pos):
            self._hover = -1
        put(self.hover_item, [self._hover] if self._hover >= 0 else [])
        self._draw_names()

    def _draw_names(self):
        while len(self._names) < len(self.named):
            text = pg.TextItem(color=style.TEXT, anchor=(-0.08, 0.5), fill=pg.mkBrush(30, 31, 34, 170))
            text.setZValue(30)
            self.box.addItem(text, ignoreBounds=True)
            self._names.append(text)
        for i, text in enumerate(self._names):
            if i < len(self.named) and self.named[i] < len(self.pos):
                k = int(self.named[i])
                text.setText(self.label(k))
                text.setColor(QColor("#ffffff") if k == self.current else style.TEXT)
                text.setPos(float(self.pos[k, 0]), float(self.pos[k, 1]))
            else:
                text.hide()
        self._draw_names_visible()

    def _draw_names_visible(self):
        """Names that would overlap one already written (in order: the clicked point, its
        neighbours, the matches) are left out; recomputed when the view moves."""
        placed: list[QRectF] = []
        for i, text in enumerate(self._names):
            if i >= len(self.named) or self.named[i] >= len(self.pos):
                text.hide()
                continue
            k = int(self.named[i])
            at = self.box.mapViewToScene(QPointF(float(self.pos[k, 0]), float(self.pos[k, 1])))
            size = text.textItem.boundingRect()
            rect = QRectF(at.x() + 4, at.y() - size.height() / 2, size.width(), size.height())
            clash = any(rect.intersects(other) for other in placed)
            text.setVisible(not clash)
            if not clash:
                placed.append(rect)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if getattr(self, "key", None) is not None and self.key.isVisible():
            self.key._place()
        if getattr(self, "mode", None) == "density":
            self._pending.start()

    # ------------------------------------------------------------------ export
    def export_png(self, path, width: int = 1600) -> bool:
        """The view as a PNG `width` pixels wide, with its colour key; False if it could not be written."""
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(self.box)
        exporter.parameters()["width"] = width
        image = exporter.export(toBytes=True)
        if self.key_rows is not None:
            painter = QPainter(image)
            draw_key(painter, image.width(), *self.key_rows, scale=max(1.0, image.width() / 1000))
            painter.end()
        return image.save(str(path), "PNG")

    def export_svg(self, path) -> None:
        """The view as SVG: a circle per drawn point, the density image embedded as PNG, the named
        points' labels as text. (pyqtgraph's SVGExporter cannot parse the paths Qt 6.11 writes.)"""
        import base64
        from xml.sax.saxutils import escape

        rect = self.box.sceneBoundingRect()
        w, h = int(rect.width()), int(rect.height())
        x0, x1, y0, y1 = self.view_rect()
        sx, sy = w / (x1 - x0), h / (y1 - y0)

        def px(p):
            return (p[:, 0] - x0) * sx, (y1 - p[:, 1]) * sy

        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
               f'<rect width="{w}" height="{h}" fill="{style.BACKGROUND}"/>']
        if self.mode == "density" and self.density.image is not None:
            upright = self.density.getPixmap().toImage().transformed(QTransform().scale(1, -1))  # rows run up in the plot
            encoded = base64.b64encode(png_bytes(upright)).decode()
            out.append(f'<image width="{w}" height="{h}" preserveAspectRatio="none" href="data:image/png;base64,{encoded}"/>')
        r = self.point_size / 2

        def circles(item, radius, stroke=None):
            x, y = item.getData()
            if x is None or not len(x):
                return
            cx, cy = px(np.column_stack([x, y]))
            if isinstance(item, Dots):
                colours = item.point_colours()
            else:
                colours = [(b if b is not None else item.opts["brush"]).color() for b in item.data["brush"]]
            out.append("<g>")
            for k in range(len(cx)):
                if not (0 <= cx[k] <= w and 0 <= cy[k] <= h):
                    continue
                colour = colours[k]
                fill = "none" if colour.alpha() == 0 else colour.name()
                line = f' stroke="{stroke}" stroke-width="1.5"' if stroke else ""
                out.append(f'<circle cx="{cx[k]:.1f}" cy="{cy[k]:.1f}" r="{radius:.1f}" fill="{fill}"{line}/>')
            out.append("</g>")

        circles(self.scatter, r)
        circles(self.selected_item, r + 2, "#ffffff")
        circles(self.marked_item, r + 1.5)
        circles(self.neighbour_item, r + 3.5, "#ffffff")
        circles(self.current_item, r + 3, "#ffffff")
        for k in self.named:
            if k < len(self.pos):
                cx, cy = px(self.pos[[k]])
                out.append(f'<text x="{cx[0] + 8:.1f}" y="{cy[0] + 4:.1f}" fill="#d8d8d8" font-family="sans-serif" '
                           f'font-size="12">{escape(self.label(int(k)))}</text>')
        if self.key_rows is not None:  # the colour key, top right as on screen
            title, rows = self.key_rows
            left, row_h = w - 190, 18
            out.append(f'<g font-family="sans-serif" font-size="12" fill="#d8d8d8">'
                       f'<rect x="{left - 8}" y="6" width="192" height="{row_h * (len(rows) + 1) + 8}" rx="4" '
                       f'fill="#26272b" fill-opacity="0.9" stroke="#4a4b50"/>'
                       f'<text x="{left}" y="22" font-weight="bold">{escape(title)}</text>')
            for k, (colour, name) in enumerate(rows, start=1):
                y = 22 + k * row_h
                out.append(f'<circle cx="{left + 5}" cy="{y - 4}" r="5" fill="{colour}"/>'
                           f'<text x="{left + 16}" y="{y}">{escape(name)}</text>')
            out.append("</g>")
        out.append("</svg>")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out))
