"""The input photo with the model's crop outlined."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout

from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.pictures import ImageItem
from dlviz.gui.widgets.transport import Transport


class InputPane(Pane):
    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.caption = QLabel("Drop an image here, or use File ▸ Open")
        self.caption.setWordWrap(True)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setMinimumSize(160, 120)
        self.view = style.image_view(self.canvas)
        self.image = ImageItem()
        self.view.addItem(self.image)
        self.crop = QGraphicsRectItem()
        self.crop.setVisible(False)
        self._restyle()
        style.on_change(self._restyle)
        self.view.addItem(self.crop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        self.transport = Transport()  # shown while a video or slideshow plays
        self.transport.hide()
        layout.addWidget(self.transport)
        session.image_changed.connect(self.refresh)
        session.model_changed.connect(self.refresh)

    def _restyle(self):
        """The crop's dashed outline at the presenter scale and in the theme's colour."""
        self.crop.setPen(style.pen(style.ACCENT, 2, Qt.DashLine))

    def refresh(self):
        rgb = self.session.rgb
        if rgb is None:
            return
        height, width = rgb.shape[:2]
        self.image.setImage(self.session.preview, levels=(0, 255))  # a huge photo is drawn from a smaller copy
        self.image.setRect(QRectF(0, 0, width, height))  # laid over the photo's own pixels all the same
        style.fit(self.view, width, height)
        model = self.session.model
        text = f"<b>{self.session.image_name}</b> · {width}×{height}"
        if model is not None:
            left, top, right, bottom = model.preprocess.crop_box(width, height)
            self.crop.setRect(left, top, right - left, bottom - top)
            self.crop.setVisible(True)
            text += f" · dashed: the {model.preprocess.crop}×{model.preprocess.crop} crop the model sees"
        self.caption.setText(text)
