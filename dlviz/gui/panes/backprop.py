"""The toolbox's back pane: why the selected unit fires, traced back to the input pixels.

Gradient, guided backprop, deconvnet or SmoothGrad of the selected unit (or class, on the output
layer), shown through one of the toolbox's filters. `b` cycles the method, `m` the filter, `d`
freezes the source unit so the cursor can move on while the picture stays.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout

from dlviz.core import catalogue
from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.controls import choose, combo, set_checked
from dlviz.gui.widgets.pictures import ImageItem
from dlviz.gui.widgets.steady import SteadyLabel
from dlviz.work import kinds
from dlviz.work import toolbox as jobs


class BackpropPane(Pane):
    name = "backprop"
    kinds = (kinds.BACKPROP,)

    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.frozen: tuple[str | None, int] | None = None  # (layer, unit) while the source is frozen
        self.grad: np.ndarray | None = None
        self.shown_key = None  # what the picture on screen is of (see `wanted`)
        self._asked = None  # what the request in flight asks for
        self.caption = SteadyLabel("Select a unit to see which pixels drive it")
        self.method = combo(catalogue.BACKPROP_METHODS, "How the unit's gradient is sent back to the pixels (key b cycles)")
        self.filter = combo({name: name for name in catalogue.FILTERS},
                            "How the gradient is drawn (key m cycles): " + "; ".join(catalogue.FILTERS.values()))
        self.freeze = QCheckBox("Freeze source")
        self.freeze.setToolTip("Keep showing this unit while the cursor moves on (key d)")
        self.canvas = pg.GraphicsLayoutWidget()
        self.view = style.image_view(self.canvas)
        self.image = ImageItem()
        self.view.addItem(self.image)
        row = QHBoxLayout()
        row.addWidget(self.method)
        row.addWidget(self.filter)
        row.addWidget(self.freeze)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(row)
        self.method.currentIndexChanged.connect(self.request)
        self.filter.currentIndexChanged.connect(self.redraw)
        self.freeze.toggled.connect(self._freeze_toggled)
        session.model_changed.connect(lambda: self.freeze.setChecked(False))  # its layers are another model's
        for signal in (session.model_changed, session.image_changed, session.forward_changed,
                       session.layer_changed, session.unit_changed):
            signal.connect(self.request)

    # ---------------------------------------------------------------- what to compute
    def source(self) -> tuple[str | None, int] | None:
        """(layer, unit) to explain: the frozen one, else the cursor's."""
        if self.frozen is not None:
            return self.frozen
        s = self.session
        if s.activation() is None:
            return None
        return (None if s.layer == "output" else s.layer), s.unit

    def method_name(self) -> str:
        return self.method.currentData()

    def wanted(self):
        """What the picture should be of: (model version, input version, layer, unit, method), or
        None when there is nothing to explain yet."""
        source, s = self.source(), self.session
        if source is None or s.model is None or s.rgb is None or not s.model.hookable and source[0]:
            return None
        return (s.model_version, s.input_version, *source, self.method_name())

    def request(self):
        """Make the picture match the input, the source and the method: a picture of anything else
        is taken off at once (never shown as if it were current), a new one asked for when on screen."""
        wanted = self.wanted()
        if wanted == self.shown_key:
            if self._asked is not None or self.waiting_to_rest(kinds.BACKPROP):
                self.cancel(kinds.BACKPROP)  # the cursor came back: a picture of where it went would replace this one
            return
        if self.shown_key is not None and not self._a_frame_behind(wanted):
            self.grad, self.shown_key = None, None
            self.image.clear()
        self._update_caption()
        if wanted is None or not self.on_screen():
            self.drop_held(kinds.BACKPROP)
            return
        if wanted == self._asked:
            return
        _, _, layer, unit, method = wanted
        self._asked = wanted
        self.submit_at_rest(kinds.BACKPROP, (layer, unit), jobs.backprop, self.session.model, self.session.rgb,
                            layer, unit, method)

    def _a_frame_behind(self, wanted) -> bool:
        """Live input: the picture on screen is of the same unit and model, an earlier frame. It
        stays, captioned so, until the new frame's picture comes (taken off, it would flicker)."""
        source = self.session.input
        return (wanted is not None and source is not None and source.live and self.shown_key is not None
                and wanted[0] == self.shown_key[0] and wanted[2:] == self.shown_key[2:])

    def came_on_screen(self):
        self.request()

    def _freeze_toggled(self, on):
        s = self.session
        self.frozen = ((None if s.layer == "output" else s.layer), s.unit) if on else None
        self.request()
        self._update_caption()

    def cycle_method(self):
        self.method.setCurrentIndex((self.method.currentIndex() + 1) % self.method.count())

    def cycle_filter(self):
        self.filter.setCurrentIndex((self.filter.currentIndex() + 1) % self.filter.count())

    def toggle_freeze(self):
        self.freeze.toggle()

    # ---------------------------------------------------------------- showing it
    def job_done(self, kind, result):
        self.grad, self.shown_key, self._asked = result.grad, self._asked, None
        self.redraw()

    def job_cancelled(self, kind):
        self._asked = None  # a new image dropped it: the next request asks again
        self._update_caption()

    def job_failed(self, kind, sentence):
        self._asked = None

    @property
    def shown(self):
        """(layer, unit, method) of the picture on screen, or None."""
        return self.shown_key[2:] if self.shown_key else None

    def redraw(self):
        if self.grad is None:
            return
        from dlviz.core.attribution import display

        picture = display(self.grad, self.filter.currentData())
        self.image.setImage((np.clip(picture, 0, 1) * 255).astype(np.uint8), levels=(0, 255))
        h, w = picture.shape[:2]
        style.fit(self.view, w, h)
        self._update_caption()

    def _update_caption(self):
        key = self.shown_key or self.wanted()
        if key is None:
            self.caption.setText("Select a unit to see which pixels drive it")
            return
        _, _, layer, unit, method = key
        model = self.session.model
        what = (f"class {model.label(unit)}" if layer is None or (self.session.is_output_layer() and layer == self.session.layer)
                else f"unit {unit} of {layer}")
        frozen = "  ·  <b>frozen</b>" if self.frozen is not None else ""
        busy = "" if self.shown_key else "computing "
        behind = "  ·  an earlier frame" if self.shown_key and self.shown_key != self.wanted() else ""
        self.caption.setText(f"{busy}{catalogue.BACKPROP_METHODS[method]} of {what}, {self.filter.currentData()}{frozen}{behind}")

    # ---------------------------------------------------------------- options
    def state(self) -> dict:
        return {"method": self.method_name(), "filter": self.filter.currentData(),
                "frozen": list(self.frozen) if self.frozen is not None else None}

    def restore(self, state: dict) -> None:
        choose(self.method, state.get("method"))
        choose(self.filter, state.get("filter"))
        frozen = state.get("frozen")
        if isinstance(frozen, list) and len(frozen) == 2 and self._unit_exists(*frozen):
            self.freeze.blockSignals(True)
            self.freeze.setChecked(True)
            self.freeze.blockSignals(False)
            self.frozen = (frozen[0] if isinstance(frozen[0], str) else None, frozen[1])
            self.request()
        else:
            set_checked(self.freeze, False)

    def _unit_exists(self, layer, unit) -> bool:
        """Whether a saved source names a unit of the model on screen (None: a class of the output)."""
        s = self.session
        if isinstance(unit, bool) or not isinstance(unit, int) or unit < 0 or s.model is None:
            return False
        if layer is None:
            return s.result is not None and unit < s.result.forward.probs.shape[0]
        return isinstance(layer, str) and layer in s.displayable_layers() and layer != "output" and unit < s.model.layer(layer).shape[0]
