"""A top-level window's first size and place: all of it on its screen."""

from __future__ import annotations

from PySide6.QtCore import QRect


def within(room: QRect, width: int, height: int, share: float = 0.95) -> QRect:
    """Where a window of (width, height) goes in `room` (a screen's free area): at that size, or
    smaller where the room is (at most `share` of it, leaving the window manager its frame),
    centred."""
    width, height = min(width, int(room.width() * share)), min(height, int(room.height() * share))
    return QRect(room.x() + (room.width() - width) // 2, room.y() + (room.height() - height) // 2, width, height)


def open_within_screen(window, width: int, height: int, share: float = 0.95, place: bool = True) -> None:
    """Give `window` its first size, (width, height) or less, and (`place`) a place on its screen's
    free area. A second window (the explorer) leaves its place to the window manager: before it is
    shown, its screen is the first one, and the main window may be on another.

    Why: a window larger than its screen opened with its right-hand panes past the screen's edge
    (a 1400×880 window on a 1280×720 screen), and with no window manager to move it nothing
    showed them. A remembered geometry, put back after this, still wins."""
    screen = window.screen()
    if screen is None:
        window.resize(width, height)
        return
    spot = within(screen.availableGeometry(), width, height, share)
    window.resize(spot.size())
    if place:
        window.move(spot.topLeft())
