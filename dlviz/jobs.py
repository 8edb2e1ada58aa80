"""The work the app hands to its background thread: plain functions over core, no widgets.

Each takes a `TaskState` first (see tasks.py). Heavy modules (torch) are imported here, inside the
worker, so the window can appear before torch has finished importing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class ImageResult:
    rgb: np.ndarray
    path: Path | None  # None for a pasted image
    name: str


@dataclass
class ForwardResult:
    forward: object  # dlviz.core.activations.Forward
    crop: np.ndarray  # the uint8 crop the model saw
    crop_box: tuple[float, float, float, float]
    total_ms: float  # image array to every layer recorded


def load_model(state, name=None, weights=None, labels=None):
    from dlviz.core import models
    from dlviz.core.memory import tune_allocator

    tune_allocator()
    state.report(0.0, "importing torch")
    loaded = models.load_model(name, weights, labels, progress=state.report, should_stop=state.should_stop)
    # The first pass through a model is several times slower than the rest (allocations, kernel
    # choices). Paying it here, while "loading" is on screen, keeps the first image's timing honest.
    from dlviz.core.activations import run

    state.report(0.98, "warming up")
    run(loaded, loaded.preprocess.normalise(np.zeros((loaded.preprocess.crop,) * 2 + (3,), np.uint8)))
    return loaded


def load_image(state, source, name=None):
    from dlviz.core.images import load_image as read

    rgb = read(source)
    path = Path(source) if not isinstance(source, (bytes, bytearray)) else None
    return ImageResult(rgb, path, name or (path.name if path else "pasted image"))


def forward(state, loaded, rgb):
    from dlviz.core.activations import run

    start = time.perf_counter()
    crop = loaded.preprocess.crop_rgb(rgb)
    result = run(loaded, loaded.preprocess.normalise(crop))
    total_ms = (time.perf_counter() - start) * 1000
    height, width = rgb.shape[:2]
    return ForwardResult(result, crop, loaded.preprocess.crop_box(width, height), total_ms)


def read_labels(state, path):
    from dlviz.core.models import read_labels as read

    return read(path)
