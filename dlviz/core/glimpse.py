"""Attention crops, glimpses and a fovea: where the network looks, and what it sees when it refocuses.

Coordinates. Every box is `(x0, y0, x1, y1)` in float pixels, x1/y1 exclusive, in the image it
belongs to: a box on a class attention map is in map (= model input) pixels, a glimpse's box is in
the ORIGINAL full-resolution image's pixels. A *view* is the region of the original that one model
input shows, stretched to `size`×`size`; it may reach past the image's edges, where the input is
filled with the preprocess mean colour (normalised to 0, so the padding adds no signal).

The full view is the whole image letterboxed into the input (the square of side max(width, height)
centred on the image), not the model's usual centre crop: an object off centre in a wide picture
must be visible for the first look to find it, and letterboxing keeps its shape (squashing would
not). Each glimpse then takes the box around the attended region of the previous view, cuts it from
the original at full resolution, resizes it to the input (antialiased bicubic, or the preprocess's
own resampling), classifies it and attends again inside it.

No Qt here: plain numpy, scipy.ndimage, PIL and torch.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dlviz.core.preprocess import RESAMPLE
from dlviz.core.progress import Progress, given

Box = tuple[float, float, float, float]

log = logging.getLogger(__name__)

BOX_MODES = ("threshold", "percentile")


# --------------------------------------------------------------------------- boxes


@dataclass(frozen=True)
class BoxSettings:
    """How a class attention map becomes a box (the keyword arguments of `attention_box`)."""

    mode: str = "threshold"
    level: float = 0.7
    margin: float = 0.0
    aspect: str | float = "square"
    min_size: float = 0.125

    def kwargs(self) -> dict:
        return {"mode": self.mode, "level": self.level, "margin": self.margin, "aspect": self.aspect, "min_size": self.min_size}


def peak(cam_map: np.ndarray) -> tuple[int, int]:
    """(x, y) = (column, row) of the map's largest value (the first one, if several tie)."""
    cam_map = np.asarray(cam_map)
    if cam_map.ndim != 2 or cam_map.size == 0:
        raise ValueError("cam_map must be a non-empty H×W array")
    row, col = np.unravel_index(int(np.nanargmax(np.nan_to_num(cam_map, nan=-np.inf))), cam_map.shape)
    return int(col), int(row)


def _fit(lo: float, hi: float, limit: float) -> tuple[float, float]:
    """Shift [lo, hi) inside [0, limit) keeping its length; clip it if it is longer than that."""
    length = hi - lo
    if length >= limit:
        return 0.0, float(limit)
    if lo < 0:
        lo, hi = 0.0, length
    elif hi > limit:
        lo, hi = limit - length, float(limit)
    return float(lo), float(hi)


def _grow_to_aspect(x0, y0, x1, y1, ratio):
    """Grow the shorter side about the centre until width / height == ratio."""
    width, height = x1 - x0, y1 - y0
    if width < ratio * height:
        extra = (ratio * height - width) / 2
        x0, x1 = x0 - extra, x1 + extra
    else:
        extra = (width / ratio - height) / 2
        y0, y1 = y0 - extra, y1 + extra
    return x0, y0, x1, y1


def _at_least(box: Box, side: float) -> Box:
    """The box grown about its centre until it is at least `side` wide and high."""
    x0, y0, x1, y1 = box
    if x1 - x0 < side:
        cx = (x0 + x1) / 2
        x0, x1 = cx - side / 2, cx + side / 2
    if y1 - y0 < side:
        cy = (y0 + y1) / 2
        y0, y1 = cy - side / 2, cy + side / 2
    return x0, y0, x1, y1


def attention_box(
    cam_map: np.ndarray,
    *,
    mode: str = "threshold",
    level: float = 0.7,
    margin: float = 0.0,
    aspect: str | float = "square",
    min_size: float = 0.125,
) -> Box:
    """The box around the attended region of a class attention map, in the map's pixels.

    The region is the connected part (8-neighbour) of the map above a threshold that holds the
    map's peak; the threshold is `level` × the peak for mode "threshold", or the `level`
    quantile of the map's values (0.8: the 80th percentile) for mode "percentile". Its tight box
    grows by `margin` × its width (and height) on every side, is at least `min_size` × the map's
    longer side wide and high, then grows about its centre to the `aspect` ("square", "free" or
    a width / height ratio) and is shifted inside the map; only a box larger than the map is cut.
    So a box keeps its aspect unless the map itself is too small for it. An all-zero (or flat)
    map gives the whole map.

    The defaults (threshold 0.7 of the peak, no margin) come from benchmarks/attention_crop.py:
    a map upsampled from 7×7 cells is already wider than the object, so a margin or a lower
    threshold made boxes (and so crops) too loose on small objects.
    """
    from scipy import ndimage

    cam_map = np.nan_to_num(np.asarray(cam_map, dtype=np.float32))
    if cam_map.ndim != 2 or cam_map.size == 0:
        raise ValueError("cam_map must be a non-empty H×W array")
    if mode not in BOX_MODES:
        raise ValueError(f"unknown box mode '{mode}'; use one of {', '.join(BOX_MODES)}")
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"level must be in [0, 1], not {level}")
    if margin < 0:
        raise ValueError(f"margin must be at least 0, not {margin}")
    if aspect == "square":
        ratio = 1.0
    elif aspect == "free":
        ratio = None
    else:
        try:
            ratio = float(aspect)
        except (TypeError, ValueError):
            raise ValueError(f"aspect must be 'square', 'free' or a width/height ratio, not {aspect!r}") from None
        if not (ratio > 0 and math.isfinite(ratio)):
            raise ValueError(f"aspect ratio must be positive, not {aspect!r}")
    height, width = cam_map.shape
    top = float(cam_map.max())
    if top <= float(cam_map.min()):
        return 0.0, 0.0, float(width), float(height)
    threshold = level * top if mode == "threshold" else float(np.quantile(cam_map, level))
    px, py = peak(cam_map)
    mask = cam_map >= min(threshold, top)
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3), bool))
    rows, cols = np.nonzero(labels == labels[py, px])
    x0, x1 = float(cols.min()), float(cols.max() + 1)
    y0, y1 = float(rows.min()), float(rows.max() + 1)
    grow_x, grow_y = margin * (x1 - x0), margin * (y1 - y0)
    x0, x1, y0, y1 = x0 - grow_x, x1 + grow_x, y0 - grow_y, y1 + grow_y
    x0, y0, x1, y1 = _at_least((x0, y0, x1, y1), min_size * max(width, height))
    if ratio is not None:
        x0, y0, x1, y1 = _grow_to_aspect(x0, y0, x1, y1, ratio)
    x0, x1 = _fit(x0, x1, width)
    y0, y1 = _fit(y0, y1, height)
    return x0, y0, x1, y1


def to_original(box: Box, view: Box, input_size: int | tuple[int, int]) -> Box:
    """A box on the model input (`input_size` pixels, an int for a square) mapped to the
    original image through `view`, the region of the original the input shows: the
    preprocess's `crop_box(width, height)`, a letterbox view, or a glimpse's view."""
    in_w, in_h = (input_size, input_size) if isinstance(input_size, int) else input_size
    left, top, right, bottom = view
    sx, sy = (right - left) / in_w, (bottom - top) / in_h
    x0, y0, x1, y1 = box
    return left + x0 * sx, top + y0 * sy, left + x1 * sx, top + y1 * sy


def from_original(box: Box, view: Box, input_size: int | tuple[int, int]) -> Box:
    """The inverse of `to_original`: a box in original pixels, in the input's pixels."""
    in_w, in_h = (input_size, input_size) if isinstance(input_size, int) else input_size
    left, top, right, bottom = view
    sx, sy = in_w / (right - left), in_h / (bottom - top)
    x0, y0, x1, y1 = box
    return (x0 - left) * sx, (y0 - top) * sy, (x1 - left) * sx, (y1 - top) * sy


def letterbox_view(width: int, height: int) -> Box:
    """The square of side max(width, height) centred on the image: the whole image, unsquashed."""
    side = float(max(width, height))
    return (width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2


def fit_view(box: Box, width: int, height: int) -> tuple[Box, Box]:
    """(view, box): `box` shifted inside the image where it fits, keeping its size (so its
    aspect); along an axis where it is longer than the image it stays centred where it was and
    reaches past the edges. The view is that shifted box (what the crop shows); the box is the
    view cut to the image (what is reported and drawn)."""
    x0, y0, x1, y1 = box
    if x1 - x0 <= width:
        x0, x1 = _fit(x0, x1, width)
    if y1 - y0 <= height:
        y0, y1 = _fit(y0, y1, height)
    view = (float(x0), float(y0), float(x1), float(y1))
    return view, (max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1))


def fill_colour(preprocess) -> tuple[int, int, int]:
    """The preprocess's mean colour as uint8 RGB: padding that normalises to zero."""
    return tuple(int(round(255 * m)) for m in preprocess.mean)


def crop_original(
    rgb: np.ndarray,
    box: Box,
    out_size: int | tuple[int, int],
    *,
    fill: tuple[int, int, int] = (128, 128, 128),
    resample: str = "bicubic",
) -> np.ndarray:
    """The region `box` (original pixels, floats) of the full-resolution image, resized to
    `out_size` (an int for a square, or (width, height)) as uint8 RGB.

    Pillow's resampling filters widen with the scale factor, so shrinking is antialiased. Parts
    of the box outside the image are PADDED with `fill` (not clamped), so the crop keeps the
    box's aspect and its pixels map linearly to the box.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("rgb must be a uint8 H×W×3 array")
    out_w, out_h = (out_size, out_size) if isinstance(out_size, int) else out_size
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"box {box} is empty")
    height, width = rgb.shape[:2]
    image = Image.fromarray(rgb)
    method = RESAMPLE[resample]
    if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height:
        return np.array(image.resize((out_w, out_h), method, box=(x0, y0, x1, y1)))
    out = np.empty((out_h, out_w, 3), np.uint8)
    out[:] = np.asarray(fill, np.uint8)
    sx, sy = out_w / (x1 - x0), out_h / (y1 - y0)
    # The output pixels whose footprint lies inside the image, and the exact source region for them.
    dx0 = max(0, math.ceil((0 - x0) * sx - 1e-6))
    dy0 = max(0, math.ceil((0 - y0) * sy - 1e-6))
    dx1 = min(out_w, math.floor((width - x0) * sx + 1e-6))
    dy1 = min(out_h, math.floor((height - y0) * sy + 1e-6))
    if dx1 > dx0 and dy1 > dy0:
        source = (
            max(0.0, x0 + dx0 / sx), max(0.0, y0 + dy0 / sy),
            min(float(width), x0 + dx1 / sx), min(float(height), y0 + dy1 / sy),
        )
        out[dy0:dy1, dx0:dx1] = np.asarray(image.resize((dx1 - dx0, dy1 - dy0), method, box=source))
    return out


# --------------------------------------------------------------------------- glimpses


@dataclass
class Glimpse:
    """One look at part of an image.

    box: the region looked at, in original-image pixels, inside the image (x0, y0, x1, y1);
    view: the region the crop shows exactly (equals box unless it reaches past the image, as the
        letterboxed full view does); `to_original(b, view, crop side)` maps crop pixels back;
    crop: the uint8 input-size RGB the model saw;
    cam: the map the next box is placed on, over that crop (float32, in [0, 1]): the class
        attention map for `cam_class`, or (map_kind "activity") where the layer fires, any class;
    probs: the class probabilities for the crop; top: the top 5 as (class index, prob).
    """

    box: Box
    view: Box
    crop: np.ndarray
    cam: np.ndarray
    cam_class: int
    probs: np.ndarray
    top: list[tuple[int, float]]
    map_kind: str = "class"

    @property
    def fixation(self) -> tuple[float, float]:
        """The centre of the box, in original pixels."""
        x0, y0, x1, y1 = self.box
        return (x0 + x1) / 2, (y0 + y1) / 2


MAP_KINDS = ("class", "activity")


def activity_map(loaded, x, layer: str) -> np.ndarray:
    """Where `layer` fires, whatever the class: the mean over its channels of the positive part
    of its output for the one image `x`, upsampled bilinearly to the input's size and scaled to
    [0, 1] (a flat map is all zero). On a photo pasted into a plain or cluttered canvas it peaks
    on the photo even where the whole view's top class is wrong, which a class map does not."""
    import torch
    import torch.nn.functional as F

    from dlviz.core.activations import run

    tensor = run(loaded, x, layers=[layer]).activations.tensor(layer)
    with torch.inference_mode():
        m = F.relu(tensor[0].float()).mean(0).reshape(1, 1, *tensor.shape[-2:])
        m = F.interpolate(m, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)[0, 0]
        m = m - m.min()
        top = float(m.max())
        m = m / top if top > 0 and math.isfinite(top) else torch.zeros_like(m)
    from dlviz.core import devices

    return devices.to_numpy(m).astype(np.float32)


def _map(loaded, rgb, view, x, layer, target, method, kind, map_scale, progress):
    """The `kind` map of `view` at the crop's size; None if stopped. With `map_scale` > 1 it is
    computed on the view cut at that multiple of the input size and shrunk to the crop's; a model
    that refuses the larger input gets the map at the input size."""
    from dlviz.core import attribution

    preprocess = loaded.preprocess

    def make(batch):
        if kind == "activity":
            return None if given(progress).should_stop() else activity_map(loaded, batch, layer)
        return attribution.cam(loaded.model, batch, layer, target, method, progress=progress)

    if map_scale > 1:
        size = preprocess.crop * int(map_scale)
        fine = crop_original(rgb, view, size, fill=fill_colour(preprocess), resample=preprocess.interpolation)
        try:
            heat = make(preprocess.normalise(fine))
        except (RuntimeError, ValueError, AssertionError) as exc:
            # A model with a fixed input size (torchvision's and timm's ViTs assert it, a flatten
            # before the head fails in its Linear), or no memory for the larger pass.
            log.info("the map at %d× the input failed (%s); computing it at the input size", map_scale, exc)
            return make(x)
        if heat is None:
            return None
        small = Image.fromarray(heat, mode="F").resize((preprocess.crop, preprocess.crop), Image.Resampling.BOX)
        return np.clip(np.asarray(small, np.float32), 0.0, 1.0)
    return make(x)


def look(
    loaded,
    rgb: np.ndarray,
    view: Box,
    *,
    method: str = "gradcam",
    layer: str | None = None,
    class_index: int | None = None,
    box: Box | None = None,
    map_scale: int = 1,
    map_kind: str = "class",
    progress: Progress | None = None,
) -> Glimpse | None:
    """Crop `view` from the original at full resolution, classify it and map the attention for
    `class_index` (default: the crop's own top-1 class), or with `map_kind` "activity" where the
    layer fires, any class (`activity_map`). None if stopped.

    With `map_scale` > 1 the map is computed on the same view cut at `map_scale` × the input
    size (the network is convolutional up to its global pooling, so its last maps get
    `map_scale` × finer: 14×14 instead of 7×7 for the bundled model at 2) and then resized to
    the crop's size; the prediction still comes from the crop at the model's own input size.
    A finer map places tighter boxes on small objects, for about map_scale² the map's cost."""
    from dlviz.core import attribution
    from dlviz.core.activations import run

    if map_kind not in MAP_KINDS:
        raise ValueError(f"unknown map kind '{map_kind}'; use one of {', '.join(MAP_KINDS)}")
    preprocess = loaded.preprocess
    height, width = rgb.shape[:2]
    crop = crop_original(rgb, view, preprocess.crop, fill=fill_colour(preprocess), resample=preprocess.interpolation)
    x = preprocess.normalise(crop)
    forward = run(loaded, x, layers=[])
    target = int(np.argmax(forward.probs)) if class_index is None else int(class_index)
    layer = layer or attribution.default_cam_layer(loaded)
    heat = _map(loaded, rgb, view, x, layer, target, method, map_kind, map_scale, progress)
    if heat is None:
        return None
    if box is None:
        box = (max(0.0, view[0]), max(0.0, view[1]), min(float(width), view[2]), min(float(height), view[3]))
    return Glimpse(tuple(float(v) for v in box), tuple(float(v) for v in view), crop, heat, target, forward.probs,
                   forward.top(5), map_kind)


def next_view(
    glimpse: Glimpse, width: int, height: int, settings: BoxSettings | None = None, min_side: float = 0.0
) -> tuple[Box, Box]:
    """(view, box) in original pixels for the look after `glimpse`: the attention box on its
    map, mapped through its view, grown about its centre to at least `min_side` original pixels
    wide and high, and fitted to the image (see `fit_view`)."""
    settings = settings or BoxSettings()
    in_crop = attention_box(glimpse.cam, **settings.kwargs())
    box = _at_least(to_original(in_crop, glimpse.view, glimpse.cam.shape[::-1]), min_side)
    return fit_view(box, width, height)


def _for_look(value, n: int):
    """The setting for look `n` (0: the whole image): one value serves every look; in a tuple the
    n-th, or its last value for the looks beyond it."""
    if not isinstance(value, (tuple, list)):
        return value
    return value[min(n, len(value) - 1)]


def glimpses(
    loaded,
    rgb: np.ndarray,
    k: int = 3,
    *,
    method: str = "gradcam",
    layer: str | None = None,
    class_index: int | None = None,
    settings: BoxSettings | tuple[BoxSettings, ...] | None = None,
    min_side: float | None = None,
    stop_ratio: float = 0.9,
    map_scale: int | tuple[int, ...] = (2, 1),
    first_map: str | None = None,
    progress: Progress | None = None,
) -> tuple[Glimpse, list[Glimpse]]:
    """(full, steps): the whole image letterboxed, then up to `k` glimpses, each attending
    inside the one before.

    The first box is placed on the whole image's `first_map`: "activity" (where the layer fires,
    any class: see `activity_map`), the default unless `class_index` is given, or "class". The
    later boxes follow each view's class map: its own top-1 class by default, `class_index` when
    given. The whole image's top class is often wrong on a small object (it reads the canvas),
    so its class map often lies off the object; the activity map does not care which class.

    Steps stop early when a box would keep more than `stop_ratio` of the previous one's area
    (nothing left to zoom into). Boxes are at least `min_side` original pixels wide and high
    (default: the model's input size, so a crop is never magnified: below that, zooming adds no
    detail the original has, it only enlarges fewer pixels of it; 0 lets the boxes shrink
    freely). Each look reports; when the work is stopped the looks so far are returned (full is
    None if it was stopped before the first look finished).

    `map_scale` and `settings` may differ per look. The default map_scale (2, 1) computes the
    whole image's map at twice the input size (finer cells for a first box on a small object) and
    the glimpses' maps at the input size (finer maps there zoom too far into parts); settings
    (a, b) places the first box by a and the later ones by b (the last value serves the rest).
    benchmarks/attention_crop.py measured the defaults (docs/decisions/0007).
    """
    progress = given(progress)
    if k < 0:
        raise ValueError("k must be at least 0")
    first_map = first_map or ("class" if class_index is not None else "activity")
    rgb = np.asarray(rgb)
    height, width = rgb.shape[:2]
    layer = layer or _default_layer(loaded)
    min_side = float(loaded.preprocess.crop if min_side is None else min_side)
    options = {"method": method, "layer": layer, "class_index": class_index}
    full = look(loaded, rgb, letterbox_view(width, height), box=(0.0, 0.0, float(width), float(height)),
                map_scale=_for_look(map_scale, 0), map_kind=first_map, progress=progress.within(0, 1 / (k + 1)),
                **options)
    steps: list[Glimpse] = []
    progress.report(1 / (k + 1), "full view")
    if full is None:
        return full, steps
    current = full
    for step in range(k):
        if progress.should_stop():
            break
        view, box = next_view(current, width, height, _for_look(settings, step), min_side)
        if _area(box) > stop_ratio * _area(current.box):
            break
        glimpse = look(loaded, rgb, view, box=box, map_scale=_for_look(map_scale, step + 1),
                       progress=progress.within((step + 1) / (k + 1), (step + 2) / (k + 1)), **options)
        if glimpse is None:
            break
        steps.append(glimpse)
        current = glimpse
        progress.report((step + 2) / (k + 1), f"glimpse {step + 1}/{k}")
    return full, steps


def _default_layer(loaded) -> str:
    from dlviz.core.attribution import default_cam_layer

    return default_cam_layer(loaded)


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


# --------------------------------------------------------------------------- fovea


class Fovea:
    """A foveated rendering of one image: sharp at a fixation point, coarser with distance.

    As the glimpse sensor of Mnih et al. (2014), "Recurrent Models of Visual Attention": level 0
    is the image itself, level i keeps 1/2^i of its resolution (box-downsampled and bilinearly
    upsampled back, made once here). A pixel at distance d from the fixation shows level
    t = log2(d / radius) (0 inside the radius, at most levels - 1), blending the two levels
    around t linearly, so the resolution halves each time the distance doubles, without seams.
    Made on the model-input-sized image, `render` costs a few milliseconds.
    """

    def __init__(self, rgb: np.ndarray, *, levels: int = 4, radius: float | None = None, size: int | tuple[int, int] | None = None):
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError("rgb must be a uint8 H×W×3 array")
        if levels < 1:
            raise ValueError("levels must be at least 1")
        image = Image.fromarray(rgb)
        if size is not None:
            image = image.resize((size, size) if isinstance(size, int) else tuple(size), Image.Resampling.BICUBIC)
        self.width, self.height = image.size
        self.levels = int(levels)
        self.radius = float(radius) if radius is not None else max(self.width, self.height) / 8
        if self.radius <= 0:
            raise ValueError("radius must be positive")
        pyramid = [np.asarray(image, np.float32)]
        for level in range(1, self.levels):
            factor = 2 ** level
            small = image.resize((max(1, round(self.width / factor)), max(1, round(self.height / factor))), Image.Resampling.BOX)
            pyramid.append(np.asarray(small.resize((self.width, self.height), Image.Resampling.BILINEAR), np.float32))
        self.pyramid = np.stack(pyramid)  # levels×H×W×3
        self._xs = np.arange(self.width, dtype=np.float32)[None, :] + 0.5
        self._ys = np.arange(self.height, dtype=np.float32)[:, None] + 0.5

    def level_map(self, fixation: tuple[float, float]) -> np.ndarray:
        """The continuous pyramid level each pixel shows (H×W float32, 0 = sharp)."""
        fx, fy = fixation
        distance = np.sqrt((self._xs - np.float32(fx)) ** 2 + (self._ys - np.float32(fy)) ** 2)
        with np.errstate(divide="ignore"):
            level = np.log2(np.maximum(distance, np.float32(1e-6)) / np.float32(self.radius))
        return np.clip(level, 0, self.levels - 1, out=level)

    def render(self, fixation: tuple[float, float]) -> np.ndarray:
        """The foveated image (uint8 H×W×3) for a fixation (x, y) in this image's pixels."""
        level = self.level_map(fixation)
        out = np.zeros((self.height, self.width, 3), np.float32)
        for index in range(self.levels):
            weight = np.maximum(np.float32(0), np.float32(1) - np.abs(level - np.float32(index)))
            if index == 0:
                out += self.pyramid[0] * weight[:, :, None]
            elif weight.any():
                out += self.pyramid[index] * weight[:, :, None]
        np.clip(out + np.float32(0.5), 0, 255, out=out)
        return out.astype(np.uint8)


def foveate(
    rgb: np.ndarray,
    fixation: tuple[float, float],
    *,
    levels: int = 4,
    radius: float | None = None,
    out_size: int | tuple[int, int] | None = None,
) -> np.ndarray:
    """One foveated rendering (see `Fovea`); `fixation` is in `rgb`'s pixels. With `out_size`
    the image is first resized to it (the fixation scaled along). For many fixations on one
    image, make a `Fovea` once and call its `render`."""
    rgb = np.asarray(rgb)
    height, width = rgb.shape[:2]
    fovea = Fovea(rgb, levels=levels, radius=radius, size=out_size)
    fx, fy = fixation
    return fovea.render((fx * fovea.width / width, fy * fovea.height / height))
