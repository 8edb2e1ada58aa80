"""How the attention crop draws its glimpses: the photo with the attention map, the nested boxes,
the numbered saccade path and the fovea's rings and fixation; and the filmstrip's frames."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsRectItem, QSizePolicy, QWidget

from dlviz.gui import style
from dlviz.gui.widgets.heat import heat_rgba
from dlviz.gui.widgets.images import qimage
from dlviz.gui.widgets.pictures import ImageItem, Picture
from dlviz.gui.widgets.text import percent

# One colour per glimpse: its box, its fixation point and its filmstrip frame.
STEP_COLOURS = [QColor(c) for c in ("#4fc3f7", "#ffd54f", "#ff8a65", "#ce93d8", "#a5d6a7")]


def xywh(box):
    x0, y0, x1, y1 = box
    return x0, y0, x1 - x0, y1 - y0


class DragImage(ImageItem):
    """An image the fixation can be pressed and dragged on; reports positions in view coordinates."""

    def __init__(self, moved):
        super().__init__()
        self._moved = moved
        self.draggable = False

    def mouseClickEvent(self, ev):
        if self.draggable and ev.button() == Qt.LeftButton:
            ev.accept()
            point = self.mapToParent(ev.pos())
            self._moved(point.x(), point.y())

    def mouseDragEvent(self, ev):
        if not self.draggable or ev.button() != Qt.LeftButton:
            ev.ignore()
            return
        ev.accept()
        point = self.mapToParent(ev.pos())
        self._moved(point.x(), point.y())


class SaccadeView(Picture):
    """The original photo at full resolution and what the glimpses drew on it. Pressing or dragging
    on the photo calls `moved(x, y)` (original pixels) while `draggable` is on."""

    def __init__(self, caption: str, moved):
        super().__init__(caption)
        view = self.view
        self.photo = DragImage(moved)
        self.photo.setAutoDownsample(True)
        self.heat = ImageItem()
        self.heat.setZValue(1)
        view.addItem(self.photo)
        view.addItem(self.heat)
        self.boxes: list[QGraphicsRectItem] = []
        for k in range(5):
            rect = QGraphicsRectItem()
            rect.setPen(pg.mkPen(STEP_COLOURS[k], width=2.5 if k == 0 else 1.6, cosmetic=True))
            rect.setZValue(3 + k)
            rect.hide()
            view.addItem(rect)
            self.boxes.append(rect)
        self.path = pg.PlotDataItem(pen=pg.mkPen(255, 255, 255, 200, width=1.6, style=Qt.DashLine))
        self.path.setZValue(9)
        view.addItem(self.path)
        self.points = pg.ScatterPlotItem(pxMode=True, size=20, pen=pg.mkPen("#1e1f22", width=1.5))
        self.points.setZValue(10)
        view.addItem(self.points)
        self.numbers = []
        # Each number sits beside its point, on a different side, so close fixations stay readable.
        for k, anchor in enumerate([(0.5, 0.5), (-0.25, 1.15), (-0.25, -0.15), (1.25, 1.15), (1.25, -0.15), (-0.4, 0.5)]):
            colour = STEP_COLOURS[(k - 1) % len(STEP_COLOURS)]
            text = pg.TextItem(str(k), color=colour, anchor=anchor, fill=pg.mkBrush(20, 20, 24, 200),
                               border=pg.mkPen(colour, width=1))
            text.setFont(style.title_font(9))
            text.setZValue(11)
            text.hide()
            view.addItem(text)
            self.numbers.append(text)
        self.circles = []  # the sharp disc and where the resolution halves, then halves again
        for k in range(3):
            circle = QGraphicsEllipseItem()
            circle.setPen(pg.mkPen(255, 255, 255, 150 - 40 * k, width=1.2, style=Qt.DotLine, cosmetic=True))
            circle.setZValue(12)
            circle.hide()
            view.addItem(circle)
            self.circles.append(circle)
        self.marker = pg.ScatterPlotItem(pxMode=True, size=22, symbol="crosshair", pen=pg.mkPen("#ffd54f", width=2.5), brush=None)
        self.marker.setZValue(13)
        view.addItem(self.marker)
        self.peak_marker = pg.ScatterPlotItem(pxMode=True, size=14, symbol="star", pen=pg.mkPen("#111111"), brush=pg.mkBrush("#ff8a65"))
        self.peak_marker.setZValue(12)
        view.addItem(self.peak_marker)

    def show_photo(self, rgb, width: int, height: int):
        """`rgb` (the photo, or a rendering of it) stretched over the photo's width×height pixels."""
        self.photo.setImage(rgb, levels=(0, 255))
        self.photo.setRect(QRectF(0, 0, width, height))

    def show_heat(self, cam, view, cmap: str, opacity: float):
        """The attention map of a look, laid over the part of the photo its view covers."""
        self.heat.setImage(heat_rgba(cam, cmap, opacity), levels=(0, 255))
        self.heat.setRect(QRectF(*xywh(view)))
        self.heat.show()

    def set_box(self, k: int, box, dashed: bool = False):
        rect = self.boxes[k]
        rect.setRect(QRectF(*xywh(box)))
        if k == 0:
            rect.setPen(pg.mkPen(STEP_COLOURS[0], width=2.5, cosmetic=True, style=Qt.DashLine if dashed else Qt.SolidLine))
        rect.show()

    def draw_path(self, start, steps):
        """The boxes of `steps` and the numbered path from `start` (the whole image's fixation)
        through theirs; nothing when `steps` is empty."""
        for k, rect in enumerate(self.boxes):
            if k < len(steps):
                self.set_box(k, steps[k].box)
            else:
                rect.hide()
        if not steps:
            self.path.setData([], [])
            self.points.setData([])
            for text in self.numbers:
                text.hide()
            return
        points = [start] + [step.fixation for step in steps]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self.path.setData(xs, ys)
        brushes = [pg.mkBrush(255, 255, 255, 220)] + [pg.mkBrush(STEP_COLOURS[k]) for k in range(len(steps))]
        self.points.setData(x=xs, y=ys, brush=brushes, size=[11] + [12] * len(steps))
        for k, text in enumerate(self.numbers):
            if k < len(points):
                text.setText(str(k) if k else "")
                text.setPos(xs[k], ys[k])
                text.setVisible(k > 0)
            else:
                text.hide()

    def show_rings(self, fixation, radius: float):
        """The fovea: the sharp disc, and where the resolution halves and halves again."""
        fx, fy = fixation
        for k, circle in enumerate(self.circles):
            r = radius * 2 ** k
            circle.setRect(QRectF(fx - r, fy - r, 2 * r, 2 * r))
            circle.show()

    def hide_rings(self):
        for circle in self.circles:
            circle.hide()

    def set_marks(self, fixation=None, peak=None):
        """The fixation's crosshair and the attention peak's star (None: not shown)."""
        self.marker.setData(*([[fixation[0]], [fixation[1]]] if fixation else [[], []]))
        self.peak_marker.setData(*([[peak[0]], [peak[1]]] if peak else [[], []]))


class Frame(QWidget):
    """One glimpse in the filmstrip: its crop, its number and colour, its top-1."""

    clicked = Signal(int)

    def __init__(self, number: int):
        super().__init__()
        self.number = number
        self.image: QImage | None = None
        self.caption = ("", "")
        self.selected = False
        self.setMinimumSize(64, 88)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.PointingHandCursor)

    def set(self, crop, name, prob, tip):
        self.image = qimage(crop)
        self.caption = (name, percent(prob))
        self.setToolTip(tip)
        self.update()

    def mousePressEvent(self, event):
        self.clicked.emit(self.number)

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.Antialiasing)
        colour = STEP_COLOURS[(self.number - 1) % len(STEP_COLOURS)]
        text_h = 32
        side = max(8, min(self.width() - 6, self.height() - text_h - 4))
        x = (self.width() - side) / 2
        target = QRectF(x, 3, side, side)
        if self.image is not None:
            painter.drawImage(target, self.image)
        painter.setPen(QPen(colour, 3 if self.selected else 1.5))
        painter.drawRect(target.adjusted(-1, -1, 1, 1))
        badge = QRectF(x + 3, 6, 20, 18)
        painter.fillRect(badge, QColor(0, 0, 0, 170))
        painter.setPen(colour)
        painter.setFont(style.title_font(9))
        painter.drawText(badge, Qt.AlignCenter, str(self.number))
        painter.setFont(QFont())
        metrics = painter.fontMetrics()
        painter.setPen(style.TEXT if self.selected else QColor(style.TEXT).darker(115))
        name = metrics.elidedText(self.caption[0], Qt.ElideRight, self.width() - 4)
        painter.drawText(QRectF(0, side + 5, self.width(), 15), Qt.AlignCenter, name)
        painter.setPen(style.MUTED)
        painter.drawText(QRectF(0, side + 19, self.width(), 14), Qt.AlignCenter, self.caption[1])
        painter.end()
