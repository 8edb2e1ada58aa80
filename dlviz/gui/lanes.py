"""How live frames go through the model: the lanes (workers) a frame may take, the threads a
frame's pass gets, the job that takes the newest frame (docs/decisions/0010), and how fast
frames come and go."""

from __future__ import annotations

import os
import time
from collections import deque

from dlviz.core.frames import Frame
from dlviz.work import toolbox

RATE_WINDOW_S = 2.0  # frame rates are counted over the last two seconds


def leave_a_core(lanes: int = 1) -> int:
    """Threads for a live frame's forward pass: all cores but one, which the GUI thread needs to
    draw the frame, shared among the `lanes` frames in flight. On 2 cores, one thread took the
    window from 13 to 18 frames a second with the video offered faster than the model, and its
    longest pause from 69-81 ms to 49-53 ms."""
    return max(1, ((os.cpu_count() or 2) - 1) // lanes)


def default_lanes() -> int:
    """Frames in flight at most: two on two cores or more, else one. On two cores, two frames
    in flight at first gave the bundled model no more frames and the window pauses of 46-85 ms
    (the two passes and the drawing share the cores), so they waited for four. Once a frame's
    preparation, the layer on screen and the pictures stopped holding the interpreter lock, two
    gave 15% more frames (bundled model) and 30% (resnet18), with pauses of 37-48 ms, under the
    50 ms asked for (docs/decisions/0010)."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


class Lane:
    """A worker a live frame goes through: whether a frame was sent to it, and the frame its job
    took from the slot (None until the job starts)."""

    def __init__(self, runner):
        self.runner = runner
        self.sent = False
        self.frame: Frame | None = None

    def free(self) -> None:
        self.sent, self.frame = False, None


def newest_frame(state, take, loaded, threads=None, layer=None):
    """The live job: the newest frame in the slot when the worker gets to it, through the model
    (None if the slot is empty by then). Taken when the job was sent, a frame sent behind the
    views' jobs (the backprop view's backward pass) waited out that pass and came on screen that
    much older (docs/decisions/0010)."""
    frame = take(state, loaded)
    return None if frame is None else toolbox.live_frame(state, loaded, frame, threads, layer)


class Rate:
    """Events per second over the last `window_s` seconds."""

    def __init__(self, window_s: float = RATE_WINDOW_S, clock=time.perf_counter):
        self.window_s, self.clock = window_s, clock
        self._times: deque[float] = deque()

    def tick(self) -> None:
        now = self.clock()
        self._times.append(now)
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()

    def per_second(self) -> float:
        now = self.clock()
        self._trim(now)
        if len(self._times) < 2:
            return 0.0
        span = max(now - self._times[0], self._times[-1] - self._times[0])
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def clear(self) -> None:
        self._times.clear()
