"""The toolbox's top-9 on the user's own images: the crops of a folder that excite the unit most.

The user points at a folder (the bundled samples to start with); the scan runs in the
background with progress and cancel, and is cached, so coming back to a layer is instant.
Pattern mode (key s) puts each unit's best crop in the activation grid instead of its map.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFileDialog, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout

from dlviz import paths
from dlviz.gui import style
from dlviz.gui.pane import Pane
from dlviz.gui.widgets.controls import set_checked
from dlviz.gui.widgets.pictures import Picture
from dlviz.gui.widgets.steady import SteadyLabel
from dlviz.work import kinds
from dlviz.work import toolbox as jobs


class _Tile(Picture):
    def __init__(self):
        super().__init__(below=True, minimum=32)
        self.image = self.add_image()

    def set(self, rgb, caption, tip):
        if rgb is None and self.image.image is None and self.caption.text() == caption and self.toolTip() == tip:
            return  # empty already: a layer without a scan, passed at every PgDn step, costs no repaint
        if rgb is None:
            self.image.clear()
        else:
            self.image.setImage(rgb, levels=(0, 255))
            self.fit(rgb.shape[1], rgb.shape[0], padding=0.02)
        self.caption.setText(caption)
        self.setToolTip(tip)


class TopImagesPane(Pane):
    name = "top images"
    kinds = (kinds.SCAN, kinds.TOP_VIEWS)
    scan_shown = Signal()  # a finished scan is on screen (pattern mode draws from it)

    def __init__(self, session, runner, parent=None):
        super().__init__(session, runner, parent)
        self.folder: Path = paths.asset("samples")
        self._scanning = None  # the layer the running scan is for
        self.problem = ""  # why the last scan failed (a folder without images, say)
        self.scan_progress = ""
        self.scans: dict[tuple[str, str], object] = {}  # (folder, layer) -> jobs.ScanResult
        self.caption = SteadyLabel("")
        self.choose = QPushButton("Scan Folder…")
        self.choose.setToolTip("Find, for every unit of this layer, the images of a folder that excite it most")
        self.choose.clicked.connect(self.choose_folder)
        self.guided = QCheckBox("What drives it (guided backprop)")
        self.guided.setToolTip("Show what drives the unit in each crop: its guided backprop")
        self.guided.toggled.connect(self._guided_toggled)
        self.views: tuple | None = None  # (unit, layer, [images]) for the guided views
        self.tiles = [_Tile() for _ in range(9)]
        grid = QGridLayout()
        grid.setSpacing(4)
        for k, tile in enumerate(self.tiles):
            grid.addWidget(tile, k // 3, k % 3)
        row = QHBoxLayout()
        row.addWidget(self.caption, 1)
        row.addWidget(self.choose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addLayout(grid, 1)
        layout.addWidget(self.guided)
        session.layer_changed.connect(self._layer_moved)
        session.model_changed.connect(self._model_changed)
        session.unit_changed.connect(self._unit_moved)
        self._update_caption()

    def choose_folder(self):
        folder = QFileDialog.getExistingDirectory(self, "Folder of images to scan", str(self.folder))
        if folder:
            self.folder, self.problem = Path(folder), ""
            self._layer_moved()

    def _unit_moved(self):
        self.redraw()
        if self.guided.isChecked():
            self.request_views()

    def _guided_toggled(self, on):
        self.redraw()
        if on:
            self.request_views()

    def _model_changed(self):
        self.scans.clear()  # another model: every scan is of the old one
        self._layer_moved()

    def current(self):
        """The finished scan for the current folder and layer, if any."""
        return self.scans.get((str(self.folder), self.session.layer or ""))

    def request(self):
        """Scan the folder for the current layer, unless that is done or cannot be done."""
        s = self.session
        if (s.model is None or not s.model.hookable or s.layer_info() is None or self.current() is not None
                or not self.on_screen()):
            self.drop_held(kinds.SCAN)  # a layer passed on the way here
            return
        self.submit_at_rest(kinds.SCAN, s.layer, jobs.scan_folder, s.model, self.folder, s.layer, 9, paths.cache_dir("topimages"))
        self._scanning, self.problem, self.scan_progress = s.layer, "", ""
        self._update_caption()

    def request_views(self):
        """The guided-backprop views of the current unit's crops."""
        scan = self.current()
        if scan is None or not self.on_screen():
            self.drop_held(kinds.TOP_VIEWS)
            return
        s = self.session
        self.submit_at_rest(kinds.TOP_VIEWS, (s.layer, s.unit), jobs.top_backprops, s.model, scan, s.layer, s.unit)

    def came_on_screen(self):
        self.request()
        if self.guided.isChecked():
            self.request_views()

    def _layer_moved(self):
        self.redraw()
        self.request()
        if self.guided.isChecked():
            self.request_views()

    def job_failed(self, kind, sentence):
        if kind == kinds.SCAN:
            self.problem = sentence
            self._update_caption()

    def job_cancelled(self, kind):
        self._update_caption()

    def job_progress(self, kind, fraction, text):
        if kind == kinds.SCAN:
            self.scan_progress = f": {text}" if text else ""
            self._update_caption()

    def job_done(self, kind, result):
        if kind == kinds.TOP_VIEWS:
            self.views = result
        elif result is not None:
            self.scans[(str(result.folder), self._scanning)] = result
            if self.guided.isChecked():
                self.request_views()
        self.redraw()
        if kind == kinds.SCAN:
            self.scan_shown.emit()

    def scan_best(self, layer):
        """(each unit's best value on the current folder's scan of `layer`, the scan in words), or None."""
        scan = self.scans.get((str(self.folder), layer or ""))
        if scan is None:
            return None
        where = f"the {len(scan.top.files)} images of the Top images scan of {scan.folder.name}"
        return scan.top.values.max(axis=0), where

    def best_crops(self, unit: int) -> list[tuple[np.ndarray, str, float]]:
        scan = self.current()
        if scan is None:
            return []
        out = []
        for name, value, position in scan.top.best(unit):
            from dlviz.core.topimages import crop_around  # imports torch: only once a scan exists

            crop = crop_around(scan.crops[name], position, scan.top.map_size, scan.field_px)
            out.append((crop, name, value))
        return out

    def redraw(self):
        self._update_caption()
        crops = self.best_crops(self.session.unit)
        views = None
        if self.guided.isChecked() and self.views and self.views[:2] == (self.session.unit, self.session.layer):
            views = self.views[2]
        for k, tile in enumerate(self.tiles):
            if k < len(crops):
                crop, name, value = crops[k]
                picture = views[k] if views is not None and k < len(views) else crop
                tile.set(picture, f"{value:.3g}", f"{name}: activation {value:.4g}")
            else:
                tile.set(None, "", "")

    def _update_caption(self):
        scan = self.current()
        where = f"<b>{escape(self.folder.name)}</b>"
        if scan is None and self.problem:
            self.caption.setText(f"<span style='color:#ff8a80'>{escape(self.problem)}</span> Scan Folder… picks another.")
        elif scan is None and self.runner is not None and (self.runner.waiting(kinds.SCAN) or self.waiting_to_rest(kinds.SCAN)):
            self.caption.setText(f"Scanning {where} and its subfolders{self.scan_progress}…")
        elif scan is None:
            self.caption.setText(f"Top images of {where}: scanned when this tab is open.")
        else:
            skipped = f", {len(scan.top.skipped)} unreadable" if scan.top.skipped else ""
            note = f"<br><span style='color:{style.MUTED.name()}'>{escape(scan.top.note)}</span>" if scan.top.note else ""
            self.caption.setText(f"Unit {self.session.unit}: its best crops among {len(scan.top.files)} images of {where}"
                                 f" (receptive field {scan.field_px} px{skipped}){note}")

    # ---------------------------------------------------------------- options
    def state(self) -> dict:
        return {"folder": str(self.folder), "guided": self.guided.isChecked()}

    def restore(self, state: dict) -> None:
        folder = state.get("folder")
        if isinstance(folder, str) and Path(folder).is_dir() and Path(folder) != self.folder:
            self.folder = Path(folder)
            self._layer_moved()
        set_checked(self.guided, state.get("guided"))
