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

        Resizing only the part of the photo inside the crop box, straight to crop×crop, gives the
        same pixels as resizing everything and then cropping, for half the work.
        """
        height, width = rgb.shape[:2]
        image = Image.fromarray(rgb)
        return np.array(image.resize((self.crop, self.crop), RESAMPLE[self.interpolation], box=self.crop_box(width, height)))

    def to_tensor(self, rgb: np.ndarray):
        """A 1×3×crop×crop float32 tensor ready for the model."""
        return self.normalise(self.crop_rgb(rgb))

    def normalise(self, crop: np.ndarray):
        """The tensor for a crop already made by `crop_rgb`."""
        import torch

        mean = torch.tensor(self.mean, dtype=torch.float32).mul_(255.0).view(3, 1, 1)
        scale = torch.tensor(self.std, dtype=torch.float32).mul_(255.0).reciprocal_().view(3, 1, 1)
        chw = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).float()
        return chw.sub_(mean).mul_(scale).contiguous().unsqueeze(0)


BUNDLED_PREPROCESS = Preprocess(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "bicubic")
