"""The selected unit: its map enlarged with a colour bar, and the map laid over the model's crop."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStackedWidget, QVBoxLayout, QWidget

from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.heat import heat_rgba, upsample
from dlviz.gui.widgets.pictures import ImageItem
from dlviz.gui.widgets.steady import Quiet, SteadyLabel


HOLD_S = 0.25  # how long the map's colour range may be kept from one frame to the next
HOLD_FILL = 0.5  # of the kept range, what a frame's own range must fill for it to be kept
HOLD_OVER = 0.25  # and how far beyond it (of its span) a frame's range may reach


class UnitPane(Pane):
    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self._held = None  # (model, layer, unit), least, greatest, when: the colour range kept
        self._exact = QTimer(self)  # once frames stop (a pause, a freeze): the last one's own range
        self._exact.setSingleShot(True)
        self._exact.setInterval(int(HOLD_S * 1000) + 50)
        self._exact.timeout.connect(self.refresh)
        self.title = SteadyLabel("No unit selected")
        style.set_font(self.title, 11)

        # The map enlarged, with a colour bar of its values.
        self.canvas = pg.GraphicsLayoutWidget()
        self.plot = self.canvas.addPlot()
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.map = ImageItem()
        self.plot.addItem(self.map)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=style.colormap(session.cmap), interactive=False, width=14)
        self._bar_cmap = session.cmap
        self.bar.setImageItem(self.map, insert_in=self.plot)
        style.plain_axes(self.plot, self.bar)

        # The map over the crop.
        self.overlay_canvas = pg.GraphicsLayoutWidget()
        self.overlay_view = style.image_view(self.overlay_canvas)
        self.crop = ImageItem()
        self.heat = ImageItem()
        self.overlay_view.addItem(self.crop)
        self.overlay_view.addItem(self.heat)
        self.opacity = QSlider(Qt.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(int(session.opacity * 100))
        self.opacity.setToolTip("How strongly the unit's map covers the photo")
        self.opacity.valueChanged.connect(lambda v: session.set_view(opacity=v / 100))
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("Overlay opacity"))
        slider_row.addWidget(self.opacity, 1)

        maps = QWidget()
        maps_layout = QVBoxLayout(maps)
        maps_layout.setContentsMargins(0, 0, 0, 0)
        maps_layout.addWidget(self.canvas, 1)
        caption = QLabel("Over the model's crop:")
        style.set_sheet(caption, "color: {muted}")
        maps_layout.addWidget(caption)
        maps_layout.addWidget(self.overlay_canvas, 1)
        maps_layout.addLayout(slider_row)

        self.scalar = QLabel("")
        self.scalar.setAlignment(Qt.AlignCenter)
        self.scalar.setWordWrap(True)
        style.set_font(self.scalar, 14, bold=False)
        self.stack = QStackedWidget()
        self.stack.addWidget(maps)
        self.stack.addWidget(self.scalar)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(Quiet(self.title))  # its figures change at every live frame
        layout.addWidget(self.stack, 1)
        for signal in (session.forward_changed, session.layer_changed, session.unit_changed, session.view_changed):
            signal.connect(self.refresh)

    def _levels(self, channel) -> tuple[float, float]:
        """The map's colour range (the bar's too): the channel's least and greatest value. While
        frames follow each other quickly (a live video) the range of a frame before is kept, for
        HOLD_S at most, when this frame's fills at least HOLD_FILL of it and reaches beyond it by
        at most HOLD_OVER of its span (what lies beyond takes the colour at that end, for a
        quarter of a second at most); once frames stop, the last one gets its own range.

        Why: the bar's axis drew its numbers again at every new range, 2.2 ms of the GUI thread
        at each live frame (its share, with the other panes', is what keeps the frame rate under
        the model's). Kept only while a frame's range lay within the kept one and filled 80% of
        it, the range still changed at more than half the frames of the sample video; now at
        one in eight. The map and the bar still show the same range; the map's colours
        stand steadier too, and the bar's numbers can be read."""
        lo, hi = float(channel.min()), float(channel.max())
        hi = max(hi, lo + 1e-6)
        key, now = (id(self.session.model), self.session.layer, self.session.unit), time.monotonic()
        held = self._held
        span = None if held is None else held[2] - held[1]
        if (held is not None and held[0] == key and now - held[3] < HOLD_S and held[1] - HOLD_OVER * span <= lo
                and hi <= held[2] + HOLD_OVER * span and hi - lo >= HOLD_FILL * span):
            self._exact.start()
            return held[1], held[2]
        self._held = (key, lo, hi, now)
        return lo, hi

    def refresh(self):
        session = self.session
        if self.opacity.value() != round(session.opacity * 100):
            self.opacity.blockSignals(True)
            self.opacity.setValue(round(session.opacity * 100))
            self.opacity.blockSignals(False)
        act = session.activation()
        if act is None:  # a new model or image is on its way: show nothing stale
            self.title.setText(f"{session.layer or ''}: computing…" if session.rgb is not None else "No unit selected")
            for item in (self.map, self.crop, self.heat):
                item.clear()
            self.scalar.setText("")
            return
        unit = session.unit
        if act.ndim == 1:
            label = f"<br>{session.model.label(unit)}" if session.is_output_layer() else ""
            rank = int((act > act[unit]).sum()) + 1
            self.title.setText(f"Unit {unit} of {session.layer}")
            self.scalar.setText(f"<b>{act[unit]:.4g}</b>{label}<br><span style='color:#9a9a9a'>rank {rank} of {len(act)}</span>")
            self.stack.setCurrentWidget(self.scalar)
            return
        channel = act[unit] if act.ndim == 3 else act
        lo, hi = self._levels(channel)
        self.title.setText(f"Unit {unit} of {session.layer} · {channel.shape[0]}×{channel.shape[1]} · max {channel.max():.3g}")
        self.map.setImage(np.ascontiguousarray(channel, dtype=np.float32), levels=(lo, hi))
        if self._bar_cmap != session.cmap:  # building a colour map costs ~4 ms: live frames come 30 a second
            self.bar.setColorMap(style.colormap(session.cmap))
            self._bar_cmap = session.cmap
        if tuple(self.bar.levels()) != (lo, hi):
            self.bar.setLevels((lo, hi))
        style.fit(self.plot, channel.shape[1], channel.shape[0], padding=0.02)
        result = session.result
        size = result.crop.shape[0]
        self.crop.setImage(result.crop, levels=(0, 255))
        self.heat.setImage(heat_rgba(upsample(channel, size), session.cmap, session.opacity), levels=(0, 255))
        style.fit(self.overlay_view, size, size)
        self.stack.setCurrentIndex(0)
