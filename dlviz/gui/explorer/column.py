"""The embedding explorer's column of controls: source, method, run, explore, neighbours and
export, and the settings they hold (as an embedding's Settings, and as plain data for a session)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dlviz.core import catalogue
from dlviz.gui.widgets.controls import choose, combo, dspin, set_checked, set_number, spin

SOURCES = {"classes": "Classes of the loaded model", "folder": "Image folder…",
           "file": "Vector file…", "words": "Words: GloVe 6B"}


_spin = partial(spin, separators=True)  # the explorer's counts run to millions
SAVED_LAYOUT_POINTS = 20_000  # a session keeps the layout of up to this many points (about 16 bytes each)


def saved_layout(data):
    """(coords as an (n, 2) float32 array, camera (x0, x1, y0, y1) or None) from a saved session,
    or None where it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("coords"), list):
        return None
    try:
        coords = np.asarray(data["coords"], np.float32)
    except (TypeError, ValueError):
        return None
    if coords.ndim != 2 or coords.shape[1] != 2 or not len(coords) or not np.isfinite(coords).all():
        return None
    camera = data.get("camera")
    ok = isinstance(camera, list) and len(camera) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                                for v in camera)
    ok = ok and np.isfinite(camera).all() and camera[0] < camera[1] and camera[2] < camera[3]
    return coords, (camera if ok else None)


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


class ControlColumn:
    """The controls, built into the explorer window (whose attributes they become)."""

    # ------------------------------------------------------------------ building the column
    def _source_box(self):
        box = QGroupBox("Source")
        self.source = combo(SOURCES)
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
                # A stack gives its pages no height for their width: room for the two lines the
                # fixed-width column wraps this text into, so it is not cut before the first Load.
                widget.setMinimumHeight(widget.fontMetrics().lineSpacing() * 2 + 6)
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
        self.method = combo(catalogue.EMBED_METHODS)
        self.perplexity = dspin(2, 500, 30, 5, 1)
        self.learning_rate = dspin(0, 100_000, 0, 50, 0, special="auto")
        self.exaggeration = dspin(1, 100, 12, 1, 1)
        self.tsne_iterations = _spin(0, 20_000, 0, 50, special="auto (750)")
        self.neighbors = _spin(2, 500, 15)
        self.min_dist = dspin(0, 1, 0.1, 0.05, 2)
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
        self.fit_button = QToolButton()
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Every point in view again")
        self.fit_button.clicked.connect(lambda: self.view.fit())
        tool_row.addWidget(self.fit_button)
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
        self.method_pages.setCurrentIndex(list(catalogue.EMBED_METHODS).index(method))
        self.reproducible.setVisible(method == "umap")  # t-SNE repeats with its seed anyway; PCA has none
        self.init.setEnabled(method != "pca")

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

    # ------------------------------------------------------------------ as plain data (saved sessions)
    TEXTS = ("folder_path", "folder_layer", "file_path", "meta_path", "search")
    CHOICES = ("source", "method", "init", "colour_by", "sampling")
    NUMBERS = ("word_limit", "max_points", "perplexity", "learning_rate", "exaggeration", "tsne_iterations",
               "neighbors", "min_dist", "umap_iterations", "seed", "k")
    CHECKS = ("reproducible", "regex")

    def state(self) -> dict:
        out = {name: getattr(self, name).text() for name in self.TEXTS}
        out.update({name: getattr(self, name).currentData() for name in self.CHOICES})
        out.update({name: getattr(self, name).value() for name in self.NUMBERS})
        out.update({name: getattr(self, name).isChecked() for name in self.CHECKS})
        out.update({"words": self.words.toPlainText(), "metric": self.metric_box.currentText(),
                    "neighbour metric": self.nn_metric.currentText(), "open": self.isVisible()})
        if self.coords is not None and not self._stack and len(self.coords) <= SAVED_LAYOUT_POINTS:
            out["layout"] = {"points": len(self.coords), "coords": np.round(self.coords.astype(np.float64), 4).tolist(),
                             # the part of the plane shown, where the user chose it (else: all of it)
                             "camera": None if self.view.following else [round(v, 4) for v in self.view.view_rect()]}
        return out

    def restore(self, state: dict) -> None:
        """Put the controls back; the points themselves are loaded again with Load."""
        for name in self.TEXTS:
            if isinstance(state.get(name), str):
                getattr(self, name).setText(state[name])
        for name in self.CHOICES:
            choose(getattr(self, name), state.get(name))
        # The colour and sampling columns exist once points are loaded: chosen then (set_points).
        self.pending_columns = {name: state.get(name) for name in ("colour_by", "sampling") if isinstance(state.get(name), str)}
        for name in self.NUMBERS:
            set_number(getattr(self, name), state.get(name))
        for name in self.CHECKS:
            set_checked(getattr(self, name), state.get(name))
        if isinstance(state.get("words"), str):
            self.words.setPlainText(state["words"])
        for box, key in ((self.metric_box, "metric"), (self.nn_metric, "neighbour metric")):
            if isinstance(state.get(key), str) and box.findText(state[key]) >= 0:
                box.setCurrentText(state[key])
        self.pending_layout = saved_layout(state.get("layout"))
        if self.pending_layout is not None:  # its points are read again; the layout is put on them (set_points)
            self.load_saved_points()

    def load_saved_points(self):
        """Read the points of a saved layout again, unless they are on screen already; never asks."""
        coords = self.pending_layout[0]
        if self.coords is not None and self.coords.shape == coords.shape and np.allclose(self.coords, coords, atol=1e-3):
            self.put_saved_layout()
        elif self.source.currentData() in ("classes", "words") or {
                "folder": self.folder_path, "file": self.file_path}[self.source.currentData()].text().strip():
            self.load_source()
        else:  # nothing to read again: the layout is not kept for points loaded later
            self.pending_layout = None

    def put_saved_layout(self):
        """The saved layout and camera on the points just read, when they are as many as saved."""
        coords, camera = self.pending_layout
        self.pending_layout = None
        if self.current is None or len(self.current) != len(coords):
            self.say(f"The saved layout was of {len(coords):,} points; these are {len(self.current or ()):,}: "
                     "press Run to lay them out.", error=True)
            return
        self.coords = coords
        self._show_layout(new=True)
        self.iteration.setText("The layout saved in the session.")
        self.say(f"{len(coords):,} points laid out as saved in the session.")
        if camera is not None:
            self.view.show_range(*camera)
