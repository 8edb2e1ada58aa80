"""Feature visualisation: does the optimised image beat real photos, is any live unit called dead,
and how much faster per unit is a whole layer in batches than one unit at a time.

For the bundled EfficientNet-Lite0 on the CPU, three layers (early, the default, late):

- ratio: a sampled unit's mean activation on its feature image (default settings: 128 px, 256
  steps) over its best mean activation on the bundled photos as the model sees them (224 px
  crops). Per layer the median, the smallest, and how many units that fire on a photo stay
  below 1.0; a constant unit (its input channel dead, only a bias left) is 1.0 on every image;
- wrongly dead: units called dead that fire on a photo (target 0);
- speed: seconds per unit for pattern mode's settings (`dlviz.core.featurevis.PATTERN`), one unit
  at a time against `PATTERN_BATCH` units in one optimisation (target: batched at least 4× faster),
  and the Feature vis tab's single unit at its default settings for comparison.

The last line is `ratio: X`, the smallest of the three layers' median activation ratios
(target ≥ 1.5).

    .venv/bin/python benchmarks/featurevis.py [--units 16] [--steps 256] [--speed-units 32] [--start noise]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dlviz import paths  # noqa: E402
from dlviz.core import featurevis as fv  # noqa: E402
from dlviz.core.images import load_image  # noqa: E402
from dlviz.core.models import load_model  # noqa: E402

LAYERS = ("blocks.2.1.bn2.act", None, "blocks.6.0.bn2.act")  # None: the model's default layer


def photo_best(loaded, layer: str) -> np.ndarray:
    """Each unit's best mean activation over the bundled photos, preprocessed as the app does."""
    caught = {}
    handle = loaded.model.get_submodule(layer).register_forward_hook(lambda m, a, out: caught.__setitem__("out", out))
    try:
        with torch.no_grad():
            loaded.model(torch.cat([loaded.preprocess.to_tensor(load_image(p)) for p in paths.sample_images()]))
    finally:
        handle.remove()
    return caught["out"].flatten(2).mean(2).max(0).values.numpy()


def quality(loaded, layer: str, count: int, steps: int, start: str) -> dict:
    best = photo_best(loaded, layer)
    units = sorted(int(u) for u in np.random.default_rng(0).choice(len(best), count, replace=False))
    results = fv.visualise_layer(loaded, layer, units, fv.Settings(steps=steps, start=start), batch=count)
    ratios, weak, wrongly_dead, restarted, constant = [], [], [], 0, []
    for r in results:
        fires = best[r.unit] > 0
        if r.constant:  # the same value on every image: nothing can do better than 1.0
            constant.append(r.unit)
        if fires:
            ratio = r.activation / best[r.unit]
            ratios.append(ratio)
            if ratio < 1.0:
                weak.append(r.unit)
        if r.dead and fires:
            wrongly_dead.append(r.unit)
        restarted += r.start != "noise"
    return {"layer": layer, "units": len(units), "firing": len(ratios), "median": statistics.median(ratios),
            "min": min(ratios), "weak": weak, "wrongly_dead": wrongly_dead, "restarted": restarted, "constant": constant}


def speed(loaded, layer: str, count: int) -> dict:
    units = list(range(count))
    settings = fv.Settings(**fv.PATTERN)
    fv.visualise_layer(loaded, layer, units[:2], fv.Settings(**{**fv.PATTERN, "steps": 4}), batch=2)  # warm-up
    singles = []
    for unit in units[:4]:
        start = time.perf_counter()
        fv.visualise(loaded, layer, unit, settings)
        singles.append(time.perf_counter() - start)
    start = time.perf_counter()
    fv.visualise_layer(loaded, layer, units, settings, batch=fv.PATTERN_BATCH)
    batched = (time.perf_counter() - start) / count
    start = time.perf_counter()
    fv.visualise(loaded, layer, 0, fv.Settings())
    tab = time.perf_counter() - start
    return {"single": statistics.median(singles), "batched": batched, "tab": tab}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=16, help="units sampled per layer for the ratio")
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--speed-units", type=int, default=fv.PATTERN_BATCH)
    parser.add_argument("--start", choices=fv.STARTS[:2], default="auto",
                        help="'noise' measures feature vis without the photo restart")
    args = parser.parse_args()
    loaded = load_model()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {loaded.name}; "
          f"{args.units} units per layer, {args.steps} steps at 128 px, start '{args.start}'")
    medians = []
    for layer in LAYERS:
        row = quality(loaded, layer or loaded.start_layer, args.units, args.steps, args.start)
        medians.append(row["median"])
        print(f"{row['layer']:20s} median ratio {row['median']:5.2f}  smallest {row['min']:5.2f}  "
              f"fire on a photo {row['firing']}/{row['units']}  below 1.0 {row['weak'] or 'none'}  "
              f"wrongly dead {row['wrongly_dead'] or 'none'}  started again from a photo {row['restarted']}  "
              f"constant (no image moves them) {row['constant'] or 'none'}", flush=True)
    pattern = ", ".join(f"{k} {v}" for k, v in fv.PATTERN.items())
    times = speed(loaded, loaded.start_layer, args.speed_units)
    print(f"pattern mode ({pattern}): {times['single']:.2f} s per unit one at a time, "
          f"{times['batched']:.2f} s per unit in batches of {fv.PATTERN_BATCH}: "
          f"{times['single'] / times['batched']:.1f}× faster batched")
    print(f"the Feature vis tab's defaults (128 px, 256 steps): {times['tab']:.2f} s for one unit")
    print(f"ratio: {min(medians):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
