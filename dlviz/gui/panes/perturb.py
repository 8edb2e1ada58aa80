"""Perturbation lab: what changes the network's mind.

Three sub-tabs over the model's crop:
- Occlude: drag a grey patch over the crop (or click where it should go); the top-5 and the
  selected unit follow live. "Sensitivity map" slides the patch over the whole crop (Zeiler and
  Fergus) in the background and lays the drop of the top class (or of the unit) over the crop:
  red where hiding the pixels lowers it, blue where it raises it.
- Augment: the augmentations used in training, one slider each; predictions follow live.
- Strip: N random augmentations at a chosen strength with each one's top-1, marked right or wrong
  against the clean image's top-1; Shuffle draws another N. Clicking one loads it into Augment.

Every update is one forward pass on the task worker; dragging and sliding only replace the pending
request (the newest one wins), so the GUI never waits. A hidden tab asks for nothing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dlviz.work import perturb as jobs_perturb
from dlviz.core.perturb import Augment, occlude, patch_box, unit_value
from dlviz.gui import style

STRIP_COUNT = 8
GOOD, NEAR, BAD = QColor("#81c784"), QColor("#ffd54f"), QColor("#ff8a80")


def signed_heat_rgba(values: np.ndarray, opacity: float = 0.7) -> np.ndarray:
    """Drops in warm red-orange, rises in blue; transparency follows strength (|value| / max)."""
    top = float(np.abs(values).max()) if values.size else 0.0
    strength = np.clip(np.abs(values) / top, 0, 1) if top > 0 else np.zeros_like(values)
    rgba = np.empty(values.shape + (4,), np.uint8)
    drop = values >= 0
    rgba[..., 0] = np.where(drop, 255, 66)
    rgba[..., 1] = np.where(drop, (60 + 150 * strength).astype(np.uint8), 165)
    rgba[..., 2] = np.where(drop, 40, 245)
    rgba[..., 3] = (np.sqrt(strength) * 255 * opacity).astype(np.uint8)
    return rgba


class _Canvas(pg.GraphicsLayoutWidget):
    """A picture canvas that asks for little: the pane scrolls, and a scroll area sizes its
    (word-wrapping) content by preferred sizes, so a tall hint would push the controls out of view."""

    def sizeHint(self):
        return QSize(180, 180)


class TopList(QWidget):
    """The perturbed image's top-5: name, bar, probability, and a tick at the clean probability."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[str, float, float | None, bool]] = []  # name, p, clean p, is clean top-1
        self.setMinimumHeight(5 * 20 + 8)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def sizeHint(self):
        return QSize(300, 5 * 24 + 8)

    def set_rows(self, rows):
        self.rows = rows
        self.update()

    def paintEvent(self, event):
        """Each row's bar runs behind its name across the width, so a narrow dock stays readable."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(style.BACKGROUND))
        if not self.rows:
            painter.setPen(style.MUTED)
            painter.drawText(self.rect(), Qt.AlignCenter, "Predictions appear here")
            return
        row_h = max(18.0, min(26.0, (self.height() - 8) / 5))
        metrics = painter.fontMetrics()
        value_w = float(metrics.horizontalAdvance("100.0%  +100") + 8)
        bar_w = max(20.0, self.width() - value_w - 6)
        for k, (name, prob, clean, was_top) in enumerate(self.rows):
            y = 4 + k * row_h
            painter.fillRect(QRectF(2, y + 2, bar_w, row_h - 4), QColor(255, 255, 255, 16))
            colour = QColor(style.ACCENT).darker(170 if k == 0 else 240)
            painter.fillRect(QRectF(2, y + 2, max(1.0, bar_w * prob), row_h - 4), colour)
            if clean is not None:  # where this class stood on the clean image
                painter.fillRect(QRectF(2 + bar_w * clean - 1, y + 1, 2, row_h - 2), QColor("#f5f5f5"))
            painter.setPen(style.SELECT if was_top else style.TEXT)
            text = metrics.elidedText(name, Qt.ElideRight, int(bar_w - 10))
            painter.drawText(QRectF(7, y, bar_w - 10, row_h), Qt.AlignVCenter | Qt.AlignLeft, text)
            painter.setPen(style.TEXT)
            painter.drawText(QRectF(bar_w + 4, y, value_w - 6, row_h), Qt.AlignVCenter | Qt.AlignLeft, f"{prob:.1%}")
            if clean is not None:
                delta = round(100 * (prob - clean))
                painter.setPen(style.MUTED if delta == 0 else (GOOD if delta > 0 else BAD))
                painter.drawText(QRectF(bar_w + 4, y, value_w - 6, row_h), Qt.AlignVCenter | Qt.AlignRight, f"{delta:+d}")
        painter.end()


class _Slider(QWidget):
    """A labelled slider whose value is shown beside it in its own units."""

    changed = Signal()

    def __init__(self, name, lo, hi, neutral, scale, unit, tip, highlight=True):
        super().__init__()
        self.highlight = highlight  # yellow name while away from its neutral value
        self.name, self.neutral, self.scale, self.unit = name, neutral, scale, unit
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(lo, hi)
        self.slider.setValue(neutral)
        self.slider.setToolTip(tip)
        self.label = QLabel(name)
        self.value_label = QLabel("")
        self.value_label.setMinimumWidth(32)
        self.value_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.slider.valueChanged.connect(self._moved)
        self._moved()

    def _moved(self):
        self.value_label.setText(f"{self.value():g}{self.unit}")
        changed = self.highlight and self.slider.value() != self.neutral
        self.label.setStyleSheet("color: #ffd54f" if changed else "")
        self.changed.emit()

    def value(self) -> float:
        return round(self.slider.value() * self.scale, 4)

    def set_value(self, value: float):
        self.slider.setValue(int(round(value / self.scale)))

    def reset(self):
        self.slider.setValue(self.neutral)


class _Tile(QWidget):
    """One augmented image of the strip with its top-1, marked right (✓) or wrong (✗)."""

    clicked = Signal(int)

    def __init__(self, index):
        super().__init__()
        self.index = index
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignCenter)
        self.picture.setMinimumSize(24, 24)
        self.picture.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignCenter)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        self.image = None
        self.correct = None
        self.setCursor(Qt.PointingHandCursor)

    def show_item(self, image, text, verdict, tip):
        """verdict: "right" (the clean top-1), "near" (another class of its kind) or "wrong"."""
        self.image = np.ascontiguousarray(image)
        self.correct = verdict
        colour, mark = {"right": (GOOD, "✓"), "near": (NEAR, "≈"), "wrong": (BAD, "✗")}[verdict]
        self.caption.setText(f"<span style='color:{colour.name()}'>{mark}</span> {text}")
        self.setToolTip(tip)
        self._scale()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._scale()

    def _scale(self):
        if self.image is None:
            return
        h, w = self.image.shape[:2]
        qimage = QImage(self.image.data, w, h, 3 * w, QImage.Format_RGB888)
        side = max(16, min(self.picture.width(), self.picture.height()) - 4)
        pixmap = QPixmap.fromImage(qimage).scaled(side, side, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        painter = QPainter(pixmap)
        painter.setPen({"right": GOOD, "near": NEAR}.get(self.correct, BAD))
        for inset in (0, 1):
            painter.drawRect(inset, inset, pixmap.width() - 1 - 2 * inset, pixmap.height() - 1 - 2 * inset)
        painter.end()
        self.picture.setPixmap(pixmap)

    def mousePressEvent(self, event):
        self.clicked.emit(self.index)


class PerturbPane(QWidget):
    """The Perturb tab. `bind(runner, on_screen)` connects it to the window's task runner."""

    OCCLUDE, AUGMENT, STRIP = 0, 1, 2

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.runner = None
        self.on_screen = lambda: self.isVisible()
        self.result: jobs_perturb.ProbeResult | None = None  # the last live prediction shown
        self.heat: jobs_perturb.OcclusionResult | None = None
        self.strip_result: jobs_perturb.StripResult | None = None
        self._strip_for = None  # (crop id, seed, strength) of the strip shown or asked for
        self.seed = 0
        self.centre = (112.0, 112.0)  # the patch centre in crop pixels
        self._extra = Augment()  # crop position and noise seed, set by a strip item

        # ---- the picture and what the model makes of it
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setToolTip("White ticks mark where each class stood on the clean image; "
                                "changed settings are yellow")
        self.canvas = _Canvas()
        self.view = style.image_view(self.canvas)
        self.canvas.setMinimumSize(100, 100)
        self.image = pg.ImageItem()
        self.overlay = pg.ImageItem()
        self.view.addItem(self.image)
        self.view.addItem(self.overlay)
        self.patch = pg.ROI((96, 96), (32, 32), pen=pg.mkPen(style.SELECT, width=2), movable=True,
                            rotatable=False, resizable=False, maxBounds=QRectF(0, 0, 224, 224))
        self.patch.setZValue(10)
        self.view.addItem(self.patch)
        self.patch.sigRegionChanged.connect(self._patch_dragged)
        self.canvas.scene().sigMouseClicked.connect(self._canvas_clicked)
        self.top5 = TopList()
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.unit_line = QLabel("")
        self.unit_line.setWordWrap(True)
        self.unit_line.setStyleSheet("color: #c8c8c8")
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.verdict)
        side.addWidget(self.top5)
        side.addWidget(self.unit_line)
        side.addStretch(1)
        self.top_area = QWidget()
        top = QHBoxLayout(self.top_area)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.canvas, 5)
        top.addLayout(side, 6)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._occlude_page(), "Occlude")
        self.tabs.addTab(self._augment_page(), "Augment")
        self.tabs.addTab(self._strip_page(), "Strip")
        self.tabs.currentChanged.connect(self._mode_changed)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.top_area, 1)
        layout.addWidget(self.tabs)
        # Scrolls rather than forcing its height on the window: it shares the column with Unit.
        scroller = QScrollArea()
        scroller.setWidget(content)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.NoFrame)
        scroller.setMinimumSize(120, 120)
        self._scroller = scroller
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroller)

        session.forward_changed.connect(self._clean_changed)
        session.model_changed.connect(self._model_changed)
        session.image_changed.connect(self._model_changed)
        session.unit_changed.connect(self.request_probe)
        session.layer_changed.connect(self.request_probe)
        self._mode_changed(self.OCCLUDE)

    # ---------------------------------------------------------------- pages
    def _occlude_page(self):
        page = QWidget()
        self.patch_size = _Slider("Patch", 8, 112, 32, 1, " px", "The side of the grey patch", highlight=False)
        self.patch_size.changed.connect(self._patch_resized)
        self.fill = QComboBox()
        for text, value in (("grey", "grey"), ("image mean", "mean"), ("black", "black")):
            self.fill.addItem(text, value)
        self.fill.setToolTip("What the patch is painted with (Zeiler and Fergus use grey)")
        self.fill.currentIndexChanged.connect(self._occlusion_changed)
        self.target = QComboBox()
        self.target.addItem("top class", "class")
        self.target.addItem("selected unit", "unit")
        self.target.setToolTip("What the sensitivity map measures the drop of")
        self.stride = QComboBox()
        for value in (4, 8, 16, 28, 56):
            self.stride.addItem(f"step {value} px", value)
        self.stride.setCurrentIndex(2)
        self.stride.setToolTip("How far the patch moves between two positions of the map (smaller: finer, slower)")
        self.run_map = QPushButton("Sensitivity map")
        self.run_map.setToolTip("Slide the patch over the whole image and map the drop (runs in the background)")
        self.run_map.clicked.connect(self.request_map)
        self.cancel_map = QPushButton("Cancel")
        self.cancel_map.clicked.connect(self.cancel)
        self.cancel_map.setEnabled(False)
        self.show_map = QCheckBox("Show")
        self.show_map.setToolTip("Lay the sensitivity map over the image")
        self.show_map.setChecked(True)
        self.show_map.toggled.connect(self._draw_picture)
        self.map_progress = QProgressBar()
        self.map_progress.setRange(0, 100)
        self.map_progress.setTextVisible(True)
        self.map_progress.setFormat("no map yet")
        self.map_progress.setValue(0)
        # Combos and the progress bar may shrink: the pane must fit a narrow dock and a short window.
        for box in (self.fill, self.target, self.stride):
            box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(5)
        self.map_progress.setMinimumWidth(50)
        row1 = QHBoxLayout()
        row1.addWidget(self.patch_size, 3)
        row1.addWidget(self.fill, 1)
        row2 = QHBoxLayout()
        drop = QLabel("Map drop of")
        drop.setToolTip(self.target.toolTip())
        row2.addWidget(drop)
        row2.addWidget(self.target, 1)
        row2.addWidget(self.stride, 1)
        row2.addWidget(self.show_map)
        row3 = QHBoxLayout()
        row3.addWidget(self.run_map)
        row3.addWidget(self.cancel_map)
        row3.addWidget(self.map_progress, 1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        for row in (row1, row2, row3):
            layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _augment_page(self):
        page = QWidget()
        specs = [
            ("rotate", "Rotate", -180, 180, 0, 1, "°", "Degrees, counter-clockwise"),
            ("shift_x", "Shift x", -50, 50, 0, 0.01, "", "Fraction of the width, right positive"),
            ("shift_y", "Shift y", -50, 50, 0, 0.01, "", "Fraction of the height, down positive"),
            ("zoom", "Zoom", 50, 200, 100, 0.01, "×", "Scale about the centre: above 1 enlarges, below shrinks"),
            ("crop", "Crop", 0, 60, 0, 0.01, "", "Fraction of each side cut away, the rest resized back"),
            ("brightness", "Brightness", 20, 200, 100, 0.01, "×", "Multiply every pixel"),
            ("contrast", "Contrast", 20, 200, 100, 0.01, "×", "Stretch or squeeze around the mean grey"),
            ("blur", "Blur", 0, 50, 0, 0.1, " px", "Gaussian blur sigma"),
            ("noise", "Noise", 0, 80, 0, 1, "", "Gaussian noise std, in 0..255 steps"),
        ]
        self.sliders: dict[str, _Slider] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        for k, (key, name, lo, hi, neutral, scale, unit, tip) in enumerate(specs):
            slider = _Slider(name, lo, hi, neutral, scale, unit, tip)
            slider.changed.connect(self._augment_changed)
            self.sliders[key] = slider
            grid.addWidget(slider, k % 5, k // 5)
        self.flip = QCheckBox("Flip ↔")
        self.flip.setToolTip("Mirror left-right")
        self.flip.toggled.connect(self._augment_changed)
        self.flip.toggled.connect(lambda on: self.flip.setStyleSheet("color: #ffd54f" if on else ""))
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("Back to the clean image")
        self.reset.clicked.connect(self.reset_augment)
        buttons = QHBoxLayout()
        buttons.addWidget(self.flip)
        buttons.addStretch(1)
        buttons.addWidget(self.reset)
        grid.addLayout(buttons, 4, 1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(grid)
        layout.addStretch(1)
        return page

    def _strip_page(self):
        page = QWidget()
        self.strength = _Slider("Strength", 0, 100, 50, 0.01, "", "How far each random augmentation may go", highlight=False)
        self.strength.slider.sliderReleased.connect(self.request_strip)
        self.strength.slider.valueChanged.connect(lambda: not self.strength.slider.isSliderDown() and self.request_strip())
        self.shuffle = QPushButton("Shuffle")
        self.shuffle.setToolTip("Draw another set of random augmentations")
        self.shuffle.clicked.connect(self.reshuffle)
        self.strip_caption = QLabel("")
        self.strip_caption.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(self.strength, 1)
        controls.addWidget(self.shuffle)
        self.tiles = [_Tile(k) for k in range(STRIP_COUNT)]
        grid = QGridLayout()
        grid.setSpacing(4)
        for k, tile in enumerate(self.tiles):
            tile.clicked.connect(self._tile_clicked)
            grid.addWidget(tile, k // 4, k % 4)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addWidget(self.strip_caption)
        layout.addLayout(grid, 1)
        layout.addLayout(controls)
        # The strip has the whole pane to itself (the picture above hides), so its page must not
        # make the tab widget tall for the other two pages: it scrolls when the pane is short.
        scroller = QScrollArea()
        scroller.setWidget(page)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.NoFrame)
        scroller.setMinimumHeight(40)
        return scroller

    def visibleRegion(self):
        """What of the pane can be seen. The scroll area covers the pane wholly, and Qt counts
        the pane itself as obscured by it, so ask the scrolled content instead."""
        return self._scroller.widget().visibleRegion()

    # ---------------------------------------------------------------- wiring
    def bind(self, runner, on_screen=None):
        """Submit work to `runner` (live probes right after the clean forward pass, the map last)
        and compute only while `on_screen()` is true."""
        self.runner = runner
        if on_screen is not None:
            self.on_screen = on_screen
        order = runner.priority
        if jobs_perturb.PROBE not in order:
            at = order.index("forward") + 1 if "forward" in order else len(order)
            order[at:at] = [jobs_perturb.PROBE, jobs_perturb.STRIP]
            order.append(jobs_perturb.OCCLUSION)
        runner.finished.connect(self._finished)
        runner.failed.connect(self._failed)
        runner.progress.connect(self._progress)
        runner.partial.connect(self._partial)
        runner.cancelled.connect(self._cancelled)
        dock = self.parentWidget()
        if dock is not None and hasattr(dock, "visibilityChanged"):
            dock.visibilityChanged.connect(lambda visible: visible and self.refresh())

    def mode(self) -> int:
        return self.tabs.currentIndex()

    def _ready(self) -> bool:
        s = self.session
        return self.runner is not None and s.model is not None and s.result is not None and self.on_screen()

    def refresh(self):
        """Ask for what the current sub-tab shows (it may have been hidden while things changed)."""
        if self.mode() == self.STRIP:
            self.request_strip()
        else:
            self.request_probe()

    def _target_unit(self):
        s = self.session
        if s.layer is None or s.activation() is None:
            return None, 0
        return s.layer, s.unit

    # ---------------------------------------------------------------- requests
    def request_probe(self):
        if not self._ready() or self.mode() == self.STRIP:
            return
        layer, unit = self._target_unit()
        crop = self.session.result.crop
        if self.mode() == self.OCCLUDE:
            self.runner.submit(jobs_perturb.PROBE, jobs_perturb.probe, self.session.model, crop, "occlude",
                               self.patch_rect(), self.fill.currentData(), None, layer, unit)
        else:
            self.runner.submit(jobs_perturb.PROBE, jobs_perturb.probe, self.session.model, crop, "augment",
                               None, "grey", self.augment(), layer, unit)

    def request_strip(self, force=False):
        if not self._ready() or self.mode() != self.STRIP:
            return
        crop = self.session.result.crop
        key = (id(crop), self.seed, self.strength.value())
        if key == self._strip_for and not force:
            return
        self._strip_for = key
        clean = int(np.argmax(self.session.result.forward.probs))
        self.strip_caption.setText("Augmenting…")
        self.runner.submit(jobs_perturb.STRIP, jobs_perturb.strip, self.session.model, crop, clean,
                           self.seed, STRIP_COUNT, self.strength.value())

    def request_map(self):
        s = self.session
        if self.runner is None or s.model is None or s.result is None:
            return
        if self.target.currentData() == "class":
            target = ("class", int(np.argmax(s.result.forward.probs)))
        else:
            layer, unit = self._target_unit()
            if layer is None:
                return
            target = ("unit", layer, unit)
        self.heat = None
        self.run_map.setEnabled(False)
        self.cancel_map.setEnabled(True)
        self.map_progress.setValue(0)
        self.map_progress.setFormat("starting…")
        self.runner.submit(jobs_perturb.OCCLUSION, jobs_perturb.occlusion, s.model, s.result.crop,
                           self.patch_size.slider.value(), self.stride.currentData(), target, self.fill.currentData())

    def cancel(self):
        if self.runner is not None:
            self.runner.cancel(jobs_perturb.OCCLUSION)
        self._map_idle("cancelled")

    def _cancelled(self, kind):
        if kind == jobs_perturb.OCCLUSION:  # the status bar's Cancel, or a new image
            self._map_idle("cancelled")

    def reshuffle(self):
        self.seed += 1
        self.request_strip()

    # ---------------------------------------------------------------- user input
    def patch_rect(self):
        side = self.patch_size.slider.value()
        crop = self.session.result.crop if self.session.result is not None else None
        h, w = crop.shape[:2] if crop is not None else (224, 224)
        return patch_box(self.centre[0], self.centre[1], side, w, h)

    def move_patch(self, x: float, y: float):
        """Put the patch's centre at (x, y) in crop pixels (what a drag does)."""
        self.centre = (float(x), float(y))
        x0, y0, x1, y1 = self.patch_rect()
        self.patch.blockSignals(True)
        self.patch.setPos((x0, y0), update=False)
        self.patch.setSize((x1 - x0, y1 - y0))
        self.patch.blockSignals(False)
        self._draw_picture()
        self.request_probe()

    def _patch_dragged(self):
        pos, size = self.patch.pos(), self.patch.size()
        self.centre = (pos.x() + size.x() / 2, pos.y() + size.y() / 2)
        self._draw_picture()
        self.request_probe()

    def _canvas_clicked(self, event):
        if self.mode() != self.OCCLUDE or event.button() != Qt.LeftButton:
            return
        point = self.view.mapSceneToView(event.scenePos())
        self.move_patch(point.x(), point.y())

    def _patch_resized(self):
        self.move_patch(*self.centre)

    def _occlusion_changed(self):
        self._draw_picture()
        self.request_probe()

    def augment(self) -> Augment:
        values = {key: slider.value() for key, slider in self.sliders.items()}
        return replace(self._extra, flip=self.flip.isChecked(), **values)

    def set_augment(self, aug: Augment):
        """Show `aug` on the sliders (one request follows, not one per slider)."""
        self._extra = Augment(crop_x=aug.crop_x, crop_y=aug.crop_y, noise_seed=aug.noise_seed)
        for widget in [*self.sliders.values(), self.flip]:
            widget.blockSignals(True)
        for key, slider in self.sliders.items():
            slider.slider.blockSignals(True)
            slider.set_value(getattr(aug, key))
            slider.slider.blockSignals(False)
            slider._moved()
        self.flip.setChecked(aug.flip)
        for widget in [*self.sliders.values(), self.flip]:
            widget.blockSignals(False)
        self._augment_changed()

    def reset_augment(self):
        self.set_augment(Augment())

    def _augment_changed(self):
        self.request_probe()

    def _tile_clicked(self, index):
        if self.strip_result is None or index >= len(self.strip_result.items):
            return
        self.tabs.setCurrentIndex(self.AUGMENT)
        self.set_augment(self.strip_result.items[index].augment)

    def _mode_changed(self, index):
        occluding = index == self.OCCLUDE
        self.patch.setVisible(occluding)
        self.top_area.setVisible(index != self.STRIP)
        self.caption.setText({
            self.OCCLUDE: "Drag the patch (or click) to hide part of the image.",
            self.AUGMENT: "Move a slider: the model sees the changed image at once.",
            self.STRIP: "Random training-style augmentations: ✓ same top-1 as the clean image, "
                        "≈ same kind, ✗ other. Click one to open it in Augment.",
        }[index])
        self.result = None
        self._draw_picture()
        self.refresh()

    # ---------------------------------------------------------------- session changes
    def _model_changed(self):
        self.result = self.heat = self.strip_result = None
        self._strip_for = None
        if self.runner is not None:
            self.runner.cancel(jobs_perturb.OCCLUSION)
        self._map_idle("no map yet")
        self.top5.set_rows([])
        self.verdict.setText("")
        self.unit_line.setText("")
        self.image.clear()
        self.overlay.clear()

    def _clean_changed(self):
        if self.session.result is None:
            return
        crop = self.session.result.crop
        if self.heat is not None and self.heat.crop is not crop and not np.array_equal(self.heat.crop, crop):
            self.heat = None
        self._draw_picture()
        self.refresh()

    # ---------------------------------------------------------------- results
    def _finished(self, kind, result):
        if kind == jobs_perturb.PROBE:
            self.show_probe(result)
        elif kind == jobs_perturb.STRIP and result is not None:
            self.show_strip(result)
        elif kind == jobs_perturb.OCCLUSION:
            if result is None or result.map is None:
                self._map_idle("cancelled")
                return
            self.heat = result
            what = self._target_text(result.target)
            self._map_idle(f"{what}: {result.seconds:.1f} s")
            self.map_progress.setValue(100)
            self._draw_picture()

    def _failed(self, kind, sentence, trace):
        if kind == jobs_perturb.OCCLUSION:
            self._map_idle("failed")
        if kind in jobs_perturb.KINDS:
            self.verdict.setText(f"<span style='color:#ff8a80'>{sentence}</span>")

    def _progress(self, kind, fraction, text):
        if kind == jobs_perturb.OCCLUSION:
            self.map_progress.setValue(int(fraction * 100))
            self.map_progress.setFormat(f"{fraction:.0%}")

    def _partial(self, kind, partial):
        if kind == jobs_perturb.OCCLUSION and self.session.result is not None:
            self._draw_overlay(partial)

    def _map_idle(self, text):
        self.run_map.setEnabled(True)
        self.cancel_map.setEnabled(False)
        self.map_progress.setFormat(text)
        if text in ("cancelled", "failed", "no map yet"):
            self.map_progress.setValue(0)

    def _target_text(self, target):
        if target[0] == "class":
            return self.session.model.label(target[1]) if self.session.model else f"class {target[1]}"
        return f"unit {target[2]} of {target[1]}"

    def show_probe(self, result):
        self.result = result
        s = self.session
        if s.result is None or s.model is None:
            return
        clean = s.result.forward.probs
        clean_top = int(np.argmax(clean))
        rows = [(s.model.label(i), p, float(clean[i]) if i < len(clean) else None, i == clean_top) for i, p in result.top]
        self.top5.set_rows(rows)
        new_top, p = result.top[0]
        if new_top == clean_top:
            change = (p - float(clean[clean_top])) * 100
            self.verdict.setText(f"Still <b>{s.model.label(new_top)}</b> ({change:+.0f} points)")
        else:
            self.verdict.setText(f"<span style='color:#ff8a80'>Changed its mind:</span> {s.model.label(clean_top)} "
                                 f"→ <b>{s.model.label(new_top)}</b>")
        self._show_unit(result.unit)
        if result.mode == "augment" and self.mode() == self.AUGMENT:
            self._set_picture(result.image)

    def _show_unit(self, probed):
        s = self.session
        act = s.activation()
        if probed is None or act is None or probed[0] != s.layer or probed[1] != s.unit:
            self.unit_line.setText("")
            return
        layer, unit, value = probed
        clean = unit_value(act, unit)
        how = " (mean of its map)" if act.ndim == 3 and act.shape[1:] != (1, 1) else ""
        rel = f" ({(value - clean) / abs(clean):+.0%})" if abs(clean) > 1e-6 else ""
        self.unit_line.setText(f"Unit {unit} of {layer}{how}: <b>{value:.3g}</b>, clean {clean:.3g}{rel}")

    def show_strip(self, result):
        self.strip_result = result
        s = self.session
        right = near = 0
        for tile, item in zip(self.tiles, result.items):
            verdict = "right" if item.index == result.clean_index else "near" if item.same_kind else "wrong"
            right += verdict == "right"
            near += verdict == "near"
            tip = ", ".join(f"{name} {getattr(item.augment, name)}" for name in item.augment.changes()) or "no change"
            tile.show_item(item.image, f"{s.model.label(item.index)} {item.prob:.0%}", verdict, tip)
        kept = f"{right} of {len(result.items)} keep the clean top-1, <b>{s.model.label(result.clean_index)}</b>"
        if near:
            kept += f"; {near} more (≈) still see a {result.kind}"
        self.strip_caption.setText(kept + ". Training on such variations teaches what stays the same.")

    # ---------------------------------------------------------------- drawing
    def _set_picture(self, image):
        self.image.setImage(image, levels=(0, 255))
        self.view.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0.01)

    def _draw_picture(self):
        s = self.session
        if s.result is None:
            return
        crop = s.result.crop
        if self.mode() == self.OCCLUDE:
            self._set_picture(occlude(crop, self.patch_rect(), self.fill.currentData()))
            self._draw_overlay(self.heat.map if self.heat is not None else None)
        else:
            if self.result is None or self.result.mode != "augment":
                self._set_picture(crop)
            self.overlay.clear()

    def _draw_overlay(self, heat):
        if heat is None or not self.show_map.isChecked() or self.mode() != self.OCCLUDE:
            self.overlay.clear()
            return
        self.overlay.setImage(signed_heat_rgba(heat), levels=(0, 255))
