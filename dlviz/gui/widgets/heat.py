"""Maps as colour over a picture: transparency follows strength, so the picture shows through
where a map is weak."""

from __future__ import annotations

import numpy as np
from PIL import Image

from dlviz.core.mosaic import colormap_lut


def upsample(channel: np.ndarray, size: int) -> np.ndarray:
    """A unit's map stretched bilinearly over the size×size crop it was computed from."""
    image = Image.fromarray(np.ascontiguousarray(channel, dtype=np.float32), mode="F")
    return np.asarray(image.resize((size, size), Image.Resampling.BILINEAR))


def heat_rgba(values: np.ndarray, cmap: str, opacity: float) -> np.ndarray:
    """A unit's map as colour whose transparency follows its strength.

    Only positive activation tints the photo: where the unit is silent (zero, or negative before
    a ReLU) the photo shows through untouched, so a signed layer does not wash the crop over.
    """
    top = float(values.max())
    strength = np.clip(values / top, 0.0, 1.0) if top > 0 else np.zeros_like(values)
    index = (strength * 255.0 + 0.5).astype(np.uint8)
    rgba = np.empty(values.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = colormap_lut(cmap)[index]
    rgba[..., 3] = (np.sqrt(strength) * 255.0 * opacity + 0.5).astype(np.uint8)
    return rgba


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
