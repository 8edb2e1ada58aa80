"""What changes the network's mind: occlusion and training-style augmentations of the model's crop.

- `occlude` paints a patch over an image; `occlusion_map` slides one over the crop with a stride
  and records, for each position, how much the top class's probability (or a unit's activation)
  drops (Zeiler and Fergus, 2014, "Visualizing and Understanding Convolutional Networks", Fig. 7).
- `Augment` holds the parameters of the augmentations used in training; `apply` makes the
  augmented image from them, deterministically; `random_augment` draws a set of them.

Plain numpy / torch / torchvision: no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from dlviz.core.progress import Progress, given

GREY = 128  # Zeiler and Fergus occlude with a grey square


# ---------------------------------------------------------------- occlusion
def fill_colour(image: np.ndarray, fill="grey") -> np.ndarray:
    """The colour a patch is painted with: 'grey' (128), 'mean' (the image's mean colour), 'black',
    or a number / RGB triple."""
    if isinstance(fill, str):
        if fill == "grey":
            return np.full(3, GREY, np.uint8)
        if fill == "black":
            return np.zeros(3, np.uint8)
        if fill == "mean":
            return np.round(image.reshape(-1, image.shape[-1]).mean(axis=0)).astype(np.uint8)
        raise ValueError(f"unknown fill '{fill}': use 'grey', 'mean' or 'black'")
    return np.broadcast_to(np.asarray(fill, dtype=np.uint8), (3,)).copy()


def clip_box(box, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) rounded to whole pixels and kept inside the image."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def occlude(rgb: np.ndarray, box, fill="grey") -> np.ndarray:
    """A copy of `rgb` (H×W×3 uint8) with the box (x0, y0, x1, y1), in pixels, painted over."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    x0, y0, x1, y1 = clip_box(box, rgb.shape[1], rgb.shape[0])
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = fill_colour(rgb, fill)
    return out


def patch_box(cx: float, cy: float, patch: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The patch×patch box centred as near (cx, cy) as it can be while staying inside the image."""
    x0 = int(round(min(max(cx - patch / 2, 0), max(width - patch, 0))))
    y0 = int(round(min(max(cy - patch / 2, 0), max(height - patch, 0))))
    return x0, y0, min(x0 + patch, width), min(y0 + patch, height)


def positions(size: int, patch: int, stride: int) -> list[int]:
    """Left (or top) edges of the patch along one side; the last one always reaches the far edge."""
    patch = min(patch, size)
    starts = list(range(0, size - patch + 1, max(1, stride)))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def unit_value(activation: np.ndarray, unit: int) -> float:
    """One number for a unit: its value in a vector, the mean of its map in a C×H×W layer."""
    a = np.asarray(activation)
    if a.ndim == 1:
        return float(a[unit])
    if a.ndim == 3 and a.shape[1:] == (1, 1):
        return float(a[unit, 0, 0])
    if a.ndim == 3:
        return float(a[unit].mean())
    return float(a.mean())  # a single 2-D map


def probabilities(loaded, crops: np.ndarray) -> np.ndarray:
    """Class probabilities (N×classes, float32) for a batch of crops (N×H×W×3 uint8), one pass."""
    import torch

    x = loaded.put(torch.cat([loaded.preprocess.normalise(c) for c in crops]))
    with torch.inference_mode():
        out = loaded.model(x)
    if isinstance(out, (tuple, list)):
        out = out[0]
    return torch.softmax(out.float().reshape(out.shape[0], -1), dim=1).cpu().numpy()


def score_batch(loaded, crops: np.ndarray, target) -> np.ndarray:
    """The target's value for each of a batch of crops (N×H×W×3 uint8): a class probability or a
    unit's activation (see `unit_value`)."""
    import torch

    from dlviz.core.activations import ActivationRecorder

    if target[0] == "class":
        return probabilities(loaded, crops)[:, int(target[1])].astype(np.float64)
    x = loaded.put(torch.cat([loaded.preprocess.normalise(c) for c in crops]))
    _, layer, unit = target
    if layer in (None, "output") and not loaded.hookable:
        with torch.inference_mode():
            out = loaded.model(x)
        out = out[0] if isinstance(out, (tuple, list)) else out
        return out.float().reshape(out.shape[0], -1)[:, int(unit)].cpu().numpy().astype(np.float64)
    with torch.inference_mode(), ActivationRecorder(loaded.model, [layer], copy=[layer]) as rec:
        loaded.model(x)
    act = rec.outputs[layer].float().cpu().numpy()
    return np.array([unit_value(a, int(unit)) for a in act])


def occlusion_map(
    loaded,
    crop: np.ndarray,
    patch: int = 32,
    stride: int = 16,
    target=("class", 0),
    batch: int = 32,
    fill="grey",
    progress: Progress | None = None,
) -> np.ndarray | None:
    """Occlusion sensitivity over `crop` (the model's H×W×3 uint8 input).

    The patch slides over a grid with `stride`; each position is one image in a batched forward
    pass. Each pixel gets the mean drop of the target (clean score minus occluded score) over the
    patch positions that covered it: positive where hiding the pixels lowers the class's
    probability (or the unit's activation), negative where it raises it. `target` is
    ("class", index) or ("unit", layer, unit). Each batch reports the map so far; None is
    returned if the work is stopped.
    """
    progress = given(progress)
    height, width = crop.shape[:2]
    boxes = [(x, y, x + min(patch, width), y + min(patch, height))
             for y in positions(height, patch, stride) for x in positions(width, patch, stride)]
    clean = float(score_batch(loaded, crop[None], target)[0])
    total = np.zeros((height, width), np.float64)
    count = np.zeros((height, width), np.float64)
    colour = fill_colour(crop, fill)
    from dlviz.core.activations import StopWithin
    from dlviz.core.errors import Cancelled

    for start in range(0, len(boxes), batch):
        if progress.should_stop():
            return None
        chunk = boxes[start:start + batch]
        images = np.repeat(crop[None], len(chunk), axis=0)
        for image, (x0, y0, x1, y1) in zip(images, chunk):
            image[y0:y1, x0:x1] = colour
        try:
            with StopWithin(progress):  # heard inside a batch's pass, not only between batches
                drops = clean - score_batch(loaded, images, target)
        except Cancelled:
            return None
        for drop, (x0, y0, x1, y1) in zip(drops, chunk):
            total[y0:y1, x0:x1] += drop
            count[y0:y1, x0:x1] += 1
        done = start + len(chunk)
        progress.report(done / len(boxes), f"occlusion map: {done / len(boxes):.0%}", _mean(total, count))
    return _mean(total, count)


def _mean(total, count) -> np.ndarray:
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0).astype(np.float32)


# ---------------------------------------------------------------- augmentations
@dataclass(frozen=True)
class Augment:
    """Training-style augmentation parameters; the defaults change nothing.

    Geometry (in this order): horizontal flip; crop (the fraction of each side cut away, the kept
    window placed by crop_x / crop_y in [-1, 1], 0 = centred) resized back to full size; then one
    affine map about the centre: rotate (degrees, counter-clockwise), shift_x / shift_y (fractions
    of the width / height, right and down positive), zoom (scale, 1 = none, > 1 enlarges); areas
    moved in from outside are black, as torchvision fills them. Colour: brightness and contrast
    factors (1 = none), Gaussian blur sigma in pixels, Gaussian noise std in 0..255 units drawn
    from `noise_seed`.
    """

    rotate: float = 0.0
    flip: bool = False
    shift_x: float = 0.0
    shift_y: float = 0.0
    zoom: float = 1.0
    crop: float = 0.0
    crop_x: float = 0.0
    crop_y: float = 0.0
    brightness: float = 1.0
    contrast: float = 1.0
    blur: float = 0.0
    noise: float = 0.0
    noise_seed: int = 0

    def is_identity(self) -> bool:
        return self == replace(Augment(), noise_seed=self.noise_seed)

    def changes(self) -> list[str]:
        """The names of the parameters that differ from 'no change'."""
        plain = Augment(noise_seed=self.noise_seed)
        skip = {"noise_seed", "crop_x", "crop_y"}
        return [f.name for f in fields(self) if f.name not in skip and getattr(self, f.name) != getattr(plain, f.name)]


def apply(crop: np.ndarray, aug: Augment) -> np.ndarray:
    """The augmented H×W×3 uint8 image; the same parameters always give the same pixels."""
    import torch
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.v2 import functional as F

    if aug.is_identity():
        return np.array(crop, dtype=np.uint8, copy=True)
    height, width = crop.shape[:2]
    x = torch.from_numpy(np.ascontiguousarray(crop, dtype=np.uint8)).permute(2, 0, 1).contiguous()
    if aug.flip:
        x = F.horizontal_flip(x)
    if aug.crop > 0:
        keep = 1.0 - min(max(aug.crop, 0.0), 0.95)
        ch, cw = max(1, round(height * keep)), max(1, round(width * keep))
        top = round((height - ch) * (min(max(aug.crop_y, -1.0), 1.0) + 1) / 2)
        left = round((width - cw) * (min(max(aug.crop_x, -1.0), 1.0) + 1) / 2)
        x = F.resized_crop(x, top, left, ch, cw, [height, width], interpolation=InterpolationMode.BILINEAR, antialias=True)
    if aug.rotate % 360 != 0 or aug.shift_x or aug.shift_y or aug.zoom != 1.0:
        quarter = aug.rotate % 90 == 0 and not (aug.shift_x or aug.shift_y) and aug.zoom == 1.0 and height == width
        if quarter:  # a quarter turn of a square moves whole pixels: no resampling
            x = torch.rot90(x, int(aug.rotate // 90) % 4, dims=(1, 2))
        else:
            x = F.affine(
                # torchvision's affine turns clockwise for a positive angle; ours (like np.rot90
                # and the slider) turns anticlockwise
                x, angle=-float(aug.rotate), translate=[round(aug.shift_x * width), round(aug.shift_y * height)],
                scale=float(max(aug.zoom, 0.05)), shear=[0.0, 0.0], interpolation=InterpolationMode.BILINEAR, fill=0,
            )
    if aug.brightness != 1.0:
        x = F.adjust_brightness(x, max(float(aug.brightness), 0.0))
    if aug.contrast != 1.0:
        x = F.adjust_contrast(x, max(float(aug.contrast), 0.0))
    if aug.blur > 0:
        kernel = 2 * int(np.ceil(3 * aug.blur)) + 1
        kernel = min(kernel, 2 * (min(height, width) // 2) - 1)
        x = F.gaussian_blur(x, [kernel, kernel], [float(aug.blur), float(aug.blur)])
    out = x.permute(1, 2, 0).numpy()
    if aug.noise > 0:
        rng = np.random.default_rng(aug.noise_seed)
        noisy = out.astype(np.float32) + rng.normal(0.0, float(aug.noise), out.shape).astype(np.float32)
        out = np.clip(np.round(noisy), 0, 255)
    return np.ascontiguousarray(out, dtype=np.uint8)


# The furthest each parameter goes at strength 1 (as in common ImageNet training recipes).
RANGES = {
    "rotate": 30.0,  # degrees either way
    "shift": 0.2,  # of the side
    "zoom": 0.3,  # 1 ± 0.3
    "crop": 0.4,  # up to 40% of each side cut away
    "brightness": 0.5,  # factor 1 ± 0.5
    "contrast": 0.5,
    "blur": 2.0,  # sigma in pixels
    "noise": 25.0,  # std in 0..255 units
}


def random_augment(rng, strength: float = 0.5) -> Augment:
    """One random augmentation; `strength` in [0, 1] scales every range (0 gives no change).

    `rng` is a numpy Generator or a seed: the same seed gives the same augmentation.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    s = float(min(max(strength, 0.0), 1.0))
    u = rng.uniform(-1.0, 1.0, size=8)
    flip = bool(rng.random() < 0.5) and s > 0
    on = rng.random(size=4) < 0.5  # crop, blur and noise are not in every training image
    seed = int(rng.integers(0, 2**31 - 1))
    r = RANGES
    # Rounded to the Augment tab's slider steps, so a strip item opened there is the same image.
    return Augment(
        rotate=float(round(u[0] * r["rotate"] * s)),
        flip=flip,
        shift_x=round(float(u[1] * r["shift"] * s), 2),
        shift_y=round(float(u[2] * r["shift"] * s), 2),
        zoom=round(float(1.0 + u[3] * r["zoom"] * s), 2),
        crop=round(float(abs(u[4]) * r["crop"] * s), 2) if on[0] else 0.0,
        crop_x=round(float(u[5]), 3) if on[0] else 0.0,
        crop_y=round(float(u[6]), 3) if on[0] else 0.0,
        brightness=round(float(1.0 + u[7] * r["brightness"] * s), 2),
        contrast=round(float(1.0 + rng.uniform(-1, 1) * r["contrast"] * s), 2),
        blur=round(float(rng.uniform(0, 1) * r["blur"] * s), 1) if on[1] else 0.0,
        noise=float(round(rng.uniform(0, 1) * r["noise"] * s)) if on[2] else 0.0,
        noise_seed=seed,
    )
