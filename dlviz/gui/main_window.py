"""The main window: panes in docks around the activation grid, menus, keys and the status bar.

It wires the session to the background runner: it asks for models, images and forward passes, and
puts results into the session. It never waits for the worker.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QToolButton,
)

from dlviz import paths as resources
from dlviz.work import toolbox as jobs
from dlviz.core.images import IMAGE_FILTER, neighbour_image
from dlviz.core.mosaic import COLORMAPS
from dlviz.gui.panes.attention import AttentionPane
from dlviz.gui.panes.backprop import BackpropPane
from dlviz.gui.panes.featurevis import FeatureVisPane
from dlviz.gui.panes.grid import GridPane
from dlviz.gui.widgets.help_overlay import HelpOverlay
from dlviz.gui.panes.top_images import TopImagesPane
from dlviz.gui.panes.input import InputPane
from dlviz.gui.panes.layers import LayerPane
from dlviz.gui.panes.predictions import PredictionsPane
from dlviz.gui.panes.unit import UnitPane
from dlviz.session import Session
from dlviz.work.runner import TaskRunner

log = logging.getLogger("dlviz")

# Shown in the Model menu without importing torchvision on the GUI thread.
ZOO = [
    "alexnet", "vgg16", "resnet18", "resnet50", "googlenet", "inception_v3", "densenet121",
    "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny", "regnet_y_800mf", "vit_b_16",
]
MAX_RECENT = 10


_warming = None


def warm_layout_kernels() -> None:
    """Once per process, after the first image is on screen: load (or compile, the first time) the
    embedding explorer's numba kernels on a plain background thread, so its first layout starts
    at once. It touches no widget; the core's lock keeps it from overlapping a layout. Off when
    DLVIZ_WARM_UP=0 (the test suite, which warms up where it needs to)."""
    global _warming
    if _warming is not None or os.environ.get("DLVIZ_WARM_UP", "1") == "0":
        return

    def warm():
        try:
            from dlviz.core import embedding

            log.info(embedding.warm_up())
        except Exception:  # the explorer reports its own errors when it opens
            log.exception("warming the layout kernels failed")

    _warming = threading.Thread(target=warm, name="dlviz-warm-up", daemon=True)
    _warming.start()


def _on_screen(widget) -> bool:
    """Visible and not hidden behind another tab: only then is its (costly) picture worth making."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


class MainWindow(QMainWindow):
    ready = Signal()  # nothing waits: the latest image has gone through the latest model and is drawn
    message = Signal(str)  # every sentence put in the status bar (tests listen)

    def __init__(self, image=None, model=None, weights=None, labels=None, layer=None, settings: QSettings | None = None):
        super().__init__()
        self.setWindowTitle("dlviz")
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("dlviz", "dlviz")
        self.session = Session(self)
        self.runner = TaskRunner(parent=self)
        self.requested_layer = layer
        self._scanning = None  # the layer the running top-images scan is for
        self.explorer = None  # the embedding explorer window, made on first use
        self.model_spec = (model, weights, labels)

        self.grid = GridPane(self.session)
        self.setCentralWidget(self.grid)
        self.input_pane = InputPane(self.session)
        self.predictions = PredictionsPane(self.session)
        self.layers = LayerPane(self.session)
        self.unit = UnitPane(self.session)
        self.backprop = BackpropPane(self.session)
        self.attention = AttentionPane(self.session)
        docks = [
            self._dock("Input", self.input_pane, Qt.LeftDockWidgetArea),
            self._dock("Predictions", self.predictions, Qt.LeftDockWidgetArea),
            self._dock("Layers", self.layers, Qt.LeftDockWidgetArea),
            self._dock("Unit", self.unit, Qt.RightDockWidgetArea),
            self._dock("Backprop", self.backprop, Qt.RightDockWidgetArea),
        ]
        attention_dock = self._dock("Attention", self.attention, Qt.RightDockWidgetArea)
        self.top_images = TopImagesPane(self.session)
        top_dock = self._dock("Top images", self.top_images, Qt.RightDockWidgetArea)
        self.feature_vis = FeatureVisPane(self.session)
        featurevis_dock = self._dock("Feature vis", self.feature_vis, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(docks[4], attention_dock)
        self.tabifyDockWidget(attention_dock, top_dock)
        self.tabifyDockWidget(top_dock, featurevis_dock)
        # Attention crop (issue 6): the pane submits its own "glimpse" and "fovea" jobs, only while on screen.
        from dlviz.gui.panes.glimpse import GlimpsePane

        self.glimpse = GlimpsePane(self.session)
        glimpse_dock = self._dock("Attention crop", self.glimpse, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(featurevis_dock, glimpse_dock)
        self.runner.priority.insert(self.runner.priority.index("backprop"), "fovea")  # a drag must feel live
        self.runner.priority.insert(self.runner.priority.index("cam") + 1, "glimpse")
        self.LONG_WORK = (*self.LONG_WORK, "glimpse")  # Cancel stops slow (Score-CAM) glimpses too
        self.glimpse.attach(self.runner, lambda: _on_screen(self.glimpse), self._show_progress)
        # Perturb (issue 6): occlusion and augmentations; the pane submits its own jobs, only while on screen.
        from dlviz.gui.panes.perturb import PerturbPane

        self.perturb = PerturbPane(self.session)
        perturb_dock = self._dock("Perturb", self.perturb, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(glimpse_dock, perturb_dock)
        self.LONG_WORK = (*self.LONG_WORK, "occlusion")  # the status bar's Cancel stops a sensitivity map too
        self.perturb.bind(self.runner, lambda: _on_screen(self.perturb))
        QTimer.singleShot(0, docks[4].raise_)  # the Backprop tab in front, once the window is up
        self.resizeDocks(docks, [380, 380, 380, 360, 360], Qt.Horizontal)
        self.resizeDocks(docks[:3], [300, 160, 400], Qt.Vertical)
        self.resizeDocks(docks[3:], [480, 380], Qt.Vertical)
        self.help = HelpOverlay(self)

        self._build_status_bar()
        self._build_menus()
        self.resize(1400, 880)
        self._restore_state()

        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.progress.connect(self._progress)
        self.runner.busy_changed.connect(self._busy)
        for signal in (self.session.layer_changed, self.session.unit_changed, self.session.forward_changed,
                       self.session.view_changed, self.session.model_changed):
            signal.connect(self._update_status)
        self.predictions.class_clicked.connect(self._show_class)
        self.backprop.wanted.connect(self.request_backprop)
        self.attention.wanted.connect(self.request_cam)
        self.top_images.wanted.connect(self.request_scan)
        self.top_images.views_wanted.connect(self.request_top_views)
        self.feature_vis.run_requested.connect(self.request_feature_vis)
        self.feature_vis.stop_requested.connect(lambda: self.runner.cancel("featurevis"))
        self.runner.partial.connect(self._partial)
        for dock in (self.backprop, self.attention, self.top_images):
            dock.parentWidget().visibilityChanged.connect(lambda visible, w=dock: visible and w.wanted.emit())

        self.grid.map_canvas.setFocus()
        self.load_model(model, weights, labels)
        self.open_image(image or resources.default_image())

    # ---------------------------------------------------------------- layout
    def _dock(self, title, widget, area):
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self):
        bar = self.statusBar()
        self.info = QLabel("starting…")
        self.info.setMinimumWidth(40)  # clipped on a narrow window rather than widening it
        self.info.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.info)
        bar.messageChanged.connect(lambda text: text or bar.setStyleSheet(""))
        self.progress_bar.hide()
        self.cancel_button.hide()

    def _action(self, menu, text, slot, shortcuts=(), tip=None):
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self):
        menus = self.menuBar()
        file = menus.addMenu("&File")
        self._action(file, "&Open Image…", self.choose_image, ["Ctrl+O"])
        self.recent_menu = file.addMenu("Open &Recent")
        samples = file.addMenu("&Samples")
        for path in resources.sample_images():
            self._action(samples, path.stem.capitalize(), lambda checked=False, p=path: self.open_image(p))
        self._action(file, "&Paste Image", self.paste, ["Ctrl+V"])
        self._action(file, "&Next Image in Folder", lambda: self.step_image(1), ["N"])
        self._action(file, "Pre&vious Image in Folder", lambda: self.step_image(-1), ["P"])
        file.addSeparator()
        self._action(file, "&Export Grid as PNG…", self.export_grid, ["Ctrl+E"])
        file.addSeparator()
        self._action(file, "&Quit", self.close, ["Ctrl+Q"])

        model = menus.addMenu("&Model")
        self._action(model, "Bundled EfficientNet-Lite0 (offline)", lambda: self.load_model(None))
        zoo = model.addMenu("torchvision (downloads weights once)")
        for name in ZOO:
            self._action(zoo, name, lambda checked=False, n=name: self.load_model(n))
        self._action(zoo, "Other…", self.choose_zoo_model)
        model.addSeparator()
        self._action(model, "Open &Weights File…", self.choose_weights)
        self._action(model, "Class &Names File…", self.choose_labels, tip="One class name per line, in output order")

        layer = menus.addMenu("&Layer")
        self._action(layer, "&Next Layer", lambda: self.session.step_layer(1), ["PgDown"])
        self._action(layer, "&Previous Layer", lambda: self.session.step_layer(-1), ["PgUp"])
        self._action(layer, "&Filter Layers", self._focus_filter, ["Ctrl+L"])
        layer.addSeparator()
        # The arrows belong to the grid: the layer tree, sliders and lists keep theirs.
        for text, step, key in (("Unit Left", (0, -1), "Left"), ("Unit Right", (0, 1), "Right"),
                                ("Unit Up", (-1, 0), "Up"), ("Unit Down", (1, 0), "Down")):
            action = self._action(layer, text, lambda checked=False, s=step: self.move_unit(*s), [key])
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.grid.addAction(action)

        explain = menus.addMenu("E&xplain")
        self._action(explain, "Cycle &Backprop Method", lambda: self.backprop.cycle_method(), ["B"])
        self._action(explain, "Cycle Backprop &Filter", lambda: self.backprop.cycle_filter(), ["M"])
        self._action(explain, "&Freeze Backprop Source", lambda: self.backprop.toggle_freeze(), ["D"])
        self._action(explain, "&Pattern Mode (top crop per unit)", self.toggle_patterns, ["S"])
        self._action(explain, "Scan &Folder for Top Images…", lambda: self.top_images.choose_folder())
        explain.addSeparator()
        # Ctrl+E already exports the grid, so the explorer takes Ctrl+Shift+E.
        self._action(explain, "&Embedding Explorer…", self.open_explorer, ["Ctrl+Shift+E"],
                     tip="t-SNE, UMAP and PCA of the model's classes, an image folder, words or any vectors")

        view = menus.addMenu("&View")
        self._action(view, "Cycle &Gamma Boost", self.session.cycle_gamma, ["T"])
        self._action(view, "Cycle Per-Channel &Contrast", self.session.cycle_contrast, ["Shift+T"])
        view.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view.addAction(dock.toggleViewAction())
        self._action(view, "&Reset Layout", self.reset_layout)
        help_menu = menus.addMenu("&Help")
        self._action(help_menu, "&Keys", self.help.toggle, ["H", "F1"])
        self._refresh_recent()

    # ---------------------------------------------------------------- requests
    # Work that is about the image (or model) on screen: a new one makes it worthless, and the
    # single worker would otherwise finish it (Score-CAM looks take seconds) before loading.
    ABOUT_THE_IMAGE = ("backprop", "cam", "glimpse", "fovea", "occlusion", "perturb", "perturb-strip")

    def _drop_work_on_the_old_image(self):
        for kind in self.ABOUT_THE_IMAGE:
            self.runner.cancel(kind)

    def load_model(self, name=None, weights=None, labels=None):
        self._drop_work_on_the_old_image()
        self.model_spec = (name, weights, labels)
        label = name or (Path(weights).name if weights else "the bundled EfficientNet-Lite0")
        self.say(f"Loading {label}…")
        self.runner.submit("model", jobs.load_model, name, weights, labels)
        self._show_progress(True)

    def open_image(self, source, name=None):
        self._drop_work_on_the_old_image()
        self.runner.submit("image", jobs.load_image, source, name)

    def request_forward(self):
        if self.session.model is not None and self.session.rgb is not None:
            self.runner.submit("forward", jobs.forward, self.session.model, self.session.rgb)

    def request_backprop(self):
        source = self.backprop.source()
        if source is None or not _on_screen(self.backprop) or not self.session.model.hookable and source[0]:
            return
        layer, unit = source
        self.runner.submit("backprop", jobs.backprop, self.session.model, self.session.rgb, layer, unit, self.backprop.method_name())

    def request_cam(self):
        wanted = self.attention.request()
        if wanted is None or not _on_screen(self.attention):
            return
        layer, index, methods, randomise = wanted
        self.runner.submit("cam", jobs.cam, self.session.model, self.session.rgb, layer, index, methods, randomise)
        if "scorecam" in methods:  # seconds of work: show progress and Cancel
            self._show_progress(True)

    def request_scan(self):
        wanted = self.top_images.request()
        if wanted is None or not _on_screen(self.top_images):
            return
        folder, layer = wanted
        from dlviz.app import _user_dir

        self.runner.submit("scan", jobs.scan_folder, self.session.model, folder, layer, 9, _user_dir() / "topimages")
        self._scanning = layer
        self._show_progress(True)

    def request_top_views(self):
        scan = self.top_images.current()
        if scan is None or not _on_screen(self.top_images):
            return
        s = self.session
        self.runner.submit("topviews", jobs.top_backprops, s.model, scan, s.layer, s.unit)

    def request_feature_vis(self, whole_layer: bool):
        s = self.session
        if s.model is None or s.result is None:
            self.say("Wait for the model and an image first.", error=True)
            return
        layer, unit = self.feature_vis.target()
        if whole_layer and layer is None:
            self.say("Whole layer needs a layer: choose 'the unit's whole map' or 'its centre neuron'.", error=True)
            return
        units = list(range(s.unit_count())) if whole_layer else [unit]
        from dlviz.app import _user_dir

        self.runner.submit("featurevis", jobs.feature_vis, s.model, layer, units, self.feature_vis.settings(), _user_dir() / "featurevis")
        self._show_progress(True)

    def _partial(self, kind, partial):
        if kind == "featurevis":
            self.feature_vis.show_image(partial)

    def open_explorer(self):
        """The embedding explorer: a window of its own, with its own worker, on the loaded model."""
        from dlviz.app import _user_dir
        from dlviz.gui.explorer.window import EmbeddingWindow

        if self.explorer is None:
            self.explorer = EmbeddingWindow(self.session.model, parent=self, cache_dir=_user_dir() / "features")
            self.explorer.setWindowFlag(Qt.Window)  # top-level, closed with the main window
            self.explorer.hide_on_close = True  # reopened as it was left
            self.explorer.image_wanted.connect(self._open_from_explorer)
            self.session.model_changed.connect(lambda: setattr(self.explorer, "loaded", self.session.model))
        self.explorer.loaded = self.session.model
        self.explorer.show()
        self.explorer.raise_()
        self.explorer.activateWindow()
        return self.explorer

    def _open_from_explorer(self, path):
        self.open_image(path)
        self.raise_()
        self.activateWindow()

    def toggle_patterns(self):
        """Pattern mode: the grid shows each unit's best crop (from Top images) instead of its map."""
        if self.grid.pattern_source is None:
            self.grid.pattern_source = lambda unit: (self.top_images.best_crops(unit) or [(None,)])[0][0]
            if self.top_images.current() is None:
                self.say("Pattern mode needs a scan: open the Top images tab.", error=True)
        else:
            self.grid.pattern_source = None
        self.grid.refresh()

    LONG_WORK = ("model", "scan", "cam", "featurevis")

    def cancel(self):
        """Stop the long work in progress (the button beside the progress bar); what is shown stays."""
        for kind in self.LONG_WORK:
            self.runner.cancel(kind)
        self._show_progress(False)
        self.say("Cancelled; what is on screen stays.")

    # ---------------------------------------------------------------- results
    def _finished(self, kind, result):
        if kind == "model":
            self._show_progress(False)
            self.session.set_model(result, self.requested_layer)
            self.requested_layer = None
            self.setWindowTitle(f"dlviz — {result.name}")
            self.say(f"{result.name} loaded ({result.source}, {len(result.layers)} layers).")
            if self.session.missing_layer:
                self.say(f"{result.name} has no layer '{self.session.missing_layer}'; showing {self.session.layer}.", error=True)
            self.request_forward()
        elif kind == "image":
            self.session.set_image(result.rgb, result.path, result.name)
            if result.path is not None:
                self._remember(result.path)
            self.request_forward()
        elif kind == "scan":
            self.top_images.show_result(result, self._scanning)
            if self.top_images.guided.isChecked():
                self.request_top_views()
            if self.grid.pattern_source is not None:
                self.grid.refresh()
        elif kind == "topviews":
            self.top_images.show_views(result)
        elif kind == "featurevis":
            self.feature_vis.show_result(result)
        elif kind == "backprop":
            self.backprop.show_result(result)
        elif kind == "cam":
            self.attention.show_result(result)
        elif kind == "labels":
            self.set_labels(result)
        elif kind == "forward":
            self.session.set_result(result)
            self._update_status()
            warm_layout_kernels()
        QTimer.singleShot(0, self._check_ready)

    def set_labels(self, labels: list[str]):
        model = self.session.model
        outputs = self.session.result.forward.probs.shape[0] if self.session.result else None
        if model is None:
            return
        if outputs is not None and len(labels) != outputs:
            self.say(f"The file has {len(labels)} class names but the model has {outputs} outputs.", error=True)
            return
        model.labels = labels
        self.session.set_result(self.session.result)  # redraw names everywhere
        self.say(f"Using {len(labels)} class names.")

    def _check_ready(self):
        if not self.runner.is_busy() and self.session.result is not None:
            self.ready.emit()

    def _failed(self, kind, sentence, trace):
        QTimer.singleShot(0, self._check_ready)
        if kind == "model":
            self._show_progress(False)
        if sentence.startswith("Unexpected error"):
            log.error("%s job failed:\n%s", kind, trace)
        self.say(sentence, error=True)
        if kind == "model" and self.session.model is None and self.model_spec != (None, None, None):
            self.say(sentence + " Falling back to the bundled model.", error=True)
            self.load_model(None)

    def _progress(self, kind, fraction, text):
        self.progress_bar.setValue(int(fraction * 100))
        self.progress_bar.setFormat(text or "%p%")
        self.progress_bar.setToolTip(text)

    def _busy(self, busy):
        if not busy:
            self._show_progress(False)

    def _show_progress(self, visible: bool):
        """The progress bar and Cancel button, shown while a model loads or downloads."""
        self.progress_bar.setVisible(visible)
        self.cancel_button.setVisible(visible)
        if visible:
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("starting…")

    # ---------------------------------------------------------------- status
    def say(self, sentence: str, error: bool = False):
        # Only the message turns red, not the model/layer/timing line beside it.
        self.statusBar().setStyleSheet("QStatusBar { color: #ff8a80 }" if error else "")
        self.statusBar().showMessage(sentence, 15000 if error else 8000)
        self.message.emit(sentence)

    def _update_status(self):
        s = self.session
        parts = [s.model.name if s.model else "no model"]
        if s.layer:
            parts.append(f"layer {s.layer}")
            count = s.unit_count()
            if count:
                parts.append(f"unit {s.unit}/{count}")
        if s.result is not None:
            parts.append(f"forward {s.result.total_ms:.0f} ms")
            parts.append(f"render {s.render_ms:.1f} ms")
        parts.append(f"γ {s.gamma:g} · contrast {s.contrast:g}")
        self.info.setText("  ·  ".join(parts))

    # ---------------------------------------------------------------- navigation
    def move_unit(self, d_row, d_col):
        act = self.session.activation()
        if act is None:
            return
        layout = self.grid.layout_
        if layout is not None:
            self.session.set_unit(layout.neighbour(self.session.unit, d_row, d_col))
        else:  # bars: left/right one unit, up/down ten
            self.session.set_unit(self.session.unit + d_col + 10 * d_row)

    def _show_class(self, index):
        """Jump to the output layer with the clicked class as the unit."""
        model = self.session.model
        count = len(model.labels or [])
        for name in reversed(self.session.displayable_layers()):
            shape = (count,) if name == "output" else model.layer(name).shape
            if shape == (count,):
                self.session.set_layer(name)
                self.session.set_unit(index)
                return

    def step_image(self, step):
        path = self.session.image_path
        if path is None:
            self.say("This image has no folder: open a file to step through its neighbours.", error=True)
            return
        other = neighbour_image(path, step)
        if other is None:
            self.say(f"{path.parent.name} holds no other image.", error=True)
        else:
            self.open_image(other)

    def _focus_filter(self):
        self.layers.filter.setFocus()
        self.layers.filter.selectAll()

    # ---------------------------------------------------------------- dialogs and input
    def choose_image(self):
        start = str(self.session.image_path.parent) if self.session.image_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start, IMAGE_FILTER)
        if path:
            self.open_image(path)

    def choose_zoo_model(self):
        name, ok = QInputDialog.getText(self, "torchvision model", "Name of a torchvision classifier (e.g. resnet34):")
        if ok and name.strip():
            self.load_model(name.strip())

    def choose_weights(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", str(Path.home()), "PyTorch weights (*.pt *.pth *.ckpt *.bin);;All files (*)")
        if not path:
            return
        names = ["(TorchScript archive: no architecture needed)", *ZOO]
        arch, ok = QInputDialog.getItem(self, "Architecture", f"Which architecture are the weights in {Path(path).name} for?", names, 0, True)
        if ok:
            self.load_model(None if arch.startswith("(") else arch.strip(), path)

    def choose_labels(self):
        path, _ = QFileDialog.getOpenFileName(self, "Class names, one per line", str(Path.home()), "Text (*.txt);;All files (*)")
        if path:
            self.runner.submit("labels", jobs.read_labels, path)

    def paste(self):
        mime = QGuiApplication.clipboard().mimeData()
        if not self.open_mime(mime):
            self.say("The clipboard holds no image or image file.", error=True)

    def open_mime(self, mime) -> bool:
        """Open what was dropped or pasted: a file, or image data. False if there is none."""
        if mime is None:
            return False
        if mime.hasUrls():
            local = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
            if local:
                self.open_image(local[0])
                return True
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                data = QByteArray()
                buffer = QBuffer(data)
                buffer.open(QIODevice.WriteOnly)
                image.save(buffer, "PNG")
                self.open_image(bytes(data.data()), "pasted image")
                return True
        if mime.hasText() and Path(mime.text().strip()).is_file():
            self.open_image(mime.text().strip())
            return True
        return False

    def dragEnterEvent(self, event):
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event):
        if self.open_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            self.say("Only image files or image data can be dropped here.", error=True)

    def export_grid(self):
        if self.session.activation() is None:
            self.say("Nothing to export yet.", error=True)
            return
        default = f"{self.session.image_name.rsplit('.', 1)[0]}-{self.session.layer}.png"
        path, _ = QFileDialog.getSaveFileName(self, "Export grid", str(Path.home() / default), "PNG (*.png)")
        if path:
            self.save_grid(path)

    def save_grid(self, path):
        pixmap = self.grid.stack.currentWidget().grab()
        if pixmap.save(str(path), "PNG"):
            self.say(f"Saved {Path(path).name}.")
        else:
            self.say(f"Could not write {path}.", error=True)

    # ---------------------------------------------------------------- remembered state
    def _remember(self, path: Path):
        recent = [str(path)] + [p for p in self._recent() if p != str(path)]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent(self):
        self.recent_menu.clear()
        for entry in self._recent():
            self._action(self.recent_menu, entry, lambda checked=False, p=entry: self.open_image(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    def _restore_state(self):
        self._default_state = self.saveState()
        view = self.settings.value("view")
        if isinstance(view, dict):
            try:
                self.session.set_view(
                    contrast=float(view.get("contrast", 0.0)), gamma=float(view.get("gamma", 1.0)),
                    cmap=view.get("cmap") if view.get("cmap") in COLORMAPS else None,
                    opacity=min(max(float(view.get("opacity", 0.6)), 0.0), 1.0),
                )
            except (TypeError, ValueError):  # a hand-edited settings file: keep the defaults
                pass
        geometry = self.settings.value("geometry")
        state = self.settings.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def reset_layout(self):
        self.restoreState(self._default_state)

    def closeEvent(self, event):
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState())
        s = self.session
        self.settings.setValue("view", {"contrast": s.contrast, "gamma": s.gamma, "cmap": s.cmap, "opacity": s.opacity})
        self.settings.sync()
        if self.explorer is not None:
            self.explorer.shutdown()  # ends its worker thread
            self.explorer.close()
        self.runner.shutdown(15000)
        super().closeEvent(event)
