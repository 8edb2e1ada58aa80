"""Live input without Qt: frames, the sources that make them (a video file, a folder shown as a
slideshow, a synthetic pattern for tests), and the player that paces a source in real time.

A source hands out frames one by one (`read()`), can go back to a frame (`seek(index)`) and says
its rate. The camera is a source too, but it lives in the window (it needs QtMultimedia) and
pushes its frames into the same path the player does.

Video files are decoded by PyAV (FFmpeg's libraries, bundled in its wheels), which reads every
container and codec a user is likely to have and can seek to a frame.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from dlviz.core.errors import DlvizError
from dlviz.core.files import check_file

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".webm", ".mkv", ".avi", ".mov", ".gif")
VIDEO_FILTER = f"Videos ({' '.join('*' + e for e in VIDEO_EXTENSIONS)});;All files (*)"
LONGEST_SIDE = 1920  # frames larger than this are scaled down when decoded: the model sees 224 px


class VideoError(DlvizError):
    """A video, a folder or a camera that cannot give frames."""


@dataclass(frozen=True)
class Frame:
    rgb: np.ndarray  # H×W×3 uint8
    index: int  # the frame's number in its source (counted from 0)
    time_s: float  # its place in the source, seconds from the start
    captured: float = field(default_factory=time.perf_counter)  # when it left the decoder or camera


def is_video(path: str | os.PathLike) -> bool:
    """Whether a path names a video by its extension (an animated GIF counts)."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _fit(rgb: np.ndarray) -> np.ndarray:
    from dlviz.core.images import preview

    return preview(rgb, LONGEST_SIDE)


class VideoFile:
    """The frames of a video file (or an animated GIF), decoded in order."""

    def __init__(self, path: str | os.PathLike):
        import av

        self.path = Path(path)
        self.name = self.path.name or str(self.path)
        if check_file(self.path, VideoError, what="video file").st_size == 0:
            raise VideoError(f"{self.name} is empty.")
        try:
            self._container = av.open(str(self.path), "r")
        except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise VideoError(f"{self.name} is not a video dlviz can decode.") from exc
        if not self._container.streams.video:
            self._container.close()
            raise VideoError(f"{self.name} holds no video stream.")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate or self._stream.base_rate
        self.rate = float(rate) if rate and float(rate) > 0 else 25.0
        self.rate = min(self.rate, 240.0)  # some GIFs claim absurd rates
        base = self._stream.time_base
        if self._stream.duration and base:
            self.duration_s = float(self._stream.duration * base)
        elif self._container.duration:
            self.duration_s = self._container.duration / 1_000_000
        else:
            self.duration_s = 0.0
        self.count = int(self._stream.frames) or max(1, round(self.duration_s * self.rate))
        self._start = float(self._stream.start_time * base) if self._stream.start_time and base else 0.0
        self._frames: Iterator | None = None
        self._next_index = 0
        self._closed = False
        self._lock = threading.Lock()  # the player's thread and a seek from the GUI thread

    def _decoded(self):
        import av

        try:
            for frame in self._container.decode(self._stream):
                yield frame
        except (av.FFmpegError, OSError) as exc:
            raise VideoError(f"{self.name} could not be decoded past frame {self._next_index} "
                             f"({type(exc).__name__}).") from exc

    def _index_of(self, frame) -> int:
        if frame.pts is None or frame.time_base is None:
            return self._next_index
        return max(0, round((float(frame.pts * frame.time_base) - self._start) * self.rate))

    def read(self) -> Frame | None:
        """The next frame, or None at the end."""
        with self._lock:
            if self._frames is None:
                self._frames = self._decoded()
            raw = next(self._frames, None)
            if raw is None:
                return None
            index = self._index_of(raw)
            self._next_index = index + 1
            rgb = _fit(raw.to_ndarray(format="rgb24"))
            return Frame(np.ascontiguousarray(rgb), index, index / self.rate)

    def seek(self, index: int) -> None:
        """Go to frame `index` (clamped to the video): the next `read()` returns it."""
        index = min(max(int(index), 0), max(self.count - 1, 0))
        with self._lock:
            base = self._stream.time_base
            target = int((self._start + index / self.rate) / base) if base else 0
            self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
            self._frames = self._decoded()
            # Decode from the key frame before `index` up to it; those frames are not shown. A
            # video shorter than it said ends on its last frame.
            last = None
            for raw in self._frames:
                last = raw
                if self._index_of(raw) >= index:
                    break
            self._frames = itertools.chain([last] if last is not None else [], self._frames)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._container.close()


class Slideshow:
    """The images of a folder, one every `seconds`."""

    def __init__(self, folder: str | os.PathLike, seconds: float = 2.0):
        from dlviz.core.images import image_files_in

        self.path = Path(folder)
        self.name = self.path.name or str(self.path)
        if not self.path.is_dir():
            raise VideoError(f"{self.name} is not a folder.")
        self._files = image_files_in(self.path)
        if not self._files:
            raise VideoError(f"{self.name} holds no image files.")
        self.rate = 1.0 / max(seconds, 0.05)
        self.count = len(self._files)
        self.duration_s = self.count / self.rate
        self._next = 0

    def read(self) -> Frame | None:
        from dlviz.core.images import load_image

        while self._next < self.count:
            index = self._next
            self._next += 1
            try:
                rgb = _fit(load_image(self._files[index]))
            except DlvizError:  # an unreadable file in the folder is skipped, not the end of the show
                continue
            return Frame(rgb, index, index / self.rate)
        return None

    def seek(self, index: int) -> None:
        self._next = min(max(int(index), 0), self.count)

    def close(self) -> None:
        pass


class Pattern:
    """A synthetic source for tests and benchmarks: a bright square crossing a dark ground, its
    frame number written in its pixels (`Pattern.index_in(rgb)` reads it back)."""

    def __init__(self, rate: float = 30.0, count: int = 300, size: tuple[int, int] = (240, 320)):
        self.path, self.name = None, "test pattern"
        self.rate, self.count, self.size = float(rate), int(count), size
        self.duration_s = self.count / self.rate
        self._next = 0

    def make(self, index: int) -> np.ndarray:
        height, width = self.size
        rgb = np.full((height, width, 3), 30, np.uint8)
        side = height // 3
        x = int((width - side) * (0.5 + 0.5 * math.sin(index / 15)))
        rgb[side:2 * side, x:x + side] = (230, 200, 40)
        for k, byte in enumerate(((index >> 16) & 255, (index >> 8) & 255, index & 255)):
            rgb[0, k] = byte  # the first three pixels, grey: the frame number, high byte first
        return rgb

    @staticmethod
    def index_in(rgb: np.ndarray) -> int:
        a, b, c = (int(v) for v in rgb[0, :3, 0])
        return (a << 16) | (b << 8) | c

    def read(self) -> Frame | None:
        if self._next >= self.count:
            return None
        index = self._next
        self._next += 1
        return Frame(self.make(index), index, index / self.rate)

    def seek(self, index: int) -> None:
        self._next = min(max(int(index), 0), self.count)

    def close(self) -> None:
        pass


def open_source(path: str | os.PathLike, slide_seconds: float = 2.0):
    """A folder as a slideshow, anything else as a video file."""
    return Slideshow(path, slide_seconds) if Path(path).is_dir() else VideoFile(path)


class Player:
    """Plays a source on its own thread at its rate times `speed`, handing each frame to
    `deliver(frame)` (on that thread). Frames are never queued here: whoever receives them keeps
    the newest. At the end it loops, or pauses and calls `ended()`. A source that fails calls
    `failed(sentence)` and the player stops."""

    def __init__(self, source, deliver: Callable[[Frame], None], *, loop: bool = True, speed: float = 1.0,
                 ended: Callable[[], None] = lambda: None, failed: Callable[[str], None] = lambda s: None,
                 paced: bool = True):
        self.source, self.deliver, self.loop, self.speed = source, deliver, loop, speed
        self.ended, self.failed, self.paced = ended, failed, paced
        self.playing = False
        self.last: Frame | None = None  # the frame handed out last
        self._wake = threading.Condition()
        self._step_to: int | None = None  # the frame to hand out while paused
        self._seek_to: int | None = None
        self._closed = False
        self._clock: tuple[float, float] | None = None  # (wall time, source time) the pace counts from
        self._thread = threading.Thread(target=self._run, name="dlviz-player", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ any thread
    def play(self) -> None:
        with self._wake:
            self.playing, self._clock = True, None
            self._wake.notify_all()

    def pause(self) -> None:
        with self._wake:
            self.playing = False
            self._wake.notify_all()

    def toggle(self) -> bool:
        (self.pause if self.playing else self.play)()
        return self.playing

    def step(self, frames: int, here: int | None = None) -> None:
        """Pause, then hand out the frame `frames` after (or before) frame `here` (default: the
        last one handed out; the window passes the one on screen, which may be older)."""
        with self._wake:
            self.playing = False
            base = here if here is not None else (self.last.index if self.last else -1)
            self._step_to = max(base + frames, 0)
            self._wake.notify_all()

    def seek(self, index: int) -> None:
        with self._wake:
            self._seek_to, self._clock = int(index), None
            self._wake.notify_all()

    def set_speed(self, speed: float) -> None:
        with self._wake:
            self.speed, self._clock = min(max(float(speed), 0.1), 8.0), None
            self._wake.notify_all()

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the thread; the source is closed by whichever of the two finishes last, so a
        decoder busy in a long seek never holds up the window."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._close_source()

    def _close_source(self) -> None:
        try:
            self.source.close()
        except Exception:  # closing a broken file must not raise into the window
            pass

    # ------------------------------------------------------------ the player's thread
    def _wait_for_work(self) -> tuple[str, int] | None:
        with self._wake:
            while not self._closed:
                if self._seek_to is not None:
                    index, self._seek_to = self._seek_to, None
                    return "seek", index
                if self._step_to is not None:
                    target, self._step_to = self._step_to, None
                    return "step", target
                if self.playing:
                    return "play", 0
                self._wake.wait()
            return None

    def _run(self) -> None:
        try:
            self._play()
        finally:
            if self._closed:
                self._close_source()

    def _play(self) -> None:
        try:
            while True:
                work = self._wait_for_work()
                if work is None:
                    return
                what, n = work
                if what == "seek":
                    self.source.seek(n)
                    frame = self.source.read()
                elif what == "step":
                    if self.last is None or n != self.last.index + 1:
                        self.source.seek(n)
                    frame = self.source.read()
                else:
                    frame = self.source.read()
                    if frame is None and self.loop and self.source.count > 0:
                        self.source.seek(0)
                        with self._wake:
                            self._clock = None
                        frame = self.source.read()
                if frame is None:
                    with self._wake:
                        self.playing = False
                    self.ended()
                    continue
                if what == "play" and self.paced:
                    self._wait_until_due(frame)
                    if self._closed:
                        return
                self.last = frame
                self.deliver(frame)
        except DlvizError as exc:
            with self._wake:
                self.playing = False
            self.failed(str(exc))
        except Exception as exc:  # a decoder bug: one sentence, the window goes on
            with self._wake:
                self.playing = False
            self.failed(f"{getattr(self.source, 'name', 'The video')} stopped playing "
                        f"({type(exc).__name__}: {exc}).")

    def _wait_until_due(self, frame: Frame) -> None:
        with self._wake:
            if self._clock is None or frame.time_s < self._clock[1]:
                self._clock = (time.perf_counter(), frame.time_s)
                return
            while not self._closed and self._seek_to is None:
                if self._clock is None:  # play or a new speed started the count again
                    self._clock = (time.perf_counter(), frame.time_s)
                    return
                wall, at = self._clock
                due = wall + (frame.time_s - at) / self.speed
                left = due - time.perf_counter()
                if left <= 0:
                    return
                self._wake.wait(min(left, 0.05))
