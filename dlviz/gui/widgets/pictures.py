"""Pictures in pyqtgraph views: aspect-locked, no panning, a caption above or below."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dlviz.gui import style


class ImageItem(pg.ImageItem):
    """pyqtgraph's ImageItem, its picture kept in the format the screen draws directly (32-bit,
    premultiplied alpha).

    Why: pyqtgraph makes a colour-mapped image an 8-bit indexed QImage, and a photo a 24-bit one.
    Drawn scaled, Qt converts such a picture pixel by pixel on the way to the screen, at every
    paint: the grid's 404×374 map drawn at 878×813 took 2.8 ms against 0.3 ms, held the
    interpreter lock throughout, and live frames paint it about 30 times a second. Converting it
    once, when it changes, takes 0.05 ms (docs/decisions/0010)."""

    def render(self):
        if self._render_photo():
            return
        super().render()
        if self.qimage is not None and self.qimage.format() != QImage.Format_ARGB32_Premultiplied:
            self.qimage = self.qimage.convertToFormat(QImage.Format_ARGB32_Premultiplied)

    def _render_photo(self) -> bool:
        """An 8-bit RGB or RGBA picture shown as it is (levels 0-255, no lookup table) goes
        straight into a QImage: pyqtgraph's own way rescales it to the same values first (0.16 ms
        for the 224×224 crop, about 1.2 ms of the GUI thread's time at each live frame for the
        five pictures that follow the frames). False: pyqtgraph renders it."""
        image, levels = self.image, self.levels
        if (image is None or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4)
                or self.axisOrder != "row-major" or self.autoDownsample or self.lut is not None
                or (levels is not None and (np.ndim(levels) != 1 or not np.array_equal(levels, (0, 255))))):
            return False
        data = np.ascontiguousarray(image)
        height, width, channels = data.shape
        wrapped = QImage(data.data, width, height, data.strides[0],
                         QImage.Format_RGB888 if channels == 3 else QImage.Format_RGBA8888)
        self.qimage = wrapped.convertToFormat(QImage.Format_ARGB32_Premultiplied)  # a copy: `data` may go
        self._processingBuffer = self._displayBuffer = None
        self._renderRequired = self._unrenderable = False
        return True


class Canvas(pg.GraphicsLayoutWidget):
    """A picture canvas that asks for little: in a scroll area, contents are sized by their
    preferred sizes, and pyqtgraph's default (640×480) would push the controls out of view."""

    def sizeHint(self):
        return QSize(180, 180)


class Picture(QWidget):
    """A view for pictures with a caption; items (images, outlines) are added to `view`."""

    def __init__(self, caption: str = "", below: bool = False, minimum: int = 40):
        super().__init__()
        self.caption = QLabel(caption)
        style.set_sheet(self.caption, "color: {muted}")
        self.caption.setMinimumWidth(40)
        if below:
            self.caption.setAlignment(Qt.AlignCenter)
        self.canvas = Canvas()
        self.view = style.image_view(self.canvas)
        self.canvas.setMinimumSize(minimum, minimum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1 if below else 2)
        if not below:
            layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        if below:
            layout.addWidget(self.caption)

    def add_image(self, z: float = 0.0) -> pg.ImageItem:
        """A new image item in the view, above those before it."""
        item = ImageItem()
        item.setZValue(z)
        self.view.addItem(item)
        return item

    def fit(self, width: float, height: float, padding: float = 0.01):
        self.view.setRange(xRange=(0, width), yRange=(0, height), padding=padding)
