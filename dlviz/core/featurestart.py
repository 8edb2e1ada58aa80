"""Where feature visualisation starts, and whether a unit fires at all.

A ReLU unit that is off everywhere on the start image passes no gradient, so gradient ascent from
near-grey noise cannot move it; a third of the bundled model's default layer is like that. A
unit still below its best photo after 32 steps starts again from the photo crop where it fires
most, as the Deep Visualization Toolbox's "start from an image" did. The candidates are the
bundled sample photos, each as its centre square and that square's four quarters, at the
optimised image's size: a late unit often fires on a part of a photo and not on the whole of it
shrunk.

The same table of a unit's values on the candidates tells whether it fires on real photos, which
decides whether a unit that stays silent on its feature image is called dead.

No Qt here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from dlviz.core.imageparam import square

PARTS = ("whole", "top-left quarter", "top-right quarter", "bottom-left quarter", "bottom-right quarter")


@dataclass
class Photos:
    """Start candidates: crops (K×S×S×3 uint8) and what each is, in words."""

    crops: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.names)

    @property
    def sources(self) -> int:
        return len(self.names) // len(PARTS)


def crops_of(image: np.ndarray, size: int) -> list[np.ndarray]:
    """The centre square of an image and its four quarters, each size×size."""
    big = square(image, 2 * size)
    quarters = [big[r : r + size, c : c + size] for r in (0, size) for c in (0, size)]
    return [square(image, size)] + [np.ascontiguousarray(q) for q in quarters]


def photos(images: Sequence[np.ndarray], names: Sequence[str], size: int) -> Photos:
    crops, labels = [], []
    for image, name in zip(images, names):
        crops += crops_of(image, size)
        labels += [f"{name} ({part})" if part != "whole" else name for part in PARTS]
    return Photos(np.stack(crops) if crops else np.zeros((0, size, size, 3), np.uint8), labels)


@functools.lru_cache(maxsize=4)
def bundled(size: int) -> Photos:
    """The bundled sample photos as start candidates (read once per size)."""
    from dlviz import paths
    from dlviz.core.images import load_image

    files = paths.sample_images()
    return photos([load_image(p) for p in files], [p.name for p in files], size)
