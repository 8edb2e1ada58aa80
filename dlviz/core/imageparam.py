"""How feature visualisation represents and regularises its image, torch only, no model: the
image as a function of one leaf tensor (pixels, or a Fourier spectrum scaled by 1/frequency, in
decorrelated colour components), the random transforms that keep it robust (Lucent's jitter, scale
and rotation) and the Deep Visualization Toolbox's regularisers (L2 decay, blur, clipping).

`settings` below is a `dlviz.core.featurevis.Settings` (read for its fields only).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

# ImageNet's RGB colour statistics as published with AlexNet's "PCA lighting" augmentation
# (Krizhevsky et al., 2012): the eigenvalues and eigenvectors (columns) of the 3×3 covariance of
# RGB pixel values over the training set. Nearly all of the variance lies along the first, the
# luminance axis; the two chromatic axes carry a few per cent.
_EIGENVALUES = np.array([0.2175, 0.0188, 0.0045])
_EIGENVECTORS = np.array(
    [
        [-0.5675, 0.7192, 0.4009],
        [-0.5808, -0.0045, -0.8140],
        [-0.5836, -0.6948, 0.4203],
    ]
)


def colour_matrix() -> np.ndarray:
    """A 3×3 map from decorrelated colour components to RGB.

    Each eigenvector is stretched by the square root of its eigenvalue (its standard deviation),
    so independent unit-variance components come out with ImageNet's colour correlations; the
    columns are then divided by the largest one's length so the luminance axis keeps unit gain.
    Optimising the components instead of RGB lets the optimiser move brightness and colour
    separately instead of fighting their correlation.
    """
    stretched = _EIGENVECTORS * np.sqrt(_EIGENVALUES)[None, :]
    return stretched / np.linalg.norm(stretched, axis=0).max()


# --------------------------------------------------------------------------- the parameterisation


def frequencies(height: int, width: int) -> np.ndarray:
    """|frequency| of each rfft2 bin (cycles per pixel), shape height × (width // 2 + 1)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    return np.sqrt(fx * fx + fy * fy)


class Parameterisation:
    """An image batch as a function of one leaf tensor (see the module docstring)."""

    FOURIER_GAIN = 4.0  # divides the inverse FFT, as Lucid does: keeps the start from saturating

    def __init__(self, batch: int, size: int, fourier: bool, decorrelate: bool, device="cpu"):
        self.batch, self.size, self.fourier, self.decorrelate = batch, size, fourier, decorrelate
        self.device = device = torch.device(device)
        matrix = colour_matrix() if decorrelate else np.eye(3)
        self.matrix = torch.tensor(matrix, dtype=torch.float32, device=device)
        self.inverse = torch.tensor(np.linalg.inv(matrix), dtype=torch.float32, device=device)
        if fourier:
            freqs = frequencies(size, size)
            scale = 1.0 / np.maximum(freqs, 1.0 / size)  # 1/f, capped at the lowest frequency
            self.scale = torch.tensor(scale, dtype=torch.float32, device=device)[None, None, :, :, None]
            shape = (batch, 3, size, size // 2 + 1, 2)
        else:
            self.scale = None
            shape = (batch, 3, size, size)
        self.param = torch.zeros(shape, device=device, requires_grad=True)

    def init_noise(self, generator: torch.Generator, sd: float = 0.01) -> None:
        with torch.no_grad():
            one = torch.randn(self.param.shape[1:], generator=generator).to(self.device) * sd  # the CPU's numbers everywhere
            self.param.copy_(one.expand_as(self.param))  # every unit of a batch starts alike

    def _y(self) -> torch.Tensor:
        if not self.fourier:
            return self.param
        spectrum = torch.view_as_complex((self.param * self.scale).contiguous())
        return torch.fft.irfft2(spectrum, s=(self.size, self.size), norm="ortho") / self.FOURIER_GAIN

    def latent(self) -> torch.Tensor:
        """z, B×3×H×W: 0 is mid-grey, sigmoid(z) the RGB image."""
        y = self._y()
        if not self.decorrelate:
            return y
        return torch.einsum("ck,bkhw->bchw", self.matrix, y)

    def set_latent(self, z: torch.Tensor) -> None:
        with torch.no_grad():
            y = torch.einsum("ck,bkhw->bchw", self.inverse, z) if self.decorrelate else z
            if self.fourier:
                spectrum = torch.fft.rfft2(y * self.FOURIER_GAIN, norm="ortho")
                self.param.copy_(torch.view_as_real(spectrum) / self.scale)
            else:
                self.param.copy_(y)

    def rgb(self) -> torch.Tensor:
        return torch.sigmoid(self.latent())


def to_uint8(rgb: torch.Tensor) -> np.ndarray:
    """B×3×H×W in [0, 1] -> B×H×W×3 uint8."""
    array = rgb.detach().clamp(0, 1).mul(255).round().to(torch.uint8).permute(0, 2, 3, 1)
    return np.ascontiguousarray(array.cpu().numpy())


def from_uint8(images: np.ndarray, device="cpu") -> torch.Tensor:
    """B×H×W×3 uint8 -> B×3×H×W float in [0, 1], on `device`."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).float().div(255)


def noise_image(size: int, seed: int = 0) -> np.ndarray:
    """Plain uniform noise, size×size×3 uint8: the baseline a unit's result is compared with."""
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def square(image: np.ndarray, size: int) -> np.ndarray:
    """The centre square of an RGB uint8 image, resized to size×size."""
    from PIL import Image

    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3]).astype(np.uint8, copy=False)
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = Image.fromarray(image[top : top + side, left : left + side])
    return np.array(crop.resize((size, size), Image.Resampling.BICUBIC))


# --------------------------------------------------------------------------- regularisers


def draw(value, generator: torch.Generator, batch: int, centre: float) -> torch.Tensor:
    """Per batch element: uniform in centre ± value for a number, a random member for a sequence."""
    if isinstance(value, (list, tuple, np.ndarray)):
        choices = torch.tensor([float(v) for v in value] or [centre])
        return choices[torch.randint(len(choices), (batch,), generator=generator)]
    return centre + (torch.rand(batch, generator=generator) * 2 - 1) * float(value)


def transform(rgb: torch.Tensor, settings, generator: torch.Generator) -> torch.Tensor:
    """Random shift, scale and rotation per image, one bilinear resampling; grey outside. The random
    numbers are drawn on the CPU (`generator` is a CPU generator), the same on every device."""
    batch, _, h, w = rgb.shape
    scale = draw(settings.scale, generator, batch, 1.0)
    angle = draw(settings.rotate, generator, batch, 0.0) * (math.pi / 180)
    if not settings.jitter and torch.all(scale == 1) and torch.all(angle == 0):
        return rgb
    shift = (torch.rand(batch, 2, generator=generator) * 2 - 1) * float(settings.jitter)
    shift = shift * torch.tensor([2.0 / w, 2.0 / h])  # pixels -> the grid's [-1, 1] units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta.to(rgb.device), list(rgb.shape), align_corners=False)
    return F.grid_sample(rgb - 0.5, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 0.5


def gaussian_blur(z: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32, device=z.device)
    kernel = torch.exp(-(x * x) / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    channels = z.shape[1]
    pad = min(radius, z.shape[-1] - 1)
    out = F.pad(z, (pad, pad, pad, pad), mode="reflect")
    if pad < radius:  # a tiny image: trim the kernel
        kernel = kernel[radius - pad : radius + pad + 1]
        kernel = kernel / kernel.sum()
    out = F.conv2d(out, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(out, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def below_percentile(values: torch.Tensor, percentile: float) -> torch.Tensor:
    """B×H×W mask of the values below the per-image percentile."""
    flat = values.flatten(1)
    threshold = torch.quantile(flat, percentile / 100.0, dim=1, keepdim=True)
    return (flat < threshold).view_as(values)


def project(
    param: Parameterisation, settings, step: int, rgb_grad: torch.Tensor | None, rgb: torch.Tensor
) -> None:
    """The toolbox's regularisers, applied to z (0 = grey) after an optimiser step."""
    blur = settings.blur_every > 0 and settings.blur_sigma > 0 and (step + 1) % settings.blur_every == 0
    if not (settings.l2_decay > 0 or blur or settings.clip_norm_percentile > 0 or rgb_grad is not None):
        return
    with torch.no_grad():
        z = param.latent()
        if settings.l2_decay > 0:
            z = z * max(0.0, 1.0 - settings.l2_decay)
        if blur:
            z = gaussian_blur(z, settings.blur_sigma)
        if settings.clip_norm_percentile > 0:
            norm = (torch.sigmoid(z) - 0.5).norm(dim=1)
            z = z * (~below_percentile(norm, settings.clip_norm_percentile)).unsqueeze(1)
        if rgb_grad is not None and settings.clip_contribution_percentile > 0:
            # The first-order change of the objective if the pixel went grey: |Σ_c (x - grey)·∂f/∂x|.
            contribution = ((rgb - 0.5) * rgb_grad).sum(dim=1).abs()
            z = z * (~below_percentile(contribution, settings.clip_contribution_percentile)).unsqueeze(1)
        param.set_latent(z)
