"""Background work for the Attention crop view: glimpses with progress, and the live fovea.

Plain functions over dlviz.core.glimpse, each taking the job's state first (see dlviz.work.runner).
No widgets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass
class GlimpseRun:
    full: object  # dlviz.core.glimpse.Glimpse: the whole image, letterboxed
    steps: list  # up to k glimpses, each attending inside the one before
    k: int  # how many were asked for (fewer steps: nothing was left to zoom into)
    method: str
    settings: object  # dlviz.core.glimpse.BoxSettings
    peak: tuple[float, float]  # the full view's attention peak, in original pixels
    seconds: float


def glimpse_run(state, loaded, rgb, k, method, settings):
    """The whole image, then up to `k` glimpses; None if a newer request replaced this one."""
    from dlviz.core import glimpse

    start = time.perf_counter()
    full, steps = glimpse.glimpses(loaded, rgb, k, method=method, settings=settings,
                                   progress=state)
    if full is None or state.should_stop():
        return None
    px, py = glimpse.peak(full.cam)
    size = full.cam.shape[1], full.cam.shape[0]
    x0, y0, x1, y1 = glimpse.to_original((px, py, px + 1, py + 1), full.view, size)
    return GlimpseRun(full, steps, k, method, settings, ((x0 + x1) / 2, (y0 + y1) / 2), time.perf_counter() - start)


@dataclass
class FoveaResult:
    fixation: tuple[float, float]  # original pixels
    model_input: np.ndarray  # the foveated uint8 input the model classified (letterboxed square)
    display: np.ndarray  # the same rendering, only the image's part, enlarged smoothly for the screen
    radius: float  # the sharp disc's radius, in original pixels; resolution halves each time the distance doubles
    levels: int
    probs: np.ndarray
    top: list  # [(class index, probability)] * 5
    ms: float  # render + forward pass + display picture
    forward_ms: float  # the forward pass alone


# The worker keeps one Fovea (its pyramid) for the image it was made from: dragging the fixation
# then costs one render and one forward pass. Only the worker thread touches this.
_fovea_cache: dict = {}


def _fovea_for(loaded, rgb):
    from dlviz.core import glimpse

    size = loaded.preprocess.crop
    cached = _fovea_cache.get("entry")
    if cached is not None and cached[0] is rgb and cached[1] == size:
        return cached[2], cached[3]
    height, width = rgb.shape[:2]
    view = glimpse.letterbox_view(width, height)
    square = glimpse.crop_original(rgb, view, size, fill=glimpse.fill_colour(loaded.preprocess), resample=loaded.preprocess.interpolation)
    fovea = glimpse.Fovea(square)
    _fovea_cache["entry"] = (rgb, size, fovea, view)
    return fovea, view


def _one_thread_run(loaded, x):
    """One small forward pass on one thread: while the user drags, the GUI thread repaints on the
    other core, and a two-thread pass waits on it at every layer. On this 2-core machine the
    bundled model took 31 ms on one thread against 35 ms on two when idle, and about 10% less
    with another thread busy. The thread count is put back afterwards for the other jobs."""
    from dlviz.core.activations import run, threads

    with threads(1):
        return run(loaded, x, layers=[])


def fovea(state, loaded, rgb, fixation):
    """Render the image foveated at `fixation` (original pixels) and classify that rendering."""
    from PIL import Image

    start = time.perf_counter()
    fov, view = _fovea_for(loaded, rgb)
    scale = fov.width / (view[2] - view[0])  # input pixels per original pixel
    fx, fy = fixation
    picture = fov.render(((fx - view[0]) * scale, (fy - view[1]) * scale))
    forward = _one_thread_run(loaded, loaded.preprocess.normalise(picture))
    # The screen shows the image's own part of the input, smoothly enlarged (not the padding).
    height, width = rgb.shape[:2]
    left, top = int(round(-view[0] * scale)), int(round(-view[1] * scale))
    inner = picture[top:top + max(1, int(round(height * scale))), left:left + max(1, int(round(width * scale)))]
    factor = 2
    display = np.asarray(Image.fromarray(np.ascontiguousarray(inner)).resize(
        (inner.shape[1] * factor, inner.shape[0] * factor), Image.Resampling.BILINEAR))
    return FoveaResult((float(fx), float(fy)), picture, display, fov.radius / scale, fov.levels,
                       forward.probs, forward.top(5), (time.perf_counter() - start) * 1000, forward.forward_ms)
