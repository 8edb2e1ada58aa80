"""Class attention: where the model looks for a class (Grad-CAM and kin), laid over its crop.

Pick a method, a class (one of the top 5, or any class by name) and the layer the map is read
from. "Compare" shows the four methods side by side. "Randomise" re-initialises the model's top
layers, cascading down (Adebayo et al., 2018): a map that does not change when the weights are
scrambled does not explain what the model learned, and the pane says how much it changed.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
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
    QWidget,
)

from dlviz.gui import style
from dlviz.gui.panes.unit import heat_rgba

METHODS = ("gradcam", "gradcam++", "layercam", "scorecam")
METHOD_NAMES = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "layercam": "LayerCAM", "scorecam": "Score-CAM"}


class _Overlay(QWidget):
    """One crop with one map over it, and a caption."""

    def __init__(self):
        super().__init__()
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignCenter)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setMinimumSize(40, 40)
        self.view = style.image_view(self.canvas)
        self.crop = pg.ImageItem()
        self.heat = pg.ImageItem()
        self.view.addItem(self.crop)
        self.view.addItem(self.heat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.caption)

    def display(self, crop, heat, cmap, opacity, caption):
        self.crop.setImage(crop, levels=(0, 255))
        if heat is None:
            self.heat.clear()
        else:
            self.heat.setImage(heat_rgba(heat, cmap, opacity), levels=(0, 255))
        size = crop.shape[0]
        self.view.setRange(xRange=(0, size), yRange=(0, size), padding=0.01)
        self.caption.setText(caption)
        super().show()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two maps (1: the same picture; near 0: unrelated)."""
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / denom) if denom > 0 else 0.0


class AttentionPane(QWidget):
    wanted = Signal()

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.result = None
        self.method = QComboBox()
        for name in METHODS:
            self.method.addItem(METHOD_NAMES[name], name)
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setInsertPolicy(QComboBox.NoInsert)
        self.target.setToolTip("The class to explain: one of the top 5, or type any class name")
        self.layer = QComboBox()
        self.layer.setToolTip("The layer the map is read from (default: the last convolutional stage)")
        self.compare = QCheckBox("Compare methods")
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
        for k, tile in enumerate(self.tiles):
            grid.addWidget(tile, k // 2, k % 2)

        top = QHBoxLayout()
        top.addWidget(self.method)
        top.addWidget(self.target, 1)
        second = QHBoxLayout()
        second.addWidget(QLabel("Layer"))
        second.addWidget(self.layer, 1)
        third = QHBoxLayout()
        third.addWidget(self.compare)
        third.addWidget(self.randomise)
        fourth = QHBoxLayout()
        fourth.addWidget(QLabel("Overlay opacity"))
        fourth.addWidget(self.opacity, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for row in (top, second, third):
            layout.addLayout(row)
        layout.addLayout(grid, 1)
        layout.addWidget(self.verdict)
        layout.addLayout(fourth)

        self.method.currentIndexChanged.connect(self.wanted)
        self.target.activated.connect(lambda _: self.wanted.emit())
        self.layer.currentIndexChanged.connect(self.wanted)
        self.compare.toggled.connect(self.wanted)
        self.randomise.valueChanged.connect(self.wanted)
        self.opacity.valueChanged.connect(self.redraw)
        session.model_changed.connect(self._model_changed)
        session.forward_changed.connect(self._forward_changed)
        session.view_changed.connect(self.redraw)

    # ---------------------------------------------------------------- choices
    def _model_changed(self):
        model = self.session.model
        self.result = None
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
        result = self.session.result
        if result is not None:
            top = int(np.argmax(result.forward.probs))
            self.target.blockSignals(True)
            self.target.setCurrentIndex(top)
            self.target.blockSignals(False)
        self.wanted.emit()

    def request(self):
        """(layer, class index, methods, randomise) to compute, or None when not ready."""
        s = self.session
        if s.result is None or s.model is None or not s.model.hookable or not self.layer.currentText():
            return None
        index = self.target.findText(self.target.currentText(), Qt.MatchFixedString)
        if index < 0:
            return None
        methods = METHODS if self.compare.isChecked() else (self.method.currentData(),)
        return self.layer.currentText(), index, methods, self.randomise.value()

    # ---------------------------------------------------------------- showing it
    def show_result(self, result):
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
            caption = METHOD_NAMES[method]
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
                          f"{METHOD_NAMES[worst[0]]} is at {worst[1]:.2f}." if worst and worst[1] > 0.5
                          else "Every map changed: they depend on the learned weights."))
            self.verdict.setText(f"{what}. {verdict}")
        else:
            self.verdict.setText(what)
