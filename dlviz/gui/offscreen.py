"""Pictures of the window without a screen: `dlviz shot` and the self-test."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def take_screenshot(image, out, size, model=None, weights=None, labels=None, layer=None, timeout_s=180,
                    session: dict | None = None) -> str | None:
    """Open the window offscreen on `image` (or on a saved `session`), wait until every pane is
    drawn, save a PNG.

    Returns None on success, or the sentence that explains the failure.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from dlviz.gui.launch import application
    from dlviz.gui.main_window import MainWindow

    app = application()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "shot.ini"), QSettings.IniFormat)
        if session is not None:  # open on the session's model and input: nothing loads twice
            from dlviz.session import InputSource, ModelSpec

            spec, source = ModelSpec.from_dict(session.get("model")), InputSource.from_dict(session.get("input"))
            model, weights, labels = spec.name, spec.weights, spec.labels
            image = source.path if source is not None else image
            layer = session.get("layer") if isinstance(session.get("layer"), str) else layer
        window = MainWindow(image, model, weights, labels, layer, settings=settings)
        window.resize(*size)
        loop = QEventLoop()
        window.ready.connect(loop.quit)
        window.runner.failed.connect(lambda kind, sentence, trace: (problems.append(sentence), loop.quit()))
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: (problems.append(f"the window was not ready within {timeout_s} s"), loop.quit()))
        timer.start(timeout_s * 1000)
        window.show()
        if session is not None and not window.restore_session(session):
            problems.append("the session cannot be read")
        else:
            loop.exec()
        timer.stop()
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
