"""Pictures of the window without a screen: `dlviz shot` and the self-test."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def take_screenshot(image, out, size, model=None, weights=None, labels=None, layer=None, timeout_s=180,
                    session: dict | None = None, presenter: float = 1.0, theme: str = "dark") -> str | None:
    """Open the window offscreen on `image` (or on a saved `session`), wait until every pane is
    drawn, save a PNG. `presenter` and `theme`: the presenter scale and the theme (gui.presenter).

    Returns None on success, or the sentence that explains the failure.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from dlviz.gui.launch import application
    from dlviz.gui.main_window import MainWindow

    app = application()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "shot.ini"), QSettings.IniFormat)
        settings.setValue("presenter/scale", presenter)
        settings.setValue("presenter/theme", theme)
        if session is not None:  # open on the session's model and input: nothing loads twice
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
        ready = []
        window.ready.connect(lambda: ready.append(True))
        window.runner.failed.connect(lambda kind, sentence, trace: problems.append(sentence))
        window.show()
        if session is not None and not window.restore_session(session):
            problems.append("the session cannot be read")
        elif not run_until(lambda: bool(ready or problems), timeout_s):
            problems.append(f"the window was not ready within {timeout_s} s")
        if not problems and layer and window.session.layer != layer:
            problems.append(window.session.model.no_layer(layer))
        if not problems:
            for _ in range(5):
                app.processEvents()
            pixmap = window.grab()
            if (pixmap.width(), pixmap.height()) != tuple(size):
                problems.append(f"the window cannot be {size[0]}×{size[1]}: its panes need at least "
                                f"{window.minimumSizeHint().width()}×{window.minimumSizeHint().height()}")
            elif not pixmap.save(str(out), "PNG"):
                problems.append(f"could not write {out}")
        window.close()
        window.deleteLater()
        app.processEvents()
    return problems[0] if problems else None


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
