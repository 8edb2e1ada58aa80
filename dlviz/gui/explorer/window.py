"""The embedding explorer: a window of its own with a big plot and a column of controls.

Load points (the loaded model's classes, an image folder's features, a vector file, GloVe words),
choose a method and press Run: the layout forms live, with pause, resume and stop. Nothing costly
starts by itself; a precomputed 2-D layout is shown as it is. Hover for a label (and a thumbnail),
click for the nearest neighbours in the original space, search, colour by a metadata column,
select with a rectangle or lasso, isolate, and export the picture or the coordinates.

The window has its own TaskRunner, so a long run never holds up the toolbox's forward passes;
its one worker thread also means one embedding at a time (numba's parallel code is not re-entrant).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dlviz.work import embed as jobs_embed
from dlviz.gui.explorer.scatter import ScatterView, categorical, continuous, numeric
from dlviz.work.runner import TaskRunner

SOURCES = (("Classes of the loaded model", "classes"), ("Image folder…", "folder"),
           ("Vector file…", "file"), ("Words: GloVe 6B", "words"))
METHOD_NAMES = (("UMAP", "umap"), ("t-SNE", "tsne"), ("PCA", "pca"))
KINDS = ("source", "embed", "warmup")


def _spin(low, high, value, step=1, suffix="", special=None):
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSingleStep(step)
    box.setGroupSeparatorShown(True)
    if suffix:
        box.setSuffix(suffix)
    if special:
        box.setSpecialValueText(special)
    return box


def _dspin(low, high, value, step, decimals=2, special=None):
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)
    return box


def _fit_stack(stack: QStackedWidget):
    """A stack as tall as its current page, not its tallest one."""
    def update(index):
        for i in range(stack.count()):
            policy = QSizePolicy.Preferred if i == index else QSizePolicy.Ignored
            stack.widget(i).setSizePolicy(QSizePolicy.Preferred, policy)
        stack.adjustSize()

    stack.currentChanged.connect(update)
    update(stack.currentIndex())


def _form(*rows):
    form = QFormLayout()
    form.setContentsMargins(0, 0, 0, 0)
    form.setLabelAlignment(Qt.AlignRight)
    for label, widget in rows:
        form.addRow(label, widget)
    holder = QWidget()
    holder.setLayout(form)
    return holder


class EmbeddingWindow(QMainWindow):
    image_wanted = Signal(str)  # a point made from an image was opened: show it in the toolbox
    message = Signal(str)  # every sentence put in the status bar (tests listen)
    layout_shown = Signal()  # a finished layout is on screen

    def __init__(self, loaded=None, parent=None, cache_dir=None):
        super().__init__(parent)
        self.setWindowTitle("dlviz — embedding explorer")
        self.loaded = loaded
        self.cache_dir = cache_dir
        self.runner = TaskRunner(priority=KINDS, parent=self)
        self.pause_event = threading.Event()
        self.points = None  # PointSet as loaded
        self.hide_on_close = False  # the toolbox sets it: then closing hides, `shutdown` ends
        self.base_index = None  # rows of `points` in `current` (sampling)
        self.current = None  # PointSet shown (sampled), rows = view indices
        self.coords = None  # (n, 2) float32 of `current`, or None before a run
        self.isolated: np.ndarray | None = None
        self._stack: list[tuple] = []  # (current, layout, base_index) under a re-run isolation
        self._thumbs: dict[int, np.ndarray] = {}
        self._running = False
        self._partials = 0

        self.view = ScatterView()
        self.header = QLabel("No points yet: choose a source and press Load.")
        self.header.setWordWrap(True)
        self.header.setStyleSheet("QLabel { font-size: 11pt; padding: 4px 6px; }")
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
        scroller = QScrollArea()
        scroller.setWidget(column)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.NoFrame)
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
        self.resize(1400, 900)

        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.progress.connect(self._progress)
        self.runner.partial.connect(self._partial)
        self.view.clicked.connect(self.show_neighbours)
        self.view.activated.connect(self.open_point)
        self.view.selection_changed.connect(self._selection_changed)
        self.view.thumbnail = self._thumbnail
        self._method_changed()
        self._source_changed()
        self._set_running(False)
        self.runner.submit("warmup", jobs_embed.warm_up)
        self.say("Choose a source and press Load; nothing is computed until you press Run.")

    # ------------------------------------------------------------------ building the column
    def _source_box(self):
        box = QGroupBox("Source")
        self.source = QComboBox()
        for text, value in SOURCES:
            self.source.addItem(text, value)
        self.source_pages = QStackedWidget()
        self.source_pages.addWidget(QLabel("The rows of the final classifier layer, one point per class. Works offline."))
        self.folder_path = QLineEdit()
        self.folder_path.setPlaceholderText("folder of images")
        self.folder_layer = QLineEdit()
        self.folder_layer.setPlaceholderText("pooled features before the classifier")
        self.source_pages.addWidget(_form(("Folder", self._with_browse(self.folder_path, self._choose_folder)),
                                          ("Layer", self.folder_layer)))
        self.file_path = QLineEdit()
        self.file_path.setPlaceholderText(".tsv .npy .csv .txt .vec (.gz)")
        self.meta_path = QLineEdit()
        self.meta_path.setPlaceholderText("optional: metadata TSV or labels")
        self.source_pages.addWidget(_form(("Vectors", self._with_browse(self.file_path, self._choose_file)),
                                          ("Metadata", self._with_browse(self.meta_path, self._choose_meta))))
        self.word_limit = _spin(100, 400_000, 20_000, 5_000)
        self.word_limit.setToolTip("The most frequent words are loaded first")
        self.words = QPlainTextEdit()
        self.words.setPlaceholderText("king, queen, man, woman, paris, france")
        self.words.setFixedHeight(54)
        self.place_words = QPushButton("Place words")
        self.place_words.setToolTip("Highlight and name the typed words among the points")
        self.place_words.clicked.connect(self.find_words)
        page = QWidget()
        words = QVBoxLayout(page)
        words.setContentsMargins(0, 0, 0, 0)
        words.addWidget(_form(("Vocabulary", self.word_limit)))
        words.addWidget(self.words)
        words.addWidget(self.place_words)
        self.source_pages.addWidget(page)
        for i in range(self.source_pages.count()):
            widget = self.source_pages.widget(i)
            if isinstance(widget, QLabel):
                widget.setWordWrap(True)
        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(self.load_source)
        self.source_info = QLabel("")
        self.source_info.setWordWrap(True)
        self.max_points = _spin(100, 2_000_000, 200_000, 10_000)
        self.sampling = QComboBox()
        self.sampling.addItem("random", None)
        self.max_points.setToolTip("Larger sets are sampled; the plot says how many are shown")
        self.max_points.editingFinished.connect(self._resample)
        self.sampling.activated.connect(self._resample)
        _fit_stack(self.source_pages)
        self.source.currentIndexChanged.connect(self._source_changed)
        layout = QVBoxLayout(box)
        layout.addWidget(self.source)
        layout.addWidget(self.source_pages)
        layout.addWidget(self.load_button)
        layout.addWidget(self.source_info)
        layout.addWidget(_form(("Max points", self.max_points), ("Sample", self.sampling)))
        return box

    def _with_browse(self, edit, slot):
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        button = QToolButton()
        button.setText("…")
        button.clicked.connect(slot)
        row.addWidget(button)
        return holder

    def _method_box(self):
        box = QGroupBox("Method")
        self.method = QComboBox()
        for text, value in METHOD_NAMES:
            self.method.addItem(text, value)
        self.perplexity = _dspin(2, 500, 30, 5, 1)
        self.learning_rate = _dspin(0, 100_000, 0, 50, 0, special="auto")
        self.exaggeration = _dspin(1, 100, 12, 1, 1)
        self.tsne_iterations = _spin(0, 20_000, 0, 50, special="auto (750)")
        self.neighbors = _spin(2, 500, 15)
        self.min_dist = _dspin(0, 1, 0.1, 0.05, 2)
        self.umap_iterations = _spin(0, 20_000, 0, 50, special="auto")
        self.method_pages = QStackedWidget()
        self.method_pages.addWidget(_form(("Neighbours", self.neighbors), ("Min distance", self.min_dist),
                                          ("Iterations", self.umap_iterations)))
        self.method_pages.addWidget(_form(("Perplexity", self.perplexity), ("Learning rate", self.learning_rate),
                                          ("Exaggeration", self.exaggeration), ("Iterations", self.tsne_iterations)))
        self.method_pages.addWidget(QLabel("Principal components: one step, no parameters."))
        _fit_stack(self.method_pages)
        self.metric_box = QComboBox()
        self.metric_box.addItems(["euclidean", "cosine"])
        self.init = QComboBox()
        self.init.addItem("PCA", "pca")
        self.init.addItem("random", "random")
        self.seed = _spin(0, 1_000_000, 0)
        self.reproducible = QCheckBox("Reproducible (UMAP single-threaded: slower)")
        self.reproducible.setToolTip("The same seed gives the same layout. UMAP then runs on one thread, which is slower.")
        self.method.currentIndexChanged.connect(self._method_changed)
        layout = QVBoxLayout(box)
        layout.addWidget(self.method)
        layout.addWidget(self.method_pages)
        layout.addWidget(_form(("Metric", self.metric_box), ("Start from", self.init), ("Seed", self.seed)))
        layout.addWidget(self.reproducible)
        return box

    def _run_box(self):
        box = QGroupBox("Run")
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Lay out the points with the chosen method")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("Stop")
        self.run_button.clicked.connect(self.run)
        self.pause_button.toggled.connect(self.set_paused)
        self.stop_button.clicked.connect(self.stop)
        row = QHBoxLayout()
        for button in (self.run_button, self.pause_button, self.stop_button):
            row.addWidget(button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.iteration = QLabel("")
        self.iteration.setWordWrap(True)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.iteration)
        return box

    def _explore_box(self):
        box = QGroupBox("Explore")
        self.colour_by = QComboBox()
        self.colour_by.addItem("(one colour)", None)
        self.colour_by.activated.connect(self.apply_colours)
        self.search = QLineEdit()
        self.search.setPlaceholderText("search labels")
        self.search.setClearButtonEnabled(True)
        self.regex = QCheckBox("regex")
        self.search.textChanged.connect(self.apply_search)
        self.regex.toggled.connect(self.apply_search)
        self.matches = QLabel("")
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.regex)
        self.tools = QButtonGroup(self)
        tool_row = QHBoxLayout()
        for text, tool, tip in (("Pan", "pan", "Drag to pan, wheel to zoom. Shift+drag selects a rectangle."),
                                ("Rectangle", "rect", "Drag to select a rectangle"),
                                ("Lasso", "lasso", "Drag around the points to select")):
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setProperty("tool", tool)
            button.setChecked(tool == "pan")
            self.tools.addButton(button)
            tool_row.addWidget(button)
        self.tools.buttonClicked.connect(lambda b: self.view.set_tool(b.property("tool")))
        self.isolate_button = QPushButton("Isolate selection")
        self.isolate_button.setToolTip("Show only the selected points; Run then lays out only them")
        self.show_all_button = QPushButton("Show all")
        self.isolate_button.clicked.connect(self.isolate)
        self.show_all_button.clicked.connect(self.show_all)
        self.selection_info = QLabel("")
        iso_row = QHBoxLayout()
        iso_row.addWidget(self.isolate_button)
        iso_row.addWidget(self.show_all_button)
        layout = QVBoxLayout(box)
        layout.addWidget(_form(("Colour by", self.colour_by)))
        layout.addLayout(search_row)
        layout.addWidget(self.matches)
        layout.addLayout(tool_row)
        layout.addLayout(iso_row)
        layout.addWidget(self.selection_info)
        return box

    def _neighbour_box(self):
        box = QGroupBox("Nearest neighbours (original space)")
        self.k = _spin(1, 200, 10)
        self.nn_metric = QComboBox()
        self.nn_metric.addItems(["cosine", "euclidean"])
        self.neighbour_list = QListWidget()
        self.neighbour_list.setMinimumHeight(150)
        self.neighbour_list.itemClicked.connect(self._neighbour_clicked)
        self.neighbour_list.itemDoubleClicked.connect(lambda item: self.open_point(item.data(Qt.UserRole)))
        self.open_button = QPushButton("Open in toolbox")
        self.open_button.setToolTip("Show the clicked image point in the main window")
        self.open_button.clicked.connect(lambda: self.open_point(self.view.current))
        self.k.valueChanged.connect(lambda: self.view.current >= 0 and self.show_neighbours(self.view.current))
        self.nn_metric.currentIndexChanged.connect(lambda: self.view.current >= 0 and self.show_neighbours(self.view.current))
        row = QHBoxLayout()
        row.addWidget(QLabel("k"))
        row.addWidget(self.k)
        row.addWidget(self.nn_metric, 1)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.neighbour_list)
        layout.addWidget(self.open_button)
        return box

    def _export_box(self):
        box = QGroupBox("Export")
        row = QHBoxLayout(box)
        for text, slot in (("PNG", self._export_png), ("SVG", self._export_svg), ("TSV", self._export_tsv),
                           ("Projector", self._export_projector)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        return box

    def _source_changed(self):
        self.source_pages.setCurrentIndex(self.source.currentIndex())

    def _method_changed(self):
        method = self.method.currentData()
        self.method_pages.setCurrentIndex([m for _, m in METHOD_NAMES].index(method))
        self.reproducible.setEnabled(method != "pca")
        self.init.setEnabled(method != "pca")

    # ------------------------------------------------------------------ status
    def say(self, sentence: str, error: bool = False):
        self.statusBar().setStyleSheet("QStatusBar { color: #ff8a80 }" if error else "")
        self.statusBar().showMessage(sentence, 15000 if error else 8000)
        self.message.emit(sentence)

    def _update_header(self):
        if self.current is None:
            return
        n, total = len(self.current), len(self.points)
        shown = len(self.isolated) if self.isolated is not None else n
        parts = [self.points.name or "points"]
        if shown < total:
            parts.append(f"showing {shown:,} of {total:,} points")
        else:
            parts.append(f"{total:,} points")
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
        self.runner.submit("source", fn, *args)
        self._show_busy(True, text)

    def load_classes(self):
        self._submit_source("Reading the classifier's rows…", jobs_embed.class_points, self.loaded)

    def load_folder(self, folder, layer=None):
        self._submit_source(f"Computing features of the images in {Path(folder).name}…", jobs_embed.folder_points,
                            self.loaded, folder, layer, self.cache_dir)

    def load_vector_file(self, path, metadata=None):
        meta = labels = None
        if metadata:
            # A file with a header row of several columns is a projector metadata TSV; else labels.
            try:
                first = Path(metadata).open(encoding="utf-8", errors="replace").readline()
            except OSError:
                first = ""
            if "\t" in first:
                meta = metadata
            else:
                labels = metadata
        self._submit_source(f"Reading {Path(path).name}…", jobs_embed.read_vectors, path, meta, labels)

    def load_words(self, limit):
        self._submit_source(f"Reading the {limit:,} most frequent GloVe words…", jobs_embed.glove_words, limit)

    def _choose_folder(self):
        path = QFileDialog.getExistingDirectory(self, "Folder of images", self.folder_path.text() or str(Path.home()))
        if path:
            self.folder_path.setText(path)

    def _choose_file(self):
        path, _ = QFileDialog.getOpenFileName(self, "Vector file", str(Path.home()),
                                              "Vectors (*.tsv *.npy *.csv *.txt *.vec *.gz);;All files (*)")
        if path:
            self.file_path.setText(path)

    def _choose_meta(self):
        path, _ = QFileDialog.getOpenFileName(self, "Metadata or labels", str(Path.home()), "Text (*.tsv *.txt *.csv);;All files (*)")
        if path:
            self.meta_path.setText(path)

    def set_points(self, points):
        """A new point set: shown at once when it comes with a 2-D layout, else waiting for Run."""
        self.points = points
        self._sampled = None  # a new set is always sampled afresh
        self._stack.clear()
        dims = f", {points.vectors.shape[1]:,}-d" if points.vectors is not None else ""
        info = f"{len(points):,} points{dims}"
        if points.skipped:
            info += f"; {len(points.skipped)} files skipped (unreadable)"
        self.source_info.setText(info)
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
        self._resample()
        if points.layout is not None and points.layout.shape[1] >= 2:
            self.say(f"{info}: shown with the coordinates from the file.")
        else:
            self.say(f"Loaded {info}. Press Run to lay them out.")

    def _drop_run(self):
        """The points on screen are about to change: a layout still running is for the old ones."""
        if self._running:
            self.runner.cancel("embed")
            self.pause_event.clear()
            self._running = False
            self._set_running(False)

    def _resample(self):
        points = self.points
        if points is None:
            return
        key = (id(points), self.max_points.value(), self.sampling.currentData(), self.seed.value())
        if key == getattr(self, "_sampled", None):
            return  # focus left "Max points" unchanged, or the same choice again: keep the layout
        self._sampled = key
        self._drop_run()
        n, limit = len(points), self.max_points.value()
        if n > limit:
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
    def settings(self):
        from dlviz.core.embedding import Settings

        method = self.method.currentData()
        tsne = method == "tsne"
        iterations = (self.tsne_iterations if tsne else self.umap_iterations).value() or None
        return Settings(
            method=method, dims=2, seed=self.seed.value(), reproducible=self.reproducible.isChecked(),
            metric=self.metric_box.currentText(), init=self.init.currentData(), perplexity=self.perplexity.value(),
            learning_rate=self.learning_rate.value() or None, exaggeration=self.exaggeration.value(),
            iterations=iterations if method != "pca" else None, n_neighbors=self.neighbors.value(),
            min_dist=self.min_dist.value(),
        )

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
        self.pause_event.clear()
        self.pause_button.setChecked(False)
        self._partials = 0
        self.runner.submit("embed", jobs_embed.embed_points, self.current.vectors, settings, self.pause_event)
        self._running = True
        self._set_running(True)
        name = self.method.currentText()
        self.iteration.setText(f"{name} of {len(self.current):,} points: starting…")
        self.say(f"Running {name} on {len(self.current):,} points…")

    def set_paused(self, paused: bool):
        if paused:
            self.pause_event.set()
        else:
            self.pause_event.clear()
        self.pause_button.setText("Resume" if paused else "Pause")
        if self._running:
            self.say("Paused: the layout holds until you resume." if paused else "Resumed.")

    def stop(self):
        if not self._running:
            return
        self.runner.cancel("embed")
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
        self.progress.setVisible(busy or self._running)
        if busy:
            self.progress.setValue(0)
            self.iteration.setText(text)

    def _progress(self, kind, fraction, text):
        if kind in ("embed", "source"):
            self.progress.setValue(int(fraction * 1000))
            if text:
                self.iteration.setText(text)

    def _partial(self, kind, partial):
        if kind != "embed" or self.current is None or len(partial) != len(self.current):
            return
        self._partials += 1
        self.coords = np.ascontiguousarray(partial[:, :2], np.float32)
        self._show_layout(new=len(self.view.pos) != len(self.coords))

    def _finished(self, kind, result):
        if kind == "warmup":
            return
        if kind == "source":
            self._show_busy(False)
            if result is None:
                self.say("Stopped reading the points.")
                return
            self.set_points(result)
        elif kind == "embed":
            self._running = False
            self._set_running(False)
            if result is None or len(result.layout) != len(self.current):
                return  # stopped, or laid out points that are no longer the ones shown
            self.coords = np.ascontiguousarray(result.layout[:, :2], np.float32)
            self._show_layout(new=len(self.view.pos) != len(self.coords))
            name = self.method.itemText(self.method.findData(result.settings.method))  # the run's, not the combo's now
            text = f"{name} of {len(self.current):,} points in {result.seconds:.1f} s"
            self.iteration.setText(text)
            self.say(text + ".")
            self.layout_shown.emit()

    def _failed(self, kind, sentence, trace):
        if kind == "warmup":
            return  # a run will say what is wrong, with the user watching
        if kind == "embed":
            self._running = False
            self._set_running(False)
        self._show_busy(False)
        if sentence.startswith("Unexpected error"):
            import logging

            logging.getLogger("dlviz").error("%s job failed:\n%s", kind, trace)
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
            codes, colours, names = categorical(values)
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

    # ------------------------------------------------------------------ export
    def _shown_set(self):
        if self.isolated is not None:
            return self.current.subset(self.isolated), self.coords[self.isolated]
        return self.current, self.coords

    def export_tsv(self, path):
        from dlviz.core.vectors import VectorError, write_layout_tsv

        points, layout = self._shown_set()
        try:
            write_layout_tsv(path, layout, points)
        except VectorError as exc:
            self.say(str(exc), error=True)
            return False
        self.say(f"Wrote {len(points):,} rows to {Path(path).name}.")
        return True

    def export_projector(self, tensors_path):
        from dlviz.core.vectors import VectorError, write_projector

        points, _ = self._shown_set()
        tensors_path = Path(tensors_path)
        metadata_path = tensors_path.with_name(tensors_path.stem + "-metadata.tsv")
        try:
            write_projector(points, tensors_path, metadata_path)
        except VectorError as exc:
            self.say(str(exc), error=True)
            return False
        self.say(f"Wrote {tensors_path.name} and {metadata_path.name} for the TensorBoard projector.")
        return True

    def _ask_path(self, title, default, filters):
        if self.coords is None:
            self.say("Nothing to export yet: press Run first.", error=True)
            return None
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / default), filters)
        return path or None

    def _export_png(self):
        path = self._ask_path("Export plot", "embedding.png", "PNG (*.png)")
        if path:
            self.view.export_png(path)
            self.say(f"Saved {Path(path).name}.")

    def _export_svg(self):
        path = self._ask_path("Export plot", "embedding.svg", "SVG (*.svg)")
        if path:
            self.view.export_svg(path)
            self.say(f"Saved {Path(path).name}.")

    def _export_tsv(self):
        path = self._ask_path("Export coordinates", "embedding.tsv", "TSV (*.tsv)")
        if path:
            self.export_tsv(path)

    def _export_projector(self):
        path = self._ask_path("Export for the TensorBoard projector", "tensors.tsv", "TSV (*.tsv)")
        if path:
            self.export_projector(path)

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
            self.runner.cancel("source")
            self.stop()
            event.ignore()
            self.hide()
            return
        self.shutdown()
        super().closeEvent(event)
