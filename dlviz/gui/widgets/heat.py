"""Maps as colour over a picture: transparency follows strength, so the picture shows through
where a map is weak."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from dlviz.core.mosaic import colormap_lut, upsample  # noqa: F401  (upsample: the panes take it from here)
from dlviz.gui.widgets.images import qimage
from dlviz.gui import style


def heat_rgba(values: np.ndarray, cmap: str, opacity: float) -> np.ndarray:
    """A unit's map as colour whose transparency follows its strength.

    Only positive activation tints the photo: where the unit is silent (zero, or negative before
    a ReLU) the photo shows through untouched, so a signed layer does not wash the crop over.

    Each of the 256 strength levels has its colour and transparency in one 32-bit word
    (`_heat_table`), so a pixel is one lookup: the unit pane draws a 224×224 overlay at every live
    frame, 0.45 ms as three steps (colour, then transparency from the unrounded strength), 0.17 ms
    so (the transparency differs by at most 8 of 255, at the faintest levels).
    """
    top = float(values.max())
    if top > 0:
        index = np.multiply(values, np.float32(255.0 / top), dtype=np.float32)
        np.clip(index, 0.0, 255.0, out=index)
        index += 0.5
        index = index.astype(np.uint8)
    else:
        index = np.zeros(values.shape, dtype=np.uint8)
    return np.take(_heat_table(cmap, float(opacity)), index).view(np.uint8).reshape(values.shape + (4,))


@lru_cache(maxsize=64)
def _heat_table(cmap: str, opacity: float) -> np.ndarray:
    """(256,) words whose bytes are R, G, B, A of each strength level of `heat_rgba`."""
    rgba = np.empty((256, 4), dtype=np.uint8)
    rgba[:, :3] = colormap_lut(cmap)
    rgba[:, 3] = (np.sqrt(np.arange(256) / 255.0) * 255.0 * opacity + 0.5).astype(np.uint8)
    table = rgba.view(np.uint32)[:, 0].copy()
    table.flags.writeable = False  # shared by every call
    return table


def signed_heat_rgba(values: np.ndarray, opacity: float = 0.7) -> np.ndarray:
    """Drops in warm red-orange, rises in blue; transparency follows strength (|value| / max)."""
    top = float(np.abs(values).max()) if values.size else 0.0
    strength = np.clip(np.abs(values) / top, 0, 1) if top > 0 else np.zeros_like(values)
    rgba = np.empty(values.shape + (4,), np.uint8)
    drop = values >= 0
    rgba[..., 0] = np.where(drop, 255, 66)
    rgba[..., 1] = np.where(drop, (60 + 150 * strength).astype(np.uint8), 165)
    rgba[..., 2] = np.where(drop, 40, 245)
    rgba[..., 3] = (np.sqrt(strength) * 255 * opacity).astype(np.uint8)
    return rgba


class MapKey(QWidget):
    """The occlusion map's colour key: red where hiding the pixels lowers the target, blue where it
    raises it, with the largest change at either end."""

    def __init__(self):
        super().__init__()
        self.ramp = QLabel()
        self.low, self.high = QLabel(), QLabel()
        for label in (self.low, self.high):
            style.set_sheet(label, "color: {text}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addWidget(self.low)
        layout.addWidget(self.ramp, 1)
        layout.addWidget(self.high)
        self.hide()

    def show_for(self, target: str, largest: float):
        """Label the key for `target` ("the top class", "the unit") and its largest change."""
        self.low.setText(f"raises {target} ◀")
        self.high.setText(f"▶ lowers it (up to {largest:.2g})")
        values = np.repeat(np.linspace(-1, 1, 256, dtype=np.float32)[None], 12, axis=0)
        rgba = signed_heat_rgba(values, opacity=1.0).astype(np.float32)
        alpha = rgba[..., 3:] / 255
        rgb = (rgba[..., :3] * alpha + np.float32(0x1e) * (1 - alpha)).astype(np.uint8)
        self.ramp.setPixmap(QPixmap.fromImage(qimage(rgb)).scaled(200, 12))
        self.ramp.setToolTip("What hiding a patch does to the target, pixel by pixel (Zeiler and Fergus)")
        self.show()
