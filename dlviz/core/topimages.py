"""The toolbox's top-9: for every unit of a layer, the images in a folder that excite it most.

A scan runs the model over a folder in batches, keeps for each unit its k highest activations
(the maximum over the unit's map) with the image and the map position where they occurred, and
saves its state to a cache file after every batch: a scan stopped half-way resumes where it
stopped, and a finished one is read back at once. A cache file that cannot be read (a crash
mid-write on a disk that lost it, a truncated copy) is set aside and the folder scanned afresh,
with a note saying so. The cache key covers the model, the layer and
the folder's contents (names, sizes, modification times), so a changed folder is scanned again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from dlviz.core import devices
from dlviz.core.activations import ActivationRecorder, StopWithin
from dlviz.core.errors import Cancelled, ImageError
from dlviz.core.files import DAMAGED, set_aside, unreachable, write_atomic
from dlviz.core.images import images_below, load_image
from dlviz.core.progress import Progress, given


@dataclass
class TopImages:
    layer: str
    files: list[str]  # every image file of the folder, in scan order
    values: np.ndarray  # (k, units) best activations, best first; -inf where fewer images than k
    index: np.ndarray  # (k, units) which file (index into files); -1 where none
    position: np.ndarray  # (k, units, 2) map row and column of the maximum
    map_size: tuple[int, int]  # (H, W) of the layer's map; (1, 1) for vectors
    done: int = 0  # how many files have been scanned
    skipped: list[str] = field(default_factory=list)  # files that could not be read
    note: str = ""  # something the user should know about this scan (a damaged cache set aside)

    @property
    def complete(self) -> bool:
        return self.done >= len(self.files)

    def best(self, unit: int) -> list[tuple[str, float, tuple[int, int]]]:
        """(file, activation, (row, col)) of a unit's top images, best first."""
        rows = []
        for rank in range(self.values.shape[0]):
            i = int(self.index[rank, unit])
            if i >= 0:
                rows.append((self.files[i], float(self.values[rank, unit]), tuple(int(v) for v in self.position[rank, unit])))
        return rows


def cache_key(model_name: str, source: str, layer: str, files: list[Path], k: int) -> str:
    digest = hashlib.sha256(f"{model_name}|{source}|{layer}|{k}".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"|{Path(path).resolve().as_posix()}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:24]


def _save(result: TopImages, path: Path) -> None:
    meta = {"layer": result.layer, "files": result.files, "map_size": list(result.map_size),
            "done": result.done, "skipped": result.skipped}
    write_atomic(path, lambda stream: np.savez(stream, values=result.values, index=result.index,
                                               position=result.position, meta=json.dumps(meta)))


def _load(path: Path, units: int, k: int) -> tuple[TopImages | None, str]:
    """(the saved scan, "") or, for a file that cannot be read or does not fit, (None, a note)
    after setting the file aside: every later scan would otherwise fail on it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            result = TopImages(meta["layer"], list(meta["files"]), data["values"], data["index"], data["position"],
                               tuple(meta["map_size"]), int(meta["done"]), list(meta["skipped"]))
        if result.values.shape != (k, units) or result.index.shape != (k, units) or result.position.shape != (k, units, 2):
            raise ValueError("shapes do not match the layer")
        return result, ""
    except OSError:  # cannot be read now (locked, gone): scan afresh, leave the file be
        return None, ""
    except DAMAGED:
        kept = set_aside(path)
        where = f" and was set aside (kept as {kept.name})" if kept is not None else ""
        return None, f"The saved scan of this folder was damaged{where}; scanning again."


def scan(loaded, folder, layer: str, k: int = 9, batch: int = 16, cache_dir=None,
         progress: Progress | None = None) -> TopImages:
    """Scan every image in `folder` for the k best images of each unit of `layer`.

    A stop, checked before each image, returns the scan so far (`complete` false; a half-read
    batch is dropped); the cache keeps it."""
    progress = given(progress)
    folder = Path(folder)
    paths = images_below(folder)
    info = loaded.layer(layer)
    units = info.shape[0]
    map_size = tuple(info.shape[1:]) if len(info.shape) == 3 else (1, 1)
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"top-{cache_key(loaded.name, loaded.source, layer, paths, k)}.npz"
        cache.parent.mkdir(parents=True, exist_ok=True)
    result, note = _load(cache, units, k) if cache is not None and cache.exists() else (None, "")
    if result is None:
        # Each image by its path below the folder: the same name may stand in two class folders.
        result = TopImages(layer, [p.relative_to(folder).as_posix() for p in paths], np.full((k, units), -np.inf, np.float32),
                           np.full((k, units), -1, np.int64), np.zeros((k, units, 2), np.int64), map_size, note=note)
    copy = [layer] if info.mutated else []
    while result.done < len(paths):
        chunk = range(result.done, min(result.done + batch, len(paths)))
        tensors, owners, skipped_before = [], [], len(result.skipped)
        try:
            for i in chunk:
                progress.check()  # one image may be an 80-megapixel decode: do not wait a batch
                try:
                    tensors.append(loaded.preprocess.to_tensor(load_image(paths[i])))
                    owners.append(i)
                except ImageError as exc:
                    if unreachable(exc):  # the folder's drive stopped answering: every file would wait
                        raise
                    result.skipped.append(paths[i].relative_to(folder).as_posix())
            if tensors:
                with torch.inference_mode(), ActivationRecorder(loaded.model, [layer], copy) as rec, StopWithin(progress):
                    loaded.model(loaded.put(torch.cat(tensors)))
                _merge(result, rec.outputs[layer].float(), owners)
        except Cancelled:  # a stop before an image or inside the pass: the batch is read again on resume
            del result.skipped[skipped_before:]
            break
        result.done = chunk.stop
        if cache is not None:
            _save(result, cache)
        progress.report(result.done / len(paths), f"{result.done} of {len(paths)} images")
    return result


def _merge(result: TopImages, act: torch.Tensor, owners: list[int]) -> None:
    """Fold a batch's activations (B, C[, H, W]) into the running top-k."""
    b, c = act.shape[:2]
    if act.ndim == 4:
        flat = act.reshape(b, c, -1)
        best, where = flat.max(dim=2)
        w = act.shape[3]
        pos = torch.stack([where // w, where % w], dim=-1).cpu().numpy()
    else:
        best = act.reshape(b, c)
        pos = np.zeros((b, c, 2), np.int64)
    values = np.concatenate([result.values, best.cpu().numpy()], axis=0)
    index = np.concatenate([result.index, np.repeat(np.asarray(owners)[:, None], c, axis=1)], axis=0)
    position = np.concatenate([result.position, pos], axis=0)
    k = result.values.shape[0]
    order = np.argsort(-values, axis=0, kind="stable")[:k]
    result.values = np.take_along_axis(values, order, axis=0)
    result.index = np.take_along_axis(index, order, axis=0)
    result.position = np.take_along_axis(position, order[..., None], axis=0)


def receptive_field(model, layer: str, size: int = 224, effective: float | None = None) -> int:
    """The side, in input pixels, of the patch that a unit in the middle of `layer` can see.

    With `effective` (e.g. 0.9), the side of the square that holds that share of the unit's
    gradient instead: the part of its field that matters, used to crop top images.

    Found by experiment, not by arithmetic over the architecture: the gradient of one centre unit
    with respect to the input is non-zero exactly where the input can change that unit.
    """
    module = model.get_submodule(layer)
    captured = {}
    handle = module.register_forward_hook(lambda m, a, out: captured.__setitem__("out", out))
    # Noise, not zeros: at a blank input some ReLUs sit exactly at 0 and pass no gradient.
    noise = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    x = noise.to(devices.of(model)).requires_grad_(True)
    try:
        with torch.enable_grad():
            model(x)
            out = captured["out"]
            if out.ndim != 4:
                return size
            h, w = out.shape[2:]
            out[0, :, h // 2, w // 2].sum().backward()
    finally:
        handle.remove()
        for p in model.parameters():
            p.grad = None
    grad = x.grad[0].abs().sum(0)
    if effective:
        # The smallest square around the unit that holds most of the gradient: deep units can in
        # principle see the whole image, but what moves them sits in a much smaller patch.
        total = float(grad.sum())
        if total <= 0:
            return size
        cy, cx = divmod(int(torch.argmax(grad)), size)
        for side in range(4, size + 1, 2):
            top, left = max(0, min(cy - side // 2, size - side)), max(0, min(cx - side // 2, size - side))
            if float(grad[top:top + side, left:left + side].sum()) >= effective * total:
                return side
        return size
    rows = torch.nonzero(grad.sum(1) > grad.max() * 1e-6)
    cols = torch.nonzero(grad.sum(0) > grad.max() * 1e-6)
    if len(rows) == 0:
        return size
    return int(max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1))


def crop_around(crop_rgb: np.ndarray, position: tuple[int, int], map_size: tuple[int, int], field_px: int) -> np.ndarray:
    """The part of the model's crop that a unit at `position` of its map sees (clamped to the crop)."""
    size = crop_rgb.shape[0]
    cy = (position[0] + 0.5) * size / map_size[0]
    cx = (position[1] + 0.5) * size / map_size[1]
    half = max(field_px, 8) / 2
    top = int(round(min(max(cy - half, 0), size - 2 * half)))
    left = int(round(min(max(cx - half, 0), size - 2 * half)))
    side = int(round(2 * half))
    return crop_rgb[max(top, 0):max(top, 0) + side, max(left, 0):max(left, 0) + side]
