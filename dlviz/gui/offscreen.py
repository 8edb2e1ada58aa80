"""Pictures of the window without a screen: `dlviz shot` and the self-test."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def take_screenshot(image, out, size, model=None, weights=None, labels=None, layer=None, timeout_s=180,
                    session: dict | None = None, presenter: float = 1.0, theme: str = "dark") -> str | None:
    """Open the window offscreen on `image` (or on a saved `session`), wait until every pane is
    drawn, save a PNG. `presenter` and `theme`: the presenter scale and the theme (gui.presenter).

    Returns None on success, or the sentence that explains the failure.
    """
    problems: list[str] = []
    with _window(image, size, model, weights, labels, layer, session, presenter, theme, problems) as window:
        ready = []
        window.ready.connect(lambda: ready.append(True))
        if session is not None and not window.restore_session(session):
            problems.append("the session cannot be read")
        elif not run_until(lambda: bool(ready or problems), timeout_s):
            problems.append(f"the window was not ready within {timeout_s} s")
        if not problems and layer and window.session.layer != layer:
            problems.append(window.session.model.no_layer(layer))
        if not problems:
            _save(window, 1, out, size, problems)
    return problems[0] if problems else None


def render_tour(session: dict, folder, size, scale: int = 1, presenter: float = 1.0, theme: str = "dark",
                captions: bool = True, progress=None, note=None, timeout_s=300) -> str | None:
    """Every step of a saved session's first tour, offscreen, to `folder`/step-01.png and on, at
    `scale` times the pixels (fonts and lines drawn at that resolution, not enlarged); a step that
    opens the embedding explorer also saves the explorer (step-07-explorer.png). `captions`: the
    step's caption drawn over the view, as when the tour plays. `progress(path)` hears of each
    file; `note(sentence)` of what a step could not bring back (its image gone, say): the step is
    drawn as the window shows it, and the tour goes on. Returns None, or the sentence that
    explains why it stopped."""
    from dlviz.tour import read_tours

    tours, _, _ = read_tours(session)
    steps = tours[0].steps if tours else []
    if not steps:
        return "the session has no tour steps to render"
    problems: list[str] = []  # what stops the export: a window that cannot be drawn or saved
    failed: list[str] = []  # what a step could not load
    first = dict(steps[0].view, version=session.get("version"))
    with _window(None, size, None, None, None, None, first, presenter, theme, failed) as window:
        window.session.take_file(session)  # its tours; the steps bring their own views
        tour = window.tour
        tour.reset()
        tour.playing, tour.hints = captions, False
        for index in range(len(steps)):
            failed.clear()
            tour.go(index)
            if not _wait_settled(window, timeout_s):
                problems.append(f"step {index + 1} was not drawn within {timeout_s} s")
                break
            for sentence in dict.fromkeys(failed):
                if note is not None:
                    note(f"step {index + 1}: {sentence}")
            name = Path(folder) / f"step-{index + 1:02d}.png"
            _save(window, scale, name, size, problems)
            if window.explorer is not None and window.explorer.isVisible():
                _save(window.explorer, scale, name.with_name(f"{name.stem}-explorer.png"), None, problems)
            if problems:
                break
            if progress is not None:
                progress(name)
        tour.playing = False
    return problems[0] if problems else None


def _wait_settled(window, timeout_s: float) -> bool:
    """Until the step is drawn: settled, and still settled a moment later (panes that wait a
    moment before they ask for their pictures have asked by then)."""
    if not run_until(lambda: _settled(window), timeout_s):
        return False
    run_until(lambda: False, 0.2)
    return run_until(lambda: _settled(window), timeout_s)


def _settled(window) -> bool:
    """Every job of the window (and of the explorer) done, and the step's view put back."""
    explorer = window.explorer
    return (window.session.result is not None and window._pending_session is None and not window.runner.is_busy()
            and (explorer is None or not explorer.runner.is_busy()))


@contextlib.contextmanager
def _window(image, size, model, weights, labels, layer, session, presenter, theme, problems):
    """A main window offscreen, on `image` or on a saved `session`'s model and input (so nothing
    loads twice), with its own settings; closed when done. Jobs that fail add to `problems`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from dlviz.gui.launch import application
    from dlviz.gui.main_window import MainWindow

    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "shot.ini"), QSettings.IniFormat)
        settings.setValue("presenter/scale", presenter)
        settings.setValue("presenter/theme", theme)
        if session is not None:
            from dlviz.session import InputSource, ModelSpec

            spec, source = ModelSpec.from_dict(session.get("model")), InputSource.from_dict(session.get("input"))
            model, weights, labels = spec.name, spec.weights, spec.labels
            if source is not None and source.live:  # the saved frame of a video, as a still
                image = _frame_as_png(source, Path(tmp))
            else:
                image = source.path if source is not None else image
            layer = session.get("layer") if isinstance(session.get("layer"), str) else layer
        window = MainWindow(image, model, weights, labels, layer, settings=settings)
        window.resize(*size)
        window.runner.failed.connect(lambda kind, sentence, trace: problems.append(sentence))
        window.show()
        try:
            yield window
        finally:
            window.tour.modified = False  # nothing of the user's to ask about
            window.close()
            window.deleteLater()
            app.processEvents()


def _save(widget, scale: int, out, size, problems: list[str]) -> None:
    """`widget` drawn at `scale` times its pixels to the PNG `out`; what went wrong in `problems`."""
    from PySide6.QtCore import QCoreApplication

    from dlviz.gui.exports import picture

    for _ in range(5):
        QCoreApplication.processEvents()
    if size is not None and (widget.width(), widget.height()) != tuple(size):
        hint = widget.minimumSizeHint()
        problems.append(f"the window cannot be {size[0]}×{size[1]}: its panes need at least {hint.width()}×{hint.height()}")
        return
    if not picture(widget, scale).save(str(out), "PNG"):
        problems.append(f"could not write {out}")


def run_until(condition, seconds: float) -> bool:
    """Run the event loop until `condition()` holds (looked at every 5 ms) or `seconds` pass."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: condition() and loop.quit())
    poll.start(5)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    poll.stop()
    return condition()


def _frame_as_png(source, folder: Path) -> Path:
    """Frame `source.frame` of a video or slideshow, written to a PNG in `folder`."""
    from PIL import Image

    from dlviz.core.frames import open_source

    video = open_source(source.path)
    try:
        video.seek(source.frame or 0)
        frame = video.read()
    finally:
        video.close()
    if frame is None:
        from dlviz.core.frames import VideoError

        raise VideoError(f"{source.name} has no frame {source.frame}")
    out = folder / f"{Path(source.name).stem}-frame{frame.index}.png"
    Image.fromarray(frame.rgb).save(out)
    return out


def render_video(source, write, size, model=None, weights=None, labels=None, layer=None, progress=None,
                 timeout_s=180) -> str | None:
    """The whole window, offscreen, on every frame of `source` (core.frames): each frame goes
    through the model and every pane, then the window is handed to `write(rgb)`. Nothing is
    dropped. Returns None, or the sentence that explains the failure."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from dlviz.gui.launch import application
    from dlviz.gui.main_window import MainWindow
    from dlviz.gui.widgets.images import image_rgb
    from dlviz.session import InputSource
    from dlviz.work import kinds
    from dlviz.work import toolbox as jobs

    app = application()
    problems: list[str] = []

    with tempfile.TemporaryDirectory() as tmp:
        first = source.read()
        if first is None:
            return f"{source.name} has no frames"
        settings = QSettings(str(Path(tmp) / "video.ini"), QSettings.IniFormat)
        window = MainWindow(None, model, weights, labels, layer, settings=settings, video=False)
        window.resize(*size)
        window.runner.failed.connect(lambda kind, sentence, trace: problems.append(sentence))
        window.show()
        if not run_until(lambda: window.session.model is not None, timeout_s):
            problems.append(f"the model did not load within {timeout_s} s")
        if not problems and layer and window.session.layer != layer:
            problems.append(window.session.model.no_layer(layer))
        frame, count = first, 0
        while frame is not None and not problems:
            answer = []
            window.runner.submit(kinds.LIVE, jobs.live_frame, window.session.model, frame, done=answer.append)
            if not run_until(lambda: bool(answer or problems), timeout_s) or problems:
                if not problems:
                    problems.append(f"frame {frame.index} took over {timeout_s} s")
                break
            result = answer[0]
            where = InputSource("video", getattr(source, "path", None), source.name, frame.index)
            window.session.set_frame(frame.rgb, where, result.preview, result.forward)
            run_until(lambda: not window.runner.is_busy(), timeout_s)  # the panes that follow the frame
            for _ in range(3):
                app.processEvents()
            write(image_rgb(window.grab()))
            count += 1
            if progress is not None:
                progress(count)
            frame = source.read()
        window.close()
        window.deleteLater()
        app.processEvents()
    return problems[0] if problems else None
