"""Attention crop: where the network looks, and what it sees when it refocuses there.

The original photo at full resolution with where the network fires over it (any class: the map
the first box is placed on), and the box around the attended region; the crop cut from the
ORIGINAL (not from the 224 px input) and resized to the model's input, with its class attention
map; the top-5 before and after side by side, with what changed marked. Glimpses repeat attend,
crop, re-attend up to K times: a filmstrip of the crops and the saccade path (numbered fixations
and nested boxes) on the photo. Fovea mode renders the photo
sharp at a fixation and coarser towards the edges (Mnih et al., 2014); drag the fixation and the
top-5 follows live.

One of the window's main views; it computes nothing while another view is in front.
"""

from __future__ import annotations

import time
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dlviz.core import catalogue
from dlviz.core.glimpse import BoxSettings  # numpy and PIL only: torch stays in the worker
from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.controls import choose, combo, set_number, spin
from dlviz.gui.widgets.heat import heat_rgba
from dlviz.gui.widgets.pictures import Picture
from dlviz.gui.widgets.saccades import Frame, SaccadeView
from dlviz.gui.widgets.scrolling import Content, WrapLabel, scrolled
from dlviz.gui.widgets.text import html_percent, percent
from dlviz.gui.widgets.toplist import DOWN, NEW, UP, TopList, compared, delta_text
from dlviz.session import point
from dlviz.work import estimates, kinds
from dlviz.work import glimpse as jobs

_DEFAULT_BOX = BoxSettings()
LEVEL_DEFAULTS = {"threshold": round(_DEFAULT_BOX.level * 100), "percentile": 80}


class GlimpsePane(Pane):
    name = "attention crop"
    kinds = (kinds.GLIMPSE, kinds.FOVEA)
    fovea_shown = Signal()  # a fovea result has been drawn (tests count them)
    glimpses_shown = Signal()

    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.run = None  # dlviz.work.glimpse.GlimpseRun on screen
        self.fovea_result = None  # dlviz.work.glimpse.FoveaResult on screen
        self.shown_steps: list = []
        self.selected = 1  # the glimpse the crop view and the "after" list show
        self.fixation: tuple[float, float] | None = None
        self._submitted_key = None
        self._run_key = None  # what the run on screen was asked for with
        self._asked_key = None  # what the running request asks for
        self._fovea_in_flight = 0.0  # when the running fovea job was sent (0: none)
        self._fovea_again = False  # the fixation moved while one was running
        self._jump_pending = False
        self.fovea_times: list[float] = []  # when each fovea result was drawn (monotonic)

        # ---- controls
        self.method = combo(catalogue.CAM_METHODS, "How the attention map is made (Score-CAM takes seconds per look)")
        self.opacity = QSlider(Qt.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(55)
        self.opacity.setToolTip("Opacity of the attention map over the photo")
        self.opacity.setMaximumWidth(110)
        self.glimpse_button = QPushButton("Glimpses")
        self.fovea_button = QPushButton("Fovea")
        self.modes = QButtonGroup(self)
        for k, button in enumerate((self.glimpse_button, self.fovea_button)):
            button.setCheckable(True)
            self.modes.addButton(button, k)
            button.setStyleSheet("QPushButton { padding: 3px 12px } QPushButton:checked { background: #2f6f9f;"
                                 " color: white; border: 1px solid #4fc3f7; border-radius: 3px }")
        self.glimpse_button.setChecked(True)
        self.glimpse_button.setToolTip("Attend, crop from the original, look again inside the crop")
        self.fovea_button.setToolTip("Sharp where the eye fixates, coarser towards the edges: drag the fixation")
        self.k = spin(1, 5, 3, prefix="K = ")
        self.k.setToolTip("How many glimpses: each one attends inside the crop before it")
        self.jump = QPushButton("Jump to attention peak")
        self.jump.setToolTip("Move the fixation to where the network fires most on the whole photo")
        self.box_mode = combo({"threshold": "threshold", "percentile": "percentile"},
                              "threshold: the region above level × the peak; percentile: above the level-th percentile of the map")
        self.level = QSlider(Qt.Horizontal)
        self.level.setRange(5, 99)
        self.level.setValue(LEVEL_DEFAULTS["threshold"])
        self.level_label = QLabel()
        self.level_label.setMinimumWidth(64)
        self.margin = spin(0, 50, round(_DEFAULT_BOX.margin * 100), suffix=" %", prefix="margin ")
        self.margin.setToolTip("Grow the box by this share of its size on every side")
        self.aspect = combo({"square": "square", "free": "free"}, "square keeps the crop undistorted at the model's square input")

        # ---- the photo with what the looks drew on it, and the crop (or foveated input) the model saw
        self.original = SaccadeView("The whole photo, full resolution", self.set_fixation)
        self.crop_view = Picture("The crop the model sees")
        self.crop = self.crop_view.add_image()
        self.crop_heat = self.crop_view.add_image(1)
        pictures = QHBoxLayout()
        pictures.setSpacing(6)
        pictures.addWidget(self.original, 3)
        pictures.addWidget(self.crop_view, 2)
        # The pictures are the point of the view: in a short window they keep a readable size and
        # the lists below scroll into view, rather than everything shrinking to thumbnails.
        for picture in (self.original, self.crop_view):
            picture.setMinimumHeight(230)

        self.before = TopList("Whole image")
        self.after = TopList("Crop")
        lists = QHBoxLayout()
        lists.setSpacing(6)
        lists.addWidget(self.before, 1)
        lists.addWidget(self.after, 1)
        self.headline = WrapLabel("")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.RichText)

        # ---- bottom: the filmstrip, or the fovea's help and speed
        self.frames = [Frame(k + 1) for k in range(5)]
        strip = QWidget()
        strip_layout = QHBoxLayout(strip)
        strip_layout.setContentsMargins(0, 0, 0, 0)
        strip_layout.setSpacing(6)
        for frame in self.frames:
            frame.clicked.connect(self.select)
            frame.hide()
            strip_layout.addWidget(frame, 1)
        self.strip_note = WrapLabel("")
        style.set_sheet(self.strip_note, "color: {muted}")
        self.strip_note.setWordWrap(True)
        self.strip_note.setMaximumWidth(150)
        strip_layout.addWidget(self.strip_note)
        strip.setMinimumHeight(92)
        strip.setMaximumHeight(140)
        self.fovea_info = WrapLabel("")
        self.fovea_info.setWordWrap(True)
        style.set_sheet(self.fovea_info, "color: {muted}")
        self.bottom = QStackedWidget()
        self.bottom.addWidget(strip)
        self.bottom.addWidget(self.fovea_info)
        self.bottom.setMaximumHeight(140)

        first = QHBoxLayout()
        for widget in (self.glimpse_button, self.fovea_button):
            first.addWidget(widget)
        first.addSpacing(8)
        first.addWidget(self.k)
        first.addWidget(self.jump)
        first.addStretch(1)
        first.addWidget(QLabel("Map"))
        first.addWidget(self.method)
        first.addWidget(self.opacity)
        second = QHBoxLayout()
        second.addWidget(QLabel("Box"))
        second.addWidget(self.box_mode)
        second.addWidget(self.level, 1)
        second.addWidget(self.level_label)
        second.addWidget(self.margin)
        second.addWidget(self.aspect)
        self.box_controls = [self.box_mode, self.level, self.level_label, self.margin, self.aspect]

        # a change of mind takes two lines, wrapped in a narrow window three
        self.headline.setMinimumHeight(self.headline.fontMetrics().lineSpacing() * 3 + 4)
        content = Content()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(5)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addLayout(pictures, 5)
        layout.addWidget(self.headline)
        layout.addLayout(lists, 0)
        layout.addWidget(self.bottom, 2)
        scroller = scrolled(self, content)
        # Transparent, so the pane's own visible region (its "am I on screen?" test) is not hidden
        # behind the scroll area's viewport.
        scroller.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)  # setWidget turned it on

        self._update_level_label()
        self._mode_changed()
        self.method.currentIndexChanged.connect(self.refresh)
        self.k.valueChanged.connect(self.refresh)
        self.box_mode.currentIndexChanged.connect(self._box_mode_changed)
        self.level.valueChanged.connect(self._level_moved)
        self.level.sliderReleased.connect(self.refresh)
        self.margin.valueChanged.connect(self.refresh)
        self.aspect.currentIndexChanged.connect(self.refresh)
        self.opacity.valueChanged.connect(self.redraw)
        self.modes.idToggled.connect(lambda _id, on: on and self._mode_changed())
        self.jump.clicked.connect(self.jump_to_peak)
        session.model_changed.connect(self._clear)
        session.image_changed.connect(self._image_changed)
        session.forward_changed.connect(self._forward_changed)
        session.view_changed.connect(self.redraw)

    # ---------------------------------------------------------------- requests
    def came_on_screen(self):
        self.refresh()
        self.request_fovea()

    def mode(self) -> str:
        return "fovea" if self.fovea_button.isChecked() else "glimpses"

    def settings(self):
        return BoxSettings(mode=self.box_mode.currentData(), level=self.level.value() / 100,
                           margin=self.margin.value() / 100, aspect=self.aspect.currentData())

    def _ready(self) -> bool:
        s = self.session
        return (s.model is not None and s.rgb is not None and s.result is not None and s.model.hookable
                and self.on_screen())

    def refresh(self):
        """Compute the glimpses for the current image and settings, if on screen and not done yet."""
        if not self._ready():
            return
        s = self.session
        method, settings, k = self.method.currentData(), self.settings(), self.k.value()
        key = (s.model_version, s.input_version, method, settings)
        run = self.run
        if run is not None and self._run_key == key and (k <= len(run.steps) or len(run.steps) < run.k):
            self._show_run(run)  # fewer glimpses of the same run, or the run already stopped short
            return
        if self._submitted_key == key + (k,):
            return
        self._submitted_key = key + (k,)
        self._asked_key = key
        if method == "scorecam":
            from dlviz.core.attribution import default_cam_layer  # the model is loaded: torch is in

            channels = s.model.layer(default_cam_layer(s.model)).shape[0]
            self.announce(estimates.score_cam(channels, self.forward_ms(), looks=k + 1), "Score-CAM glimpses")
        self.submit(kinds.GLIMPSE, jobs.glimpse_run, s.model, s.rgb, k, method, settings)
        if self.run is None:
            self.after.clear("looking…")

    def request_fovea(self):
        """Classify the image foveated at the current fixation. One job at a time: while one runs,
        only the newest fixation is remembered and sent when it ends (results are never dropped
        as stale, so dragging updates as fast as the worker goes)."""
        if self.mode() != "fovea" or not self._ready() or self.fixation is None:
            return
        if self._fovea_in_flight and time.monotonic() - self._fovea_in_flight < 2.0:
            self._fovea_again = True
            return
        self._fovea_again = False
        self._fovea_in_flight = time.monotonic()
        s = self.session
        self.submit(kinds.FOVEA, jobs.fovea, s.model, s.rgb, self.fixation)

    def job_done(self, kind, result):
        if kind == kinds.GLIMPSE:
            self._submitted_key = None
            if result is not None:
                self._run_key = self._asked_key
                self.selected = min(self.selected, max(1, len(result.steps)))
                self._show_run(result)
        else:
            self._fovea_in_flight = 0.0
            if result is not None and result.fixation is not None:
                self._show_fovea(result)
            if self._fovea_again:
                self.request_fovea()

    def job_failed(self, kind, sentence):
        if kind == kinds.FOVEA:
            self._fovea_in_flight, self._fovea_again = 0.0, False
        else:
            self._submitted_key = None
            self.after.clear("could not look: see the status bar")

    def job_cancelled(self, kind):
        """A request of ours was cancelled (the status bar's Cancel, a new image): stop waiting."""
        if kind == kinds.FOVEA:
            self._fovea_in_flight, self._fovea_again = 0.0, False
        else:
            self._submitted_key = None  # the same image and settings may be asked for again
            if self.run is None:
                self.after.clear("stopped")

    # ---------------------------------------------------------------- changes
    def _forward_changed(self):
        self.refresh()
        self.request_fovea()

    def _clear(self):
        self.cancel()  # looks at the old image must not draw their boxes over the new one
        self._fovea_in_flight, self._fovea_again = 0.0, False
        self.run = None
        self._run_key = None
        self.fovea_result = None
        self._submitted_key = None
        model = self.session.model
        note = "" if model is None or model.hookable else "Attention maps need a model whose layers can be hooked"
        self.before.clear(note)
        self.after.clear(note)
        self.headline.setText("")
        for frame in self.frames:
            frame.hide()

    def _image_changed(self):
        self._clear()
        rgb = self.session.rgb
        if rgb is not None:
            height, width = rgb.shape[:2]
            self.fixation = (width / 2, height / 2)
        self.when_seen(self._show_photo)

    def _show_photo(self):
        rgb = self.session.rgb
        if rgb is not None:
            height, width = rgb.shape[:2]
            self.original.show_photo(self.session.preview, width, height)
            self.original.fit(width, height)
            self.original.caption.setText(f"{self.session.image_name or 'The photo'} · {width}×{height} px")
            self.original.caption.setToolTip("The original at full resolution, with where the last layer fires over it"
                                             " (any class): the first box goes around its peak")
        self.original.heat.clear()
        self.crop.clear()
        self.crop_heat.clear()
        self.original.draw_path(None, [])

    def _box_mode_changed(self):
        self.level.blockSignals(True)
        self.level.setValue(LEVEL_DEFAULTS[self.box_mode.currentData()])
        self.level.blockSignals(False)
        self._update_level_label()
        self.refresh()

    def _level_moved(self):
        self._update_level_label()
        if self.level.isSliderDown():
            self._preview_box()  # the first box follows the slider; the looks run on release
        else:
            self.refresh()

    def _update_level_label(self):
        value = self.level.value()
        if self.box_mode.currentData() == "threshold":
            self.level_label.setText(f"≥ {value}% peak")
        else:
            self.level_label.setText(f"top {100 - value}%")
        self.level.setToolTip(self.level_label.text())

    def _preview_box(self, dashed=False):
        """Box 1 as the current settings would place it on the whole image's map (cheap: no look)."""
        run = self.run
        if run is None or self.mode() != "glimpses":
            return
        from dlviz.core.glimpse import next_view

        height, width = self.session.rgb.shape[:2]
        _, box = next_view(run.full, width, height, self.settings(), float(self.session.model.preprocess.crop))
        self.original.set_box(0, box, dashed)

    def _mode_changed(self):
        fovea = self.mode() == "fovea"
        self.k.setVisible(not fovea)
        self.jump.setVisible(fovea)
        for widget in self.box_controls:
            widget.setEnabled(not fovea)
        self.bottom.setCurrentIndex(1 if fovea else 0)
        self.bottom.setMaximumHeight(56 if fovea else 140)  # the fovea's two lines leave the room to the pictures
        photo = self.original.photo
        photo.draggable = fovea
        photo.setCursor(Qt.CrossCursor) if fovea else photo.unsetCursor()
        if fovea:
            self.after.title = "Fovea"
            self.fovea_info.setText("Press and drag on the photo to move the fixation: the top 5 follows.")
            self.request_fovea()
        self.redraw()

    # ---------------------------------------------------------------- fovea
    def set_fixation(self, x: float, y: float):
        """Move the fixation (original pixels); the fovea job follows."""
        rgb = self.session.rgb
        if rgb is None:
            return
        height, width = rgb.shape[:2]
        self.fixation = (float(min(max(x, 0.0), width - 1)), float(min(max(y, 0.0), height - 1)))
        self.original.set_marks(self.fixation, self.run.peak if self.run is not None else None)
        self.request_fovea()

    def jump_to_peak(self):
        if self.run is None:
            self._jump_pending = True
            self.refresh()
            return
        self._jump_pending = False
        self.set_fixation(*self.run.peak)

    def _show_fovea(self, result):
        self.fovea_result = result
        self.fovea_times.append(time.monotonic())
        self.fovea_times = [t for t in self.fovea_times if self.fovea_times[-1] - t <= 1.0]
        rate = len(self.fovea_times)
        top, name = result.top[0], self.session.model.label(result.top[0][0])
        self.fovea_info.setText(
            f"Fixation at ({result.fixation[0]:.0f}, {result.fixation[1]:.0f}) · sees <b>{escape(name)}</b> {html_percent(top[1])}"
            f" · {result.ms:.0f} ms per update" + (f" · {rate} updates in the last second" if rate > 1 else "")
            + f"<br>Sharp within {result.radius:.0f} px of the fixation; the resolution halves each time the distance doubles."
            " Press and drag on the photo to move it.")
        self.redraw()
        self.fovea_shown.emit()

    # ---------------------------------------------------------------- glimpses
    def select(self, number: int):
        """Show glimpse `number` (1-based) in the crop view and the "after" list."""
        if self.run is None or not 1 <= number <= len(self.run.steps):
            return
        self.selected = number
        self.redraw()

    def _show_run(self, run):
        self.run = run
        count = min(len(run.steps), self.k.value())
        self.shown_steps = run.steps[:count]
        self.selected = min(max(1, self.selected), max(1, count))
        labels = self.session.model.label
        for k, frame in enumerate(self.frames):
            if k < count:
                step = run.steps[k]
                index, prob = step.top[0]
                x0, y0, x1, y1 = step.box
                frame.set(step.crop, labels(index), prob,
                          f"Glimpse {k + 1}: box [{x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}] of the original\n"
                          + "\n".join(f"{labels(c)}: {percent(p)}" for c, p in step.top))
                frame.show()
            else:
                frame.hide()
        if count < self.k.value():
            self.strip_note.setText(f"Stopped after {count}: the next box would hold almost all of the last one."
                                    if count else "The attention covers the whole image: nothing to zoom into."
                                    " A higher level or a smaller margin makes a tighter box.")
            self.strip_note.setMaximumWidth(150 if count else 16777215)
            self.strip_note.setAlignment(Qt.AlignVCenter | (Qt.AlignLeft if count else Qt.AlignHCenter))
            self.strip_note.show()
        else:
            self.strip_note.hide()
        if self._jump_pending:
            self.jump_to_peak()
        self.redraw()
        self.glimpses_shown.emit()

    def redraw(self):
        run = self.run
        fovea = self.mode() == "fovea"
        if run is not None and not fovea:
            self.original.show_heat(run.full.cam, run.full.view, self.session.cmap, self.opacity.value() / 100)
        else:
            self.original.heat.hide()
        if fovea:
            self._redraw_fovea()
        else:
            self._redraw_glimpses()

    def _redraw_glimpses(self):
        run, rgb = self.run, self.session.rgb
        self.original.hide_rings()
        self.original.set_marks()
        if rgb is not None:
            self.original.show_photo(self.session.preview, rgb.shape[1], rgb.shape[0])
        if run is None:
            self.original.draw_path(None, [])
            return
        labels = self.session.model.label
        steps = self.shown_steps
        self.original.draw_path(run.full.fixation, steps)
        for k, frame in enumerate(self.frames):
            frame.selected = k + 1 == self.selected
            frame.update()
        before_title = f"Whole image · {run.full.crop.shape[1]} px input"
        if not steps:
            self.before.set_rows(compared(labels, run.full.top), before_title)
            self.after.clear("no crop: the attention covers the whole image")
            self.crop.setImage(run.full.crop, levels=(0, 255))
            self.crop_view.caption.setText("No crop: the whole image")
            self.crop_heat.hide()
            self.headline.setText("")
            self._preview_box(dashed=True)  # the box it would take, to show why it did not
            return
        step = steps[self.selected - 1]
        x0, y0, x1, y1 = step.box
        self.before.set_rows(compared(labels, run.full.top, reference_top=step.top, entering=False), before_title)
        self.after.set_rows(compared(labels, step.top, run.full.probs, run.full.top),
                            f"Glimpse {self.selected} · crop {x1 - x0:.0f}×{y1 - y0:.0f} px")
        self.crop.setImage(step.crop, levels=(0, 255))
        side = step.crop.shape[0]
        self.crop_heat.setImage(heat_rgba(step.cam, self.session.cmap, self.opacity.value() / 100 * 0.6), levels=(0, 255))
        self.crop_heat.setRect(0, 0, side, side)
        self.crop_heat.show()
        self.crop_view.fit(side, side)
        self.crop_view.caption.setText(f"Glimpse {self.selected} · cut from the original")
        self.crop_view.caption.setToolTip(f"The box [{x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}] cut from the ORIGINAL photo"
                                          f" at full resolution, resized to the model's {side}×{side} input")
        self.headline.setText(self._headline(labels, run.full.top[0], step, run.full.probs, "crop"))

    def _headline(self, labels, full_top, step, full_probs, what) -> str:
        before_index, before_prob = full_top
        after_index, after_prob = step.top[0]
        if after_index == before_index:
            change = after_prob - before_prob
            colour = UP if change > 0.005 else DOWN if change < -0.005 else style.MUTED
            return (f"Still <b>{escape(labels(after_index))}</b>, {html_percent(before_prob)} → {html_percent(after_prob)}"
                    f" <span style='color:{colour.name()}'>{delta_text(change)}</span>")
        return (f"The {what} changes the model's mind: <b>{escape(labels(before_index))}</b> {html_percent(before_prob)} → "
                f"<b style='color:{NEW.name()}'>{escape(labels(after_index))}</b> {html_percent(after_prob)}"
                f"<br><span style='color:{style.MUTED.name()}'>{escape(labels(after_index))} had"
                f" {html_percent(float(full_probs[after_index]))} on the whole image</span>")

    def _redraw_fovea(self):
        self.original.draw_path(None, [])
        result, rgb = self.fovea_result, self.session.rgb
        if rgb is None:
            return
        height, width = rgb.shape[:2]
        if result is not None:
            self.original.show_photo(result.display, width, height)
            self.crop.setImage(result.model_input, levels=(0, 255))
            side = result.model_input.shape[0]
            self.crop_view.fit(side, side)
            self.crop_view.caption.setText(f"Model input · foveated, {side}×{side}")
            self.original.show_rings(result.fixation, result.radius)
            labels = self.session.model.label
            run = self.run
            if run is not None:
                self.before.set_rows(compared(labels, run.full.top, reference_top=result.top, entering=False),
                                     f"Whole image · {run.full.crop.shape[1]} px input")
                self.after.set_rows(compared(labels, result.top, run.full.probs, run.full.top), "Fovea")
                self.headline.setText(self._headline(labels, run.full.top[0], result, run.full.probs, "fovea"))
            else:
                self.after.set_rows(compared(labels, result.top), "Fovea")
        else:
            self.crop.clear()
            self.crop_view.caption.setText("Model input · foveated")
        self.crop_heat.hide()
        self.original.set_marks(self.fixation, self.run.peak if self.run is not None else None)

    # ---------------------------------------------------------------- options
    def state(self) -> dict:
        return {"mode": self.mode(), "k": self.k.value(), "method": self.method.currentData(),
                "opacity": self.opacity.value(), "box": self.box_mode.currentData(), "level": self.level.value(),
                "margin": self.margin.value(), "aspect": self.aspect.currentData(),
                "fixation": list(self.fixation) if self.fixation else None}

    def restore(self, state: dict) -> None:
        controls = (self.k, self.method, self.box_mode, self.level, self.margin, self.aspect)
        for control in controls:  # one request when all is set, not one per control
            control.blockSignals(True)
        set_number(self.k, state.get("k"))
        choose(self.method, state.get("method"))
        choose(self.box_mode, state.get("box"))
        set_number(self.level, state.get("level"))
        set_number(self.margin, state.get("margin"))
        choose(self.aspect, state.get("aspect"))
        for control in controls:
            control.blockSignals(False)
        self._update_level_label()
        set_number(self.opacity, state.get("opacity"))
        if state.get("mode") in ("glimpses", "fovea"):
            (self.fovea_button if state["mode"] == "fovea" else self.glimpse_button).setChecked(True)
        fixation = point(state.get("fixation"))
        if fixation is not None:
            self.set_fixation(*fixation)  # kept inside the photo; the fovea follows
        self.refresh()
