"""Does refocusing help? Top-1 agreement on small, off-centre photos, before and after glimpses.

The set: each of the 6 bundled photos, shrunk so its longer side is `scale` × the canvas's shorter
side (scales 0.25, 0.4, 0.6) and pasted at 5 places (the four corners, 4% in from the edges, and
off centre at (62%, 30%)) on a 1200×900 mid-grey canvas: 90 images. The label of each is the
bundled model's top-1 class on the clean photo (its usual preprocess), so "clean" agrees 100%.
On each composed image it measures agreement with that label for:

- full canvas: the whole canvas letterboxed into the input (what the first glimpse looks at);
- centre crop: the model's usual preprocess (shorter side to 256, centre 224);
- glimpse 1, 2, 3: `dlviz.core.glimpse.glimpses(k=3)` with its defaults (the first box on the
  whole image's activity map at 2x the input, the later ones on each crop's class map at 1x), the
  prediction on the last crop taken so far (a run that stops early keeps its last crop);
- class maps: every box on a class map at the input size, the first one included (the default
  until 7 Dec 2026);
- class maps at 2x: the same with every map computed on the view cut at twice the input size
  (`dlviz attend --first-map class --map-scale 2`);
- oracle box: the very region of the photo the clean label was read from (its centre crop), cut
  from the canvas: what a perfect box gives (the pasted photo has fewer pixels than the clean one,
  so this is the ceiling, below 100%).

Agreement counts the clean top-1 as the top-1 of each view, and, more leniently, as one of its top 5
(the bundled photos are ambiguous even clean: tiger cat / Egyptian cat, palace / bell cote). It also
prints the mean IoU of the first glimpse's box with the pasted rectangle.

Then fovea updates per second: `Fovea(crop).render(fixation)` + normalise + forward of the bundled
model at its input size (224 px), over 100 random fixations (what the GUI does on a drag).

The last line is `ratio: X`, the share of what shrinking lost that three glimpses (`dlviz attend`'s
default) recover: (glimpse-3 top-1 agreement − full canvas) / (clean − full canvas), clean = 1.
1.0 = all of it; "the crop should recover most of what shrinking lost": target ≥ 0.5.

    .venv/bin/python benchmarks/attention_crop.py [--method gradcam] [--mode threshold]
        [--level 0.7] [--margin 0] [--class-policy top|full] [--background grey|noise]
        [--stop-ratio 0.9] [--no-fovea]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from dlviz.core import glimpse as gl  # noqa: E402
from dlviz.core.activations import run  # noqa: E402
from dlviz.core.images import load_image  # noqa: E402
from dlviz.core.models import load_model  # noqa: E402

SAMPLES = ROOT / "assets" / "samples"
CANVAS = (1200, 900)
SCALES = (0.25, 0.4, 0.6)
PLACES = ((0.04, 0.04), (0.96, 0.04), (0.04, 0.96), (0.96, 0.96), (0.62, 0.30))


def background(kind: str, seed: int = 0) -> np.ndarray:
    width, height = CANVAS
    if kind == "grey":
        return np.full((height, width, 3), 128, np.uint8)
    rng = np.random.default_rng(seed)  # blocky colour noise: clutter with no object in it
    blocks = rng.integers(40, 216, (height // 30 + 1, width // 30 + 1, 3), dtype=np.uint8)
    return np.array(Image.fromarray(blocks).resize((width, height), Image.Resampling.BILINEAR))


def compose(photo: np.ndarray, scale: float, place: tuple[float, float], canvas: np.ndarray):
    """The photo shrunk to `scale` × the canvas's shorter side (its longer side), pasted with its
    centre at `place` (fractions, kept inside the canvas). Returns (image, paste box)."""
    height, width = canvas.shape[:2]
    ph, pw = photo.shape[:2]
    factor = scale * min(width, height) / max(pw, ph)
    w, h = round(pw * factor), round(ph * factor)
    small = np.asarray(Image.fromarray(photo).resize((w, h), Image.Resampling.LANCZOS))
    x = int(np.clip(round(place[0] * width - w / 2), 0, width - w))
    y = int(np.clip(round(place[1] * height - h / 2), 0, height - h))
    out = canvas.copy()
    out[y:y + h, x:x + w] = small
    return out, (x, y, x + w, y + h)


def top1(loaded, crop: np.ndarray) -> int:
    return int(np.argmax(run(loaded, loaded.preprocess.normalise(crop), layers=[]).probs))


def iou(box, target) -> float:
    ix = max(0.0, min(box[2], target[2]) - max(box[0], target[0]))
    iy = max(0.0, min(box[3], target[3]) - max(box[1], target[1]))
    inter = ix * iy
    return inter / ((box[2] - box[0]) * (box[3] - box[1]) + (target[2] - target[0]) * (target[3] - target[1]) - inter)


# Each chain of looks: its row prefix, what it prints, and the glimpses() options it differs by.
CHAINS = (
    ("glimpse", "glimpse {k}", {}),
    ("class", "glimpse {k}, class maps", {"first_map": "class", "map_scale": 1}),
    ("fine", "glimpse {k}, class maps at 2x", {"first_map": "class", "map_scale": 2}),
)
NAMES = ("full canvas", "centre crop", *(f"{prefix} {k}" for prefix, _, _ in CHAINS for k in (1, 2, 3)), "oracle box")


def agreement(args, loaded) -> tuple[dict, dict, dict]:
    """Top-1 and top-5 agreement per condition, and the mean IoU of each first box with the paste."""
    settings = gl.BoxSettings(mode=args.mode, level=args.level, margin=args.margin)
    size = loaded.preprocess.crop
    fill = gl.fill_colour(loaded.preprocess)
    canvas = background(args.background)
    top1_hits = dict.fromkeys(NAMES, 0)
    top5_hits = dict.fromkeys(NAMES, 0)
    ious = {f"{prefix} 1": [] for prefix, _, _ in CHAINS}
    count = 0
    start = time.perf_counter()
    for path in sorted(SAMPLES.iterdir()):
        photo = load_image(path)
        label = top1(loaded, loaded.preprocess.crop_rgb(photo))
        ph, pw = photo.shape[:2]
        clean_box = loaded.preprocess.crop_box(pw, ph)
        row = dict.fromkeys(NAMES, 0)
        for scale in SCALES:
            for place in PLACES:
                image, pasted = compose(photo, scale, place, canvas)
                height, width = image.shape[:2]
                tops = {}
                for prefix, _, options in CHAINS:
                    full, steps = gl.glimpses(loaded, image, 3, method=args.method, settings=settings,
                                              stop_ratio=args.stop_ratio, **options)
                    if args.class_policy == "full":
                        full, steps = gl.glimpses(loaded, image, 3, method=args.method, settings=settings,
                                                  class_index=full.cam_class, stop_ratio=args.stop_ratio, **options)
                    seen = [full, *steps]
                    for k in (1, 2, 3):
                        tops[f"{prefix} {k}"] = [i for i, _ in seen[min(k, len(seen) - 1)].top]
                    ious[f"{prefix} 1"].append(iou(seen[1].box, pasted) if steps else 0.0)
                tops["full canvas"] = [i for i, _ in full.top]
                centre = run(loaded, loaded.preprocess.to_tensor(image), layers=[])
                tops["centre crop"] = [i for i, _ in centre.top(5)]
                # the region of the paste the clean label was read from, cut from the canvas
                factor = (pasted[2] - pasted[0]) / pw
                oracle = tuple(pasted[i % 2] + clean_box[i] * factor for i in range(4))
                crop = gl.crop_original(image, oracle, size, fill=fill, resample=loaded.preprocess.interpolation)
                tops["oracle box"] = [i for i, _ in run(loaded, loaded.preprocess.normalise(crop), layers=[]).top(5)]
                for name in NAMES:
                    row[name] += tops[name][0] == label
                    top1_hits[name] += tops[name][0] == label
                    top5_hits[name] += label in tops[name]
                count += 1
        per = len(SCALES) * len(PLACES)
        print(f"{path.name:<14} {loaded.label(label):<16} " + " ".join(f"{row[n]:2d}/{per}" for n in NAMES))
    print(f"({count} images in {time.perf_counter() - start:.0f} s)")
    return ({n: top1_hits[n] / count for n in NAMES}, {n: top5_hits[n] / count for n in NAMES},
            {n: float(np.mean(v)) for n, v in ious.items()})


def fovea_rate(loaded, fixations: int = 100) -> tuple[float, float]:
    crop = loaded.preprocess.crop_rgb(load_image(SAMPLES / "chelsea.png"))
    fovea = gl.Fovea(crop)
    rng = np.random.default_rng(0)
    points = rng.uniform(0, crop.shape[1], (fixations, 2))
    for point in points[:5]:  # warm-up
        run(loaded, loaded.preprocess.normalise(fovea.render(point)), layers=[])
    render_ms = 0.0
    start = time.perf_counter()
    for point in points:
        t = time.perf_counter()
        image = fovea.render(point)
        render_ms += (time.perf_counter() - t) * 1000
        run(loaded, loaded.preprocess.normalise(image), layers=[])
    elapsed = time.perf_counter() - start
    return fixations / elapsed, render_ms / fixations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="gradcam")
    parser.add_argument("--mode", default=gl.BoxSettings.mode, choices=gl.BOX_MODES)
    parser.add_argument("--level", type=float, default=gl.BoxSettings.level)
    parser.add_argument("--margin", type=float, default=gl.BoxSettings.margin)
    parser.add_argument("--class-policy", default="top", choices=("top", "full"),
                        help="top: each view's own top-1 class places its box; full: the full view's top-1 throughout")
    parser.add_argument("--background", default="grey", choices=("grey", "noise"))
    parser.add_argument("--no-fovea", action="store_true")
    parser.add_argument("--stop-ratio", type=float, default=0.9,
                        help="a glimpse is taken only while its box keeps less than this share of the last one's area")
    args = parser.parse_args()

    loaded = load_model()
    print(f"{loaded.name}, {args.method}, box {args.mode} level {args.level} margin {args.margin}, "
          f"class policy {args.class_policy}, {args.background} canvas {CANVAS[0]}×{CANVAS[1]}, "
          f"stop ratio {args.stop_ratio}")
    print(f"{'photo':<14} {'clean top-1':<16} full  centr g1    g2    g3    cls1  cls2  cls3  fine1 fine2 fine3 oracle")
    rates, rates5, ious = agreement(args, loaded)
    print()
    print(f"{'agreement with the clean top-1':<32} {'top-1':>7} {'in top-5':>9}")
    print(f"{'clean photo':<32} {1:7.1%} {1:9.1%}")
    texts = {f"{prefix} {k}": text.format(k=k) for prefix, text, _ in CHAINS for k in (1, 2, 3)}
    for name in NAMES:
        print(f"{texts.get(name, name):<32} {rates[name]:7.1%} {rates5[name]:9.1%}")
    print(f"first box IoU with the paste: {ious['glimpse 1']:.2f} (class maps: {ious['class 1']:.2f}, "
          f"at 2x: {ious['fine 1']:.2f})")
    if not args.no_fovea:
        per_second, render_ms = fovea_rate(loaded)
        print(f"fovea: {per_second:.1f} updates/s (render {render_ms:.1f} ms + normalise + forward, 224 px)")
    lost = 1.0 - rates["full canvas"]
    def recovered(row):
        return (rates[row] - rates["full canvas"]) / lost if lost > 0 else 1.0

    for prefix, what in (("glimpse", "the glimpses recover"), ("class", "class maps recover"),
                         ("fine", "class maps at 2x recover")):
        print(f"of what shrinking lost, {what} "
              + ", ".join(f"{recovered(f'{prefix} {k}'):.0%} with {k}" for k in (1, 2, 3)))
    print(f"(a perfect box: {recovered('oracle box'):.0%})")
    print(f"ratio: {recovered('glimpse 3'):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
