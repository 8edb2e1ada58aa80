"""How an RGB photo becomes a model's input tensor, and where the model's crop lies in the photo."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dlviz.core.second_ask import made_at_second_ask

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


FITS = ("crop", "stretch")  # how a photo that is not square becomes the model's square input


@dataclass(frozen=True)
class Preprocess:
    """Resize the shorter side to `resize`, centre-crop `crop`×`crop`, scale to [0, 1], normalise.
    With `fit="stretch"` the whole photo is squeezed to `crop`×`crop` instead (the toolbox's `0`)."""

    resize: int = 256
    crop: int = 224
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: str = "bilinear"
    fit: str = "crop"  # FITS

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        scale = self.resize / min(width, height)
        return max(self.crop, round(width * scale)), max(self.crop, round(height * scale))

    def crop_box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The model's crop as (left, top, right, bottom) in the original photo's pixels."""
        if self.fit == "stretch":
            return 0.0, 0.0, float(width), float(height)
        rw, rh = self.resized_size(width, height)
        left, top = (rw - self.crop) // 2, (rh - self.crop) // 2
        sx, sy = width / rw, height / rh
        return left * sx, top * sy, (left + self.crop) * sx, (top + self.crop) * sy

    def crop_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """The uint8 crop the model sees, before normalisation (crop×crop×3).

        Bilinear and bicubic: torch's antialiased uint8 resize of the whole photo, then the centre
        cut out, as torchvision's Resize and CenterCrop do. It gives Pillow's pixels for the same
        steps to within a level, in half the time (0.5 ms against 1.05 ms for a 451×300 photo on 2
        cores). Otherwise, or where the photo is much wider than the crop, Pillow resizes only the
        part inside the crop box, straight to crop×crop: less work, and the same pixels to a level
        for a wide photo (for a tall one Pillow's box resize differs by a few levels).
        """
        height, width = rgb.shape[:2]
        size = self._torch_size(rgb.shape) if rgb.dtype == np.uint8 else None
        if size is not None:
            return self._resized_then_cut(rgb, size)
        image = Image.fromarray(rgb)
        return np.array(image.resize((self.crop, self.crop), RESAMPLE[self.interpolation], box=self.crop_box(width, height)))

    def _resized_then_cut(self, rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        width, height = size
        photo = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).unsqueeze(0)  # channels last, as the fast path wants
        resized = F.interpolate(photo, size=(height, width), mode=self.interpolation, antialias=True)
        left, top = (width - self.crop) // 2, (height - self.crop) // 2
        return np.ascontiguousarray(resized[0, :, top : top + self.crop, left : left + self.crop].permute(1, 2, 0).numpy())

    def prepare(self, rgb: np.ndarray):
        """`crop_rgb` and `normalise` at once, for a stream of frames of one size: (the uint8
        crop, the model's input tensor). The second frame of a size has the two steps traced as
        one graph, used for that size from then on.

        Why: run as they are, the two steps are about twenty torch operations, and after each the
        worker waits for the interpreter lock while the GUI thread draws the frame before; beside
        a thread running Python they took 7 ms instead of 1.1 (docs/decisions/0010). A size the
        torch resize does not take (see `crop_rgb`), or a trace that differs, stays as it was."""
        graph = _prepared(self, rgb.shape) if rgb.dtype == np.uint8 else None
        if graph is None:
            crop = self.crop_rgb(rgb)
            return crop, self.normalise(crop)
        import torch

        with torch.inference_mode(), torch.jit.optimized_execution(False):
            crop, x = graph(torch.from_numpy(np.ascontiguousarray(rgb)))
        return crop.numpy(), x

    def _torch_size(self, shape) -> tuple[int, int] | None:
        """The resized size where `crop_rgb` takes torch's path for a photo of `shape`, else None."""
        if self.interpolation not in ("bilinear", "bicubic") or len(shape) != 3 or shape[2] != 3:
            return None
        height, width = shape[:2]
        size = (self.crop, self.crop) if self.fit == "stretch" else self.resized_size(width, height)
        return size if size[0] * size[1] <= 2 * self.crop * self.crop else None

    def to_tensor(self, rgb: np.ndarray):
        """A 1×3×crop×crop float32 tensor ready for the model."""
        return self.normalise(self.crop_rgb(rgb))

    def _scaling(self):
        """What `normalise` subtracts from the pixels (0-255), and what it multiplies them by then
        (3×1×1 tensors)."""
        import torch

        mean = torch.tensor(self.mean, dtype=torch.float32).mul_(255.0).view(3, 1, 1)
        scale = torch.tensor(self.std, dtype=torch.float32).mul_(255.0).reciprocal_().view(3, 1, 1)
        return mean, scale

    def normalise(self, crop: np.ndarray):
        """The tensor for a crop already made by `crop_rgb`."""
        import torch

        mean, scale = self._scaling()
        hwc = torch.from_numpy(np.ascontiguousarray(crop))
        out = torch.empty((1, 3) + tuple(hwc.shape[:2]), dtype=torch.float32)
        out[0].copy_(hwc.permute(2, 0, 1))  # to float and to channels first in one pass (0.35 ms -> 0.08 ms)
        out[0].sub_(mean).mul_(scale)
        return out


_PREPARED: "OrderedDict[tuple, object]" = OrderedDict()  # (preprocess, shape) -> graph, None or a marker
_PREPARED_SIZES = 16  # the sizes kept (a slideshow of photos of every size makes one each)
_PREPARED_LOCK = threading.Lock()


def _prepared(preprocess: Preprocess, shape) -> object | None:
    """The traced `prepare` for photos of `shape`: None the first time a size is seen, or where it
    cannot be traced or differs from the steps run one by one."""
    size = preprocess._torch_size(shape)
    if size is None:
        return None
    key = (preprocess, tuple(shape))
    entry = made_at_second_ask(_PREPARED, key, lambda: _trace_prepare(preprocess, shape, size), _PREPARED_LOCK)
    with _PREPARED_LOCK:
        if key in _PREPARED:
            _PREPARED.move_to_end(key)
        while len(_PREPARED) > _PREPARED_SIZES:
            _PREPARED.popitem(last=False)
    return entry


def _trace_prepare(preprocess: Preprocess, shape, size):
    import warnings

    import torch

    mean, scale = preprocess._scaling()  # made here: made inside, the trace would change them in place at every call

    def prepare(photo):
        return _as_steps(preprocess, photo, size, mean, scale)

    sample = torch.from_numpy(np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8))
    try:
        with torch.inference_mode(), warnings.catch_warnings(), torch.jit.optimized_execution(False):
            warnings.simplefilter("ignore")  # the tracer's notes on sizes computed in Python, and its deprecation
            graph = torch.jit.trace(prepare, sample, check_trace=False)
            crop, x = graph(sample)
    except Exception:  # torch versions that cannot trace it keep the steps one by one
        return None
    want = preprocess.crop_rgb(sample.numpy())
    same = np.array_equal(crop.numpy(), want) and torch.equal(x, preprocess.normalise(want))
    return graph if same else None


def _as_steps(preprocess: Preprocess, photo, size, mean, scale):
    """What `crop_rgb` (its torch path) and `normalise` do, on an H×W×3 uint8 tensor, as one
    function of tensors (to be traced)."""
    import torch.nn.functional as F

    width, height = size
    resized = F.interpolate(photo.permute(2, 0, 1).unsqueeze(0), size=(height, width),
                            mode=preprocess.interpolation, antialias=True)
    left, top = (width - preprocess.crop) // 2, (height - preprocess.crop) // 2
    cut = resized[:, :, top : top + preprocess.crop, left : left + preprocess.crop]
    return cut[0].permute(1, 2, 0).contiguous(), cut.float().sub(mean).mul(scale)


BUNDLED_PREPROCESS = Preprocess(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "bicubic")
