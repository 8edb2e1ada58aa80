"""Opening the window: the command line `dlviz [IMAGE] [--model ...]`, the Qt application, the
log of unexpected errors, and the timing lines the start-up benchmark reads.

The window module is imported and shown before torch: the model loads in the background.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
import traceback

from dlviz import paths
from dlviz.core.catalogue import DEVICES

# (library for ctypes.util.find_library, Debian/Ubuntu package) that Qt's X11 plugin needs.
XCB_LIBRARIES = [
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
    missing = [package for library, package in XCB_LIBRARIES if not find_library(library)]
    if missing:
        return (f"Qt needs the system libraries {', '.join(missing)} to open a window; install them "
                f"with your package manager (Debian or Ubuntu: sudo apt-get install {' '.join(missing)})")
    return None


def parser(commands=()) -> argparse.ArgumentParser:
    listed = f" Commands: {', '.join(commands)} (dlviz COMMAND -h); dlviz --self-test checks an installation." if commands else ""
    text = "See what a neural network does: open the window on an image and a model." + listed
    # wrapped here, never inside a name such as --self-test (argparse breaks lines at hyphens)
    out = argparse.ArgumentParser(prog="dlviz", description=textwrap.fill(text, 78, break_on_hyphens=False),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    out.add_argument("image", nargs="?", help="an image to open (default: a bundled photo)")
    out.add_argument("--model", help="bundled 'efficientnet_lite0' (default) or a torchvision classifier name")
    out.add_argument("--weights", help="a local state_dict (with --model ARCH) or TorchScript file")
    out.add_argument("--labels", help="class names, one per line")
    out.add_argument("--layer", help="the layer to open on")
    out.add_argument("--video", nargs="?", const="", metavar="PATH",
                     help="play a video file or a folder of images live (default: the bundled sample video)")
    out.add_argument("--camera", action="store_true", help="start with the camera live")
    out.add_argument("--device", choices=list(DEVICES),
                     help="where the model runs: auto (the best one present), cuda, mps or cpu; remembered, as Model ▸ Device")
    return out


_qt_quieted = False
# QtMultimedia lists every optional library it did not find (PipeWire, VA-API) and its FFmpeg
# version when the camera starts; none of it is a problem.
QUIET_CATEGORIES = ("qt.multimedia.symbolsresolver", "qt.multimedia.ffmpeg")
_OFFSCREEN = ("propagateSizeHints", "does not support raise()")


def quiet_known_qt_warnings() -> None:
    """The offscreen platform complains about window size hints it cannot honour and windows it
    cannot raise (the explorer, opened by a tour's step); nothing is wrong."""
    global _qt_quieted
    if _qt_quieted:
        return
    _qt_quieted = True
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message):
        if any(part in message for part in _OFFSCREEN) or (context.category or "") in QUIET_CATEGORIES:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)


def application():
    """The QApplication, made once, in dlviz's dark theme."""
    quiet_known_qt_warnings()
    from PySide6.QtWidgets import QApplication

    from dlviz.gui import style

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0]])
        app.setApplicationName("dlviz")
        app.setOrganizationName("dlviz")
    style.apply_theme(app)
    return app


def install_excepthook() -> None:
    """Unexpected errors go to a log file and a dialog, never a silent crash."""
    log_file = paths.error_log()

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


def report_timing(window) -> None:
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


def run(argv, commands=()) -> int:
    """Open the window; returns the exit status."""
    args = parser(commands).parse_args(argv)
    problem = display_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    app = application()
    install_excepthook()
    from dlviz.gui.collector import Collector
    from dlviz.gui.main_window import MainWindow

    Collector(app).start()  # garbage collected between events only (a collection inside a Qt call can hang)

    if args.device:
        from PySide6.QtCore import QSettings

        from dlviz.gui.loading import Loader

        QSettings("dlviz", "dlviz").setValue(Loader.DEVICE_KEY, args.device)
    video = None if args.video is None else (args.video or str(paths.sample_video()))
    window = MainWindow(args.image, args.model, args.weights, args.labels, args.layer, video=video,
                        camera=args.camera)
    refused = []

    def model_refused(sentence, spec):
        """The model named on the command line cannot be had: say so on stderr and exit 2 at the end
        (the window carries on with the bundled model, and says so too)."""
        if not refused and (spec.name, spec.weights) == (args.model, args.weights):
            refused.append(sentence)
            print(f"error: {sentence}", file=sys.stderr, flush=True)

    if args.model or args.weights:
        window.loader.model_refused.connect(model_refused)
    if os.environ.get("DLVIZ_TIMING") == "1":
        report_timing(window)
    window.show()
    status = app.exec()
    return 2 if refused and status == 0 else status
