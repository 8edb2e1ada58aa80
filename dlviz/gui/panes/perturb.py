"""Perturbation lab: what changes the network's mind.

Three sub-tabs over the model's crop:
- Occlude: drag a grey patch over the crop (or click where it should go); the top-5 and the
  selected unit follow live. "Sensitivity map" slides the patch over the whole crop (Zeiler and
  Fergus) in the background and lays the drop of the top class (or of the unit) over the crop:
  red where hiding the pixels lowers it, blue where it raises it.
- Augment: the augmentations used in training, one slider each; predictions follow live.
- Strip: N random augmentations at a chosen strength with each one's top-1, marked right or wrong
  against the clean image's top-1; Shuffle draws another N. Clicking one loads it into Augment.

Every update is one forward pass on the worker; dragging and sliding only replace the pending
request (the newest one wins), so the GUI never waits. One of the window's main views; it asks for
nothing while another view is in front.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dlviz.core.perturb import Augment, occlude, patch_box, unit_value
from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.controls import Slider, choose, combo, set_checked, set_number
from dlviz.gui.widgets.heat import MapKey, signed_heat_rgba
from dlviz.gui.widgets.pictures import Canvas, ImageItem
from dlviz.gui.widgets.scrolling import scroll_area, scrolled
from dlviz.gui.widgets.tiles import VerdictTile
from dlviz.gui.widgets.toplist import Row, TopList
from dlviz.session import number, point
from dlviz.work import estimates, kinds
from dlviz.work import perturb as jobs_perturb

STRIP_COUNT = 8


class PerturbPane(Pane):
    """The Perturb view: occlusion, augmentations and the strip, each a forward pass away."""

    name = "perturb"
    kinds = (kinds.PROBE, kinds.STRIP, kinds.OCCLUSION)
    OCCLUDE, AUGMENT, STRIP = 0, 1, 2
    MODES = ("occlude", "augment", "strip")  # the sub-tabs' names in a saved session, in tab order

    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.result: jobs_perturb.ProbeResult | None = None  # the last live prediction shown
        self.heat: jobs_perturb.OcclusionResult | None = None
        self._heat_for = None  # the (model, input) versions the map is of, or is being made for
        self.strip_result: jobs_perturb.StripResult | None = None
        self._strip_for = None  # (model, input, seed, strength) of the strip shown or asked for
        self.seed = 0
        self.centre = (112.0, 112.0)  # the patch centre in crop pixels
        self._extra = Augment()  # crop position and noise seed, set by a strip item

        # ---- the picture and what the model makes of it
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setToolTip("White ticks mark where each class stood on the clean image; "
                                "changed settings are yellow")
        self.canvas = Canvas()
        self.view = style.image_view(self.canvas)
        self.canvas.setMinimumSize(100, 100)
        self.image = ImageItem()
        self.overlay = ImageItem()
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
        style.set_sheet(self.unit_line, "color: {text}")
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.verdict)
        side.addWidget(self.top5)
        side.addWidget(self.unit_line)
        side.addStretch(1)
        self.top_area = QWidget()
        top = QHBoxLayout(self.top_area)
        top.setContentsMargins(0, 0, 0, 0)
        self.map_key = MapKey()
        picture = QVBoxLayout()
        picture.setContentsMargins(0, 0, 0, 0)
        picture.addWidget(self.canvas, 1)
        picture.addWidget(self.map_key)
        top.addLayout(picture, 5)
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
        # Scrolls rather than forcing its height on the window on a small screen.
        self._scroller = scrolled(self, content)

        session.forward_changed.connect(self._clean_changed)
        session.model_changed.connect(self._model_changed)
        session.image_changed.connect(self._model_changed)
        session.unit_changed.connect(self.request_probe)
        session.layer_changed.connect(self.request_probe)
        self._mode_changed(self.OCCLUDE)

    # ---------------------------------------------------------------- pages
    def _occlude_page(self):
        page = QWidget()
        self.patch_size = Slider("Patch", 8, 112, 32, 1, " px", "The side of the grey patch", highlight=False)
        self.patch_size.changed.connect(self._patch_resized)
        self.fill = combo({"grey": "grey", "mean": "image mean", "black": "black"},
                          "What the patch is painted with (Zeiler and Fergus use grey)")
        self.fill.currentIndexChanged.connect(self._occlusion_changed)
        self.target = combo({"class": "top class", "unit": "selected unit"}, "What the sensitivity map measures the drop of")
        self.stride = combo({value: f"step {value} px" for value in (4, 8, 16, 28, 56)},
                            "How far the patch moves between two positions of the map (smaller: finer, slower)")
        self.stride.setCurrentIndex(2)
        self.run_map = QPushButton("Sensitivity map")
        self.run_map.setToolTip("Slide the patch over the whole image and map the drop (runs in the background)")
        self.run_map.clicked.connect(self.request_map)
        self.cancel_map = QPushButton("Cancel")
        self.cancel_map.clicked.connect(self.stop_map)
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
        # Combos and the progress bar may shrink: the pane must fit a narrow window and a short one.
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
        self.sliders: dict[str, Slider] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        for k, (key, name, lo, hi, neutral, scale, unit, tip) in enumerate(specs):
            slider = Slider(name, lo, hi, neutral, scale, unit, tip)
            slider.changed.connect(self._augment_changed)
            self.sliders[key] = slider
            grid.addWidget(slider, k % 5, k // 5)
        self.flip = QCheckBox("Flip ↔")
        self.flip.setToolTip("Mirror left-right")
        self.flip.toggled.connect(self._augment_changed)
        self.flip.toggled.connect(self._flip_marked)
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
        self.strength = Slider("Strength", 0, 100, 50, 0.01, "", "How far each random augmentation may go", highlight=False)
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
        self.tiles = [VerdictTile(k) for k in range(STRIP_COUNT)]
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
        return scroll_area(page)

    def visibleRegion(self):
        """What of the pane can be seen. The scroll area covers the pane wholly, and Qt counts
        the pane itself as obscured by it, so ask the scrolled content instead."""
        return self._scroller.widget().visibleRegion()

    # ---------------------------------------------------------------- wiring
    def came_on_screen(self):
        self.refresh()

    def mode(self) -> int:
        return self.tabs.currentIndex()

    def _ready(self) -> bool:
        s = self.session
        return s.model is not None and s.result is not None and self.on_screen()

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
            self.submit(kinds.PROBE, jobs_perturb.probe, self.session.model, crop, "occlude",
                        self.patch_rect(), self.fill.currentData(), None, layer, unit)
        else:
            self.submit(kinds.PROBE, jobs_perturb.probe, self.session.model, crop, "augment",
                        None, "grey", self.augment(), layer, unit)

    def request_strip(self, force=False):
        if not self._ready() or self.mode() != self.STRIP:
            return
        s = self.session
        crop = s.result.crop
        key = (s.model_version, s.input_version, self.seed, self.strength.value())
        if key == self._strip_for and not force:
            return
        self._strip_for = key
        clean = int(np.argmax(self.session.result.forward.probs))
        self.strip_caption.setText("Augmenting…")
        self.submit(kinds.STRIP, jobs_perturb.strip, self.session.model, crop, clean,
                    self.seed, STRIP_COUNT, self.strength.value())

    def request_map(self):
        s = self.session
        if s.model is None or s.result is None:
            return
        if self.target.currentData() == "class":
            target = ("class", int(np.argmax(s.result.forward.probs)))
        else:
            layer, unit = self._target_unit()
            if layer is None:
                return
            target = ("unit", layer, unit)
        self.heat = None
        self._heat_for = (s.model_version, s.input_version)
        self.run_map.setEnabled(False)
        self.cancel_map.setEnabled(True)
        self.map_progress.setValue(0)
        self.map_progress.setFormat("starting…")
        self.announce(estimates.occlusion(self.patch_size.slider.value(), self.stride.currentData(), self.forward_ms(),
                                          s.result.crop.shape[0]), "This occlusion map")
        self.submit(kinds.OCCLUSION, jobs_perturb.occlusion, s.model, s.result.crop,
                    self.patch_size.slider.value(), self.stride.currentData(), target, self.fill.currentData())

    def stop_map(self):
        self.cancel(kinds.OCCLUSION)
        self._map_idle("cancelled")

    def job_cancelled(self, kind):
        if kind == kinds.OCCLUSION:  # the status bar's Cancel, or a new image
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
        for key, slider in self.sliders.items():
            slider.set_value(getattr(aug, key), quiet=True)
        self.flip.blockSignals(True)
        self.flip.setChecked(aug.flip)
        self.flip.blockSignals(False)
        self._flip_marked(aug.flip)
        self._augment_changed()

    def _flip_marked(self, on):
        self.flip.setStyleSheet("color: #ffd54f" if on else "")  # yellow while it changes the image

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
        self.cancel(kinds.OCCLUSION)
        self._map_idle("no map yet")
        self.top5.set_rows([])
        self.verdict.setText("")
        self.unit_line.setText("")
        self.image.clear()
        self.overlay.clear()

    def _clean_changed(self):
        self.when_seen(self._show_clean)

    def _show_clean(self):
        if self.session.result is None:
            return
        s = self.session
        if self.heat is not None and self._heat_for != (s.model_version, s.input_version):
            self.heat = None
        self._draw_picture()
        self.refresh()

    # ---------------------------------------------------------------- results
    def job_done(self, kind, result):
        if kind == kinds.PROBE:
            self.show_probe(result)
        elif kind == kinds.STRIP and result is not None:
            self.show_strip(result)
        elif kind == kinds.OCCLUSION:
            if result is None or result.map is None:
                self._map_idle("cancelled")
                return
            self.heat = result
            what = self._target_text(result.target)
            self._map_idle(f"{what}: {result.seconds:.1f} s")
            self.map_progress.setValue(100)
            self._draw_picture()

    def job_failed(self, kind, sentence):
        if kind == kinds.OCCLUSION:
            self._map_idle("failed")
        self.verdict.setText(f"<span style='color:#ff8a80'>{sentence}</span>")

    def job_progress(self, kind, fraction, text):
        if kind == kinds.OCCLUSION:
            self.map_progress.setValue(int(fraction * 100))
            self.map_progress.setFormat(f"{fraction:.0%}")

    def job_partial(self, kind, partial):
        if kind == kinds.OCCLUSION and self.session.result is not None:
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
        self.top5.set_rows([Row(i, s.model.label(i), p, float(clean[i]) if i < len(clean) else None, highlight=i == clean_top)
                            for i, p in result.top])
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
        style.fit(self.view, image.shape[1], image.shape[0])

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
            self.map_key.hide()
            return
        self.overlay.setImage(signed_heat_rgba(heat), levels=(0, 255))
        target = self.heat.target if self.heat is not None else ("class", 0) if self.target.currentData() == "class" else ("unit",)
        self.map_key.show_for("the top class" if target[0] == "class" else "the unit", float(np.abs(heat).max()))

    # ---------------------------------------------------------------- options
    def state(self) -> dict:
        return {"mode": self.MODES[self.mode()], "patch": self.patch_size.slider.value(),
                "centre": list(self.centre), "fill": self.fill.currentData(), "target": self.target.currentData(),
                "stride": self.stride.currentData(), "show map": self.show_map.isChecked(),
                "augment": {key: slider.value() for key, slider in self.sliders.items()}, "flip": self.flip.isChecked(),
                "strength": self.strength.slider.value(), "seed": self.seed}

    def restore(self, state: dict) -> None:
        choose(self.fill, state.get("fill"))
        choose(self.target, state.get("target"))
        choose(self.stride, state.get("stride"))
        set_checked(self.show_map, state.get("show map"))
        set_number(self.strength.slider, state.get("strength"))
        if isinstance(state.get("seed"), int):
            self.seed = state["seed"]
        augment = state.get("augment") if isinstance(state.get("augment"), dict) else {}
        values = {key: value for key in self.sliders if (value := number(augment.get(key))) is not None}
        flip = state.get("flip") if isinstance(state.get("flip"), bool) else self.flip.isChecked()
        self.set_augment(replace(self.augment(), flip=flip, **values))
        set_number(self.patch_size.slider, state.get("patch"))
        centre = point(state.get("centre"))
        if centre is not None:
            self.move_patch(*centre)
        if state.get("mode") in self.MODES:
            self.tabs.setCurrentIndex(self.MODES.index(state["mode"]))
        self.refresh()  # the sub-tab's picture for the restored options (the strip's seed too)
