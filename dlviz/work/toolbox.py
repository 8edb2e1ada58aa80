"""The toolbox window's background work: plain functions over core, no widgets.

Each takes the job's state first (a `dlviz.core.progress.Progress`, see dlviz.work.runner). Heavy
modules (torch) are imported inside the functions, on the worker thread, so the window can appear
before torch has finished importing.
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
    preview: np.ndarray  # what the window draws: `rgb`, or a copy at most 2048 px long for a huge photo


@dataclass
class ForwardResult:
    forward: object  # dlviz.core.activations.Forward
    crop: np.ndarray  # the uint8 crop the model saw
    crop_box: tuple[float, float, float, float]
    total_ms: float  # image array to every layer recorded


def load_model(state, name=None, weights=None, labels=None, device=None):
    from dlviz import runtime

    with runtime.settling("model"):  # the first time: torch and timm import, their objects stay for good
        state.report(0.0, "importing torch")
        runtime.preload_torch()  # its libraries loaded without the GIL: the GUI thread keeps ticking
        from dlviz.core import models
        from dlviz.core.memory import tune_allocator

        tune_allocator()
        loaded = models.load_model(name, weights, labels, progress=state, device=device)
        # The first pass through a model is several times slower than the rest (allocations, kernel
        # choices). Paying it here, while "loading" is on screen, keeps the first image's timing honest.
        from dlviz.core.activations import run

        state.report(0.98, "warming up")
        run(loaded, loaded.preprocess.normalise(np.zeros((loaded.preprocess.crop,) * 2 + (3,), np.uint8)))
    return loaded


def load_image(state, source, name=None):
    from dlviz.core.images import load_image as read
    from dlviz.core.images import preview

    rgb = read(source)
    path = Path(source) if not isinstance(source, (bytes, bytearray)) else None
    return ImageResult(rgb, path, name or (path.name if path else "pasted image"), preview(rgb))


@dataclass
class LiveResult:
    frame: object  # dlviz.core.frames.Frame
    preview: np.ndarray
    forward: ForwardResult
    loaded: object  # the model it went through: a frame of an older model is not shown


def open_video(state, path, slide_seconds=2.0):
    """A video file, or a folder played as a slideshow, ready to play (see core.frames)."""
    from dlviz.core.frames import open_source

    return open_source(path, slide_seconds)


def live_frame(state, loaded, frame, threads=None, layer=None):
    """One live frame through the model, with the copy the window draws; on `threads` threads of
    torch's if given (the window leaves a core for drawing), put back afterwards for other jobs.
    `layer`: the layer on screen, read here (from a GPU: without the GUI thread waiting on it)."""
    from dlviz.core import activations
    from dlviz.core.images import preview

    with activations.threads(threads):
        return LiveResult(frame, preview(frame.rgb), forward(state, loaded, frame.rgb, traced=True, layer=layer), loaded)


def forward(state, loaded, rgb, traced=False, layer=None):
    """`rgb` through the model with every layer recorded; `traced`: through a trace of the pass,
    made at the second frame (activations.run_traced), for a stream of live frames. `layer`: the
    layer on screen, kept by the pass and read here, so the window has it at once."""
    from dlviz.core.activations import run, run_traced

    start = time.perf_counter()
    if traced:
        crop, x = loaded.preprocess.prepare(rgb)  # traced too, for a frame size seen before
    else:
        crop = loaded.preprocess.crop_rgb(rgb)
        x = loaded.preprocess.normalise(crop)
    result = run_traced(loaded, x) if traced else run(loaded, x, shown=layer)
    if layer in result.activations:
        result.activations[layer]  # to the CPU and to numpy here, not on the GUI thread
    total_ms = (time.perf_counter() - start) * 1000
    height, width = rgb.shape[:2]
    return ForwardResult(result, crop, loaded.preprocess.crop_box(width, height), total_ms)


def read_labels(state, path):
    from dlviz.core.models import read_labels as read

    return read(path)


@dataclass
class BackpropResult:
    grad: np.ndarray  # 3×H×W gradient at the model input
    layer: str | None
    unit: int
    method: str


def backprop(state, loaded, rgb, layer, unit, method):
    from dlviz.core import attribution

    x = loaded.preprocess.to_tensor(rgb)
    grad = attribution.backprop(loaded.model, x, layer, unit, method, progress=state)
    return BackpropResult(grad, layer, unit, method)


@dataclass
class CamResult:
    maps: dict  # method -> H×W map in [0, 1] (None where cancelled)
    layer: str
    class_index: int
    randomised: int  # how many parameterised layers were re-initialised, from the output down
    trained: dict  # method -> the trained model's map, when randomised > 0
    crop: np.ndarray


def cam(state, loaded, rgb, layer, class_index, methods, randomise=0):
    """Class attention maps for `methods`; with randomise > 0 also on a model whose top layers
    were re-initialised, to show whether the explanation depends on what the model learned."""
    from dlviz.core import attribution, catalogue

    x = loaded.preprocess.to_tensor(rgb)
    crop = loaded.preprocess.crop_rgb(rgb)

    def maps_for(model, progress):
        out = {}
        for k, method in enumerate(methods):
            if progress.should_stop():
                break
            share = progress.within(k / len(methods), (k + 1) / len(methods))
            share.report(0.0, catalogue.CAM_METHODS[method])
            out[method] = attribution.cam(model, x, layer, class_index, method, progress=share)
        return out

    trained = maps_for(loaded.model, state.within(0.0, 0.5 if randomise else 1.0))
    if not randomise:
        return CamResult(trained, layer, class_index, 0, {}, crop)
    scrambled = attribution.randomised(loaded.model, randomise)
    return CamResult(maps_for(scrambled, state.within(0.5, 1.0)), layer, class_index, randomise, trained, crop)


@dataclass
class ScanResult:
    top: object  # dlviz.core.topimages.TopImages
    folder: Path
    field_px: int
    crops: dict  # file name -> the model's crop of that image (uint8), for the files in any top-k


def scan_folder(state, loaded, folder, layer, k=9, cache_dir=None):
    """The top-k images of every unit of `layer` in `folder`, with the crops needed to show them."""
    from dlviz.core import topimages
    from dlviz.core.images import load_image

    top = topimages.scan(loaded, folder, layer, k, cache_dir=cache_dir, progress=state)
    if not top.complete:
        return None  # cancelled: the cache keeps what was done
    field = topimages.receptive_field(loaded.model, layer, loaded.preprocess.crop, effective=0.9)
    needed = {top.files[i] for i in np.unique(top.index) if i >= 0}
    crops = {name: loaded.preprocess.crop_rgb(load_image(Path(folder) / name)) for name in sorted(needed)}
    return ScanResult(top, Path(folder), field, crops)


@dataclass
class FeatureVisResult:
    results: list  # dlviz.core.featurevis.Result, one per unit
    layer: str | None
    image: np.ndarray  # one unit's image, or the whole layer tiled
    from_cache: bool


def feature_vis(state, loaded, layer, units, settings, cache_dir=None, elsewhere=None):
    """Optimise an image for each of `units`; a single unit is read from the cache when it can be.
    `elsewhere`: (each unit's best value on a Top images scan, what was scanned, in words) or None."""
    from dlviz.core import featurecache, featurevis

    key = featurecache.cache_key(featurecache.model_id(loaded), layer, units[0], settings) if len(units) == 1 else None
    cached = featurecache.load_cached(cache_dir, key) if key and cache_dir is not None else None
    if cached is not None:
        results, from_cache = [cached], True
    elif len(units) == 1:
        results, from_cache = [featurevis.visualise(loaded, layer, units[0], settings, state)], False
        if key and cache_dir is not None and not results[0].cancelled:
            featurecache.save_cached(cache_dir, key, results[0])
    else:
        results, from_cache = featurevis.visualise_layer(loaded, layer, units, settings, progress=state), False
    if elsewhere is not None:
        featurevis.judge(results, *elsewhere)
    image = results[0].image if len(units) == 1 else featurevis.tile([r.image for r in results])
    return FeatureVisResult(results, layer, image, from_cache)


@dataclass
class FeatureImages:
    """Pattern mode's feature images of a layer, so far: what this job added, and the batch it
    paused for other work (to be handed to the next job), if any."""

    model: object  # the LoadedModel they are of
    layer: str
    results: dict  # unit -> dlviz.core.featurevis.Result
    paused: object = None  # dlviz.core.featurevis.Optimisation


def feature_images(state, loaded, layer, count, known, paused=None, cache_dir=None):
    """The feature images of a layer's `count` units for pattern mode: first whatever the cache
    holds, then one batch of the missing units (`featurevis.PATTERN` settings). It returns after
    that batch, or as soon as other work waits (with the batch paused, to go on in the next job),
    so a layer of hundreds of units never holds the worker for more than a step."""
    from dlviz.core import featurecache, featurevis

    settings = featurevis.Settings(**featurevis.PATTERN)
    model = featurecache.model_id(loaded) if cache_dir is not None else ""
    found = {}
    if cache_dir is not None and not known and paused is None:
        found = featurecache.load_units(cache_dir, model, layer, range(count), settings)
        if found:
            state.report(len(found) / count, f"{len(found)} of {count} from the cache",
                         {unit: result.image for unit, result in found.items()})
    have = set(known) | set(found)
    missing = [unit for unit in range(count) if unit not in have]
    if not missing:
        return FeatureImages(loaded, layer, found)
    if not _goes_on(paused, loaded, layer, missing):
        paused = featurevis.Optimisation(loaded, layer, missing[: featurevis.PATTERN_BATCH], settings)
    run = paused
    ready = len(have)

    def tick(fraction, images):
        done = ready + fraction * len(run.units)
        state.report(done / count, f"feature images {int(done)}/{count}",
                     {unit: image for unit, image in zip(run.units, images)})

    if not run.run(state.should_stop, tick, state.others_waiting, evaluate_stopped=False) or run.cancelled:
        return FeatureImages(loaded, layer, found, None if run.cancelled else run)
    for result in run.results():
        found[result.unit] = result
        if cache_dir is not None:
            featurecache.save_cached(cache_dir, featurecache.cache_key(model, layer, result.unit, settings), result)
    return FeatureImages(loaded, layer, found)


def _goes_on(paused, loaded, layer, missing) -> bool:
    """Whether a paused batch is one to go on with: of this model and layer, unfinished, wanted."""
    return (paused is not None and paused.loaded.model is loaded.model and paused.layer == layer and not paused.finished
            and not paused.cancelled and set(paused.units) <= set(missing))


def top_backprops(state, loaded, scan, layer, unit, method="guided"):
    """The backprop view of each of a unit's top crops: which of the crop's pixels drive it."""
    from dlviz.core import attribution, topimages

    views = []
    for name, _, position in scan.top.best(unit):
        if state.should_stop():
            return None
        crop = scan.crops[name]
        grad = attribution.backprop(loaded.model, loaded.preprocess.normalise(crop), layer, unit, method)
        picture = (np.clip(attribution.display(grad, "norm"), 0, 1) * 255).astype(np.uint8)
        views.append(topimages.crop_around(picture, position, scan.top.map_size, scan.field_px))
    return unit, layer, views
