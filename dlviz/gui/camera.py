"""The camera, through QtMultimedia (PySide6-Addons): the device and resolution picked in the Live
menu, mirrored or not, all remembered between runs. Its frames go where the player's go (a
`dlviz.core.frames.Frame` handed to `deliver`), so the rest of the live path is the same.

QtMultimedia is imported only when a camera is asked for: it loads FFmpeg and the system's sound
libraries, which a user who never opens the camera should not wait for (or miss).
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QSettings

from dlviz.core.frames import Frame, VideoError
from dlviz.gui.widgets.images import image_rgb

DEFAULT_SIZE = (1280, 720)  # the largest resolution picked when none was chosen: enough for a 224 px crop


def multimedia():
    """The QtMultimedia module, or a VideoError saying why it cannot load here."""
    try:
        from PySide6 import QtMultimedia
    except ImportError as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise VideoError(f"The camera needs Qt's multimedia module, which could not load ({why}); "
                         "videos and images still work.") from exc
    return QtMultimedia


def mirrored(settings: QSettings) -> bool:
    """Whether the camera is shown mirrored (the default: people expect to see themselves so)."""
    return str(settings.value("live/mirror", "true")).lower() == "true"


def cameras() -> list:
    """The cameras connected now (QCameraDevice), the system's default first."""
    devices = list(multimedia().QMediaDevices.videoInputs())
    return sorted(devices, key=lambda device: not device.isDefault())


def device_id(device) -> str:
    return bytes(device.id()).decode("utf-8", "replace")


def pick_format(device, wanted: tuple[int, int] | None):
    """The device's format at `wanted` (width, height) if it has one, else its largest up to 720p;
    of formats of one size, the fastest."""
    formats = list(device.videoFormats())
    if not formats:
        return None

    def size(fmt):
        return fmt.resolution().width(), fmt.resolution().height()

    same = [fmt for fmt in formats if wanted and size(fmt) == tuple(wanted)]
    small = [fmt for fmt in formats if size(fmt)[0] <= DEFAULT_SIZE[0] and size(fmt)[1] <= DEFAULT_SIZE[1]]
    pool = same or small or formats
    return max(pool, key=lambda fmt: (size(fmt)[0] * size(fmt)[1], fmt.maxFrameRate()))


def parse_size(text) -> tuple[int, int] | None:
    try:
        width, height = (int(part) for part in str(text).lower().split("x"))
    except (TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


class Camera(QObject):
    """One camera, running. `deliver(frame)` gets every frame; `failed(sentence)` says it went away."""

    def __init__(self, settings: QSettings, deliver, failed, parent=None):
        super().__init__(parent)
        self.settings, self.deliver, self.failed = settings, deliver, failed
        self.mirror = mirrored(settings)
        self.name = "camera"
        self._count = 0
        self._camera = self._session = self._sink = self._devices = None

    def start(self) -> None:
        qm = multimedia()
        found = cameras()
        if not found:
            raise VideoError("No camera was found: plug one in and press C again, or open a video "
                             "(Live ▸ Open Video).")
        wanted = self.settings.value("live/camera")
        device = next((d for d in found if device_id(d) == wanted), found[0])
        self.name = device.description() or "camera"
        self._camera = qm.QCamera(device)
        fmt = pick_format(device, parse_size(self.settings.value("live/camera-size")))
        if fmt is not None:
            self._camera.setCameraFormat(fmt)
        self._sink = qm.QVideoSink(self)
        self._session = qm.QMediaCaptureSession(self)
        self._session.setCamera(self._camera)
        self._session.setVideoSink(self._sink)
        self._sink.videoFrameChanged.connect(self._frame)
        self._camera.errorOccurred.connect(self._error)
        self._devices = qm.QMediaDevices(self)
        self._devices.videoInputsChanged.connect(self._inputs_changed)
        self._device = device
        self._start = time.perf_counter()
        self._camera.start()

    def _frame(self, video_frame) -> None:
        if not video_frame.isValid():
            return
        rgb = image_rgb(video_frame.toImage())
        if rgb.size == 0:
            return
        rgb = np.ascontiguousarray(rgb[:, ::-1] if self.mirror else rgb)
        self.deliver(Frame(rgb, self._count, time.perf_counter() - self._start))
        self._count += 1

    def _error(self, error, text) -> None:
        self.failed(f"The camera stopped ({text or 'it reported an error'}).")

    def _inputs_changed(self) -> None:
        still_there = any(device_id(d) == device_id(self._device) for d in cameras())
        if not still_there:
            self.failed(f"{self.name} was unplugged; plug it back and press C.")

    def stop(self) -> None:
        """Stop the camera and let go of it: nothing it or the device list sends reaches us again."""
        if self._camera is not None:
            for signal, slot in ((self._sink.videoFrameChanged, self._frame), (self._camera.errorOccurred, self._error),
                                 (self._devices.videoInputsChanged, self._inputs_changed)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):  # already gone
                    pass
            self._camera.stop()
            self._camera = None
        self.deleteLater()
