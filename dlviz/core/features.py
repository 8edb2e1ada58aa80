"""Points made by a model: its classes (the rows of its classifier) and the features of a folder
of images at one layer, global-average-pooled, cached on disk; small thumbnails for hovering.
No Qt here.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dlviz import paths
from dlviz.core.activations import OwnedHook
from dlviz.core.errors import ImageError, VectorError
from dlviz.core.files import DAMAGED, set_aside, unreachable, write_atomic
from dlviz.core.images import MAX_PIXELS, images_below, load_image
from dlviz.core.progress import Progress, given
from dlviz.core.vectors import PointSet, as_strings

CACHE_VERSION = 1
PENULTIMATE = "penultimate"  # the name the default layer goes by in cache keys and titles


# --------------------------------------------------------------------------- the classifier


def _kind(module: nn.Module) -> str:
    """A module's class name, also for TorchScript modules (which keep it as original_name)."""
    return getattr(module, "original_name", None) or type(module).__name__


def _class_count(loaded) -> int | None:
    return len(loaded.labels) if loaded.labels else None


def classifier(model: nn.Module, classes: int | None = None) -> tuple[str, nn.Module]:
    """(name, module) of the layer that makes the logits: the last Linear, or 1×1 Conv2d, whose
    outputs number `classes` (any count when None)."""
    found = None
    for name, module in model.named_modules():
        kind = _kind(module)
        weight = getattr(module, "weight", None)
        if not isinstance(weight, torch.Tensor):
            continue
        if kind == "Linear" and weight.ndim == 2:
            outputs = weight.shape[0]
        elif kind == "Conv2d" and weight.ndim == 4 and tuple(weight.shape[2:]) == (1, 1) \
                and getattr(module, "groups", 1) == 1:
            outputs = weight.shape[0]
        else:
            continue
        if classes is None or outputs == classes:
            found = (name, module)
    if found is None:
        wanted = f"with {classes} outputs " if classes else ""
        raise VectorError(f"The model has no linear or 1×1 convolution classifier layer {wanted}to take the classes from.")
    return found


def class_points(loaded) -> PointSet:
    """One point per class: its row of the final classifier's weights, named by the class."""
    classes = _class_count(loaded)
    try:
        _, layer = classifier(loaded.model, classes)
    except VectorError:
        if classes is None:
            raise
        _, layer = classifier(loaded.model, None)
    with torch.no_grad():
        weight = layer.weight.detach().float().reshape(layer.weight.shape[0], -1).cpu().numpy()
    n = weight.shape[0]
    names = [loaded.label(i) for i in range(n)]
    meta = {"class": as_strings(names), "index": as_strings(range(n))}
    if n == 1000 and names[0] == "tench":  # ImageNet's classes: add their broad kind, for colour
        meta["group"] = as_strings([imagenet_group(i) for i in range(n)])
    return PointSet(np.ascontiguousarray(weight, dtype=np.float32), None, meta, "class", name=f"classes of {loaded.name}")


# ImageNet's 1000 classes come in runs of one kind (WordNet order): enough to colour a layout of
# the classes by kind and see that dogs gather with dogs. The rest (398-923 and a few) are objects.
_IMAGENET_GROUPS = (
    ((0, 6), "fish"), ((389, 397), "fish"),
    ((7, 24), "bird"), ((80, 100), "bird"), ((127, 146), "bird"),
    ((25, 68), "reptile, amphibian"),
    ((69, 79), "invertebrate"), ((107, 126), "invertebrate"), ((327, 329), "invertebrate"),
    ((300, 326), "insect"),
    ((151, 268), "dog"),
    ((281, 293), "cat"),
    ((365, 384), "primate"),
    ((101, 106), "other mammal"), ((147, 150), "other mammal"), ((269, 280), "other mammal"),
    ((294, 299), "other mammal"), ((330, 364), "other mammal"), ((385, 388), "other mammal"),
    ((924, 969), "food"),
    ((970, 980), "landscape"),
    ((984, 997), "plant, fungus"),
)


def imagenet_group(index: int) -> str:
    """The broad kind of ImageNet class `index` (0-999): "dog", "bird", "food", ... or "object"."""
    for (first, last), group in _IMAGENET_GROUPS:
        if first <= index <= last:
            return group
    return "object"


# --------------------------------------------------------------------------- image features


class _Tap(OwnedHook):
    """Captures one module's output (or, with `inputs`, its first input) while in the block, from
    passes on the thread that entered it only: the explorer's worker shares the model with the
    main window's, whose passes (a fovea drag, say) must not land in the features."""

    def __init__(self, module: nn.Module, inputs: bool = False):
        self.module, self.inputs = module, inputs
        self.value: torch.Tensor | None = None

    def _pre(self, module, args):
        if threading.get_ident() == self._thread:
            self.value = args[0]

    def _post(self, module, args, output):
        if threading.get_ident() == self._thread:
            self.value = output

    def __enter__(self):
        self._thread = threading.get_ident()
        if self.inputs:
            self._handle = self.module.register_forward_pre_hook(self._pre)
        else:
            self._handle = self.module.register_forward_hook(self._post)
        return self


def pooled(value: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C) by global average pooling; anything else flattened to (B, -1)."""
    value = value.detach().float()
    if value.ndim == 4:
        return value.mean(dim=(2, 3))
    return value.reshape(value.shape[0], -1)


def fingerprint(model: nn.Module) -> str:
    """Which weights these are: every tensor's name, shape and first values."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        flat = tensor.detach().reshape(-1)[:256].float().cpu().numpy()
        digest.update(f"{name}:{tuple(tensor.shape)}".encode())
        digest.update(flat.tobytes())
    return digest.hexdigest()[:16]


def cache_key(loaded, layer: str, files: list[Path]) -> str:
    p = loaded.preprocess
    digest = hashlib.sha256(
        f"v{CACHE_VERSION}|{loaded.name}|{loaded.source}|{fingerprint(loaded.model)}|{layer}|"
        f"{p.resize}|{p.crop}|{p.mean}|{p.std}|{p.interpolation}".encode()
    )
    for path in files:
        stat = path.stat()
        digest.update(f"|{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def _save(path: Path, vectors, files, top, skipped) -> None:
    meta = json.dumps({"files": files, "top": top, "skipped": skipped})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda stream: np.savez(stream, vectors=vectors, meta=np.array(meta)))
    except OSError:  # a read-only cache only costs the next run its time
        pass


def _load(path: Path):
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            vectors = np.ascontiguousarray(data["vectors"], dtype=np.float32)
        files, top, skipped = meta["files"], meta["top"], [tuple(s) for s in meta["skipped"]]
        if len(files) != len(vectors) or len(top) != len(vectors):
            return None
        return vectors, files, top, skipped
    except OSError:  # cannot be read now (locked, gone): compute afresh, leave the file be
        return None
    except DAMAGED:  # torn or foreign: set aside, compute afresh
        set_aside(path)
        return None


def folder_features(
    loaded,
    folder,
    layer: str | None = None,
    batch: int = 16,
    progress: Progress | None = None,
    cache_dir=None,
) -> PointSet:
    """One point per image of `folder`: the model's features at `layer`, global-average-pooled.

    `layer=None` takes the classifier's input (the pooled last feature map). Images that cannot
    be read are left out and listed in the result's `skipped` as (path, sentence). Results are
    cached under `cache_dir` (default: DLVIZ_HOME/features), keyed by the model, its weights, the
    layer and the folder's files with their sizes and modification times.
    A stop is checked between batches and raises `Cancelled`.
    """
    folder = Path(folder)
    images = images_below(folder)
    module, inputs = _feature_module(loaded, layer)
    layer_name = layer or PENULTIMATE
    progress = given(progress)
    cache = Path(cache_dir) if cache_dir is not None else paths.cache_dir("features")
    cache_file = cache / f"features-{cache_key(loaded, layer_name, images)}.npz"
    cached = _load(cache_file) if cache_file.exists() else None
    if cached is not None:
        vectors, files, top, skipped = cached
        progress.report(1.0, f"{len(files)} images (cached)")
    else:
        vectors, files, top, skipped = _compute(loaded, folder, images, module, inputs, batch, progress)
        _save(cache_file, vectors, files, top, [list(s) for s in skipped])
    absolute = [str((folder / name).resolve()) for name in files]
    meta = {
        "file": as_strings(files),
        # the subfolder an image is in: the class, for a dataset kept one folder per class
        "folder": as_strings([Path(name).parent.as_posix() if Path(name).parent != Path(".") else folder.name
                            for name in files]),
        "top class": as_strings(top),
    }
    title = f"{folder.name} ({'features' if layer is None else layer} of {loaded.name})"
    return PointSet(vectors, None, meta, "file", images=absolute, name=title, skipped=list(skipped))


def _feature_module(loaded, layer: str | None) -> tuple[nn.Module | None, bool]:
    """The module to tap and whether its input (True) or output (False) is the feature.
    (None, False) means the model's own output (a TorchScript archive without hooks)."""
    if layer is None:
        if not loaded.hookable:
            return None, False
        _, module = classifier(loaded.model, _class_count(loaded))
        return module, True
    if layer == "output" and not loaded.hookable:
        return None, False
    if not loaded.hookable or (loaded.layers and layer not in loaded.layer_names):
        raise VectorError(f"The model has no layer '{layer}'; see `dlviz layers`.")
    try:
        return loaded.model.get_submodule(layer), False
    except AttributeError:
        raise VectorError(f"The model has no layer '{layer}'; see `dlviz layers`.") from None


def _compute(loaded, folder, paths, module, inputs, batch, progress: Progress):
    chunks, files, top, skipped = [], [], [], []
    batch = max(1, int(batch))
    for start in range(0, len(paths), batch):
        progress.check()
        tensors, names = [], []
        for path in paths[start:start + batch]:
            try:
                tensors.append(loaded.preprocess.to_tensor(load_image(path)))
                names.append(path.relative_to(folder).as_posix())
            except ImageError as exc:
                if unreachable(exc):  # the folder's drive stopped answering: every file would wait
                    raise
                skipped.append((str(path), str(exc)))
        if tensors:
            x = loaded.put(torch.cat(tensors))
            with torch.inference_mode():
                if module is None:
                    output = loaded.model(x)
                    output = output[0] if isinstance(output, (tuple, list)) else output
                    value = output
                else:
                    with _Tap(module, inputs) as tap:
                        output = loaded.model(x)
                    output = output[0] if isinstance(output, (tuple, list)) else output
                    value = tap.value
                    if value is None:
                        raise VectorError("The chosen layer did not run for these images.")
                chunks.append(pooled(value).cpu().numpy())
                best = output.reshape(output.shape[0], -1).argmax(dim=1).tolist()
            files.extend(names)
            top.extend(loaded.label(int(i)) for i in best)
        done = min(start + batch, len(paths))
        progress.report(done / len(paths), f"{done} of {len(paths)} images")
    if not chunks:
        raise VectorError(f"None of the {len(paths)} images in {paths[0].parent.name} could be read.")
    return np.ascontiguousarray(np.concatenate(chunks), dtype=np.float32), files, top, skipped


# --------------------------------------------------------------------------- thumbnails


def thumbnails(paths, size: int = 64) -> np.ndarray:
    """(n, size, size, 3) uint8: each image shrunk to fit, centred on grey; grey if unreadable."""
    from PIL import Image, ImageOps

    from dlviz.core.images import to_rgb

    tiles = np.full((len(paths), size, size, 3), 128, dtype=np.uint8)
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as im:
                if im.size[0] * im.size[1] > MAX_PIXELS:
                    continue
                im.draft("RGB", (size, size))  # JPEG decodes at a fraction of full size
                try:
                    oriented = ImageOps.exif_transpose(im)
                except Exception:  # broken EXIF data: the picture as stored
                    oriented = im
                rgb = to_rgb(oriented)
                rgb.thumbnail((size, size), Image.Resampling.BILINEAR)
                small = np.asarray(rgb, dtype=np.uint8)
        except Exception:  # unreadable, truncated, not an image: a grey tile
            continue
        h, w = small.shape[:2]
        top, left = (size - h) // 2, (size - w) // 2
        tiles[i, top:top + h, left:left + w] = small
    return tiles
