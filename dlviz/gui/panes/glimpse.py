"""Attention crop: where the network looks, and what it sees when it refocuses there.

The original photo at full resolution with the class attention map of its top class over it, and
the box around the attended region; the crop cut from the ORIGINAL (not from the 224 px input)
and resized to the model's input; the top-5 before and after side by side, with what changed
marked. Glimpses repeat attend, crop, re-attend up to K times: a filmstrip of the crops and the
saccade path (numbered fixations and nested boxes) on the photo. Fovea mode renders the photo
sharp at a fixation and coarser towards the edges (Mnih et al., 2014); drag the fixation and the
top-5 follows live.

The pane submits its own two kinds of job to the window's runner ("glimpse", "fovea") and
computes nothing while it is hidden behind another tab.
"""

from __future__ import annotations

from html import escape

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDockWidget,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dlviz.core.glimpse import BoxSettings  # numpy and PIL only: torch stays in the worker
from dlviz.gui import style
from dlviz.gui.panes.attention import METHOD_NAMES, METHODS  # torch-free, unlike core.attribution's list
from dlviz.gui.panes.unit import heat_rgba

# One colour per glimpse: its box, its fixation point and its filmstrip frame.
STEP_COLOURS = [QColor(c) for c in ("#4fc3f7", "#ffd54f", "#ff8a65", "#ce93d8", "#a5d6a7")]
UP = QColor("#81c784")
DOWN = QColor("#e57373")
NEW = QColor("#ffb74d")
_DEFAULT_BOX = BoxSettings()
LEVEL_DEFAULTS = {"threshold": round(_DEFAULT_BOX.level * 100), "percentile": 80}
ROOM = QSize(660, 640)  # what the tab needs to be readable; the dock grows to it when raised


def _qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888).copy()


def _percent(p: float) -> str:
    return f"{p:.1%}" if p >= 0.001 else "<0.1%"


# --------------------------------------------------------------------------- pieces


class _DragImage(pg.ImageItem):
    """An image the fixation can be pressed and dragged on; reports positions in view coordinates."""

    def __init__(self, moved):
        super().__init__()
        self._moved = moved
        self.draggable = False

    def mouseClickEvent(self, ev):
        if self.draggable and ev.button() == Qt.LeftButton:
            ev.accept()
            point = self.mapToParent(ev.pos())
            self._moved(point.x(), point.y())

    def mouseDragEvent(self, ev):
        if not self.draggable or ev.button() != Qt.LeftButton:
            ev.ignore()
            return
        ev.accept()
        point = self.mapToParent(ev.pos())
        self._moved(point.x(), point.y())


class TopList(QWidget):
    """A top-5 drawn as bars; against a reference it marks what changed.

    As "after": a class new to the top 5 gets a NEW tag, the others ▲/▼ with the change in
    percentage points, green or red. As "before": a class that left the other list's top 5 is
    dimmed and tagged.
    """

    def __init__(self, title: str, role: str):
        super().__init__()
        self.title = title
        self.role = role  # "before" or "after"
        self.rows: list[dict] = []
        self.setMinimumHeight(5 * 18 + 24)
        self.setMaximumHeight(5 * 22 + 30)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def sizeHint(self):
        return QSize(300, 5 * 24 + 30)

    def clear(self, note: str = ""):
        self.rows = []
        self._note = note
        self.update()

    def show_top(self, title, labels, top, probs_other=None, top_other=None):
        """`top`: [(class, prob)]; `probs_other`: the other list's full probabilities (for the
        change), `top_other`: its top 5 (to mark classes entering or leaving)."""
        self.title = title
        others = {c for c, _ in top_other} if top_other is not None else None
        self.rows = []
        for index, prob in top:
            row = {"index": index, "name": labels(index), "prob": prob, "delta": None, "tag": ""}
            if probs_other is not None:
                row["delta"] = prob - float(probs_other[index])
            if others is not None and index not in others:
                row["tag"] = "NEW" if self.role == "after" else "left top 5"
            self.rows.append(row)
        self.update()

    def marks(self) -> list[str]:
        """What the list shows beside each class, as text (for tests and tooltips)."""
        out = []
        for row in self.rows:
            mark = row["tag"]
            if not mark and self.role == "after" and row["delta"] is not None:
                mark = _delta_text(row["delta"])
            out.append(f"{row['name']} {_percent(row['prob'])} {mark}".strip())
        return out

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), QColor(style.BACKGROUND))
        painter.setFont(style.title_font(9))
        painter.setPen(style.TEXT)
        title = painter.fontMetrics().elidedText(self.title, Qt.ElideRight, self.width() - 12)
        painter.drawText(QRectF(6, 1, self.width() - 12, 20), Qt.AlignVCenter | Qt.AlignLeft, title)
        painter.setFont(QFont())
        if not self.rows:
            painter.setPen(style.MUTED)
            painter.drawText(self.rect().adjusted(0, 20, 0, 0), Qt.AlignCenter, getattr(self, "_note", "") or "…")
            painter.end()
            return
        metrics = painter.fontMetrics()
        row_h = max(16.0, min(22.0, (self.height() - 24) / 5))
        mark_w = 74.0 if self.role == "after" else 70.0
        value_w = 46.0
        label_w = max(60.0, min(170.0, (self.width() - mark_w - value_w) * 0.55))
        bar_w = max(10.0, self.width() - label_w - value_w - mark_w - 14)
        for k, row in enumerate(self.rows):
            y = 22 + k * row_h
            dim = self.role == "before" and row["tag"]
            text_colour = style.MUTED if dim else style.TEXT
            painter.setPen(text_colour)
            name = metrics.elidedText(row["name"], Qt.ElideRight, int(label_w - 8))
            painter.drawText(QRectF(6, y, label_w - 8, row_h), Qt.AlignVCenter | Qt.AlignLeft, name)
            painter.fillRect(QRectF(label_w, y + 4, bar_w, row_h - 8), QColor(255, 255, 255, 16))
            colour = QColor(style.ACCENT) if k == 0 else QColor(style.ACCENT).darker(150)
            if dim:
                colour = QColor(style.MUTED).darker(140)
            painter.fillRect(QRectF(label_w, y + 4, max(1.0, bar_w * row["prob"]), row_h - 8), colour)
            painter.setPen(text_colour)
            painter.drawText(QRectF(label_w + bar_w, y, value_w, row_h), Qt.AlignVCenter | Qt.AlignRight, _percent(row["prob"]))
            mark_rect = QRectF(label_w + bar_w + value_w + 6, y + 2, mark_w - 8, row_h - 4)
            if row["tag"]:
                tag_colour = NEW if self.role == "after" else style.MUTED
                painter.setPen(QPen(tag_colour, 1))
                painter.drawRoundedRect(mark_rect, 4, 4)
                painter.drawText(mark_rect, Qt.AlignCenter, row["tag"])
            elif self.role == "after" and row["delta"] is not None:
                delta = row["delta"]
                painter.setPen(UP if delta > 0.005 else DOWN if delta < -0.005 else style.MUTED)
                painter.drawText(mark_rect, Qt.AlignVCenter | Qt.AlignRight, _delta_text(delta))
        painter.end()


def _delta_text(delta: float) -> str:
    points = delta * 100
    if abs(points) < 0.5:
        return "= same"
    return f"{'▲' if points > 0 else '▼'} {abs(points):.0f} pts"


class _Frame(QWidget):
    """One glimpse in the filmstrip: its crop, its number and colour, its top-1."""

    clicked = Signal(int)

    def __init__(self, number: int):
        super().__init__()
        self.number = number
        self.image: QImage | None = None
        self.caption = ("", "")
        self.selected = False
        self.setMinimumSize(64, 88)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.PointingHandCursor)

    def set(self, crop, name, prob, tip):
        self.image = _qimage(crop)
        self.caption = (name, _percent(prob))
        self.setToolTip(tip)
        self.update()

    def mousePressEvent(self, event):
        self.clicked.emit(self.number)

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.Antialiasing)
        colour = STEP_COLOURS[(self.number - 1) % len(STEP_COLOURS)]
        text_h = 32
        side = max(8, min(self.width() - 6, self.height() - text_h - 4))
        x = (self.width() - side) / 2
        target = QRectF(x, 3, side, side)
        if self.image is not None:
            painter.drawImage(target, self.image)
        painter.setPen(QPen(colour, 3 if self.selected else 1.5))
        painter.drawRect(target.adjusted(-1, -1, 1, 1))
        badge = QRectF(x + 3, 6, 20, 18)
        painter.fillRect(badge, QColor(0, 0, 0, 170))
        painter.setPen(colour)
        painter.setFont(style.title_font(9))
        painter.drawText(badge, Qt.AlignCenter, str(self.number))
        painter.setFont(QFont())
        metrics = painter.fontMetrics()
        painter.setPen(style.TEXT if self.selected else QColor(style.TEXT).darker(115))
        name = metrics.elidedText(self.caption[0], Qt.ElideRight, self.width() - 4)
        painter.drawText(QRectF(0, side + 5, self.width(), 15), Qt.AlignCenter, name)
        painter.setPen(style.MUTED)
        painter.drawText(QRectF(0, side + 19, self.width(), 14), Qt.AlignCenter, self.caption[1])
        painter.end()


class _Picture(QWidget):
    """An aspect-locked pyqtgraph view with a caption above it."""

    def __init__(self, caption: str):
        super().__init__()
        self.caption = QLabel(caption)
        self.caption.setStyleSheet("color: #9a9a9a")
        self.caption.setMinimumWidth(40)
        self.canvas = pg.GraphicsLayoutWidget()
        self.view = style.image_view(self.canvas)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)


def _html_percent(p) -> str:
    """A probability for rich text: "<0.1%" would otherwise open a tag and swallow the rest."""
    return escape(_percent(p))


class _WrapLabel(QLabel):
    """A word-wrapped label that does not make the layout height-for-width: in a scroll area that
    would size the contents by their preferred height (taller than the dock) instead of filling it.
    (QLabel turns height-for-width back on with every setText, so a size policy cannot.)"""

    def hasHeightForWidth(self):
        return False


class _Content(QWidget):
    """The pane's contents in its scroll area: they ask for no more than their minimum, so they
    fill the dock (pyqtgraph views would otherwise ask for ~640×480 each and always scroll)."""

    def sizeHint(self):
        return self.minimumSizeHint()


# --------------------------------------------------------------------------- the pane


class GlimpsePane(QWidget):
    fovea_shown = Signal()  # a fovea result has been drawn (tests count them)
    glimpses_shown = Signal()

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.runner = None
        self._visible = lambda: self.isVisible()
        self._show_progress = lambda on: None
        self.run = None  # jobs_glimpse.GlimpseRun on screen
        self.fovea_result = None  # jobs_glimpse.FoveaResult on screen
        self.selected = 1  # the glimpse the crop view and the "after" list show
        self.fixation: tuple[float, float] | None = None
        self._submitted_key = None
        self._fovea_in_flight = 0.0  # when the running fovea job was sent (0: none)
        self._fovea_again = False  # the fixation moved while one was running
        self._jump_pending = False
        self.fovea_times: list[float] = []  # when each fovea result was drawn (monotonic)

        # ---- controls
        self.method = QComboBox()
        for name in METHODS:  # the Attention tab's list: core.attribution would import torch here
            self.method.addItem(METHOD_NAMES.get(name, name), name)
        self.method.setToolTip("How the attention map is made (Score-CAM takes seconds per look)")
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
        self.glimpse_button.setChecked(True)
        for button in (self.glimpse_button, self.fovea_button):
            button.setStyleSheet("QPushButton { padding: 3px 12px } QPushButton:checked { background: #2f6f9f;"
                                 " color: white; border: 1px solid #4fc3f7; border-radius: 3px }")
        self.glimpse_button.setToolTip("Attend, crop from the original, look again inside the crop")
        self.fovea_button.setToolTip("Sharp where the eye fixates, coarser towards the edges: drag the fixation")
        self.k = QSpinBox()
        self.k.setRange(1, 5)
        self.k.setValue(3)
        self.k.setPrefix("K = ")
        self.k.setToolTip("How many glimpses: each one attends inside the crop before it")
        self.jump = QPushButton("Jump to attention peak")
        self.jump.setToolTip("Move the fixation to where the attention map is strongest")
        self.box_mode = QComboBox()
        self.box_mode.addItem("threshold", "threshold")
        self.box_mode.addItem("percentile", "percentile")
        self.box_mode.setToolTip("threshold: the region above level × the peak; percentile: above the level-th percentile of the map")
        self.level = QSlider(Qt.Horizontal)
        self.level.setRange(5, 99)
        self.level.setValue(LEVEL_DEFAULTS["threshold"])
        self.level_label = QLabel()
        self.level_label.setMinimumWidth(64)
        self.margin = QSpinBox()
        self.margin.setRange(0, 50)
        self.margin.setValue(round(_DEFAULT_BOX.margin * 100))
        self.margin.setSuffix(" %")
        self.margin.setPrefix("margin ")
        self.margin.setToolTip("Grow the box by this share of its size on every side")
        self.aspect = QComboBox()
        self.aspect.addItem("square", "square")
        self.aspect.addItem("free", "free")
        self.aspect.setToolTip("square keeps the crop undistorted at the model's square input")

        # ---- the photo, with the map, boxes, path and fixation over it
        self.original = _Picture("The whole photo, full resolution")
        view = self.original.view
        self.photo = _DragImage(self.set_fixation)
        self.photo.setAutoDownsample(True)
        self.heat = pg.ImageItem()
        self.heat.setZValue(1)
        view.addItem(self.photo)
        view.addItem(self.heat)
        self.boxes: list[QGraphicsRectItem] = []
        for k in range(5):
            rect = QGraphicsRectItem()
            rect.setPen(pg.mkPen(STEP_COLOURS[k], width=2.5 if k == 0 else 1.6, cosmetic=True))
            rect.setZValue(3 + k)
            rect.hide()
            view.addItem(rect)
            self.boxes.append(rect)
        self.path = pg.PlotDataItem(pen=pg.mkPen(255, 255, 255, 200, width=1.6, style=Qt.DashLine))
        self.path.setZValue(9)
        view.addItem(self.path)
        self.points = pg.ScatterPlotItem(pxMode=True, size=20, pen=pg.mkPen("#1e1f22", width=1.5))
        self.points.setZValue(10)
        view.addItem(self.points)
        self.numbers = []
        # Each number sits beside its point, on a different side, so close fixations stay readable.
        for k, anchor in enumerate([(0.5, 0.5), (-0.25, 1.15), (-0.25, -0.15), (1.25, 1.15), (1.25, -0.15), (-0.4, 0.5)]):
            colour = STEP_COLOURS[(k - 1) % len(STEP_COLOURS)]
            text = pg.TextItem(str(k), color=colour, anchor=anchor, fill=pg.mkBrush(20, 20, 24, 200),
                               border=pg.mkPen(colour, width=1))
            text.setFont(style.title_font(9))
            text.setZValue(11)
            text.hide()
            view.addItem(text)
            self.numbers.append(text)
        self.circles = []  # the sharp disc and where the resolution halves, then halves again
        for k in range(3):
            circle = pg.QtWidgets.QGraphicsEllipseItem()
            circle.setPen(pg.mkPen(255, 255, 255, 150 - 40 * k, width=1.2, style=Qt.DotLine, cosmetic=True))
            circle.setZValue(12)
            circle.hide()
            view.addItem(circle)
            self.circles.append(circle)
        self.marker = pg.ScatterPlotItem(pxMode=True, size=22, symbol="crosshair", pen=pg.mkPen("#ffd54f", width=2.5), brush=None)
        self.marker.setZValue(13)
        view.addItem(self.marker)
        self.peak_marker = pg.ScatterPlotItem(pxMode=True, size=14, symbol="star", pen=pg.mkPen("#111111"), brush=pg.mkBrush("#ff8a65"))
        self.peak_marker.setZValue(12)
        view.addItem(self.peak_marker)

        # ---- the crop (or, in fovea mode, the foveated input) the model saw
        self.crop_view = _Picture("The crop the model sees")
        self.crop = pg.ImageItem()
        self.crop_heat = pg.ImageItem()
        self.crop_heat.setZValue(1)
        self.crop_view.view.addItem(self.crop)
        self.crop_view.view.addItem(self.crop_heat)

        pictures = QHBoxLayout()
        pictures.setSpacing(6)
        pictures.addWidget(self.original, 3)
        pictures.addWidget(self.crop_view, 2)
        # The pictures are the point of the tab: in a short dock they keep a readable size and
        # the lists below scroll into view, rather than everything shrinking to thumbnails.
        for picture in (self.original, self.crop_view):
            picture.setMinimumHeight(230)

        self.before = TopList("Whole image", "before")
        self.after = TopList("Crop", "after")
        lists = QHBoxLayout()
        lists.setSpacing(6)
        lists.addWidget(self.before, 1)
        lists.addWidget(self.after, 1)
        self.headline = _WrapLabel("")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.RichText)

        # ---- bottom: the filmstrip, or the fovea's help and speed
        self.frames = [_Frame(k + 1) for k in range(5)]
        strip = QWidget()
        strip_layout = QHBoxLayout(strip)
        strip_layout.setContentsMargins(0, 0, 0, 0)
        strip_layout.setSpacing(6)
        for frame in self.frames:
            frame.clicked.connect(self.select)
            frame.hide()
            strip_layout.addWidget(frame, 1)
        self.strip_note = _WrapLabel("")
        self.strip_note.setStyleSheet("color: #9a9a9a")
        self.strip_note.setWordWrap(True)
        self.strip_note.setMaximumWidth(150)
        strip_layout.addWidget(self.strip_note)
        strip.setMinimumHeight(92)
        strip.setMaximumHeight(140)
        self.fovea_info = _WrapLabel("")
        self.fovea_info.setWordWrap(True)
        self.fovea_info.setStyleSheet("color: #9a9a9a")
        self.bottom = QStackedWidget()
        self.bottom.addWidget(strip)
        self.bottom.addWidget(self.fovea_info)
        self.bottom.setMaximumHeight(140)

        first = QHBoxLayout()
        first.addWidget(self.glimpse_button)
        first.addWidget(self.fovea_button)
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

        self.headline.setMinimumHeight(self.headline.fontMetrics().lineSpacing() * 3 + 4)  # a change of mind takes two lines, wrapped in a narrow dock three
        content = _Content()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(5)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addLayout(pictures, 5)
        layout.addWidget(self.headline)
        layout.addLayout(lists, 0)
        layout.addWidget(self.bottom, 2)
        # On a small screen the tab scrolls rather than making the whole window taller.
        scroller = QScrollArea()
        scroller.setWidget(content)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.NoFrame)
        scroller.setMinimumSize(120, 120)
        # Transparent, so the pane's own visible region (the window's "is it on screen?" test)
        # is not hidden behind the scroll area's viewport.
        scroller.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)  # setWidget turned it on
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroller)

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

    # ---------------------------------------------------------------- wiring
    def attach(self, runner, visible, show_progress=None):
        """Submit jobs to `runner`; `visible()` says whether the tab is on screen."""
        self.runner = runner
        self._visible = visible
        if show_progress is not None:
            self._show_progress = show_progress
        runner.finished.connect(self._finished)
        runner.failed.connect(self._failed)
        runner.cancelled.connect(self._cancelled)
        dock = self.parentWidget()
        if isinstance(dock, QDockWidget):
            dock.visibilityChanged.connect(lambda shown: shown and QTimer.singleShot(0, self._raised))

    def _raised(self):
        self.make_room()
        self.refresh()
        self.request_fovea()

    def make_room(self):
        """The first time the tab comes to the front, grow the dock to what it needs (never shrink
        it); after that the user's own sizing stands."""
        dock, window = self.parentWidget(), self.window()
        if (getattr(self, "_room_made", False) or not isinstance(dock, QDockWidget) or dock.isFloating()
                or not hasattr(window, "resizeDocks")):
            return
        self._room_made = True
        if dock.width() < ROOM.width():
            window.resizeDocks([dock], [min(ROOM.width(), int(window.width() * 0.5))], Qt.Horizontal)
        if dock.height() < ROOM.height():
            window.resizeDocks([dock], [min(ROOM.height(), int(window.height() * 0.72))], Qt.Vertical)

    def mode(self) -> str:
        return "fovea" if self.fovea_button.isChecked() else "glimpses"

    def settings(self):
        return BoxSettings(mode=self.box_mode.currentData(), level=self.level.value() / 100,
                           margin=self.margin.value() / 100, aspect=self.aspect.currentData())

    def _ready(self) -> bool:
        s = self.session
        return (self.runner is not None and s.model is not None and s.rgb is not None and s.result is not None
                and s.model.hookable and self._visible())

    def refresh(self):
        """Compute the glimpses for the current image and settings, if on screen and not done yet."""
        if not self._ready():
            return
        s = self.session
        method, settings, k = self.method.currentData(), self.settings(), self.k.value()
        key = (id(s.model), id(s.rgb), method, settings)
        run = self.run
        if run is not None and self._key_of(run) == key and (k <= len(run.steps) or len(run.steps) < run.k):
            self._show_run(run)  # fewer glimpses of the same run, or the run already stopped short
            return
        if self._submitted_key == key + (k,):
            return
        self._submitted_key = key + (k,)
        self._run_key = key
        from dlviz.work import glimpse as jobs_glimpse

        self.runner.submit("glimpse", jobs_glimpse.glimpse_run, s.model, s.rgb, k, method, settings)
        if method == "scorecam":  # seconds per look: the window's progress bar and Cancel
            self._progress_on = True
            self._show_progress(True)
        if self.run is None:
            self.after.clear("looking…")

    def _key_of(self, run):
        return getattr(run, "_key", None)

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
        from dlviz.work import glimpse as jobs_glimpse

        self.runner.submit("fovea", jobs_glimpse.fovea, s.model, s.rgb, self.fixation)

    def _finished(self, kind, result):
        if kind == "glimpse":
            self._submitted_key = None
            if result is not None:
                result._key = self._run_key
                self.selected = min(self.selected, max(1, len(result.steps)))
                self._show_run(result)
        elif kind == "fovea":
            self._fovea_in_flight = 0.0
            if result is not None and result.fixation is not None:
                self._show_fovea(result)
            if self._fovea_again:
                self.request_fovea()

    def _failed(self, kind, sentence, trace):
        if kind == "fovea":
            self._fovea_in_flight = 0.0
            self._fovea_again = False
        elif kind == "glimpse":
            self._submitted_key = None
            self.after.clear("could not look: see the status bar")
            if getattr(self, "_progress_on", False):
                self._progress_on = False
                self._show_progress(False)

    def _cancelled(self, kind):
        """A request of ours was cancelled (the status bar's Cancel, a new image): stop waiting."""
        if kind == "fovea":
            self._fovea_in_flight, self._fovea_again = 0.0, False
        elif kind == "glimpse":
            self._submitted_key = None  # the same image and settings may be asked for again
            if self.run is None:
                self.after.clear("stopped")
            if getattr(self, "_progress_on", False):
                self._progress_on = False
                self._show_progress(False)

    # ---------------------------------------------------------------- changes
    def _forward_changed(self):
        self.refresh()
        self.request_fovea()

    def _clear(self):
        if self.runner is not None:
            # looks at the old image (Score-CAM ones take seconds) must not hold up the new
            # image's forward pass, nor draw their boxes over it when they end
            self.runner.cancel("glimpse")
            self.runner.cancel("fovea")
        self._fovea_in_flight, self._fovea_again = 0.0, False
        if getattr(self, "_progress_on", False):
            self._progress_on = False
            self._show_progress(False)
        self.run = None
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
            self.photo.setImage(rgb, levels=(0, 255))
            self.photo.setRect(QRectF(0, 0, width, height))
            self.original.view.setRange(xRange=(0, width), yRange=(0, height), padding=0.01)
            self.original.caption.setText(f"{self.session.image_name or 'The photo'} · {width}×{height} px")
            self.original.caption.setToolTip("The original at full resolution, with the attention map of the top class")
        self.heat.clear()
        self.crop.clear()
        self.crop_heat.clear()
        self._draw_path(None)

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
        self._set_box(self.boxes[0], box)
        self.boxes[0].setPen(pg.mkPen(STEP_COLOURS[0], width=2.5, cosmetic=True, style=Qt.DashLine if dashed else Qt.SolidLine))
        self.boxes[0].show()

    def _mode_changed(self):
        fovea = self.mode() == "fovea"
        self.k.setVisible(not fovea)
        self.jump.setVisible(fovea)
        for widget in self.box_controls:
            widget.setEnabled(not fovea)
        self.bottom.setCurrentIndex(1 if fovea else 0)
        self.bottom.setMaximumHeight(56 if fovea else 140)  # the fovea's two lines leave the room to the pictures
        self.photo.draggable = fovea
        self.photo.setCursor(Qt.CrossCursor) if fovea else self.photo.unsetCursor()
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
        self.marker.setData([self.fixation[0]], [self.fixation[1]])
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
        recent = [t for t in self.fovea_times if self.fovea_times[-1] - t <= 1.0]
        self.fovea_times = recent
        rate = len(recent)
        model = self.session.model
        top, name = result.top[0], model.label(result.top[0][0])
        self.fovea_info.setText(
            f"Fixation at ({result.fixation[0]:.0f}, {result.fixation[1]:.0f}) · sees <b>{escape(name)}</b> {_html_percent(top[1])}"
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
        if getattr(self, "_progress_on", False):
            self._progress_on = False
            self._show_progress(False)
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
                          + "\n".join(f"{labels(c)}: {_percent(p)}" for c, p in step.top))
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
        opacity = self.opacity.value() / 100
        cmap = self.session.cmap
        if run is not None and not fovea:
            self.heat.setImage(heat_rgba(run.full.cam, cmap, opacity), levels=(0, 255))
            self.heat.setRect(QRectF(*_xywh(run.full.view)))
            self.heat.show()
        else:
            self.heat.hide()
        if fovea:
            self._redraw_fovea()
        else:
            self._redraw_glimpses()

    def _redraw_glimpses(self):
        run = self.run
        rgb = self.session.rgb
        for circle in self.circles:
            circle.hide()
        self.marker.setData([], [])
        self.peak_marker.setData([], [])
        if rgb is not None:
            self.photo.setImage(rgb, levels=(0, 255))
            self.photo.setRect(QRectF(0, 0, rgb.shape[1], rgb.shape[0]))
        if run is None:
            self._draw_path(None)
            return
        labels = self.session.model.label
        steps = self.shown_steps
        self._draw_path(run)
        for k, frame in enumerate(self.frames):
            frame.selected = k + 1 == self.selected
            frame.update()
        full_index, full_prob = run.full.top[0]
        before_title = f"Whole image · {run.full.crop.shape[1]} px input"
        if not steps:
            self.before.show_top(before_title, labels, run.full.top)
            self.after.clear("no crop: the attention covers the whole image")
            self.crop.setImage(run.full.crop, levels=(0, 255))
            self.crop_view.caption.setText("No crop: the whole image")
            self.crop_heat.hide()
            self.headline.setText("")
            self._preview_box(dashed=True)  # the box it would take, to show why it did not
            return
        step = steps[self.selected - 1]
        x0, y0, x1, y1 = step.box
        self.before.show_top(before_title, labels, run.full.top, step.probs, step.top)
        self.after.show_top(f"Glimpse {self.selected} · crop {x1 - x0:.0f}×{y1 - y0:.0f} px", labels,
                            step.top, run.full.probs, run.full.top)
        self.crop.setImage(step.crop, levels=(0, 255))
        side = step.crop.shape[0]
        self.crop_heat.setImage(heat_rgba(step.cam, self.session.cmap, self.opacity.value() / 100 * 0.6), levels=(0, 255))
        self.crop_heat.setRect(QRectF(0, 0, side, side))
        self.crop_heat.show()
        self.crop_view.view.setRange(xRange=(0, side), yRange=(0, side), padding=0.01)
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
            return (f"Still <b>{escape(labels(after_index))}</b>, {_html_percent(before_prob)} → {_html_percent(after_prob)}"
                    f" <span style='color:{colour.name()}'>{_delta_text(change)}</span>")
        return (f"The {what} changes the model's mind: <b>{escape(labels(before_index))}</b> {_html_percent(before_prob)} → "
                f"<b style='color:{NEW.name()}'>{escape(labels(after_index))}</b> {_html_percent(after_prob)}"
                f"<br><span style='color:{style.MUTED.name()}'>{escape(labels(after_index))} had"
                f" {_html_percent(float(full_probs[after_index]))} on the whole image</span>")

    def _draw_path(self, run):
        steps = getattr(self, "shown_steps", []) if run is not None else []
        fovea = self.mode() == "fovea"
        for k, rect in enumerate(self.boxes):
            if k < len(steps) and not fovea:
                if k == 0:
                    rect.setPen(pg.mkPen(STEP_COLOURS[0], width=2.5, cosmetic=True))
                self._set_box(rect, steps[k].box)
                rect.show()
            else:
                rect.hide()
        if run is None or fovea or not steps:
            self.path.setData([], [])
            self.points.setData([])
            for text in self.numbers:
                text.hide()
            return
        points = [run.full.fixation] + [step.fixation for step in steps]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self.path.setData(xs, ys)
        brushes = [pg.mkBrush(255, 255, 255, 220)] + [pg.mkBrush(STEP_COLOURS[k]) for k in range(len(steps))]
        sizes = [11] + [12] * len(steps)
        self.points.setData(x=xs, y=ys, brush=brushes, size=sizes)
        for k, text in enumerate(self.numbers):
            if k < len(points):
                text.setText(str(k) if k else "")
                text.setPos(xs[k], ys[k])
                text.setVisible(k > 0)
            else:
                text.hide()

    @staticmethod
    def _set_box(rect, box):
        rect.setRect(QRectF(*_xywh(box)))

    def _redraw_fovea(self):
        self._draw_path(None)
        result = self.fovea_result
        rgb = self.session.rgb
        if rgb is None:
            return
        height, width = rgb.shape[:2]
        if result is not None:
            self.photo.setImage(result.display, levels=(0, 255))
            self.photo.setRect(QRectF(0, 0, width, height))
            self.crop.setImage(result.model_input, levels=(0, 255))
            side = result.model_input.shape[0]
            self.crop_view.view.setRange(xRange=(0, side), yRange=(0, side), padding=0.01)
            self.crop_view.caption.setText(f"Model input · foveated, {side}×{side}")
            fx, fy = result.fixation
            for k, circle in enumerate(self.circles):
                r = result.radius * 2 ** k
                circle.setRect(QRectF(fx - r, fy - r, 2 * r, 2 * r))
                circle.show()
            labels = self.session.model.label
            run = self.run
            if run is not None:
                self.before.show_top(f"Whole image · {run.full.crop.shape[1]} px input", labels, run.full.top, result.probs, result.top)
                self.after.show_top("Fovea", labels, result.top, run.full.probs, run.full.top)
                self.headline.setText(self._headline(labels, run.full.top[0], result, run.full.probs, "fovea"))
            else:
                self.after.show_top("Fovea", labels, result.top)
        else:
            self.crop.clear()
            self.crop_view.caption.setText("Model input · foveated")
        self.crop_heat.hide()
        if self.fixation is not None:
            self.marker.setData([self.fixation[0]], [self.fixation[1]])
        if self.run is not None:
            self.peak_marker.setData([self.run.peak[0]], [self.run.peak[1]])


def _xywh(box):
    x0, y0, x1, y1 = box
    return x0, y0, x1 - x0, y1 - y0
