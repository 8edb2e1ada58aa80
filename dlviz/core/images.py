"""Load any photo a user may drop on the app as a uint8 RGB array, with one-sentence errors."""

from __future__ import annotations

import io
import os
import re
import warnings
from bisect import bisect_left, bisect_right
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from dlviz.core.errors import ImageError
from dlviz.core.files import check_file

MAX_PIXELS = 100_000_000
"""Largest image (width × height) we agree to decode."""

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
IMAGE_FILTER = f"Images ({' '.join('*' + e for e in IMAGE_EXTENSIONS)});;All files (*)"

_PASTED = "The pasted data"
_WHITE = (255, 255, 255, 255)


def _limit(max_pixels: int) -> str:
    if max_pixels >= 1_000_000:
        return f"{max_pixels / 1e6:g}-megapixel"
    return f"{max_pixels:,}-pixel"


def _too_large(name: str, exc: Exception, max_pixels: int) -> ImageError:
    """Pillow's own decompression-bomb error, which fires before we can read the size."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    pillow_limit = 2 * Image.MAX_IMAGE_PIXELS if Image.MAX_IMAGE_PIXELS else max_pixels
    limit = _limit(min(max_pixels, pillow_limit))
    if not found:
        return ImageError(f"{name} is too large to open safely (over the {limit} limit).")
    return ImageError(f"{name} has {int(found[1]) / 1e6:,.0f} megapixels, more than the {limit} limit.")


def _open_source(source: str | os.PathLike | bytes) -> tuple[str, io.BufferedIOBase]:
    """A readable binary stream for `source` and the name to use in messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not len(source):
            raise ImageError(f"{_PASTED} is empty.")
        return _PASTED, io.BytesIO(source)
    path = Path(source)
    name = path.name or str(path)
    # A pipe, a device or a drive that stopped answering is refused here, before open() could block.
    if check_file(path, ImageError, what="image file").st_size == 0:
        raise ImageError(f"{name} is empty.")
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except PermissionError:  # it changed since the look
        raise ImageError(f"{name} cannot be read (permission denied).") from None
    except OSError as exc:
        raise ImageError(f"{name} cannot be read ({exc.strerror or exc}).") from exc
    return name, stream


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode as RGB; 16-bit and float greys rescaled, alpha composited over white."""
    if im.mode.startswith("I;16") or im.mode == "I":
        a = np.asarray(im).astype(np.float64)
        if im.mode == "I" and (a.min(initial=0) < 0 or a.max(initial=0) > 65535):
            return to_rgb(im.convert("F"))  # not a 16-bit grey: min-max scale instead
        return Image.fromarray(np.round(a / 257.0).astype(np.uint8)).convert("RGB")
    if im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        finite = np.isfinite(a)
        lo, hi = (a[finite].min(), a[finite].max()) if finite.any() else (0.0, 0.0)
        scaled = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
        return Image.fromarray(np.round(np.where(finite, scaled, 0.0)).astype(np.uint8)).convert("RGB")
    if "A" in im.mode or "a" in im.mode or "transparency" in im.info:
        rgba = im.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba).convert("RGB")
    return im.convert("RGB")


def load_image(source: str | os.PathLike | bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode a file path or encoded bytes to a C-contiguous uint8 RGB array (H×W×3).

    EXIF orientation is applied, animations give their first frame, and transparency is
    composited over white. Raises ImageError (one sentence) for anything that is not a
    readable image, or that declares more than `max_pixels` pixels (checked before decoding).
    """
    name, stream = _open_source(source)
    with stream, warnings.catch_warnings():
        # Our own budget replaces Pillow's warning; its hard error is still caught below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(stream)
        except Image.DecompressionBombError as exc:
            raise _too_large(name, exc, max_pixels) from exc
        except Exception as exc:
            raise ImageError(f"{name} is not an image file Pillow can read.") from exc
        with im:
            width, height = im.size
            if width * height > max_pixels:
                raise ImageError(
                    f"{name} is {width}×{height} pixels, more than the {_limit(max_pixels)} limit."
                )
            try:
                im.load()
            except Image.DecompressionBombError as exc:
                raise _too_large(name, exc, max_pixels) from exc
            except Exception as exc:
                raise ImageError(f"{name} is truncated or corrupt.") from exc
            try:
                oriented = ImageOps.exif_transpose(im)
            except Exception:  # broken EXIF data should not hide a readable picture
                oriented = im
            try:
                rgb = np.array(to_rgb(oriented), dtype=np.uint8)
            except Exception as exc:
                raise ImageError(f"{name} uses a pixel format dlviz cannot show ({im.mode}).") from exc
    return np.ascontiguousarray(rgb)


PREVIEW_SIDE = 2048
"""Longest side of the copy of a photo the window draws: larger photos are drawn from a smaller
copy (a 9000×9000 photo took 740 ms to paint whole on the GUI thread)."""


def preview(rgb: np.ndarray, longest: int = PREVIEW_SIDE) -> np.ndarray:
    """`rgb` itself when its longest side is at most `longest`, else a copy shrunk to it (area
    averaging, so fine detail does not alias); for the screen, not for the model."""
    height, width = rgb.shape[:2]
    scale = longest / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX, reducing_gap=2.0))


def _sort_key(path: Path) -> tuple[str, str]:
    return path.name.casefold(), path.name


def image_files_in(folder: str | os.PathLike) -> list[Path]:
    """Image files (by extension) directly in `folder`, sorted case-insensitively by name."""
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    files = [
        p
        for p in entries
        if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(files, key=_sort_key)


def images_below(folder: str | os.PathLike) -> list[Path]:
    """The images in `folder` and in its subfolders, at any depth (hidden ones skipped), folder by
    folder: a dataset kept one folder per class is read whole. Raises ImageError, one sentence
    that says what was looked for, when `folder` is not a folder or holds no image."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageError(f"{folder} is not a folder.")
    found = list(image_files_in(folder))
    for root, dirs, _ in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs:
            found.extend(image_files_in(Path(root) / name))
    if not found:
        raise ImageError(f"{folder.name or folder} holds no images ({', '.join(IMAGE_EXTENSIONS)} files), "
                         "nor do its subfolders.")
    return found


def neighbour_image(path: str | os.PathLike, step: int) -> Path | None:
    """The image `step` places after (or before, if negative) `path` in its folder, wrapping.

    Works even if `path` itself was deleted or is not an image; None if there is no other image.
    """
    if step == 0:
        raise ValueError("step must be non-zero")
    path = Path(path)
    others = [p for p in image_files_in(path.parent) if p.name != path.name]
    if not others:
        return None
    keys = [_sort_key(p) for p in others]
    if step > 0:
        index = bisect_right(keys, _sort_key(path)) + step - 1
    else:
        index = bisect_left(keys, _sort_key(path)) + step
    return others[index % len(others)]
