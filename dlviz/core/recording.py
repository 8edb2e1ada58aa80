"""Writing frames to a video for slides: MP4 (H.264, through PyAV's FFmpeg) or an animated GIF
(through Pillow, whose palette per frame keeps a GIF's colours right).

Frames may come in any size; the first fixes the video's, and every later one is fitted to it
(H.264 also wants even sides). Nothing is written to the final name until `close()`: the video is
written beside it and renamed, so a crash never leaves half a file under the name asked for.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from dlviz.core.errors import DlvizError

SUFFIXES = (".mp4", ".gif")
GIF_LONGEST = 720  # a GIF for a slide: larger ones grow to tens of megabytes
GIF_FRAMES = 900  # a GIF is held in memory until it is written: 45 s at 20 frames a second


class RecordingError(DlvizError):
    """A video that cannot be written."""


def _even(n: int) -> int:
    return max(2, n - n % 2)


class VideoWriter:
    """`write(rgb)` frame by frame at `rate` frames a second, then `close()` (or use `with`)."""

    def __init__(self, path: str | os.PathLike, rate: float):
        self.path = Path(path)
        self.kind = self.path.suffix.lower()
        if self.kind not in SUFFIXES:
            raise RecordingError(f"a recording is saved as {' or '.join(SUFFIXES)}, not '{self.path.suffix or self.path.name}'")
        if not self.path.parent.is_dir():
            raise RecordingError(f"the folder {self.path.parent} does not exist")
        self.rate = float(min(max(rate, 1.0), 120.0))
        self.size: tuple[int, int] | None = None  # width, height
        self.count = 0
        self._part = self.path.with_name(f".{self.path.stem}.part{self.kind}")
        self._container = self._stream = None
        self._gif_frames: list[Image.Image] = []
        self._closed = False

    def _fit(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        if self.size is None:
            if self.kind == ".gif":
                scale = min(1.0, GIF_LONGEST / max(width, height))
                width, height = round(width * scale), round(height * scale)
            self.size = (_even(width), _even(height))
            self._open()
        if (rgb.shape[1], rgb.shape[0]) != self.size:
            rgb = np.asarray(Image.fromarray(rgb).resize(self.size, Image.Resampling.BILINEAR))
        return np.ascontiguousarray(rgb)

    def _open(self) -> None:
        if self.kind == ".gif":
            return
        import av

        try:
            self._container = av.open(str(self._part), "w", format="mp4")
        except (av.FFmpegError, OSError) as exc:
            raise RecordingError(f"{self.path.name} cannot be written ({exc}).") from exc
        stream = self._container.add_stream("libx264", rate=Fraction(self.rate).limit_denominator(1001))
        stream.width, stream.height = self.size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}  # sharp enough for slides, fast enough for live
        self._stream = stream

    def write(self, rgb: np.ndarray) -> None:
        if self._closed:
            raise RecordingError(f"{self.path.name} is already closed")
        if self.kind == ".gif" and self.count >= GIF_FRAMES:
            raise RecordingError(f"a GIF holds at most {GIF_FRAMES} frames here ({GIF_FRAMES / self.rate:.0f} s at "
                                 f"{self.rate:g} a second); save a longer one as .mp4")
        rgb = self._fit(np.asarray(rgb, dtype=np.uint8))
        self.count += 1
        if self.kind == ".gif":
            self._gif_frames.append(Image.fromarray(rgb).quantize(colors=255, method=Image.Quantize.MEDIANCUT))
            return
        import av

        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        try:
            self._container.mux(self._stream.encode(frame))
        except (av.FFmpegError, OSError) as exc:
            raise RecordingError(f"{self.path.name} could not be written ({exc}).") from exc

    def close(self) -> Path | None:
        """Finish the file and put it under its name; None when no frame was written."""
        if self._closed:
            return self.path if self.count else None
        self._closed = True
        try:
            if self.kind == ".gif":
                if self._gif_frames:
                    first, *rest = self._gif_frames
                    first.save(self._part, format="GIF", save_all=True, append_images=rest,
                               duration=round(1000 / self.rate), loop=0, optimize=False)
            elif self._container is not None:
                self._container.mux(self._stream.encode())
                self._container.close()
        except OSError as exc:
            raise RecordingError(f"{self.path.name} could not be written ({exc.strerror or exc}).") from exc
        finally:
            self._gif_frames = []
        if not self.count:
            self._part.unlink(missing_ok=True)
            return None
        try:
            os.replace(self._part, self.path)
        except OSError as exc:  # a folder of that name, a file that cannot be replaced
            self._part.unlink(missing_ok=True)
            raise RecordingError(f"{self.path.name} cannot be written ({exc.strerror or exc}).") from exc
        return self.path

    def discard(self) -> None:
        """Stop without keeping anything."""
        self._closed = True
        self._gif_frames = []
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # the file goes anyway
                pass
        self._part.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()
