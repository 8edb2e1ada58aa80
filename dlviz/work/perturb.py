"""Background work for the Perturb view: plain functions over dlviz.core.perturb, no widgets.

Each takes the job's state first (see dlviz.work.runner) and works on the model's crop (the uint8
image the model saw), so a probe costs one forward pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

@dataclass
class ProbeResult:
    image: np.ndarray  # the perturbed crop the model saw
    top: list  # [(class index, probability)] best first
    probs: np.ndarray  # every class's probability
    unit: tuple | None  # (layer, unit, value) of the selected unit, None when there is none
    mode: str  # "occlude" or "augment"
    ms: float


def probe(state, loaded, crop, mode, box=None, fill="grey", augment=None, layer=None, unit=0):
    """One forward pass of the crop, occluded by `box` or augmented by `augment`."""
    import torch

    from dlviz.core import perturb
    from dlviz.core.activations import run

    start = time.perf_counter()
    if mode == "occlude":
        image = perturb.occlude(crop, box, fill) if box is not None else crop
    else:
        image = perturb.apply(crop, augment or perturb.Augment())
    wanted = [] if layer is None or not loaded.hookable or layer == "output" else [layer]
    with torch.inference_mode():
        forward = run(loaded, loaded.preprocess.normalise(image), layers=wanted)
    value = None
    if layer is not None:
        name = layer if wanted else "output"
        if name in forward.activations:
            value = (layer, unit, perturb.unit_value(forward.activations[name], unit))
    return ProbeResult(image, forward.top(5), forward.probs, value, mode, (time.perf_counter() - start) * 1000)


@dataclass
class StripItem:
    augment: object  # dlviz.core.perturb.Augment
    image: np.ndarray
    index: int  # top-1 class
    prob: float
    same_kind: bool = False  # a different class of the clean top-1's broad kind (another cat, say)


@dataclass
class StripResult:
    items: list
    clean_index: int
    seed: int
    strength: float
    kind: str | None = None  # the clean top-1's broad kind, when known


def strip(state, loaded, crop, clean_index, seed, count=8, strength=0.5):
    """`count` random augmentations of the crop (from `seed`) and the top-1 class of each, in one batch."""
    from dlviz.core import perturb

    rng = np.random.default_rng(seed)
    augments = [perturb.random_augment(rng, strength) for _ in range(count)]
    images = []
    for k, aug in enumerate(augments):
        if state.should_stop():
            return None
        images.append(perturb.apply(crop, aug))
    state.report(0.5, "predicting")
    probs = perturb.probabilities(loaded, np.stack(images))
    kind = _kind_of(loaded)
    clean_kind = kind(clean_index)
    items = []
    for aug, image, p in zip(augments, images, probs):
        index = int(p.argmax())
        near = clean_kind is not None and index != clean_index and kind(index) == clean_kind
        items.append(StripItem(aug, image, index, float(p.max()), near))
    return StripResult(items, int(clean_index), int(seed), float(strength), clean_kind)


def _kind_of(loaded):
    """class index -> its broad kind ("cat", "dog", ...) for ImageNet's classes; None where
    unknown, or for the 500-odd classes that are just "object" (too broad to count as a near miss)."""
    labels = loaded.labels or []
    if len(labels) != 1000 or labels[0] != "tench":
        return lambda index: None
    from dlviz.core.features import imagenet_group

    return lambda index: None if imagenet_group(index) == "object" else imagenet_group(index)


@dataclass
class OcclusionResult:
    map: np.ndarray | None  # H×W drop of the target (None: cancelled)
    target: tuple  # ("class", index) or ("unit", layer, unit)
    patch: int
    stride: int
    seconds: float
    crop: np.ndarray


def occlusion(state, loaded, crop, patch, stride, target, fill="grey", batch=16):
    """The occlusion-sensitivity map, reported batch by batch with the map so far."""
    from dlviz.core import perturb

    start = time.perf_counter()
    heat = perturb.occlusion_map(loaded, crop, patch, stride, target, batch=batch, fill=fill, progress=state)
    return OcclusionResult(heat, tuple(target), patch, stride, time.perf_counter() - start, crop)
