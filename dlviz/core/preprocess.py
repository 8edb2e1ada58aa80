"""How an RGB photo becomes a model's input tensor, and where the model's crop lies in the photo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


@dataclass(frozen=True)
class Preprocess:
    """Resize the shorter side to `resize`, centre-crop `crop`×`crop`, scale to [0, 1], normalise."""

    resize: int = 256
    crop: int = 224
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: str = "bilinear"

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        scale = self.resize / min(width, height)
        return max(self.crop, round(width * scale)), max(self.crop, round(height * scale))

    def crop_box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The model's crop as (left, top, right, bottom) in the original photo's pixels."""
        rw, rh = self.resized_size(width, height)
        left, top = (rw - self.crop) // 2, (rh - self.crop) // 2
        sx, sy = width / rw, height / rh
        return left * sx, top * sy, (left + self.crop) * sx, (top + self.crop) * sy

    def crop_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """The uint8 crop the model sees, before normalisation (H×W×3)."""
        height, width = rgb.shape[:2]
        rw, rh = self.resized_size(width, height)
        image = Image.fromarray(rgb).resize((rw, rh), _RESAMPLE[self.interpolation])
        left, top = (rw - self.crop) // 2, (rh - self.crop) // 2
        return np.asarray(image.crop((left, top, left + self.crop, top + self.crop)))

    def to_tensor(self, rgb: np.ndarray):
        """A 1×3×crop×crop float32 tensor ready for the model."""
        return self.normalise(self.crop_rgb(rgb))

    def normalise(self, crop: np.ndarray):
        """The tensor for a crop already made by `crop_rgb`."""
        import torch

        mean = np.asarray(self.mean, dtype=np.float32) * 255.0
        scale = 1.0 / (np.asarray(self.std, dtype=np.float32) * 255.0)
        chw = np.ascontiguousarray(((crop.astype(np.float32) - mean) * scale).transpose(2, 0, 1))
        return torch.from_numpy(chw).unsqueeze(0)


BUNDLED_PREPROCESS = Preprocess(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "bicubic")
