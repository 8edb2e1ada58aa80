"""The presenter view: the window readable from the back of a room.

A presenter scale (1×, 1.5×, 2×) for every font, tick label, outline and cursor; a high-contrast theme
for projectors beside the dark one; full screen (F11); and the menus and status bar hidden, with
every key still working. The scale and the theme are remembered between runs (QSettings); full
screen and hidden menus are not, so the next start is never a window without a way out.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Signal

from dlviz.gui import style

SCALES = (1.0, 1.5, 2.0)


def nearest_scale(value: float) -> float:
    return min(SCALES, key=lambda s: abs(s - value))


class Presenter(QObject):
    changed = Signal()

    def __init__(self, window, settings: QSettings, parent=None):
        super().__init__(parent)
        self.window, self.settings = window, settings
        self.scale = self._saved_scale()
        self.theme = str(settings.value("presenter/theme", "dark"))
        if self.theme not in style.THEMES:
            self.theme = "dark"

    def _saved_scale(self) -> float:
        try:
            value = float(self.settings.value("presenter/scale", 1.0))
        except (TypeError, ValueError):
            return 1.0
        return nearest_scale(value)

    # ---------------------------------------------------------------- scale and theme
    def apply(self) -> None:
        """Put the remembered scale and theme on the window (at start-up)."""
        if self.scale != style.scale() or self.theme != style.theme():
            style.set_look(self.scale, self.theme)
        if self.scale != 1.0:  # the default sizes, where there is no layout of the user's to keep
            self.window.size_docks(self.scale, resize=self.settings.value("state") is None)

    def set_scale(self, scale: float) -> None:
        wanted, before = nearest_scale(scale), self.scale
        room, size = self._room(), self.window.size()  # before the change: the window grows to fit its panes
        style.set_look(scale=wanted)
        self._settle()
        if wanted > before and not self._fits(room):
            style.set_look(scale=before)
            self._settle()
            self.window.resize(size)
            self.window.say(f"×{wanted:g} does not fit this {room[0]}×{room[1]} screen; the presenter scale "
                            f"stays ×{before:g}.", error=True)
            return
        self.scale = wanted
        self.settings.setValue("presenter/scale", self.scale)
        self.window.size_docks(self.scale)
        self.window.status.update_info()  # at a presenter scale it keeps only the layer and unit
        self.window.say(f"Presenter scale ×{self.scale:g}.")
        self.changed.emit()

    def _room(self):
        """The most the window can be: its screen, or its own size where that is larger (a window
        drawn offscreen for a picture)."""
        window = self.window
        screen = window.screen().availableGeometry().size() if window.screen() is not None else window.size()
        return max(screen.width(), window.width()), max(screen.height(), window.height())

    def _settle(self) -> None:
        """Let the new sizes reach the window (they go up a level of layouts at a time, some after a
        pyqtgraph update): until the window's minimum size holds still, a dozen rounds at most."""
        hint, still = None, 0
        for _ in range(12):
            QCoreApplication.sendPostedEvents(None, QEvent.LayoutRequest)
            QCoreApplication.processEvents()
            now = self.window.minimumSizeHint()
            still = still + 1 if now == hint else 0
            if still == 2:
                return
            hint = now

    def _fits(self, room) -> bool:
        hint, (width, height) = self.window.minimumSizeHint(), room
        return hint.width() <= width and hint.height() <= height

    def step(self, steps: int) -> None:
        here = SCALES.index(self.scale) if self.scale in SCALES else 0
        self.set_scale(SCALES[min(max(here + steps, 0), len(SCALES) - 1)])

    def toggle_theme(self) -> None:
        self.theme = "dark" if self.theme == "contrast" else "contrast"
        self.settings.setValue("presenter/theme", self.theme)
        style.set_look(theme_name=self.theme)
        self.window.say("High-contrast theme." if self.theme == "contrast" else "Dark theme.")
        self.changed.emit()

    # ---------------------------------------------------------------- full screen and chrome
    def toggle_full_screen(self) -> None:
        window = self.window
        if window.isFullScreen():
            window.showNormal()
        else:
            window.showFullScreen()
        self.changed.emit()

    @property
    def chrome_hidden(self) -> bool:
        return self.window.menuBar().isHidden()

    def toggle_chrome(self) -> None:
        """Hide the menus and the status bar (every key still works), or show them again."""
        hide = not self.chrome_hidden
        self.window.menuBar().setVisible(not hide)
        self.window.statusBar().setVisible(not hide)
        if not hide:
            self.window.say("Menus back (Ctrl+Shift+M hides them).")
        self.changed.emit()
