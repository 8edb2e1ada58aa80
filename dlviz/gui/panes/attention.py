"""Class attention: where the model looks for a class (Grad-CAM and kin), laid over its crop.

Pick a method, a class (one of the top 5, or any class by name) and the layer the map is read
from. "Compare" shows the four methods side by side. "Randomise" re-initialises the model's top
layers, cascading down (Adebayo et al., 2018): a map that does not change when the weights are
scrambled does not explain what the model learned, and the pane says how much it changed.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
)

from dlviz.core import catalogue
from dlviz.core.errors import DlvizError
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.controls import choose, combo, set_checked, set_number
from dlviz.gui.widgets.heat import heat_rgba
from dlviz.gui.widgets.notice import as_sentence
from dlviz.gui.widgets.pictures import Picture
from dlviz.work import estimates, kinds
from dlviz.work import toolbox as jobs

METHODS = tuple(catalogue.CAM_METHODS)


class _Overlay(Picture):
    """One crop with one map over it, and a caption."""

    def __init__(self):
        super().__init__(below=True)
        self.crop = self.add_image()
        self.heat = self.add_image(1)

    def display(self, crop, heat, cmap, opacity, caption):
        self.crop.setImage(crop, levels=(0, 255))
        if heat is None:
            self.heat.clear()
        else:
            self.heat.setImage(heat_rgba(heat, cmap, opacity), levels=(0, 255))
        self.fit(crop.shape[0], crop.shape[0])
        self.caption.setText(caption)
        super().show()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two maps (1: the same picture; near 0: unrelated)."""
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / denom) if denom > 0 else 0.0


class AttentionPane(Pane):
    name = "attention"
    kinds = (kinds.CAM, kinds.SCORE_CAM)

    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.result = None
        self.method = combo(catalogue.CAM_METHODS, "How the map is made (Score-CAM takes seconds)")
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setInsertPolicy(QComboBox.NoInsert)
        self.target.setToolTip("The class to explain: one of the top 5, or type any class name")
        self.layer = QComboBox()
        self.layer.setProperty("dlviz_long", True)  # filled with the model's layers later
        self.layer.setToolTip("The layer the map is read from (default: the last convolutional stage)")
        self.compare = QCheckBox("Compare")
        self.compare.setToolTip("The four methods side by side")
        self.randomise = QSpinBox()
        self.randomise.setRange(0, 0)
        self.randomise.setPrefix("randomise top ")
        self.randomise.setSuffix(" layers")
        self.randomise.setToolTip("Sanity check: re-initialise this many layers from the output down")
        self.opacity = QSlider(Qt.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(60)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.tiles = [_Overlay() for _ in METHODS]
        grid = QGridLayout()
        grid.setSpacing(3)
        for k, tile in enumerate(self.tiles):
            grid.addWidget(tile, k // 2, k % 2)

        # Three rows of controls, so the pictures keep the room (four maps share it when comparing).
        top = QHBoxLayout()
        top.addWidget(self.method)
        top.addWidget(self.target, 1)
        second = QHBoxLayout()
        second.addWidget(QLabel("Layer"))
        second.addWidget(self.layer, 1)
        second.addWidget(self.compare)
        third = QHBoxLayout()
        third.addWidget(self.randomise)
        third.addWidget(QLabel("Opacity"))
        third.addWidget(self.opacity, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        for row in (top, second, third):
            layout.addLayout(row)
        layout.addLayout(grid, 1)
        layout.addWidget(self.verdict)

        self.method.currentIndexChanged.connect(self.request)
        self.target.activated.connect(self.request)
        self.target.lineEdit().returnPressed.connect(self._class_typed)
        self.layer.currentIndexChanged.connect(self.request)
        self.compare.toggled.connect(self.request)
        self.randomise.valueChanged.connect(self.request)
        self.opacity.valueChanged.connect(self.redraw)
        session.model_changed.connect(self._model_changed)
        session.image_changed.connect(self._image_changed)
        session.forward_changed.connect(self._forward_changed)
        session.view_changed.connect(self.redraw)

    # ---------------------------------------------------------------- choices
    def _image_changed(self):
        """Maps of another image are never shown as the new one's; live, the maps of the frame
        before stay until the new frame's come (taken off, they would flicker)."""
        source = self.session.input
        if source is None or not source.live or self.result is None:
            self._clear()

    def _clear(self):
        self.result = None
        for tile in self.tiles:
            tile.hide()
        self.verdict.setText("")

    def _model_changed(self):
        model = self.session.model
        self._clear()
        for box in (self.layer, self.target):
            box.blockSignals(True)
            box.clear()
        if model.hookable:
            from dlviz.core.attribution import default_cam_layer, parameterised_layers

            maps = [info.name for info in model.layers if info.kind == "map"]
            self.layer.addItems(maps)
            self.layer.setCurrentText(default_cam_layer(model))
            self.randomise.setMaximum(len(parameterised_layers(model.model)))
        labels = model.labels or [f"class {i}" for i in range(1000)]
        self.target.addItems(labels)
        completer = QCompleter(labels, self.target)
        completer.setCaseSensitivity(Qt.CaseInsensitive)
        completer.setFilterMode(Qt.MatchContains)
        self.target.setCompleter(completer)
        for box in (self.layer, self.target):
            box.blockSignals(False)
        self.setEnabled(model.hookable)

    def _forward_changed(self):
        self.when_seen(self._follow_top)  # (live, a hidden tab skipped it at every frame: 0.3 ms)
        self.request()

    def _follow_top(self):
        """The target box shows the new result's top class."""
        result = self.session.result
        if result is not None:
            top = int(np.argmax(result.forward.probs))
            self.target.blockSignals(True)
            self.target.setCurrentIndex(top)
            self.target.blockSignals(False)

    def _class_typed(self):
        """Enter in the class box: a whole name, an index or a part of one name ("golden retr")."""
        s = self.session
        if s.model is None or s.result is None:
            return
        try:
            index = s.model.find_class(self.target.currentText(), len(s.result.forward.probs))
        except DlvizError as exc:
            self.say(as_sentence(exc), error=True)
            return
        self.target.setCurrentIndex(index)
        self.request()

    def wanted(self):
        """(layer, class index, methods, randomise) to compute, or None when not ready."""
        s = self.session
        if s.result is None or s.model is None or not s.model.hookable or not self.layer.currentText():
            return None
        index = self.target.findText(self.target.currentText(), Qt.MatchFixedString)
        if index < 0:
            return None
        methods = METHODS if self.compare.isChecked() else (self.method.currentData(),)
        return self.layer.currentText(), index, methods, self.randomise.value()

    def request(self, *_):
        if not self.on_screen():
            return
        wanted = self.wanted()
        if wanted is None:
            return
        layer, index, methods, randomise = wanted
        if "scorecam" in methods:
            looks = 2 if randomise else 1
            self.announce(estimates.score_cam(self.session.model.layer(layer).shape[0], self.forward_ms(), looks), "Score-CAM")
        # Score-CAM takes seconds: it runs as a snapshot kind (live input freezes for it), the
        # gradient maps follow every frame. A request of one kind makes the other's worthless.
        kind, other = (kinds.SCORE_CAM, kinds.CAM) if "scorecam" in methods else (kinds.CAM, kinds.SCORE_CAM)
        self.cancel(other)
        self.submit(kind, jobs.cam, self.session.model, self.session.rgb, layer, index, methods, randomise)

    def came_on_screen(self):
        self.request()

    # ---------------------------------------------------------------- showing it
    def job_done(self, kind, result):
        self.result = result
        self.redraw()

    def redraw(self):
        result = self.result
        if result is None:
            return
        cmap, opacity = self.session.cmap, self.opacity.value() / 100
        name = self.session.model.label(result.class_index)
        methods = list(result.maps)
        changes = []
        for k, tile in enumerate(self.tiles):
            if k >= len(methods):
                tile.hide()
                continue
            method = methods[k]
            heat = result.maps[method]
            caption = catalogue.CAM_METHODS[method]
            if result.randomised and heat is not None and method in result.trained:
                r = similarity(heat, result.trained[method])
                changes.append((method, r))
                caption += f" · similarity to trained {r:.2f}"
            tile.display(result.crop, heat, cmap, opacity, caption)
        what = f"<b>{name}</b> from {result.layer}"
        if result.randomised:
            worst = max(changes, key=lambda c: c[1]) if changes else None
            verdict = (f"With the top {result.randomised} layers randomised. "
                       + ("A map that stays similar (above 0.5) is not explaining the model: "
                          f"{catalogue.CAM_METHODS[worst[0]]} is at {worst[1]:.2f}." if worst and worst[1] > 0.5
                          else "Every map changed: they depend on the learned weights."))
            self.verdict.setText(f"{what}. {verdict}")
        else:
            self.verdict.setText(what)

    # ---------------------------------------------------------------- options
    def state(self) -> dict:
        self.settle(self._follow_top)  # a hidden tab's box not yet on the new top class
        return {"method": self.method.currentData(), "class": self.target.currentText(), "layer": self.layer.currentText(),
                "compare": self.compare.isChecked(), "randomise": self.randomise.value(), "opacity": self.opacity.value()}

    def restore(self, state: dict) -> None:
        widgets = (self.method, self.target, self.layer, self.compare, self.randomise)
        for widget in widgets:  # one request when all is set, not one per control
            widget.blockSignals(True)
        choose(self.method, state.get("method"))
        if isinstance(state.get("layer"), str) and self.layer.findText(state["layer"]) >= 0:
            self.layer.setCurrentText(state["layer"])
        if isinstance(state.get("class"), str) and self.target.findText(state["class"], Qt.MatchFixedString) >= 0:
            self.settle(self._follow_top, run=False)  # the class restored, not the top one, once in view
            self.target.setCurrentIndex(self.target.findText(state["class"], Qt.MatchFixedString))
        set_checked(self.compare, state.get("compare"))
        set_number(self.randomise, state.get("randomise"))
        for widget in widgets:
            widget.blockSignals(False)
        set_number(self.opacity, state.get("opacity"))
        self.request()
