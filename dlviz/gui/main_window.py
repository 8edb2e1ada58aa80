"""The toolbox window: the activation grid and the big tools (attention crop, perturbation lab) as
main views, the smaller panes in docks around them, the menus and the status bar.

It builds and places; the panes do the work. They read the session and submit their own jobs; the
window never routes a result. It never waits for the worker.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabWidget

from dlviz import paths
from dlviz.core.catalogue import ZOO_MODELS
from dlviz.core.frames import is_video
from dlviz.gui import actions, docks, style
from dlviz.gui.presenter import Presenter
from dlviz.gui.recent import RecentFiles
from dlviz.gui.sessions import SessionFiles
from dlviz.gui.tour import TourPanel, TourPlayer
from dlviz.gui.exports import ExportDialog
from dlviz.gui.zoom import Zoom
from dlviz.gui.live import LiveFeed
from dlviz.gui.recorder import Recorder
from dlviz.gui.loading import Loader
from dlviz.gui.panes.attention import AttentionPane
from dlviz.gui.panes.backprop import BackpropPane
from dlviz.gui.panes.featurevis import FeatureVisPane
from dlviz.gui.panes.glimpse import GlimpsePane
from dlviz.gui.panes.grid import CROPS, GridPane
from dlviz.gui.panes.input import InputPane
from dlviz.gui.panes.layers import LayerPane
from dlviz.gui.panes.perturb import PerturbPane
from dlviz.gui.panes.predictions import PredictionsPane
from dlviz.gui.panes.top_images import TopImagesPane
from dlviz.gui.panes.unit import UnitPane
from dlviz.gui.status import StatusBar
from dlviz.gui.widgets.controls import guard_wheels
from dlviz.gui.widgets.help_overlay import HelpOverlay
from dlviz.gui.widgets.notice import notice
from dlviz.gui.widgets.screens import open_within_screen
from dlviz.session import ModelSpec, Session
from dlviz.work import kinds
from dlviz.work.runner import JobRunner

LAYOUT_VERSION = 2  # docks saved by a window of another shape are not restored (the window size is)
VIEWS = ("activations", "attention crop", "perturb")  # the main views, in tab order


class MainWindow(SessionFiles, QMainWindow):
    ready = Signal()  # nothing waits: the latest image has gone through the latest model and is drawn

    def __init__(self, image=None, model=None, weights=None, labels=None, layer=None, settings: QSettings | None = None,
                 video=None, camera=False):
        super().__init__()
        self.setWindowTitle("dlviz")
        self.setAcceptDrops(True)
        self.settings = settings or QSettings("dlviz", "dlviz")
        self.recent_images, self.recent_sessions = RecentFiles(self.settings, "recent"), RecentFiles(self.settings, "recent-sessions")
        self.session = s = Session()
        self.runner = r = JobRunner(parent=self)
        self.explorer = None  # the embedding explorer window, made on first use
        self._explorer_saved: dict = {}  # its saved options until it is made
        self._pending_session: dict | None = None  # a session to put back once its model and input are in
        self.session_path: Path | None = None  # the session file last opened or saved

        self.grid, self.glimpse, self.perturb = GridPane(s, r), GlimpsePane(s, r), PerturbPane(s, r)
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        style.set_font(self.views.tabBar(), 10)
        self.views.tabBar().setFocusPolicy(Qt.NoFocus)  # the arrows stay with the grid
        self.views.currentChanged.connect(lambda index: index == 0 and self.grid.map_canvas.setFocus())
        for pane, title in zip((self.grid, self.glimpse, self.perturb), ("Activations", "Attention crop", "Perturb")):
            self.views.addTab(pane, title)
        self.setCentralWidget(self.views)
        self.input_pane, self.predictions, self.layers = InputPane(s, r), PredictionsPane(s, r), LayerPane(s, r)
        self.unit, self.backprop, self.attention = UnitPane(s, r), BackpropPane(s, r), AttentionPane(s, r)
        self.top_images, self.feature_vis = TopImagesPane(s, r), FeatureVisPane(s, r)
        self.panes = [self.grid, self.glimpse, self.perturb, self.input_pane, self.predictions, self.layers,
                      self.unit, self.backprop, self.attention, self.top_images, self.feature_vis]
        self.status = StatusBar(self.statusBar(), r, s)  # after the panes: it reads the render time they set
        self.message = self.status.message
        self.say = self.status.say
        self.loader = Loader(s, r, self.say, self, self.status.clear_error, self.settings)
        self.live = LiveFeed(s, r, self.say, self.settings, self)
        self.recorder = Recorder(self.say, self)
        self.input_pane.transport.play_clicked.connect(self.live.toggle_play)
        self.input_pane.transport.seek.connect(self.live.seek)
        self.live.changed.connect(self._show_transport)
        self.status.watch_recorder(self.recorder)
        self.loader.image_requested.connect(lambda: self.live.active and self.live.stop())
        self.status.watch_live(self.live)
        for pane in self.panes:
            pane.said.connect(self.say)
        left = [docks.make(self, title, pane, Qt.LeftDockWidgetArea) for title, pane in
                (("Input", self.input_pane), ("Predictions", self.predictions), ("Layers", self.layers))]
        unit = docks.make(self, "Unit", self.unit, Qt.RightDockWidgetArea)
        self.explain = [docks.make(self, title, pane, Qt.RightDockWidgetArea) for title, pane in
                        (("Backprop", self.backprop), ("Attention", self.attention),
                         ("Top images", self.top_images), ("Feature vis", self.feature_vis))]
        for first, second in zip(self.explain, self.explain[1:]):
            self.tabifyDockWidget(first, second)
        QTimer.singleShot(0, self.explain[0].raise_)  # the Backprop tab in front, once the window is up
        self._columns = (left, unit)
        self.tour = TourPlayer(self)
        self.tour_dock = docks.make(self, "Tour", TourPanel(self.tour), Qt.RightDockWidgetArea)
        self.tour_dock.setFloating(True)  # a palette beside the window: the panes keep their room (a saved layout may dock it)
        self.tour_dock.hide()  # Tour ▸ Edit the Tour shows it
        self.zoom = Zoom(self)
        self.size_docks()
        guard_wheels(self)  # the wheel scrolls panels; it changes a control only once clicked
        style.steady_combos(self)
        self.help = HelpOverlay(self, actions.key_rows())
        self.presenter = Presenter(self, self.settings, self)
        self.actions = actions.build_menus(self)
        self.actions["bundled"].setCheckable(True)  # the Model menu marks the model on screen
        for name, on in (("loop", lambda: self.live.loop), ("mirror", lambda: self.live.mirrored())):
            self.actions[name].setCheckable(True)  # the Live menu shows both switches as they are
            self.live.changed.connect(lambda a=self.actions[name], on=on: a.setChecked(on()))
            self.actions[name].setChecked(on())
        s.model_changed.connect(lambda: self.actions["bundled"].setChecked(s.model_spec == ModelSpec()))
        open_within_screen(self, 1400, 880)
        self._restore_layout()
        self.presenter.apply()  # the remembered presenter scale and theme

        s.register("window", self._window_state, self._restore_window)
        s.register("explorer", self._explorer_state, self._restore_explorer)
        r.finished.connect(lambda *_: QTimer.singleShot(0, self._check_ready))
        r.failed.connect(lambda *_: QTimer.singleShot(0, self._check_ready))
        self.top_images.scan_shown.connect(self.grid.scan_done)
        self.grid.pattern_source = lambda unit: (self.top_images.best_crops(unit) or [(None,)])[0][0]
        self.grid.scan_best = self.feature_vis.scan_best = self.top_images.scan_best
        self.loader.opened.connect(self.recent_images.add)
        self.notices = []  # the dialogs of sentences too long or too important for the status bar
        self.loader.model_refused.connect(lambda text, spec: self.tour.playing or self.notices.append(
            notice(self, f"Could not load {spec.describe()}", text)))  # a tour says it over its view
        s.model_changed.connect(lambda: self.setWindowTitle(f"dlviz — {s.model.name}"))
        if video is None or image is not None:  # the photo first; torch loads once it is on screen
            self.loader.start(image or paths.default_image(), model, weights, labels, layer)
        else:
            self.loader.load_model(model, weights, labels, layer)
        if video:  # a path; False: frames will be handed in (`dlviz video --view window`), no photo first
            self.live.open_video(video)
        if camera:
            QTimer.singleShot(0, self.live.start_camera)

    def size_docks(self, scale: float = 1.0, resize: bool = True):
        if resize:  # (False: a layout of the user's is kept)
            docks.size(self, *self._columns, self.explain[0], scale)
        QTimer.singleShot(0, lambda: docks.keep_tabs_whole(self, self.explain, scale))  # once their tab bar is laid out

    def show_view(self, index: int):
        self.zoom.leave()
        self.views.setCurrentIndex(index)

    # ---------------------------------------------------------------- readiness and sessions
    def _check_ready(self):
        if self.runner.awaited(but=kinds.background_kinds(self.runner.table)) or self.session.result is None:
            return
        if self._pending_session is not None:
            data, self._pending_session = self._pending_session, None
            problems = self.session.apply(data)
            if problems:
                self.say(f"The session's {', '.join(problems)} could not be put back.", error=True)
            QTimer.singleShot(0, self._check_ready)  # what it asked for is now on its way
            return
        self.ready.emit()

    def show_tour_panel(self):
        dock = self.tour_dock
        if dock.isFloating() and not dock.isVisible():  # over the window's right-hand side, inside the screen
            size = docks.palette_size(self, style.scale())
            corner = self.mapToGlobal(self.rect().topRight())
            dock.setGeometry(corner.x() - size[0] - 16, corner.y() + 60, *size)
        dock.show()
        dock.raise_()

    def escape(self):
        """Esc: close the key help, or else put a zoomed pane back, or else end the tour, or else
        leave full screen."""
        if self.help.isVisible():
            self.help.hide()
        elif not self.zoom.leave() and not self.tour.stop() and self.isFullScreen():
            self.presenter.toggle_full_screen()

    def export_picture(self, slide: bool = False):
        """File ▸ Export Picture (a pane or the window, PNG, SVG or the clipboard) or Export Slide."""
        self.zoom.leave()  # every pane in its place, to be chosen
        step = self.tour.steps[self.tour.index] if 0 <= self.tour.index < len(self.tour.steps) else None
        dialog = ExportDialog(self, slide, step.caption if step else "")
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.exec()

    def _window_state(self) -> dict:
        if self.zoom.active:  # the sheet covers the panes: the window as it was under it
            return dict(self.zoom.under)
        front = next((dock.objectName()[5:] for dock in self.explain if dock.widget().on_screen()), None)
        return {"view": VIEWS[self.views.currentIndex()], "explain": front}

    def _restore_window(self, state: dict):
        if state.get("view") in VIEWS:
            self.show_view(VIEWS.index(state["view"]))
        for dock in self.explain:
            if dock.objectName() == f"dock-{state.get('explain')}":
                dock.raise_()

    # ---------------------------------------------------------------- the explorer and pattern mode
    def open_explorer(self):
        """The embedding explorer: a window of its own, with its own worker, on the loaded model."""
        from dlviz.gui.explorer.window import EmbeddingWindow

        if self.explorer is None:
            self.explorer = EmbeddingWindow(self.session.model, parent=self, cache_dir=paths.cache_dir("features"))
            self.explorer.setWindowFlag(Qt.Window)  # top-level, closed with the main window
            self.explorer.hide_on_close = True  # reopened as it was left
            self.explorer.image_wanted.connect(self._open_from_explorer)
            self.session.model_changed.connect(lambda: setattr(self.explorer, "loaded", self.session.model))
            self.explorer.restore(self._explorer_saved)
            self.tour.follow_keys_in(self.explorer)  # a step that shows it keeps the remote working
        self.explorer.loaded = self.session.model
        self.explorer.show()
        self.explorer.raise_()
        self.explorer.activateWindow()
        return self.explorer

    def _explorer_state(self) -> dict:
        return self.explorer.state() if self.explorer is not None else {**self._explorer_saved, "open": False}

    def _restore_explorer(self, state: dict):
        if self.explorer is not None:
            self.explorer.restore(state)
        else:
            self._explorer_saved = dict(state)
        if state.get("open") is True:
            self.open_explorer()
        elif state.get("open") is False and self.explorer is not None:
            self.explorer.hide()  # a view without it (a tour's step)

    def _open_from_explorer(self, path):
        self.loader.open_image(path)
        self.raise_()
        self.activateWindow()

    def toggle_patterns(self):
        """Pattern mode, the toolbox's `s` (GridPane.cycle_patterns)."""
        if self.grid.cycle_patterns() == CROPS and self.top_images.current() is None:
            self.explain[2].raise_()  # the scan starts once its tab is in front
            self.say("Pattern mode shows each unit's best crop once the Top images scan is done.")

    # ---------------------------------------------------------------- menus that change
    def fill_recent(self, menu):
        self.recent_images.fill(menu, self.loader.open_image, "(no image opened yet)")

    def fill_samples(self, menu):
        for path in paths.sample_images():
            menu.addAction(path.stem.capitalize(), lambda p=path: self.loader.open_image(p))

    def fill_zoo(self, menu):
        current = self.session.model_spec
        for name in ZOO_MODELS:
            action = menu.addAction(name, lambda n=name: self.loader.load_model(n))
            action.setCheckable(True)
            action.setChecked(current.name == name and not current.weights)
        menu.addAction("Other…", self.loader.choose_zoo_model)

    def toggle_fit(self):
        """`0`: crop or stretch. Work on the old input is dropped, the image goes through again."""
        self.runner.cancel(*(k for k in kinds.stale_after_model(self.runner.table) if k != kinds.FEATURE_IMAGES))
        self.session.toggle_fit()
        self.say("The model sees the whole picture, stretched to a square." if self.session.fit == "stretch"
                 else "The model sees the centre square of the picture.")
        self.loader.request_forward()

    def _show_transport(self):
        live, transport = self.live, self.input_pane.transport
        transport.setVisible(live.player is not None)
        if live.player is not None:
            frame = live.shown.index if live.shown is not None else 0
            transport.show_state(live.playing, frame, live.length(), live.rate(), live.speed)

    def fill_record(self, menu):
        """Live ▸ Record a Pane: the main view on screen and each pane."""
        self.zoom.leave()
        view = self.views.tabText(self.views.currentIndex())
        menu.addAction(f"{view} (the main view)", lambda: self.recorder.choose_and_start(self.views, view))
        for dock in self.findChildren(QDockWidget):
            if dock.isVisible():
                menu.addAction(dock.windowTitle(), lambda d=dock: self.recorder.choose_and_start(d.widget(), d.windowTitle()))

    def fill_docks(self, menu):
        for dock in self.findChildren(QDockWidget):
            menu.addAction(dock.toggleViewAction())

    # ---------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event):
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event):
        mime = event.mimeData()
        local = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []
        if local and (is_video(local[0]) and not local[0].lower().endswith(".gif")):
            self.live.open_video(local[0])
            event.acceptProposedAction()
        elif self.loader.open_mime(mime):
            event.acceptProposedAction()
        else:
            self.say("Only image files or image data can be dropped here.", error=True)

    # ---------------------------------------------------------------- remembered between runs
    def _restore_layout(self):
        self._default_layout = self.saveState(LAYOUT_VERSION)
        self.session.set_view_dict(self.settings.value("view"))
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("state")
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)  # False, and nothing changed, for another version
        view = self.settings.value("main-view")
        if view in VIEWS:
            self.show_view(VIEWS.index(view))

    def reset_layout(self):
        self.restoreState(self._default_layout, LAYOUT_VERSION)
        self.show_view(0)

    def closeEvent(self, event):
        if self.isVisible() and not self.tour.may_close():  # (Qt closes a closed window again as it quits)
            event.ignore()
            return
        self.zoom.leave()  # the pane back in its dock before the layout is saved
        self.tour.stop()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState(LAYOUT_VERSION))
        self.settings.setValue("main-view", VIEWS[self.views.currentIndex()])
        self.settings.setValue("view", self.session.view_dict())
        self.settings.sync()
        self.live.close()
        self.recorder.wait()  # a recording in progress is finished, not lost
        if self.explorer is not None:
            self.explorer.shutdown()  # ends its worker thread
            self.explorer.close()
        self.loader.stop()  # start-up's model, if the window closes before the photo came
        self.runner.shutdown(15000)
        super().closeEvent(event)
