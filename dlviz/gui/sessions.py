"""Saved sessions in the window: open one (its model and input load, then its view is put back),
save what is on screen with the tour, the recent sessions, and the sample tour.

A part of MainWindow (a base class of it), kept apart so that the window's own module stays about
building and placing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from dlviz import paths
from dlviz.gui.widgets.saving import write_for_user
from dlviz.session import InputSource, ModelSpec, Session, SessionError, read_file, save_file
from dlviz.work import kinds

SESSIONS = "dlviz sessions (*.dlviz);;All files (*)"


class SessionFiles:
    """Needs the window's session, loader, live feed, runner, tour, zoom, say, recent_sessions and
    `_pending_session` (a view to put back once its model and input are in)."""

    def restore_session(self, data, whole: bool = True) -> bool:
        """Open a saved session (`whole`: its tours too; else a tour's step): its model and input
        load, then its view is put back. A session that cannot be read leaves everything as it is
        and says why."""
        try:
            data = Session.read(data)
        except SessionError as exc:
            self.say(str(exc), error=True)
            return False
        self.zoom.leave()  # the view comes back as it was saved: every pane in its place
        if whole:
            unread = self.session.take_file(data)
            self.tour.reset()
            if unread:
                self.say(f"The session's {' and '.join(unread)} could not be read; the rest is open.", error=True)
        spec, source = ModelSpec.from_dict(data.get("model")), InputSource.from_dict(data.get("input"))
        self._pending_session = data
        if spec != self.loader.requested[0]:
            self.loader.load_model(spec.name, spec.weights, spec.labels, data.get("layer"))
        if source is not None and source.live:  # a frame of a video: the video, paused there
            self.live.open_video(source.path, at=source.frame)
        elif source is not None and (str(source.path) != str(self.loader.requested_image) or self.live.active):
            self.loader.open_image(source.path, source.name)
        QTimer.singleShot(0, self._check_ready)
        return True

    def own_session_file(self) -> Path | None:
        """The session file last opened or saved, unless it is one of the app's own (the sample tour)."""
        path = self.session_path
        return path if path is not None and paths.assets_dir().resolve() not in path.parents else None

    def save_session_here(self) -> bool:
        """Ctrl+S: into the session file it came from; the first time (or for the sample tour), ask."""
        return self.save_session(self.own_session_file())

    def save_session(self, path=None) -> bool:
        """Save everything on screen and the tour (`path` None: ask where); True once it is written."""
        if path is None:
            start = self.own_session_file() or Path.home() / "view.dlviz"  # never into the app's own files
            path, _ = QFileDialog.getSaveFileName(self, "Save session", str(start), SESSIONS)
        if not path:
            return False
        data = self.session.to_dict()
        if not write_for_user(path, lambda: save_file(data, path), self.say):
            return False
        self.recent_sessions.add(path)
        self.session_path = Path(path).resolve()
        self.tour.saved()
        return True

    def open_session(self, path=None, play: bool = False):
        """Open a saved session (`play`: and play its tour from the first step)."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open session", str(Path.home()), SESSIONS)
        if path:  # read on the worker: the file may sit on a drive that does not answer
            self.runner.submit(kinds.SESSION, _read_session, path, done=lambda data: self._session_read(path, data, play))

    def _session_read(self, path, data, play: bool):
        if not self.tour.may_close():  # the tour on screen has unsaved steps the user keeps
            return
        damaged = getattr(data, "problems", [])  # a file cut short: what it lost
        if self.restore_session(data):
            for sentence in damaged:
                self.say(sentence, error=True)
            self.session_path = None if damaged else Path(path).resolve()  # Ctrl+S never overwrites what was lost
            if self.own_session_file():
                self.recent_sessions.add(path)
            if play and self.tour.steps:
                self.tour.play()

    def open_sample_tour(self):
        self.open_session(paths.asset("tours", "first-lecture.dlviz"), play=True)

    def fill_recent_sessions(self, menu):
        self.recent_sessions.fill(menu, self.open_session, "(no session saved or opened yet)")


def _read_session(state, path):
    """The job that reads a session file (a SessionError is the status bar's sentence)."""
    return read_file(path)
