"""Pictures from arrays, for Qt."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage, QPixmap


def qimage(rgb: np.ndarray) -> QImage:
    """An H×W×3 uint8 array as a QImage that owns its pixels (the array may change afterwards)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888).copy()


def png_bytes(image: QImage) -> bytes:
    """`image` encoded as a PNG file's bytes, in memory."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def image_rgb(image: QImage | QPixmap) -> np.ndarray:
    """A QImage (or a QPixmap, such as a widget's grab) as an H×W×3 uint8 array of its own."""
    if isinstance(image, QPixmap):
        image = image.toImage()
    image = image.convertToFormat(QImage.Format_RGB888)
    width, height, line = image.width(), image.height(), image.bytesPerLine()
    if not width or not height:
        return np.zeros((height, width, 3), np.uint8)
    rows = np.frombuffer(image.constBits(), np.uint8, count=line * height).reshape(height, line)
    return rows[:, :width * 3].reshape(height, width, 3).copy()
