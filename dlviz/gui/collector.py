"""Garbage collection on the GUI thread, between its events, never inside a Qt call.

Why: the interpreter collects whenever an allocation tips a counter over its threshold, on any
thread and inside any call. Inside a PySide callback that Qt makes while it holds one of its
signal locks (a disconnect does), a collection that frees a Python-owned Qt object (a closed
window's menu) runs that object's destructor, which asks for the same lock: the thread waits for
itself, and the window freezes for good. The test suite met it once (docs/decisions/0016). With
automatic collection off, collections run here, from a timer: the GUI thread is then between
events, holding no Qt lock.

The thresholds stay the interpreter's: a tick collects the young generation once it has as many
new objects as an automatic collection would have waited for, the middle one as often, and the
oldest (every object the program keeps) at most once a minute (the interpreter itself waits
until a quarter more objects have reached it than at its last full collection).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

from dlviz import runtime

TICK_MS = 50
FULL_EVERY_S = 60.0


class Collector(QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._last_full = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)

    def start(self) -> "Collector":
        runtime.collect_by_hand(True)
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()
        runtime.collect_by_hand(False)

    def tick(self) -> int:
        """Collect what the counters say is due; the number of objects freed (-1: nothing was due,
        or a start-up stage is under way, which collects nothing until it ends)."""
        counts, limits = gc.get_count(), gc.get_threshold()
        if runtime.settling_now() or counts[0] < limits[0]:
            return -1
        generation = 1 if counts[1] >= limits[1] else 0
        now = time.monotonic()
        if generation == 1 and counts[2] >= limits[2] and now - self._last_full >= FULL_EVERY_S:
            generation, self._last_full = 2, now
        return gc.collect(generation)
