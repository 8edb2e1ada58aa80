"""Feature images on disk: one PNG and one JSON per unit, named by a hash of everything that made
them, so a whole layer's images resume after a restart and a changed setting never reads a stale one.

No Qt here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from dlviz.core.featurevis import Result, Settings
from dlviz.core.files import write_atomic

CACHE_VERSION = 2  # 2: the "auto" start and the dead check on photos


def model_id(loaded) -> str:
    """Which model this is, for cache keys: its name, where it came from, a fingerprint of its
    weights and its input normalisation (two resnet18s with other weights are other models)."""
    from dlviz.core.features import fingerprint

    p = loaded.preprocess
    return f"{loaded.name}|{loaded.source}|{fingerprint(loaded.model)}|{p.mean}|{p.std}"


def cache_key(model: str, layer: str | None, unit: int, settings: Settings) -> str:
    """A stable hash of everything that determines a result; `model` is `model_id(loaded)`."""
    data = {
        "version": CACHE_VERSION,
        "model": str(model),
        "layer": layer if layer not in ("", None) else "output",
        "unit": int(unit),
        "settings": settings.key_data(),
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def save_cached(folder, key: str, result: Result) -> None:
    """Write key.png and key.json into folder (made if needed). Cancelled results are not cached."""
    from PIL import Image

    if result.cancelled:
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png, side = folder / f"{key}.png", folder / f"{key}.json"
    write_atomic(png, lambda stream: Image.fromarray(result.image).save(stream, format="PNG"))
    text = json.dumps(result.summary())
    write_atomic(side, lambda stream: stream.write(text), binary=False)  # the JSON last: it says the pair is complete


def load_cached(folder, key: str) -> Result | None:
    """The cached result, or None if absent or unreadable."""
    from PIL import Image

    folder = Path(folder)
    png, side = folder / f"{key}.png", folder / f"{key}.json"
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
        with Image.open(png) as im:
            image = np.array(im.convert("RGB"))
        return Result(image=image, **{k: data[k] for k in Result.__dataclass_fields__ if k != "image"})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_units(folder, model: str, layer: str | None, units: Sequence[int], settings: Settings) -> dict[int, Result]:
    """The cached results among `units`, by unit; `model` is `model_id(loaded)`."""
    found = {}
    for unit in units:
        result = load_cached(folder, cache_key(model, layer, unit, settings))
        if result is not None:
            found[int(unit)] = result
    return found
