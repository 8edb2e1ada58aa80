"""Tile a layer's channels into one picture with a shared colormap, as the toolbox's grid does."""

from __future__ import annotations

import math
from functools import lru_cache
from dataclasses import dataclass

import numpy as np

# The toolbox's boost steps: `t` cycles the gamma, `T` the per-channel contrast.
GAMMAS = (1.0, 0.7, 0.5, 0.3)
CONTRASTS = (0.0, 0.3, 0.5, 0.8, 1.0)
PAD_RGB = (48, 48, 52)

# Anchor colours of dlviz's colormaps, from low to high; interpolated to 256 entries.
_ANCHORS = {
    "ember": [(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21), (250, 193, 39), (252, 255, 164)],
    "grey": [(0, 0, 0), (255, 255, 255)],
    "ice": [(8, 29, 88), (37, 52, 148), (34, 94, 168), (29, 145, 192), (65, 182, 196), (127, 205, 187), (237, 248, 177)],
}
COLORMAPS = tuple(_ANCHORS)


def colormap_lut(name: str = "ember") -> np.ndarray:
    """A 256×3 uint8 lookup table (the caller's own copy: made once per name, asked for at every
    unit view drawn)."""
    return _lut(name).copy()


@lru_cache(maxsize=None)
def _lut(name: str) -> np.ndarray:
    anchors = np.asarray(_ANCHORS[name], dtype=np.float32)
    xs = np.linspace(0.0, 1.0, len(anchors))
    grid = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(grid, xs, anchors[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)


@dataclass(frozen=True)
class Layout:
    """Where each channel's tile sits in the mosaic."""

    channels: int
    rows: int
    cols: int
    tile_h: int
    tile_w: int
    pad: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows * (self.tile_h + self.pad) - self.pad, self.cols * (self.tile_w + self.pad) - self.pad)

    def origin(self, channel: int) -> tuple[int, int]:
        """Top-left (row, col) pixel of a channel's tile."""
        r, c = divmod(channel, self.cols)
        return r * (self.tile_h + self.pad), c * (self.tile_w + self.pad)

    def locate(self, y: float, x: float):
        """(channel, i, j) under the mosaic pixel (y, x), or None on padding or outside."""
        if y < 0 or x < 0:
            return None
        r, ry = divmod(int(y), self.tile_h + self.pad)
        c, rx = divmod(int(x), self.tile_w + self.pad)
        if r >= self.rows or c >= self.cols or ry >= self.tile_h or rx >= self.tile_w:
            return None
        channel = r * self.cols + c
        return (channel, ry, rx) if channel < self.channels else None

    def neighbour(self, channel: int, d_row: int, d_col: int) -> int:
        """The channel one step away on screen, clamped to the grid (the arrow keys)."""
        r, c = divmod(channel, self.cols)
        r = min(max(r + d_row, 0), self.rows - 1)
        c = min(max(c + d_col, 0), self.cols - 1)
        return min(r * self.cols + c, self.channels - 1)


def as_maps(act: np.ndarray) -> np.ndarray:
    """View any activation as C×H×W: vectors become 1×1 maps, plain matrices one map."""
    if act.ndim == 3:
        return act
    if act.ndim == 1:
        return act.reshape(-1, 1, 1)
    if act.ndim == 2:
        return act[None]
    return act.reshape(-1, *act.shape[-2:])


def make_layout(channels: int, tile_h: int, tile_w: int, aspect: float = 1.0) -> Layout:
    """The grid that shows tiles largest in a pane of the given width/height aspect.

    Among column counts that give the same tile size (within 3%), the one that leaves fewer empty
    slots wins, then the wider one, so the last row is not a lonely stub.
    """
    pad = 1 if max(tile_h, tile_w) > 1 else 0
    ideal = max(1.0, math.sqrt(channels * aspect * (tile_h + pad) / (tile_w + pad)))

    def tile_size(cols):
        rows = math.ceil(channels / cols)
        return min(aspect / (cols * (tile_w + pad)), 1.0 / (rows * (tile_h + pad)))

    lo, hi = max(1, int(ideal * 0.6)), min(channels, math.ceil(ideal * 1.6))
    best = max(tile_size(c) for c in range(lo, hi + 1))
    good = [c for c in range(lo, hi + 1) if tile_size(c) >= best * 0.97]
    cols = min(good, key=lambda c: ((-channels) % c, -c))  # ties: the wider grid, as screens are
    rows = math.ceil(channels / cols)
    return Layout(channels, rows, cols, tile_h, tile_w, pad)


def normalise(maps: np.ndarray, contrast: float = 0.0, gamma: float = 1.0) -> np.ndarray:
    """Scale to [0, 1]. contrast 0 is one scale for the whole layer, 1 one scale per channel."""
    maps = maps.astype(np.float32, copy=False)
    lo, hi = float(maps.min()), float(maps.max())
    layer = maps - lo
    layer *= 1.0 / (hi - lo) if hi > lo else 1.0
    if contrast > 0:
        clo = maps.min(axis=(1, 2), keepdims=True)
        chi = maps.max(axis=(1, 2), keepdims=True)
        span = np.where(chi > clo, chi - clo, 1.0)
        per_channel = (maps - clo) / span
        layer *= 1.0 - contrast
        layer += contrast * per_channel
    if gamma != 1.0:
        np.power(layer, gamma, out=layer)
    return layer


@lru_cache(maxsize=8)
def padded_lut(cmap: str) -> np.ndarray:
    """The colormap squeezed into entries 1..255, with entry 0 the gutter colour."""
    lut = np.empty((256, 3), dtype=np.uint8)
    lut[0] = PAD_RGB
    lut[1:] = colormap_lut(cmap)[np.linspace(0, 255, 255).round().astype(int)]
    return lut


def mosaic_index(act: np.ndarray, contrast: float = 0.0, gamma: float = 1.0, aspect: float = 1.0):
    """(uint8 mosaic of colour-table indices, Layout): 1..255 for values, 0 for the gutters.

    The window hands this to its image item with `padded_lut(cmap)` as the lookup table, so
    colours are applied once, while drawing; `mosaic` applies them here for files.
    """
    maps = as_maps(act)
    channels, h, w = maps.shape
    layout = make_layout(channels, h, w, aspect)
    pad = layout.pad
    index = normalise(maps, contrast, gamma)
    index *= 254.0
    index += 1.5
    # Tiles (rows*cols, h+pad, w+pad) -> one (rows*(h+pad), cols*(w+pad)) image.
    full = np.zeros((layout.rows * layout.cols, h + pad, w + pad), dtype=np.uint8)
    full[:channels, :h, :w] = index
    tiled = full.reshape(layout.rows, layout.cols, h + pad, w + pad).transpose(0, 2, 1, 3)
    tiled = tiled.reshape(layout.rows * (h + pad), layout.cols * (w + pad))
    height, width = layout.shape
    return np.ascontiguousarray(tiled[:height, :width]), layout


def mosaic(act: np.ndarray, contrast: float = 0.0, gamma: float = 1.0, cmap: str = "ember", aspect: float = 1.0):
    """(RGB uint8 mosaic, Layout) for one layer's activation."""
    index, layout = mosaic_index(act, contrast, gamma, aspect)
    return np.take(padded_lut(cmap), index, axis=0), layout


def upsample(channel: np.ndarray, size: int) -> np.ndarray:
    """A unit's map stretched bilinearly over the size×size crop it was computed from."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(channel, dtype=np.float32), mode="F")
    return np.asarray(image.resize((size, size), Image.Resampling.BILINEAR))


def upscale_nearest(rgb: np.ndarray, factor: int) -> np.ndarray:
    return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1) if factor > 1 else rgb
