"""What the user is looking at: model, image, recorded activations, layer, unit and view settings.

The session holds state and says when it changes; it owns no widgets. Panes read it and ask it to
change; they never talk to each other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from dlviz.core.mosaic import CONTRASTS, GAMMAS


class Session(QObject):
    model_changed = Signal()
    image_changed = Signal()
    forward_changed = Signal()
    layer_changed = Signal()
    unit_changed = Signal()
    view_changed = Signal()  # contrast, gamma, colormap or overlay opacity

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None  # dlviz.core.models.LoadedModel
        self.rgb: np.ndarray | None = None
        self.image_path: Path | None = None
        self.image_name = ""
        self.result = None  # dlviz.work.toolbox.ForwardResult for (model, rgb)
        self.layer: str | None = None
        self.unit = 0
        self.contrast = 0.0  # 0: one scale per layer, 1: one per channel
        self.gamma = 1.0
        self.cmap = "ember"
        self.opacity = 0.6
        self.render_ms = 0.0
        self.missing_layer: str | None = None  # asked for at start but not in the model
        self._unit_is_fresh = False  # the unit was reset before activations existed

    # ---------------------------------------------------------------- derived
    def layer_info(self):
        if self.model is None or self.layer is None:
            return None
        try:
            return self.model.layer(self.layer)
        except KeyError:
            return None

    def activation(self) -> np.ndarray | None:
        """The recorded output of the selected layer for the current image."""
        if self.result is None or self.layer is None:
            return None
        act = self.result.forward.activations.get(self.layer)
        if act is not None and act.ndim == 3 and act.shape[1:] == (1, 1):
            act = act.reshape(-1)  # a pooled C×1×1 output is one value per unit
        return act

    def unit_count(self) -> int:
        act = self.activation()
        if act is None:
            return 0
        return act.shape[0] if act.ndim != 2 else 1

    def is_output_layer(self) -> bool:
        """True where units are classes: a vector as long as the label list."""
        act = self.activation()
        labels = self.model.labels if self.model else None
        return act is not None and act.ndim == 1 and bool(labels) and act.shape[0] == len(labels)

    def displayable_layers(self) -> list[str]:
        if self.model is None:
            return []
        if not self.model.hookable:
            return ["output"]
        shown = [info for info in self.model.layers if info.kind in ("map", "vector")]
        return [info.name for info in sorted(shown, key=lambda info: info.finish)]

    # ---------------------------------------------------------------- changes
    def set_model(self, loaded, layer: str | None = None) -> None:
        self.model = loaded
        self.result = None
        names = self.displayable_layers()
        requested = layer
        if layer not in names:
            layer = loaded.start_layer
        self.layer = layer
        self.unit = 0
        self._unit_is_fresh = True
        self.missing_layer = requested if requested and requested != layer else None
        self.model_changed.emit()
        self.layer_changed.emit()

    def set_image(self, rgb: np.ndarray, path: Path | None, name: str) -> None:
        self.rgb, self.image_path, self.image_name = rgb, path, name
        self.result = None
        self.image_changed.emit()

    def set_result(self, result) -> None:
        self.result = result
        if self._unit_is_fresh:
            self.unit = self._first_unit()
            self._unit_is_fresh = False
        self.unit = min(self.unit, max(self.unit_count() - 1, 0))
        self.forward_changed.emit()

    def set_layer(self, name: str) -> None:
        if name == self.layer or name not in self.displayable_layers():
            return
        self.layer = name
        self.unit = self._first_unit()
        self.layer_changed.emit()
        self.unit_changed.emit()

    def _first_unit(self) -> int:
        """Where the cursor lands on a layer: the top class on the output, unit 0 elsewhere."""
        if self.is_output_layer():
            return int(np.argmax(self.activation()))
        return 0

    def step_layer(self, step: int) -> None:
        names = self.displayable_layers()
        if not names:
            return
        index = names.index(self.layer) if self.layer in names else 0
        self.set_layer(names[min(max(index + step, 0), len(names) - 1)])

    def set_unit(self, unit: int) -> None:
        count = self.unit_count()
        unit = min(max(int(unit), 0), max(count - 1, 0))
        if unit != self.unit:
            self.unit = unit
            self.unit_changed.emit()

    def set_view(self, contrast=None, gamma=None, cmap=None, opacity=None) -> None:
        if contrast is not None:
            self.contrast = float(contrast)
        if gamma is not None:
            self.gamma = float(gamma)
        if cmap is not None:
            self.cmap = cmap
        if opacity is not None:
            self.opacity = float(opacity)
        self.view_changed.emit()

    def cycle_gamma(self) -> None:
        self.set_view(gamma=_next(GAMMAS, self.gamma))

    def cycle_contrast(self) -> None:
        self.set_view(contrast=_next(CONTRASTS, self.contrast))


def _next(steps, value):
    index = min(range(len(steps)), key=lambda i: abs(steps[i] - value))
    return steps[(index + 1) % len(steps)]
