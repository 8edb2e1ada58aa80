"""Feature visualisation: the image the selected unit (or a class) likes most, forming live.

Start from noise (a unit that noise cannot move starts again from the sample photo crop where it
fires most) or from the current photo; choose the objective (the unit's whole map, its centre
neuron, or a class) and the regularisers: Lucent's (Fourier basis, decorrelated colour, jitter,
scale, rotation) or the toolbox's (L2 decay, blur every k steps, clipping small pixels). Run,
watch it form, stop any time; results are cached and can be saved as PNG. "Whole layer" tiles
every unit. A unit is called dead only when its image and every photo tried leave it silent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dlviz import paths
from dlviz.core import catalogue
from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.controls import choose, combo, dspin, set_number, spin
from dlviz.gui.widgets.pictures import ImageItem
from dlviz.gui.widgets.saving import write_for_user
from dlviz.gui.widgets.scrolling import scroll_area
from dlviz.gui.widgets.steady import SteadyLabel
from dlviz.gui.widgets.text import duration
from dlviz.work import estimates, kinds
from dlviz.work import toolbox as jobs


class FeatureVisPane(Pane):
    name = "feature vis"
    kinds = (kinds.FEATURE_VIS,)

    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.image_data: np.ndarray | None = None
        self.scan_best = lambda layer: None  # the window's: (each unit's best value on a scan, the scan in words) or None
        self.caption = SteadyLabel("Press Run to make the image the selected unit likes most")
        self.canvas = pg.GraphicsLayoutWidget()
        self.view = style.image_view(self.canvas)
        self.canvas.setMinimumHeight(120)
        self.image = ImageItem()
        self.view.addItem(self.image)

        self.kind = combo(catalogue.FEATUREVIS_OBJECTIVES)
        self.start = combo({"auto": "noise, or a photo where the unit fires", "noise": "noise", "image": "the current photo"})
        self.start.setToolTip("From noise; a unit still below its best sample photo after 32 steps (a quarter of the "
                              "steps, if fewer) starts again from the photo crop where it fires most")
        self.steps = spin(8, 4096, 256)
        self.size = spin(32, 512, 128, step=32, suffix=" px")
        self.style = combo({"lucent": "Lucent: Fourier, decorrelated colour, jitter",
                            "toolbox": "Toolbox: pixels, L2 decay, blur, clipping"})
        self.l2 = dspin(0, 0.1, 0.0005, 0.0005, decimals=4)
        self.blur = spin(0, 64, 4, special="off")
        self.clip = spin(0, 90, 10, suffix=" %", special="off")
        self.jitter = spin(0, 64, 8, suffix=" px")
        self.rotate = spin(0, 45, 10, suffix="°")
        self.seed = spin(0, 10_000, 0)
        form = QFormLayout()
        form.addRow("Maximise", self.kind)
        form.addRow("Start from", self.start)
        form.addRow("Steps", self.steps)
        form.addRow("Size", self.size)
        form.addRow("Regularise", self.style)
        form.addRow("Jitter", self.jitter)
        form.addRow("Rotate up to", self.rotate)
        form.addRow("L2 decay", self.l2)
        form.addRow("Blur every (steps)", self.blur)
        form.addRow("Clip weakest pixels", self.clip)
        form.addRow("Seed", self.seed)

        self.run = QPushButton("Run")
        self.run_layer = QPushButton("Whole Layer")
        self.run_layer.setToolTip("Optimise every unit of the layer in batches and tile the results")
        self.stop = QPushButton("Stop")
        self.save = QPushButton("Save PNG…")
        self.run.clicked.connect(lambda: self.request(False))
        self.run_layer.clicked.connect(lambda: self.request(True))
        self.stop.clicked.connect(self.cancel)
        self.save.clicked.connect(self.save_png)
        buttons = QHBoxLayout()
        for button in (self.run, self.run_layer, self.stop, self.save):
            buttons.addWidget(button)
        self.style.currentIndexChanged.connect(self._style_changed)
        self._style_changed()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(buttons)
        # The settings scroll, so the pane never makes the window taller than a laptop screen.
        settings = QWidget()
        settings.setLayout(form)
        scroller = scroll_area(settings, 80)
        scroller.setMaximumHeight(190)
        layout.addWidget(scroller)

    def _style_changed(self):
        toolbox = self.style.currentData() == "toolbox"
        for widget in (self.l2, self.blur, self.clip):
            widget.setEnabled(toolbox)
        for widget in (self.jitter, self.rotate):
            widget.setEnabled(not toolbox)

    def settings(self):
        from dlviz.core.featurevis import Settings

        toolbox = self.style.currentData() == "toolbox"
        settings = Settings(
            kind=self.kind.currentData(), steps=self.steps.value(), size=self.size.value(), seed=self.seed.value(),
            start=self.start.currentData(),
            start_image=self.session.rgb if self.start.currentData() == "image" else None,
        )
        settings.jitter, settings.rotate = self.jitter.value(), float(self.rotate.value())
        if toolbox:
            settings.fourier = settings.decorrelate = False
            settings.jitter, settings.scale, settings.rotate = 0, 0.0, 0.0
            settings.l2_decay = self.l2.value()
            settings.blur_every = self.blur.value()
            settings.clip_norm_percentile = float(self.clip.value())
        return settings

    def target(self) -> tuple[str | None, int]:
        s = self.session
        if self.kind.currentData() == "class":
            top = int(np.argmax(s.result.forward.probs)) if s.result is not None else 0
            return None, top
        return s.layer, s.unit

    def request(self, whole_layer: bool = False):
        s = self.session
        if s.model is None or s.result is None:
            self.say("Wait for the model and an image first.", error=True)
            return
        layer, unit = self.target()
        if whole_layer and layer is None:
            self.say("Whole layer needs a layer: choose 'the unit's whole map' or 'its centre neuron'.", error=True)
            return
        units = list(range(s.unit_count())) if whole_layer else [unit]
        settings = self.settings()
        seconds = estimates.feature_vis(len(units), settings.steps, settings.size, self.forward_ms(), s.model.preprocess.crop)
        what = f"Feature images of all {len(units)} units of {layer}" if whole_layer else "This feature image"
        if whole_layer and seconds > self.LONG_S and not self.confirm(
                f"{what} take about {duration(seconds)} on this computer (Stop ends them early). Start?"):
            return
        self.announce(seconds, what)
        self.submit(kinds.FEATURE_VIS, jobs.feature_vis, s.model, layer, units, settings, paths.cache_dir("featurevis"),
                    self.scan_best(layer) if layer else None)

    def job_partial(self, kind, image):
        self.show_image(image)

    def job_done(self, kind, result):
        self.show_result(result)

    def show_image(self, image, caption=None):
        self.image_data = image
        self.image.setImage(image, levels=(0, 255))
        style.fit(self.view, image.shape[1], image.shape[0])
        if caption:
            self.caption.setText(caption)

    def show_result(self, result):
        first = result.results[0]
        if len(result.results) == 1:
            what = self.session.model.label(first.unit) if result.layer is None else f"unit {first.unit} of {result.layer}"
            text = f"{what}: activation {first.activation:.3g} against {first.noise_activation:.3g} on noise"
            text += " (from the cache)" if result.from_cache else f", {first.steps_done} steps in {first.seconds:.1f} s"
            if first.restart_step:
                text += f"; {first.restart_text()}"
            if first.cancelled:
                text += " — stopped early"
            if first.dead:
                text += f". <b>This unit looks dead: {first.why_dead()}.</b>"
            elif first.constant:
                text += f". <b>{first.constant_text().capitalize()}.</b>"
        else:
            dead = sum(r.dead for r in result.results)
            text = f"All {len(result.results)} units of {result.layer}"
            if dead:
                text += f"; {dead} look dead: silent on their feature images and every photo tried"
        self.show_image(result.image, text)

    def save_png(self):
        if self.image_data is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save image", str(Path.home() / "featurevis.png"), "PNG (*.png)")
        if path:
            from PIL import Image

            image = Image.fromarray(self.image_data)
            write_for_user(path, lambda: image.save(path, format="PNG"), self.say)

    # ---------------------------------------------------------------- options
    CHOICES = ("kind", "start", "style")
    NUMBERS = ("steps", "size", "l2", "blur", "clip", "jitter", "rotate", "seed")

    def state(self) -> dict:
        out = {name: getattr(self, name).currentData() for name in self.CHOICES}
        out.update({name: getattr(self, name).value() for name in self.NUMBERS})
        return out

    def restore(self, state: dict) -> None:
        for name in self.CHOICES:
            choose(getattr(self, name), state.get(name))
        for name in self.NUMBERS:
            set_number(getattr(self, name), state.get(name))
