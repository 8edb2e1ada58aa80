"""Entry point: `dlviz` opens the window; `dlviz predict|layers|activations|shot` runs the CLI.

The window module is imported and shown before torch: the model loads in the background.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path


def _user_dir() -> Path:
    return Path(os.environ.get("DLVIZ_HOME") or Path.home() / ".cache" / "dlviz")


def _process_environment() -> None:
    """Settings the numeric libraries read once, at import: for the GUI, the CLI and the self-test."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(_user_dir() / "numba"))
    # OpenMP threads that spin after torch's work (a neighbour search) steal the cores from
    # openTSNE's and numba's threads: t-SNE ran 4-6 times slower. Sleeping idle threads cost
    # torch's forward pass nothing measurable. Must be set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _prepare_environment() -> None:
    _process_environment()
    # A windowed build (Windows, macOS) has no console: printing must not crash it.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")
    _quiet_known_qt_warnings()


_qt_quieted = False


def _quiet_known_qt_warnings() -> None:
    """The offscreen platform complains about window size hints it cannot honour; nothing is wrong."""
    global _qt_quieted
    if _qt_quieted:
        return
    _qt_quieted = True
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message):
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlviz", description="See what a neural network does. "
                                     "Commands: predict, layers, activations, shot (dlviz COMMAND -h).")
    parser.add_argument("image", nargs="?", help="an image to open (default: a bundled photo)")
    parser.add_argument("--model", help="bundled 'efficientnet_lite0' (default) or a torchvision classifier name")
    parser.add_argument("--weights", help="a local state_dict (with --model ARCH) or TorchScript file")
    parser.add_argument("--labels", help="class names, one per line")
    parser.add_argument("--layer", help="the layer to open on")
    return parser


def _install_excepthook(app) -> None:
    """Unexpected errors go to a log file and a dialog, never a silent crash."""
    log_file = _user_dir() / "errors.log"

    def hook(kind, value, tb):
        text = "".join(traceback.format_exception(kind, value, tb))
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            with open(log_file, "a", encoding="utf-8") as out:
                out.write(text + "\n")
        except OSError:
            pass
        sys.__stderr__ and sys.__stderr__.write(text)
        from PySide6.QtWidgets import QMessageBox

        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            QMessageBox.critical(None, "dlviz", f"Something went wrong: {value}\n\nDetails were written to {log_file}.")

    sys.excepthook = hook
    logging.basicConfig(filename=str(log_file) if log_file.parent.exists() else None, level=logging.WARNING)


def _report_timing(window) -> None:
    """DLVIZ_TIMING=1 (for benchmarks/startup.py): print `timing first-paint T` and
    `timing first-activations T` to stdout, T an absolute time.time(); with
    DLVIZ_EXIT_AFTER_READY=1 also close the window once the first activations are drawn."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                print(f"timing first-paint {time.time():.6f}", flush=True)
                obj.removeEventFilter(self)
            return False

    window.installEventFilter(FirstPaint(window))

    def on_ready():
        window.ready.disconnect(on_ready)
        print(f"timing first-activations {time.time():.6f}", flush=True)
        if os.environ.get("DLVIZ_EXIT_AFTER_READY") == "1":
            QTimer.singleShot(0, window.close)

    window.ready.connect(on_ready)


# (library for ctypes.util.find_library, Debian/Ubuntu package) that Qt's X11 plugin needs.
_XCB_LIBRARIES = [
    ("xcb-cursor", "libxcb-cursor0"),
    ("xcb-icccm", "libxcb-icccm4"),
    ("xcb-keysyms", "libxcb-keysyms1"),
    ("xkbcommon-x11", "libxkbcommon-x11-0"),
]


def display_problem(environ=os.environ, platform=sys.platform, find_library=None) -> str | None:
    """A sentence saying why no window can open here, or None. Qt itself would abort instead."""
    if not platform.startswith("linux"):
        return None
    qpa = environ.get("QT_QPA_PLATFORM", "")
    if (qpa and not qpa.startswith("xcb")) or (not qpa and environ.get("WAYLAND_DISPLAY")):
        return None
    if not environ.get("DISPLAY"):
        return ("there is no display to open a window on: run dlviz on a desktop, or use "
                "`dlviz shot` or QT_QPA_PLATFORM=offscreen without one")
    if find_library is None:
        import ctypes.util

        find_library = ctypes.util.find_library
    missing = [package for library, package in _XCB_LIBRARIES if not find_library(library)]
    if missing:
        return (f"Qt needs the system libraries {', '.join(missing)} to open a window; install them "
                f"with your package manager (Debian or Ubuntu: sudo apt-get install {' '.join(missing)})")
    return None


def run_gui(argv) -> int:
    args = _gui_parser().parse_args(argv)
    problem = display_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    _prepare_environment()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("dlviz")
    app.setOrganizationName("dlviz")
    _install_excepthook(app)
    from dlviz.gui import style
    from dlviz.gui.main_window import MainWindow

    style.apply_theme(app)

    window = MainWindow(args.image, args.model, args.weights, args.labels, args.layer)
    if os.environ.get("DLVIZ_TIMING") == "1":
        _report_timing(window)
    window.show()
    return app.exec()


def take_screenshot(image, out, size, model=None, weights=None, labels=None, layer=None, timeout_s=180) -> str | None:
    """Open the window offscreen on `image`, wait until every pane is drawn, save a PNG.

    Returns None on success, or the sentence that explains the failure.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _prepare_environment()
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    from dlviz.gui import style
    from dlviz.gui.main_window import MainWindow

    style.apply_theme(app)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "shot.ini"), QSettings.IniFormat)
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
        loop.exec()
        timer.stop()
        if not problems and layer and window.session.layer != layer:
            problems.append(f"the model has no layer '{layer}'; see `dlviz layers`")
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


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _process_environment()
    from dlviz import cli

    if argv and argv[0] in ("--self-test", "self-test"):
        from dlviz import selftest

        return selftest.main()
    if argv and argv[0] in cli.COMMANDS:
        return cli.main(argv)
    return run_gui(argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
