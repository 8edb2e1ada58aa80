"""Many round points of one size, each coloured by a code: the explorer's points, drawn without a
Python step per point.

pyqtgraph's ScatterPlotItem gives every point its own style, worked out point by point in Python
when the data is set: 50-120 ms for 20k coloured points on the GUI thread, at every new layout,
colouring or density-view pan. Here a point is two floats and a colour code. Painting maps all
points to device pixels in one numpy step and stamps a disc per point from a small atlas (one
disc per colour) with one `drawPixmapFragments` call, as pyqtgraph itself paints a scatter.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from pyqtgraph.Qt import internals
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap


class Dots(pg.GraphicsObject):
    """Points at (x, y) in data coordinates, drawn as discs `size` device pixels wide."""

    def __init__(self, size: float, colour: str = "#4fc3f7"):
        super().__init__()
        self.size = float(size)
        self.x = np.zeros(0, np.float64)
        self.y = np.zeros(0, np.float64)
        self.codes = np.zeros(0, np.int32)
        self.colours: list[QColor] = [QColor(colour)]
        self._bounds: QRectF | None = None  # of the centres
        self._padded: QRectF | None = None  # with half a disc around, at the current zoom
        self._atlas: QPixmap | None = None
        self._atlas_ratio = 0.0
        self._fragments = internals.PrimitiveArray(QPainter.PixmapFragment, 10)

    # ------------------------------------------------------------------ data
    def set(self, x, y, codes=None, colours=None) -> None:
        """New points; `codes` index `colours` (QColor or anything QColor takes); none: one colour."""
        x = np.asarray(x, np.float64).reshape(-1)
        y = np.asarray(y, np.float64).reshape(-1)
        codes = np.zeros(len(x), np.int32) if codes is None else np.asarray(codes, np.int32).reshape(-1)
        if len(codes) != len(x) or len(y) != len(x):
            raise ValueError("x, y and codes must be as long as each other")
        self.prepareGeometryChange()
        self.x, self.y, self.codes = x, y, codes
        if colours is not None:
            self.colours = [QColor(c) for c in colours]
            self._atlas = None
        self._bounds = self._padded = None
        self.update()

    def move(self, x, y) -> None:
        """The same points, elsewhere (a layout forming)."""
        if len(x) != len(self.x):
            raise ValueError("move() keeps the number of points; use set()")
        self.set(x, y, self.codes)

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x, self.y

    def point_colours(self) -> list[QColor]:
        """Each point's colour, in order."""
        return [self.colours[code] for code in self.codes]

    def __len__(self) -> int:
        return len(self.x)

    # ------------------------------------------------------------------ drawing
    def boundingRect(self) -> QRectF:
        # asked many times a frame; kept until the points or the zoom change
        if self._padded is not None:
            return self._padded
        if self._bounds is None:
            finite = np.isfinite(self.x) & np.isfinite(self.y)
            if not finite.any():
                self._bounds = QRectF()
            else:
                x, y = self.x[finite], self.y[finite]
                self._bounds = QRectF(x.min(), y.min(), max(x.max() - x.min(), 1e-9), max(y.max() - y.min(), 1e-9))
        # the discs reach half a disc past the outermost centres; a pixel's size in data units
        px = self.pixelVectors()
        pad_x = abs(px[0].x()) * self.size if px[0] is not None else 0.0
        pad_y = abs(px[1].y()) * self.size if px[1] is not None else 0.0
        self._padded = self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)
        return self._padded

    def viewTransformChanged(self):
        # the bounds include half a disc, whose size in data units changes with the zoom
        self.prepareGeometryChange()
        self._padded = None
        super().viewTransformChanged()

    def _atlas_for(self, ratio: float) -> QPixmap:
        """One antialiased disc per colour, side by side, at the screen's pixel ratio."""
        if self._atlas is None or self._atlas_ratio != ratio:
            side = int(np.ceil(self.size * ratio)) + 2
            atlas = QPixmap(side * len(self.colours), side)
            atlas.fill(Qt.transparent)
            painter = QPainter(atlas)
            painter.setRenderHint(QPainter.Antialiasing)
            painter.setPen(Qt.NoPen)
            for k, colour in enumerate(self.colours):
                painter.setBrush(colour)
                painter.drawEllipse(QRectF(k * side + 1, 1, self.size * ratio, self.size * ratio))
            painter.end()
            self._atlas, self._atlas_ratio, self._side = atlas, ratio, side
        return self._atlas

    def paint(self, painter, option, widget=None):
        if not len(self.x):
            return
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        # An image export renders larger than the screen (resolutionScale): the discs grow with it,
        # as the highlight rings (pyqtgraph scatters) do.
        scale = self._exportOpts.get("resolutionScale", 1.0) if self._exportOpts is not False else 1.0
        atlas = self._atlas_for(ratio * scale)
        points = fn.transformCoordinates(painter.transform(), np.vstack([self.x, self.y]))
        device = painter.device()
        half = self.size * scale
        inside = ((points[0] > -half) & (points[0] < device.width() + half)
                  & (points[1] > -half) & (points[1] < device.height() + half))
        shown = np.flatnonzero(inside)
        if not len(shown):
            return
        painter.resetTransform()
        self._fragments.resize(len(shown))
        fragments = self._fragments.ndarray()
        fragments[:, 0] = points[0, shown]
        fragments[:, 1] = points[1, shown]
        fragments[:, 2] = self.codes[shown] * self._side  # the disc of its colour in the atlas
        fragments[:, 3] = 0
        fragments[:, 4:6] = self._side
        fragments[:, 6:10] = [1 / ratio, 1 / ratio, 0.0, 1.0]
        painter.drawPixmapFragments(*self._fragments.drawargs(), atlas)
