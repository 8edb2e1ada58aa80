"""Getting the model and the input into the session: the dialogs, drag and drop and paste, the
model, labels, image and forward-pass jobs, and what happens when one of them fails.

A new model or image first cancels the work it makes worthless (the job-kind table says which),
so a slow job on the old image never holds up the new one.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog

from dlviz.core.catalogue import DEVICES, ZOO_MODELS
from dlviz.core.images import IMAGE_FILTER, neighbour_image
from dlviz.gui.widgets.images import png_bytes
from dlviz.session import InputSource, ModelSpec
from dlviz.work import kinds
from dlviz.work import toolbox as jobs

log = logging.getLogger("dlviz")


PAINTED_MS = 50  # from a photo handed to the session until its first paint is done
MODEL_WAIT_MS = 1000  # the longest start-up's model waits for the photo


class Loader(QObject):
    """Submits the model, labels, image and forward-pass jobs and puts their results in the session.
    `say(sentence, error=False)` is where it tells the user what happened."""

    opened = Signal(Path)  # an image file was opened (for the recent files)
    image_requested = Signal()  # a still image was asked for (live input gives way to it)
    model_refused = Signal(str, object)  # the sentence, and the ModelSpec that could not be loaded

    DEVICE_KEY = "model/device"  # the device asked for, remembered between runs (Model ▸ Device, --device)

    def __init__(self, session, runner, say, parent_widget, clear_error=lambda: None, settings=None):
        super().__init__(parent_widget)
        self.session, self.runner, self.say, self.parent_widget = session, runner, say, parent_widget
        self.settings = settings
        self.clear_error = clear_error  # an error sentence goes once an image opens fine
        self.requested: tuple[ModelSpec, str | None] | None = None  # the model asked for and the layer to open on
        self.requested_image = None  # the image (a path, or pasted bytes) asked for last
        self._deferred_model = None  # start-up's model arguments, until the photo is painted

    # ---------------------------------------------------------------- jobs
    def load_model(self, name=None, weights=None, labels=None, layer=None):
        self._deferred_model = None  # start-up's, if it had not gone yet: this ask replaces it
        self.runner.cancel(*kinds.stale_after_model(self.runner.table))
        spec = ModelSpec.of(name, weights, labels)
        self.requested = (spec, layer)
        self.say(f"Loading {spec.describe()}…")
        self.runner.submit(kinds.MODEL_LOAD, jobs.load_model, name, weights, labels, self.device,
                           done=self._model_loaded, failed=self._model_failed)

    @property
    def device(self) -> str:
        """The device asked for: "auto" (the best one present) or one of catalogue.DEVICES."""
        value = self.settings.value(self.DEVICE_KEY, "auto") if self.settings is not None else "auto"
        return value if value in DEVICES else "auto"

    def set_device(self, device: str):
        """Model ▸ Device: remember the choice and load the model on screen again there."""
        if self.settings is not None:
            self.settings.setValue(self.DEVICE_KEY, device)
        s = self.session
        if s.model is not None:
            spec = s.model_spec
            self.load_model(spec.name, spec.weights, spec.labels, s.layer)

    def fill_devices(self, menu):
        """Model ▸ Device: the best one, then each kind torch lists here. Filled when opened, from
        what torch says without touching a device (the model's load tries the one chosen)."""
        if self.session.model is None:  # torch may still be importing: not on the GUI thread
            menu.addAction("(once the model has loaded)").setEnabled(False)
            return
        from dlviz.core import devices

        listed = devices.listed()
        current = self.session.model.device.type
        for kind, title in DEVICES.items():
            if kind != "auto" and kind not in listed:
                continue
            text = f"{title} ({devices.TITLES[devices.best(probe=False)]})" if kind == "auto" else title
            if kind == current:
                text += "  — in use"
            action = menu.addAction(text, lambda k=kind: self.set_device(k))
            action.setCheckable(True)
            action.setChecked(kind == self.device)

    def _model_loaded(self, loaded):
        spec, layer = self.requested
        self.session.set_model(loaded, layer, spec)
        self.say(loaded.device_note[0].upper() + loaded.device_note[1:] + "." if loaded.device_note else
                 f"{loaded.name} loaded ({loaded.source}, {len(loaded.layers)} layers, on {DEVICES.get(loaded.device.type, loaded.device.type)}).",
                 error=bool(loaded.device_note))
        if self.session.missing_layer:
            self.say(f"{loaded.name} has no layer '{self.session.missing_layer}'; showing {self.session.layer}.", error=True)
        self.request_forward()

    def _model_failed(self, sentence):
        spec, layer = self.requested
        if self.session.model is None and spec != ModelSpec():
            sentence += " Falling back to the bundled model."
            self.say(sentence, error=True)
            self.load_model(None, layer=layer)
        elif self.session.model is not None:  # the model on screen stays: what was asked for is it again,
            self.requested = (self.session.model_spec, layer)  # so the next ask for the failed one tries anew
        self.model_refused.emit(sentence, spec)

    def start(self, image, name=None, weights=None, labels=None, layer=None):
        """Start-up: the photo first, the model once the photo is painted (50 ms after the photo
        is on screen or has failed, a second after start-up at most). Loading torch's libraries,
        about 1 GB, while the window painted its first frames held the GUI thread 80-130 ms, and
        after them under 60 ms (2 cores; docs/decisions/0009). `requested` names the model at
        once; any other ask for a model (a session opened meanwhile) replaces this one."""
        self.requested = (ModelSpec.of(name, weights, labels), layer)
        self._deferred_model = (name, weights, labels, layer)
        self.open_image(image)
        QTimer.singleShot(MODEL_WAIT_MS, self, self._load_deferred_model)

    def stop(self):
        """The window closes: start-up's model is no longer wanted."""
        self._deferred_model = None

    def _load_deferred_model(self):
        if self._deferred_model is not None:
            self.load_model(*self._deferred_model)

    def _after_image(self, *_):
        if self._deferred_model is not None:
            QTimer.singleShot(PAINTED_MS, self, self._load_deferred_model)  # the loader as context: gone with the window

    def open_image(self, source, name=None):
        self.runner.cancel(*kinds.stale_after_input(self.runner.table))
        self.image_requested.emit()
        self.requested_image = source
        self.runner.submit(kinds.IMAGE, jobs.load_image, source, name, done=self._image_loaded,
                           failed=self._after_image, cancelled=self._after_image)

    def _image_loaded(self, result):
        self._after_image()
        self.clear_error()
        self.session.set_image(result.rgb, InputSource.of(result.path, result.name), result.preview)
        if result.path is not None:
            self.opened.emit(result.path)
        self.request_forward()

    def request_forward(self):
        s = self.session
        if s.model is not None and s.rgb is not None:
            self.runner.submit(kinds.FORWARD, jobs.forward, s.model, s.rgb, False, s.layer, done=self._forward_done)

    def _forward_done(self, result):
        self.session.set_result(result)
        warm_layout_kernels()

    def read_labels(self, path):
        self.runner.submit(kinds.LABELS, jobs.read_labels, path, done=self.set_labels)

    def set_labels(self, labels: list[str]):
        s = self.session
        if s.model is None:
            return
        outputs = s.result.forward.probs.shape[0] if s.result else None
        if outputs is not None and len(labels) != outputs:
            self.say(f"The file has {len(labels)} class names but the model has {outputs} outputs.", error=True)
            return
        s.set_labels(labels)
        self.say(f"Using {len(labels)} class names.")

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

    # ---------------------------------------------------------------- asking the user
    def choose_image(self):
        start = str(self.session.image_path.parent) if self.session.image_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open image", start, IMAGE_FILTER)
        if path:
            self.open_image(path)

    def choose_zoo_model(self):
        name, ok = QInputDialog.getText(self.parent_widget, "torchvision model", "Name of a torchvision classifier (e.g. resnet34):")
        if ok and name.strip():
            self.load_model(name.strip())

    def choose_weights(self):
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open weights", str(Path.home()),
                                              "PyTorch weights (*.pt *.pth *.ckpt *.bin);;All files (*)")
        if not path:
            return
        names = ["(TorchScript archive: no architecture needed)", *ZOO_MODELS]
        arch, ok = QInputDialog.getItem(self.parent_widget, "Architecture",
                                        f"Which architecture are the weights in {Path(path).name} for?", names, 0, True)
        if ok:
            self.load_model(None if arch.startswith("(") else arch.strip(), path)

    def choose_labels(self):
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Class names, one per line", str(Path.home()),
                                              "Text (*.txt);;All files (*)")
        if path:
            self.read_labels(path)

    def paste(self):
        if not self.open_mime(QGuiApplication.clipboard().mimeData()):
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
                self.open_image(png_bytes(image), "pasted image")
                return True
        if mime.hasText() and Path(mime.text().strip()).is_file():
            self.open_image(mime.text().strip())
            return True
        return False


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
            if sys.is_finalizing() or not threading.main_thread().is_alive():
                return  # the app quit while the kernels were still loading: nothing to tell anyone
            log.exception("warming the layout kernels failed")

    _warming = threading.Thread(target=warm, name="dlviz-warm-up", daemon=True)
    _warming.start()
