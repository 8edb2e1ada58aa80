"""The activation grid: every channel of the selected layer tiled into one picture.

Maps are drawn as one ImageItem updated in place; vector layers (pooled features, logits) as bars,
with class names where the model has them. Hover tells the unit and value, a click selects it.
"""

from __future__ import annotations

import time
import weakref
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
)

from dlviz.core.mosaic import COLORMAPS, CONTRASTS, GAMMAS, PAD_RGB, make_layout, mosaic_index, padded_lut, upscale_nearest
from dlviz import paths
from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.controls import combo
from dlviz.gui.widgets.images import qimage
from dlviz.gui.widgets.pictures import ImageItem
from dlviz.gui.widgets.saving import write_for_user
from dlviz.gui.widgets.steady import Quiet, SteadyLabel
from dlviz.gui.widgets.text import duration, shape_text
from dlviz.work import estimates, kinds
from dlviz.work import toolbox as jobs

CROPS, FEATURES = "crops", "features"  # pattern mode: each unit's best Top images crop, or its feature image


class GridPane(Pane):
    name = "grid"  # its pattern mode is part of a saved view (a tour's step)
    kinds = (kinds.FEATURE_IMAGES,)

    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.layout_ = None  # mosaic.Layout of what is on screen
        self.patterns = None  # pattern mode: None (activations), CROPS or FEATURES
        self.pattern_source = None  # the window's: unit -> its best Top images crop (uint8) or None
        self.scan_best = lambda layer: None  # the window's: (each unit's best value on a scan, the scan in words) or None
        self.pattern_shown = False
        self.features = _Features()
        self.values = None  # the raw activation on screen
        self._first_picture = True

        self.header = SteadyLabel("")
        style.set_font(self.header, 11)
        self.header.setMinimumWidth(40)  # a long layer name wraps, and never widens the window
        self.header.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.readout = SteadyLabel("Hover over a unit to read it; click to select it", wrap=False)
        style.set_sheet(self.readout, "color: {muted}")
        self.readout.setMinimumWidth(40)
        self.contrast = combo(
            {0.0: "per layer", **{c: f"{c:.0%} per channel" for c in CONTRASTS[1:-1]}, 1.0: "per channel"},
            "Normalisation: one colour scale for the whole layer, or one per channel (key T cycles)",
        )
        self.gamma = combo({g: f"γ {g:g}" for g in GAMMAS}, "Gamma boost: below 1 lifts weak activations (key t cycles)")
        self.cmap = combo({name: name for name in COLORMAPS}, "Colour map shared by every unit")
        controls = QHBoxLayout()
        for label, box in (("Scale", self.contrast), ("Boost", self.gamma), ("Colours", self.cmap)):
            controls.addWidget(QLabel(label))
            controls.addWidget(box)

        # Maps: one image, one selection outline.
        self.map_canvas = pg.GraphicsLayoutWidget()
        self.map_view = style.image_view(self.map_canvas)
        self.image = ImageItem()
        self.map_view.addItem(self.image)
        self.cursor = QGraphicsRectItem()
        self.cursor.setZValue(10)
        self.map_view.addItem(self.cursor)
        # The lines between tiles, drawn at a width in screen pixels: the picture's own one-pixel
        # gaps shrink to nothing under large tiles and do not grow with the presenter scale.
        self.borders = QGraphicsPathItem()
        self.borders.setZValue(5)
        self.map_view.addItem(self.borders)
        self._borders_for = None  # the layout the lines were drawn for
        self.map_canvas.scene().sigMouseMoved.connect(self._hover_map)
        self.map_canvas.scene().sigMouseClicked.connect(self._click_map)

        # Vectors: bars.
        self.bar_plot = pg.PlotWidget()
        self.bar_plot.setMenuEnabled(False)
        style.plain_axes(self.bar_plot.getPlotItem())
        # Horizontal lines at the value axis's ticks, drawn as lines: pyqtgraph's own grid
        # (showGrid) took 11 ms of every paint of this pane, the bars themselves 2 ms.
        self.bar_grid: list[pg.InfiniteLine] = []
        self.bar_plot.getViewBox().sigYRangeChanged.connect(self._place_bar_grid)
        # A cosmetic 1-px outline keeps every bar visible when a thousand share a narrow pane.
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.9, brush=style.ACCENT, pen=pg.mkPen(style.ACCENT, width=1))
        self.bar_cursor = pg.InfiniteLine(angle=90)
        self._restyle()
        style.on_change(self._restyle)
        self.bar_plot.addItem(self.bars)
        self.bar_plot.addItem(self.bar_cursor)
        self.bar_labels: list[pg.TextItem] = []
        self.bar_plot.scene().sigMouseMoved.connect(self._hover_bars)
        self.bar_plot.scene().sigMouseClicked.connect(self._click_bars)

        self.stack = QStackedWidget()
        self.placeholder = QLabel("Loading the model…")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.map_canvas)
        self.stack.addWidget(self.bar_plot)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(Quiet(self.readout))  # its figures change at every live frame
        controls.addStretch(1)
        layout.addLayout(controls)

        self.contrast.currentIndexChanged.connect(lambda: session.set_view(contrast=self.contrast.currentData()))
        self.gamma.currentIndexChanged.connect(lambda: session.set_view(gamma=self.gamma.currentData()))
        self.cmap.currentIndexChanged.connect(lambda: session.set_view(cmap=self.cmap.currentData()))
        session.forward_changed.connect(self.refresh)
        session.layer_changed.connect(self.refresh)
        session.view_changed.connect(self.refresh)
        session.unit_changed.connect(self.show_cursor)

    # ---------------------------------------------------------------- drawing
    def _sync_controls(self):
        for box, value in ((self.contrast, self.session.contrast), (self.gamma, self.session.gamma), (self.cmap, self.session.cmap)):
            index = box.findData(value)
            if index >= 0 and index != box.currentIndex():
                box.blockSignals(True)
                box.setCurrentIndex(index)
                box.blockSignals(False)

    def _restyle(self):
        """The cursor's outline and the tiles' borders at the presenter scale, in the theme's colour."""
        self.cursor.setPen(style.pen(style.SELECT, 2))
        self.bar_cursor.setPen(style.pen(style.SELECT, 2))
        self.borders.setPen(style.pen(QColor(*PAD_RGB), 1))
        for line in self.bar_grid:
            line.setPen(self._grid_pen())

    @staticmethod
    def _grid_pen():
        colour = QColor(style.TEXT)
        colour.setAlpha(51)
        return pg.mkPen(colour, width=1)

    def _place_bar_grid(self, *_):
        """A line at each value the bars' axis labels (its two coarser levels), behind the bars."""
        axis = self.bar_plot.getAxis("left")
        low, high = self.bar_plot.getViewBox().viewRange()[1]
        ticks = axis.tickValues(low, high, max(axis.height(), 1.0)) if high > low else []
        values = sorted({value for _, level in ticks[:2] for value in level})  # the two labelled levels
        while len(self.bar_grid) < len(values):
            line = pg.InfiniteLine(angle=0, pen=self._grid_pen(), movable=False)
            line.setZValue(-10)
            self.bar_plot.addItem(line, ignoreBounds=True)
            self.bar_grid.append(line)
        for index, line in enumerate(self.bar_grid):
            line.setVisible(index < len(values))
            if index < len(values):
                line.setPos(values[index])

    def _draw_borders(self, layout) -> None:
        """A line between each row and column of tiles, along the picture's gaps (once per layout)."""
        key = (layout.rows, layout.cols, layout.tile_h, layout.tile_w, layout.pad)
        if key == self._borders_for:
            return
        self._borders_for = key
        path = QPainterPath()
        height, width = layout.shape
        if layout.pad:
            for col in range(1, layout.cols):
                x = col * (layout.tile_w + layout.pad) - layout.pad / 2
                path.moveTo(x, 0)
                path.lineTo(x, height)
            for row in range(1, layout.rows):
                y = row * (layout.tile_h + layout.pad) - layout.pad / 2
                path.moveTo(0, y)
                path.lineTo(width, y)
        self.borders.setPath(path)

    def refresh(self):
        self._sync_controls()
        session = self.session
        act = session.activation()
        info = session.layer_info()
        self.pattern_shown = False  # until a pattern mosaic is drawn below
        if act is None:
            self.values = None
            if session.model is None:
                self.placeholder.setText("Loading the model…")
            elif session.rgb is None:
                self.placeholder.setText("Open an image to see the activations")
            else:
                self.placeholder.setText("Computing the activations…")
            self.header.setText(session.layer or "")
            self.stack.setCurrentWidget(self.placeholder)
            return
        for box in (self.contrast, self.gamma, self.cmap):
            box.setEnabled(act.ndim != 1)  # bars have no colour scale
        start = time.perf_counter()
        self.values = act
        kind = info.type if info else "output"
        if info is not None and info.calls > 1:
            kind += f", last of {info.calls} calls"
        self.header.setText(f"{session.layer}  ·  {kind}  ·  {shape_text(info.shape if info else act.shape)}")
        self.header.setToolTip(self.header.text())
        if act.ndim == 1:
            if self.release_held(kinds.FEATURE_IMAGES):  # held for a layer of maps passed on the way to these bars
                f = self.features
                f.asked, f.paused = False, f.sent_paused  # that layer asks again when shown, going on from its batch
            self._draw_bars(act)
        elif self.patterns and (patterns := self._pattern_mosaic(act)) is not None:
            rgb, self.layout_ = patterns
            self.pattern_shown = True
            self.header.setText(self.header.text() + "  ·  " + self._pattern_title(act.shape[0]))
            self.image.setImage(rgb, levels=(0, 255), lut=None, autoLevels=False)
            style.fit(self.map_view, rgb.shape[1], rgb.shape[0])
            self.stack.setCurrentWidget(self.map_canvas)
        else:
            self.pattern_shown = False
            if self.patterns == CROPS and act.ndim == 3:
                self.header.setText(self.header.text() + "  ·  pattern mode: waiting for the Top images scan")
            index, self.layout_ = mosaic_index(act, session.contrast, session.gamma, aspect=self._aspect())
            self.image.setImage(index, levels=(0, 255), lut=padded_lut(session.cmap), autoLevels=False)
            height, width = index.shape
            style.fit(self.map_view, width, height)
            self.stack.setCurrentWidget(self.map_canvas)
        if act.ndim != 1:
            self._draw_borders(self.layout_)
        self.show_cursor()
        session.render_ms = (time.perf_counter() - start) * 1000
        if self._first_picture:  # the arrows belong to the grid once there is something to move in
            self._first_picture = False
            focus = QApplication.focusWidget()
            if focus is None or self.isAncestorOf(focus):
                self.map_canvas.setFocus()

    PATTERN_PX = 48

    def _pattern_mosaic(self, act):
        """Pattern mode (the toolbox's `s`): each unit's best crop, or its feature image, in place of its map."""
        channels = act.shape[0]
        if self.patterns == FEATURES:
            self._want_features(channels)
            tiles = [self.features.tiles.get(unit) for unit in range(channels)]
        else:
            source = self.pattern_source or (lambda unit: None)
            tiles = [_tile(source(unit), self.PATTERN_PX) for unit in range(channels)]
            if all(tile is None for tile in tiles):
                return None
        size = self.PATTERN_PX
        layout = make_layout(channels, size, size, self._aspect())
        rgb = np.empty(layout.shape + (3,), np.uint8)
        row = np.empty((layout.shape[1], 3), np.uint8)
        row[:] = PAD_RGB
        rgb[:] = row  # a row at a time: broadcasting the colour itself took 8 ms for a 672-unit layer, this 0.1
        for unit, tile in enumerate(tiles):
            if tile is not None:
                y, x = layout.origin(unit)
                rgb[y:y + size, x:x + size] = tile
        return rgb, layout

    def _pattern_title(self, channels: int) -> str:
        if self.patterns == CROPS:
            return "pattern mode: each unit's best crop (s: feature images)"
        f = self.features
        made, dead = len(f.results), sum(r.dead for r in f.results.values())
        if made >= channels:
            state = f"all {channels} made" + (f", {dead} dead (silent on every image tried)" if dead else "")
        else:
            state = f"{made} of {channels} made" + (" — stopped; come back to this mode to go on" if f.stopped else ", more on the way")
        return f"pattern mode: each unit's feature image, {state} (s: back to activations)"

    # ---------------------------------------------------------------- feature images
    def cycle_patterns(self):
        """The toolbox's `s`: activations, then each unit's best Top images crop, then each unit's
        feature image, then activations again. Returns the new mode."""
        order = (None, CROPS, FEATURES)
        mode = order[(order.index(self.patterns) + 1) % len(order)]
        info = self.session.layer_info()
        if mode == FEATURES and (info is None or len(info.shape) != 3):
            self.say("Pattern mode draws pictures for layers with maps; this layer's units are bars.")
        elif mode == FEATURES:
            from dlviz.core import featurevis

            count = self.session.unit_count()
            seconds = estimates.feature_vis(count, featurevis.PATTERN["steps"], featurevis.PATTERN["size"], self.forward_ms(),
                                            self.session.model.preprocess.crop, featurevis.PATTERN_BATCH)
            self.say(f"The {count} feature images take up to {duration(seconds)} here, made in the background and kept "
                     "on disk; anything else you ask for goes first.")
        self.set_patterns(mode)
        return mode

    def set_patterns(self, mode) -> None:
        """Pattern mode: None, CROPS or FEATURES."""
        self.patterns = mode
        self.features.stopped = mode != FEATURES  # asked for again after a stop: go on
        if mode != FEATURES:
            self.cancel(kinds.FEATURE_IMAGES)
        self.refresh()

    def state(self) -> dict:
        return {"patterns": self.patterns}

    def restore(self, state: dict) -> None:
        mode = state.get("patterns", self.patterns)
        if mode in (None, CROPS, FEATURES) and mode != self.patterns:
            self.set_patterns(mode)

    def _want_features(self, channels: int) -> None:
        """Ask for the layer's feature images unless they are made, being made or were stopped."""
        s = self.session
        f = self.features
        if not f.of(s.model, s.layer):
            self.features = f = _Features(s.model, s.layer)
        if f.asked:
            return
        if f.stopped or len(f.results) >= channels:
            self.release_held(kinds.FEATURE_IMAGES)  # held for a layer passed on the way here, whose state is gone
            return
        self._submit_features(channels)

    def _submit_features(self, channels: int) -> None:
        s, f = self.session, self.features
        f.asked, paused, f.paused = True, f.paused, None  # a paused batch goes to one job only
        f.sent_paused = paused  # back to `paused` if the request is dropped while held
        self.submit_at_rest(kinds.FEATURE_IMAGES, s.layer, jobs.feature_images, s.model, s.layer, channels,
                            dict(f.results), paused, paths.cache_dir("featurevis"))  # job_done looks at the scan as it is then

    def scan_done(self) -> None:
        """A Top images scan is done: crops to show, and feature images' dead units to look at again."""
        f = self.features
        scan = self.scan_best(f.layer) if f.results and f.of(self.session.model, self.session.layer) else None
        if scan is not None:
            from dlviz.core import featurevis

            featurevis.judge(list(f.results.values()), *scan)
        if self.patterns:
            self.refresh()

    def job_partial(self, kind, images):
        """Images forming (or read from the disk): into their tiles, and on screen twice a second."""
        f, size = self.features, self.PATTERN_PX
        for unit, image in images.items():
            f.tiles[unit] = _tile(image, size)
        now = time.monotonic()
        if now - f.drawn < 0.5:
            return  # the batch's end draws them all anyway
        f.drawn = now
        shown = self.image.image
        if not self.pattern_shown or self.layout_ is None or shown is None or shown.ndim != 3:
            self.refresh()
            return
        for unit in images:  # only the tiles that changed, into the picture on screen
            if unit < self.layout_.channels:
                y, x = self.layout_.origin(unit)
                shown[y:y + size, x:x + size] = f.tiles[unit]
        self.image.updateImage()

    def job_done(self, kind, result):
        f = self.features
        f.asked = False
        if not f.of(result.model, result.layer):
            return
        scan = self.scan_best(result.layer)  # a scan may have finished while the batch was made
        if scan is not None:
            from dlviz.core import featurevis

            featurevis.judge(list(result.results.values()), *scan)
        f.results.update(result.results)
        for unit, one in result.results.items():
            f.tiles[unit] = _tile(one.image, self.PATTERN_PX)
        f.paused = result.paused
        if self.patterns == FEATURES:
            self.refresh()  # asks for the next batch, if some are missing

    def job_failed(self, kind, sentence):
        self.job_cancelled(kind)

    def job_cancelled(self, kind):
        f = self.features
        f.asked, f.stopped, f.paused = False, True, None
        if self.patterns == FEATURES:
            self.refresh()

    def _aspect(self) -> float:
        size = self.stack.size()
        return max(0.5, min(3.0, size.width() / max(size.height(), 1)))

    def _draw_bars(self, act):
        self.layout_ = None
        x = np.arange(len(act))
        self.bars.setOpts(x=x, height=act, width=0.9)
        for item in self.bar_labels:
            self.bar_plot.removeItem(item)
        self.bar_labels = []
        if self.session.is_output_layer():
            # Names of the top classes above their bars. Classes close together (cats sit next to
            # cats in ImageNet) are stacked above the tallest bar of their group, strongest lowest,
            # so no two names overlap; each leans inwards near the plot's edges.
            top = sorted(int(i) for i in np.argsort(act)[::-1][:5])
            groups: list[list[int]] = []
            for index in top:
                if groups and index - groups[-1][-1] < len(act) * 0.08:
                    groups[-1].append(index)
                else:
                    groups.append([index])
            for group in groups:
                base = float(max(act[i] for i in group))
                for lift, index in enumerate(sorted(group, key=lambda i: -act[i])):
                    lean = min(max(index / max(len(act) - 1, 1), 0.1), 0.9)
                    text = pg.TextItem(self.session.model.label(index), color=style.TEXT, anchor=(lean, 1.0 + 1.1 * lift))
                    text.setPos(float(index), base)
                    self.bar_plot.addItem(text)
                    self.bar_labels.append(text)
        self.bar_plot.setXRange(-1, len(act), padding=0.01)
        low, high = float(min(act.min(), 0)), float(max(act.max(), 0))
        self.bar_plot.setYRange(low, high + (high - low) * 0.35, padding=0.02)  # room for the names
        self.stack.setCurrentWidget(self.bar_plot)

    def show_cursor(self):
        unit = self.session.unit
        if self.values is None:
            return
        if self.values.ndim == 1:
            self.bar_cursor.setValue(unit)
        elif self.layout_ is not None:
            y, x = self.layout_.origin(unit)
            self.cursor.setRect(x - 0.5, y - 0.5, self.layout_.tile_w + 1, self.layout_.tile_h + 1)
        self.readout.setText(self._describe(unit))

    def _describe(self, unit, where=None) -> str:
        act = self.values
        text = f"unit {unit}"
        if act.ndim == 1:
            if self.session.is_output_layer():
                text += f" · {self.session.model.label(unit)}"
            return text + f" · value {act[unit]:.4g}"
        channel = act[unit] if act.ndim == 3 else act
        if where is not None:
            i, j = where
            return text + f" · at ({i}, {j}) · value {channel[i, j]:.4g}"
        return text + f" · max {channel.max():.4g} · mean {channel.mean():.4g}"

    # ---------------------------------------------------------------- mouse
    def _map_hit(self, scene_pos):
        if self.layout_ is None or not self.map_view.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.map_view.mapSceneToView(scene_pos)
        return self.layout_.locate(point.y(), point.x())  # pixel j covers [j, j+1)

    def _hover_map(self, scene_pos):
        hit = self._map_hit(scene_pos)
        if hit is not None:
            channel, i, j = hit
            where = None if self.pattern_shown else (i, j)  # a crop's pixels are not map positions
            self.readout.setText(self._describe(channel, where) + "   (click to select)")

    def _click_map(self, event):
        hit = self._map_hit(event.scenePos())
        if hit is not None:
            self.session.set_unit(hit[0])

    def _bar_hit(self, scene_pos):
        if self.values is None or self.values.ndim != 1:
            return None
        point = self.bar_plot.getPlotItem().vb.mapSceneToView(scene_pos)
        index = int(round(point.x()))
        return index if 0 <= index < len(self.values) else None

    def _hover_bars(self, scene_pos):
        index = self._bar_hit(scene_pos)
        if index is not None:
            self.readout.setText(self._describe(index) + "   (click to select)")

    def _click_bars(self, event):
        index = self._bar_hit(event.scenePos())
        if index is not None:
            self.session.set_unit(index)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        # Re-tile when the pane's shape changes a lot, so the grid keeps filling it.
        if self.layout_ is not None and self.values is not None:
            old = self.layout_
            new = make_layout(old.channels, old.tile_h, old.tile_w, self._aspect())
            if (new.rows, new.cols) != (old.rows, old.cols):
                self.refresh()

    # ---------------------------------------------------------------- keys and export
    def move_unit(self, d_row, d_col):
        """The unit cursor one step in the grid (bars: left and right one unit, up and down ten)."""
        if self.session.activation() is None:
            return
        if self.layout_ is not None:
            self.session.set_unit(self.layout_.neighbour(self.session.unit, d_row, d_col))
        else:
            self.session.set_unit(self.session.unit + d_col + 10 * d_row)

    def choose_export(self, labelled: bool = True):
        if self.session.activation() is None:
            self.say("Nothing to export yet.", error=True)
            return
        default = f"{self.session.image_name.rsplit('.', 1)[0]}-{self.session.layer}.png"
        path, _ = QFileDialog.getSaveFileName(self, "Export grid", str(Path.home() / default), "PNG (*.png)")
        if path:
            self.export(path, labelled)

    def export(self, path, labelled: bool = True) -> bool:
        """The grid as a PNG: labelled (a title, unit numbers) and at least twice the screen's
        resolution, for slides; or exactly as on screen."""
        image = self.picture(EXPORT_WIDTH) if labelled else self.stack.currentWidget().grab().toImage()
        if image is None:
            self.say("Nothing to export yet.", error=True)
            return False
        return write_for_user(path, lambda: image.save(str(path), "PNG"), self.say,
                              f"Saved {Path(path).name} ({image.width()}×{image.height()}).")

    def picture(self, width: int = 0) -> QImage | None:
        """The grid drawn afresh at `width` pixels or more (whole tiles, never blurred), with its
        title above and each unit's number in its tile's corner."""
        s, act = self.session, self.values
        if act is None:
            return None
        title = f"{s.layer}  ·  {s.image_name}  ·  {s.model.name}"
        if act.ndim == 1:  # bars: pyqtgraph draws them again at the size asked for
            from pyqtgraph.exporters import ImageExporter

            exporter = ImageExporter(self.bar_plot.getPlotItem())
            exporter.parameters()["width"] = max(width, 2 * self.bar_plot.width())
            return _titled(exporter.export(toBytes=True), title)
        if self.pattern_shown:
            rgb, layout = self.image.image, self.layout_
        else:
            index, layout = mosaic_index(act, s.contrast, s.gamma, aspect=self._aspect())
            rgb = np.take(padded_lut(s.cmap), index, axis=0)
        factor = max(2, -(-width // rgb.shape[1]))
        picture = qimage(upscale_nearest(rgb, factor))
        painter = QPainter(picture)
        font = painter.font()
        font.setPixelSize(max(9, min(24, layout.tile_h * factor // 4)))
        painter.setFont(font)
        if layout.tile_w * factor >= 28:
            for unit in range(layout.channels):
                y, x = layout.origin(unit)
                box = QRectF(x * factor, y * factor, font.pixelSize() * 2.6, font.pixelSize() * 1.3)
                painter.fillRect(box, QColor(0, 0, 0, 150))
                painter.setPen(style.TEXT)
                painter.drawText(box, Qt.AlignCenter, str(unit))
        painter.end()
        return _titled(picture, title)


EXPORT_WIDTH = 1920  # pixels: a slide's width


def _titled(picture: QImage, title: str) -> QImage:
    """`picture` under a strip that names it."""
    strip = max(32, picture.width() // 50)
    out = QImage(picture.width(), picture.height() + strip, QImage.Format_RGB888)
    out.fill(QColor(style.BACKGROUND))
    painter = QPainter(out)
    font = painter.font()
    font.setPixelSize(int(strip * 0.55))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(style.TEXT)
    painter.drawText(QRectF(strip * 0.3, 0, picture.width(), strip), Qt.AlignVCenter | Qt.AlignLeft, title)
    painter.drawImage(0, strip, picture)
    painter.end()
    return out


class _Features:
    """Pattern mode's feature images of one layer of one model, as far as they are made."""

    def __init__(self, model=None, layer=None):
        # The weights they are of (weakly: not kept alive for this), which a model copied for a
        # new fit shares; two models may share a name.
        self._weights = weakref.ref(model.model) if model is not None else lambda: None
        self.layer = layer
        self.results: dict = {}  # unit -> dlviz.core.featurevis.Result
        self.tiles: dict = {}  # unit -> the tile drawn (made and forming)
        self.paused = None  # a batch paused for other work, to go on with
        self.sent_paused = None  # the paused batch the last request took along
        self.asked = False  # a request is out
        self.drawn = 0.0  # when forming images were last drawn (time.monotonic)
        self.stopped = False  # cancelled: no more until asked again

    def of(self, model, layer) -> bool:
        """Whether these are the feature images of this model's weights and this layer."""
        return model is not None and self._weights() is model.model and self.layer == layer


def _tile(image, size: int):
    """An image as a size×size tile, or None."""
    if image is None:
        return None
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))
