"""GUI fixtures: a main window on the bundled model and a sample photo, settings kept in tmp_path."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def garbage_collected_between_tests():
    """After each test (its windows closed), its Qt objects are deleted and its garbage collected
    here, where no Qt call is under way.

    Why: left to the collector, a closed window's menus were freed at whatever allocation came
    next. Once that was inside a disconnect of the next test's window (pyqtgraph moving an item
    to its view), which holds one of Qt's signal locks; a QAction's destructor asked for the
    same lock, and the suite hung for good."""
    yield
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    gc.collect()


@pytest.fixture(autouse=True)
def back_to_normal():
    """The look (presenter scale, theme) is the application's: a test that changes it leaves it
    as it found it for the tests after."""
    yield
    from dlviz.gui import style

    if (style.scale(), style.theme()) != (1.0, "dark"):
        style.set_look(1.0, "dark")


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "dlviz.ini"), QSettings.IniFormat)


@pytest.fixture
def make_window(qtbot, settings, chelsea):
    """Builds windows; after the test every window's worker thread must have ended."""
    from dlviz.gui.main_window import MainWindow

    made = []

    def make(image=chelsea, wait=True, size=(1300, 850), **kwargs):
        window = MainWindow(image, settings=kwargs.pop("settings", settings), **kwargs)
        # a test's unsaved tour: no question when pytest-qt closes the window
        qtbot.addWidget(window, before_close_func=lambda w: setattr(w.tour, "modified", False))
        if size:
            window.resize(*size)
        window.show()
        made.append(window)
        if wait:
            with qtbot.waitSignal(window.ready, timeout=90_000):
                pass
        return window

    yield make
    for window in made:
        window.tour.modified = False
        window.close()
        assert not window.runner._worker.isRunning(), "a worker QThread was left running"


@pytest.fixture
def window(make_window):
    return make_window()


def wait_ready(qtbot, window, timeout=60_000):
    with qtbot.waitSignal(window.ready, timeout=timeout):
        pass
