"""How an RGB photo becomes a model's input tensor, and where the model's crop lies in the photo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

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
        if self.interpolation in ("bilinear", "bicubic") and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3:
            size = (self.crop, self.crop) if self.fit == "stretch" else self.resized_size(width, height)
            if size[0] * size[1] <= 2 * self.crop * self.crop:
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

    def to_tensor(self, rgb: np.ndarray):
        """A 1×3×crop×crop float32 tensor ready for the model."""
        return self.normalise(self.crop_rgb(rgb))

    def normalise(self, crop: np.ndarray):
        """The tensor for a crop already made by `crop_rgb`."""
        import torch

        mean = torch.tensor(self.mean, dtype=torch.float32).mul_(255.0).view(3, 1, 1)
        scale = torch.tensor(self.std, dtype=torch.float32).mul_(255.0).reciprocal_().view(3, 1, 1)
        hwc = torch.from_numpy(np.ascontiguousarray(crop))
        out = torch.empty((1, 3) + tuple(hwc.shape[:2]), dtype=torch.float32)
        out[0].copy_(hwc.permute(2, 0, 1))  # to float and to channels first in one pass (0.35 ms -> 0.08 ms)
        out[0].sub_(mean).mul_(scale)
        return out


BUNDLED_PREPROCESS = Preprocess(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "bicubic")
