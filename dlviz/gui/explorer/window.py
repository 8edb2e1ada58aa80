"""The embedding explorer: a window of its own with a big plot and a column of controls.

Load points (the loaded model's classes, an image folder's features, a vector file, GloVe words),
choose a method and press Run: the layout forms live, with pause, resume and stop. Nothing costly
starts by itself; a precomputed 2-D layout is shown as it is. Hover for a label (and a thumbnail),
click for the nearest neighbours in the original space, search, colour by a metadata column,
select with a rectangle or lasso, isolate, and export the picture or the coordinates.

The window has its own JobRunner, so a long run never holds up the toolbox's forward passes;
its one worker thread also means one embedding at a time (numba's parallel code is not re-entrant).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from dlviz.core import catalogue
from dlviz.gui.explorer.colours import categorical, continuous, numeric
from dlviz.gui.explorer.column import ControlColumn
from dlviz.gui.explorer.exports import Exports
from dlviz.core.wording import how_many
from dlviz.gui import style
from dlviz.gui.explorer.scatter import ScatterView
from dlviz.gui.widgets.controls import choose, guard_wheels
from dlviz.gui.widgets.notice import tell
from dlviz.gui.widgets.scrolling import scroll_area
from dlviz.gui.widgets.screens import open_within_screen
from dlviz.work import embed as jobs_embed
from dlviz.work import kinds
from dlviz.work.runner import JobRunner


class EmbeddingWindow(ControlColumn, Exports, QMainWindow):
    image_wanted = Signal(str)  # a point made from an image was opened: show it in the toolbox
    message = Signal(str)  # every sentence put in the status bar (tests listen)
    layout_shown = Signal()  # a finished layout is on screen

    def __init__(self, loaded=None, parent=None, cache_dir=None):
        super().__init__(parent)
        self.setWindowTitle("dlviz — embedding explorer")
        self.loaded = loaded
        self.cache_dir = cache_dir
        self.runner = JobRunner(kinds.EXPLORER, parent=self)
        self.pause_event = threading.Event()
        self.pending_columns: dict = {}  # colour and sampling columns to choose once points are loaded
        self.pending_layout = None  # a saved layout and camera to put on the points once they are read again
        self.colour_memory: dict[str, dict] = {}  # column -> value -> colour: a value keeps its colour
        self.points = None  # PointSet as loaded
        self._points_version = 0  # goes up with every point set loaded
        self.hide_on_close = False  # the toolbox sets it: then closing hides, `shutdown` ends
        self.base_index = None  # rows of `points` in `current` (sampling)
        self.current = None  # PointSet shown (sampled), rows = view indices
        self.coords = None  # (n, 2) float32 of `current`, or None before a run
        self.isolated: np.ndarray | None = None
        self._stack: list[tuple] = []  # (current, layout, base_index) under a re-run isolation
        self._thumbs: dict[int, np.ndarray] = {}
        self._running = False
        self._drawn_sample = None  # (key, index, subset) a source job drew, for the next _resample
        self._partials = 0

        self.view = ScatterView()
        self.header = QLabel("No points yet: choose a source and press Load.")
        self.header.setWordWrap(True)
        style.set_sheet(self.header, "QLabel {{ font-size: {pt11}pt; padding: 4px 6px; }}")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(2)
        right_layout.addWidget(self.header)
        right_layout.addWidget(self.view, 1)

        column = QWidget()
        col = QVBoxLayout(column)
        col.setContentsMargins(6, 6, 6, 6)
        col.setSpacing(8)
        col.addWidget(self._source_box())
        col.addWidget(self._method_box())
        col.addWidget(self._run_box())
        col.addWidget(self._explore_box())
        col.addWidget(self._neighbour_box())
        col.addWidget(self._export_box())
        col.addStretch(1)
        scroller = scroll_area(column)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroller.setFixedWidth(360)
        column.setMaximumWidth(360 - scroller.verticalScrollBar().sizeHint().width())
        for combo in column.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)

        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(scroller)
        layout.addWidget(right, 1)
        self.setCentralWidget(body)
        guard_wheels(column)  # scrolling the column never changes a setting it passes over
        open_within_screen(self, 1400, 900, share=0.9, place=False)  # all of it on a small screen

        self.runner.failed.connect(self._failed)
        self.view.clicked.connect(self.show_neighbours)
        self.view.activated.connect(self.open_point)
        self.view.selection_changed.connect(self._selection_changed)
        self.view.thumbnail = self._thumbnail
        self._method_changed()
        self._source_changed()
        self._set_running(False)
        self.runner.submit(kinds.WARM_UP, jobs_embed.warm_up)
        self.say("Choose a source and press Load; nothing is computed until you press Run.")

    # ------------------------------------------------------------------ status
    def say(self, sentence: str, error: bool = False):
        tell(self.statusBar(), sentence, error)
        self.message.emit(sentence)

    def _update_header(self):
        if self.current is None:
            return
        n, total = len(self.current), len(self.points)
        shown = len(self.isolated) if self.isolated is not None else n
        parts = [self.points.name or "points"]
        if shown < total:
            parts.append(f"showing {shown:,} of {how_many(total, 'point')}")
        else:
            parts.append(how_many(total, "point"))
        if self.coords is None:
            parts.append("press Run to lay them out")
        elif self.view.mode == "density":
            parts.append("density view: zoom in to see single points")
        self.header.setText(" · ".join(parts))

    # ------------------------------------------------------------------ sources
    def load_source(self):
        kind = self.source.currentData()
        if kind == "classes":
            self.load_classes()
        elif kind == "folder":
            if not self.folder_path.text().strip():
                self._choose_folder()
            if self.folder_path.text().strip():
                self.load_folder(self.folder_path.text().strip(), self.folder_layer.text().strip() or None)
        elif kind == "file":
            if not self.file_path.text().strip():
                self._choose_file()
            if self.file_path.text().strip():
                self.load_vector_file(self.file_path.text().strip(), self.meta_path.text().strip() or None)
        else:
            self.load_words(self.word_limit.value())

    def _submit_source(self, text, fn, *args):
        self.say(text)
        self._drop_run()  # a layout of the old points: Pause and Stop go back to rest too
        self.runner.submit(kinds.SOURCE, jobs_embed.read_source, fn, args, self.max_points.value(), self.seed.value(),
                           done=self._source_read, progress=self._progress,
                           failed=self._source_failed, cancelled=self._source_failed)
        self._show_busy(True, text)

    def _source_failed(self, *sentence):
        self._show_busy(False)
        self.pending_layout = None  # a saved layout is for the points that failed, not for the next ones

    def load_classes(self):
        self._submit_source("Reading the classifier's rows…", jobs_embed.class_points, self.loaded)

    def load_folder(self, folder, layer=None):
        self._submit_source(f"Computing features of the images in {Path(folder).name}…", jobs_embed.folder_points,
                            self.loaded, folder, layer, self.cache_dir)

    def load_vector_file(self, path, metadata=None):
        """Read a vector file on the worker; `metadata` is a metadata table or a labels file."""
        self._submit_source(f"Reading {Path(path).name}…", jobs_embed.read_vectors, path, metadata or None)

    def load_words(self, limit):
        self._submit_source(f"Reading the {limit:,} most frequent GloVe words…", jobs_embed.glove_words, limit)

    def set_points(self, points):
        """A new point set: shown at once when it comes with a 2-D layout, else waiting for Run."""
        self.points = points
        self._points_version += 1
        self._sampled = None  # a new set is always sampled afresh
        self._stack.clear()
        dims = f", {points.vectors.shape[1]:,}-d" if points.vectors is not None else ""
        info = how_many(len(points), "point") + dims
        if points.skipped:
            info += f"; {how_many(len(points.skipped), 'file')} skipped (unreadable)"
        self.source_info.setText(info)
        self.matches.setText("")  # what was found or selected among the old points is gone with them
        self.selection_info.setText("")
        self.neighbour_list.clear()
        self.colour_by.clear()
        self.colour_by.addItem("(one colour)", None)
        self.sampling.clear()
        self.sampling.addItem("random", None)
        for name in points.meta:
            self.colour_by.addItem(name, name)
            self.sampling.addItem(f"stratified by {name}", name)
        # colour by the first column that tells points apart: the classes' kind, a dataset's
        # class folders, or what the model called each image
        default = next((c for c in ("group", "folder", "top class")
                        if c in points.meta and len(set(points.meta[c][:5000])) > 1), None)
        if default is not None and default != points.label_column:
            self.colour_by.setCurrentIndex(self.colour_by.findData(default))
        for name, column in self.pending_columns.items():  # a restored session's choice wins
            choose(getattr(self, name), column)
        self.pending_columns = {}
        self._resample()
        if self.pending_layout is not None:
            self.put_saved_layout()
        elif points.layout is not None and points.layout.shape[1] >= 2:
            self.say(f"{info}: shown with the coordinates from the file.")
        else:
            self.say(f"Loaded {info}. Press Run to lay them out.")

    def _drop_run(self):
        """The points on screen are about to change: a layout still running is for the old ones."""
        if self._running:
            self.runner.cancel(kinds.EMBED)
            self.pause_event.clear()
            self._running = False
            self._set_running(False)

    def _resample(self):
        points = self.points
        if points is None:
            return
        key = (self._points_version, self.max_points.value(), self.sampling.currentData(), self.seed.value())
        if key == getattr(self, "_sampled", None):
            return  # focus left "Max points" unchanged, or the same choice again: keep the layout
        self._sampled = key
        self._drop_run()
        n, limit = len(points), self.max_points.value()
        drawn, self._drawn_sample = self._drawn_sample, None
        if n > limit and drawn is not None and drawn[0] == key[1:]:  # drawn by the source job already
            _, self.base_index, self.current = drawn
        elif n > limit:
            from dlviz.core.embedding import sample

            column = self.sampling.currentData()
            labels = points.meta[column] if column else None
            self.base_index = sample(n, limit, labels=labels, seed=self.seed.value())
            self.current = points.subset(self.base_index)
        else:
            self.base_index = np.arange(n)
            self.current = points
        self.isolated = None
        self._thumbs.clear()
        self.coords = None
        if self.current.layout is not None and self.current.layout.shape[1] >= 2:
            self.coords = np.ascontiguousarray(self.current.layout[:, :2], np.float32)
        self._show_layout(new=True)

    def _show_layout(self, new: bool):
        labels = self.current.labels()
        if self.coords is None:
            self.view.set_points(np.zeros((0, 2), np.float32))
        elif new or len(self.view.pos) != len(self.coords):
            self.view.set_points(self.coords, labels)
            self.apply_colours()
            self.apply_search()
            self.neighbour_list.clear()
        else:
            self.view.set_positions(self.coords)
        self._update_header()

    # ------------------------------------------------------------------ running
    def run(self):
        if self.current is None:
            self.say("Load some points first.", error=True)
            return
        if self.current.vectors is None:
            self.say("These points come as coordinates only: there is nothing to lay out.", error=True)
            return
        if self.isolated is not None and len(self.isolated) != len(self.current):
            if len(self.isolated) < 3:
                self.say("Select at least 3 points to lay them out again.", error=True)
                return
            # Re-run on the isolated points: they become the set, "Show all" goes back.
            self._stack.append((self.current, self.coords, self.base_index))
            self.base_index = self.base_index[self.isolated]
            self.current = self.current.subset(self.isolated)
            self.coords = None if self.coords is None else self.coords[self.isolated]
            self.isolated = None
            self._thumbs.clear()
            self._show_layout(new=True)
        settings = self.settings()
        if self.loaded is not None:  # the neighbours are searched where the model runs
            settings = settings.with_(device=self.loaded.device.type)
        self.pause_event.clear()
        self.pause_button.setChecked(False)
        self._partials = 0
        self.runner.submit(kinds.EMBED, jobs_embed.embed_points, self.current.vectors, settings, self.pause_event,
                           done=self._laid_out, partial=self._partial, progress=self._progress, failed=self._run_failed)
        self._running = True
        self._set_running(True)
        name = self.method.currentText()
        self.iteration.setText(f"{name} of {how_many(len(self.current), 'point')}: starting…")
        from dlviz.core.embedding import effective_perplexity

        lowered = effective_perplexity(settings.perplexity, len(self.current))
        note = (f" Perplexity {settings.perplexity:g} is too large for so few: t-SNE uses {lowered:.3g}."
                if settings.method == "tsne" and lowered < settings.perplexity else "")
        self.say(f"Running {name} on {how_many(len(self.current), 'point')}…{note}")

    def set_paused(self, paused: bool):
        if paused:
            self.pause_event.set()
        else:
            self.pause_event.clear()
        self.pause_button.setText("Resume" if paused else "Pause")
        if self._running:
            self.say("Paused: the layout holds until you resume." if paused else "Resumed.")

    def stop(self):
        if self.runner.waiting(kinds.SOURCE):  # Stop also ends the reading of points: a big file, a slow folder
            self.runner.cancel(kinds.SOURCE)
            self.say("Stopped reading the points; the ones shown stay.")
            return
        if not self._running:
            return
        self.runner.cancel(kinds.EMBED)
        self.pause_event.clear()
        self._running = False
        self._set_running(False)
        self.iteration.setText(self.iteration.text() + " — stopped")
        self.say("Stopped; the layout so far stays on screen.")
        self._update_header()

    def _set_running(self, running: bool):
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.progress.setVisible(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    def _show_busy(self, busy: bool, text: str = ""):
        """Points are being read (busy) or no longer: the progress bar and Stop follow."""
        self.progress.setVisible(busy or self._running)
        self.stop_button.setEnabled(busy or self._running)
        if busy:
            self.progress.setValue(0)
            self.iteration.setText(text)

    def _progress(self, fraction, text):
        self.progress.setValue(int(fraction * 1000))
        if text:
            self.iteration.setText(text)

    def _partial(self, partial):
        if self.current is None or len(partial) != len(self.current):
            return
        self._partials += 1
        self.coords = np.ascontiguousarray(partial[:, :2], np.float32)
        self._show_layout(new=len(self.view.pos) != len(self.coords))

    def _source_read(self, result):
        self._show_busy(False)
        if result.points is None:
            self.say("Stopped reading the points.")
            return
        self._drawn_sample = result.sample  # used by _resample if the sampling asked for is that one
        self.set_points(result.points)

    def _laid_out(self, result):
        self._running = False
        self._set_running(False)
        if result is None or len(result.layout) != len(self.current):
            return  # stopped, or laid out points that are no longer the ones shown
        self.coords = np.ascontiguousarray(result.layout[:, :2], np.float32)
        self._show_layout(new=len(self.view.pos) != len(self.coords))
        name = catalogue.EMBED_METHODS[result.settings.method]  # the run's, not the combo's now
        text = f"{name} of {how_many(len(self.current), 'point')} in {result.seconds:.1f} s"
        self.iteration.setText(text)
        self.say(text + ".")
        self.layout_shown.emit()

    def _run_failed(self, sentence):
        self._running = False
        self._set_running(False)
        self._show_busy(False)

    def _failed(self, kind, sentence, trace):
        if kind != kinds.WARM_UP:  # a run will say what is wrong, with the user watching
            self.say(sentence, error=True)

    # ------------------------------------------------------------------ exploring
    def apply_colours(self):
        if self.current is None or self.coords is None:
            return
        column = self.colour_by.currentData()
        if column is None:
            self.view.set_colours()
            return
        values = self.current.meta[column]
        as_numbers = numeric(values)
        if as_numbers is not None and len(np.unique(values)) > 20:
            codes, colours, (low, high) = continuous(as_numbers)
            self.view.set_colours(codes, colours, bar=(low, high), title=column)
        else:
            codes, colours, names = categorical(values, known=self.colour_memory.setdefault(column, {}))
            self.view.set_colours(codes, colours, legend=names, title=column)

    def search_indices(self, text: str, regex: bool) -> np.ndarray:
        labels = self.current.labels().astype(str)
        if regex:
            pattern = re.compile(text, re.IGNORECASE)
            hits = [i for i, label in enumerate(labels) if pattern.search(label)]
            return np.asarray(hits, np.int64)
        lowered = np.char.lower(labels.astype(str))
        return np.flatnonzero(np.char.find(lowered, text.lower()) >= 0)

    def apply_search(self):
        if self.current is None or self.coords is None:
            return
        text = self.search.text().strip()
        if not text:
            self.view.set_marked([])
            self._name_points()
            self.matches.setText("")
            return
        try:
            hits = self.search_indices(text, self.regex.isChecked())
        except re.error as exc:
            self.matches.setText(f"not a regular expression: {exc.msg}")
            return
        self.view.set_marked(hits)
        self._name_points()
        self.matches.setText(f"{len(hits):,} match{'es' if len(hits) != 1 else ''}" if len(hits) else "no match")

    def _name_points(self):
        """Labels are written next to the clicked point, its neighbours and the search matches."""
        named = []
        if self.view.current >= 0:
            named.append(self.view.current)
            named.extend(int(i) for i in self.view.neighbours)
        named.extend(int(i) for i in self.view.marked[:40])
        self.view.set_named(list(dict.fromkeys(named)))

    def find_words(self):
        if self.current is None or self.coords is None:
            self.say("Load the words and press Run first; then the typed words are placed.", error=True)
            return
        from dlviz.core.vectors import VectorError, pick_words

        try:
            found, missing = pick_words(self.current, self.words.toPlainText())
        except VectorError as exc:
            self.say(str(exc), error=True)
            return
        self.view.set_marked(found)
        self._name_points()
        if missing:
            self.say(f"Not among these {len(self.current):,} words: {', '.join(missing[:10])}.", error=True)
        else:
            self.say(f"{len(found)} words placed.")

    def show_neighbours(self, index: int):
        if self.current is None or index < 0:
            return
        vectors = self.current.vectors if self.current.vectors is not None else self.coords
        metric = self.nn_metric.currentText()
        from dlviz.core.embedding import EmbeddingError, nearest

        try:
            found, dist = nearest(vectors, int(index), self.k.value(), metric)
        except EmbeddingError as exc:
            self.say(str(exc), error=True)
            return
        self.view.set_current(index, found)
        self._name_points()
        self.neighbour_list.clear()
        labels = self.current.labels()
        head = QListWidgetItem(f"● {labels[index]}")
        head.setData(Qt.UserRole, int(index))
        self.neighbour_list.addItem(head)
        for i, d in zip(found, dist):
            item = QListWidgetItem(f"   {labels[i]}    {d:.3f}")
            item.setData(Qt.UserRole, int(i))
            item.setToolTip(f"{metric} distance {d:.4f}")
            self.neighbour_list.addItem(item)
        self.say(f"{labels[index]}: its {len(found)} nearest neighbours ({metric}) are ringed.")

    def neighbour_indices(self) -> list[int]:
        return [self.neighbour_list.item(r).data(Qt.UserRole) for r in range(1, self.neighbour_list.count())]

    def _neighbour_clicked(self, item):
        self.show_neighbours(item.data(Qt.UserRole))

    def open_point(self, index):
        if self.current is None or index is None or index < 0:
            return
        if not self.current.images:
            self.say("Only points made from images open in the toolbox.", error=True)
            return
        path = self.current.images[int(index)]
        self.image_wanted.emit(path)
        self.say(f"Opened {Path(path).name} in the toolbox.")

    def _thumbnail(self, index):
        if self.current is None or not self.current.images:
            return None
        if index not in self._thumbs:
            from dlviz.core.features import thumbnails

            if len(self._thumbs) > 512:
                self._thumbs.clear()
            self._thumbs[index] = thumbnails([self.current.images[index]], 96)[0]
        return self._thumbs[index]

    def _selection_changed(self, selected):
        self.selection_info.setText(f"{len(selected):,} selected" if len(selected) else "")

    def isolate(self):
        selected = self.view.selected
        if not len(selected):
            self.say("Select some points first (Shift+drag, or the Rectangle and Lasso tools).", error=True)
            return
        self.isolated = np.asarray(selected, np.int64)
        self.view.set_shown(self.isolated)
        self._update_header()
        self.say(f"Showing the {len(selected):,} selected points; Run lays out only them, Show all goes back.")

    def show_all(self):
        if self._stack:
            self._drop_run()
            self.current, self.coords, self.base_index = self._stack[0]
            self._stack.clear()
            self._thumbs.clear()
            self.isolated = None
            self._show_layout(new=True)
        else:
            self.isolated = None
            self.view.set_shown(None)
        self._update_header()

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> bool:
        """End the worker thread for good (the window's last act)."""
        self.hide_on_close = False
        self.pause_event.clear()
        return self.runner.shutdown(15000)

    def closeEvent(self, event):
        if self.hide_on_close:
            # Opened from the toolbox: closing stops any work and hides the window, which keeps
            # its points and layout for the next time it is opened; the toolbox ends it on exit.
            self.runner.cancel(kinds.SOURCE)
            self.stop()
            event.ignore()
            self.hide()
            return
        self.shutdown()
        super().closeEvent(event)
