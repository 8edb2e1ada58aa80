"""How much dlviz adds on top of a bare forward pass, on the CPU at 224 px.

For each model (resnet18 with random weights, the bundled EfficientNet-Lite0) two things are timed,
alternately, in the same process:

- bare:  `with torch.inference_mode(): model(x)` on the already preprocessed 1×3×224×224 tensor;
- dlviz: what the app does from the image array to the first grid: `jobs.forward` (crop, normalise,
         forward with every layer recorded, the layer on screen copied to numpy) plus that layer's
         mosaic as the grid draws it (colour-table indices; the colours are applied while drawing).

Every layer is recorded: the pass keeps some and the others are computed again from those when
read (activations.Plan). So changing layer is timed too: reading each layer for the first time
from a fresh pass, as the window does when the user picks it, to numpy (median and worst).

The last line is `ratio: X`, the worse of the two models' median dlviz / median bare; target ≤ 1.15.

    .venv/bin/python benchmarks/activations.py [--repeats 30] [--warmup 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from dlviz.work import toolbox as jobs  # noqa: E402
from dlviz.core.images import load_image  # noqa: E402
from dlviz.core.memory import tune_allocator  # noqa: E402
from dlviz.core.models import LoadedModel, default_layer, discover_layers, load_model  # noqa: E402
from dlviz.core.mosaic import mosaic_index  # noqa: E402
from dlviz.core.preprocess import Preprocess  # noqa: E402

TARGET = 1.15
IMAGE = ROOT / "assets" / "samples" / "chelsea.png"


def resnet18_random() -> LoadedModel:
    import torchvision

    net = torchvision.models.resnet18()  # random weights: nothing is downloaded
    loaded = LoadedModel("resnet18", net.eval(), Preprocess(), None, "random weights")
    loaded.layers = discover_layers(net, 224)
    loaded.start_layer = default_layer(loaded.layers)
    return loaded


def bare(loaded: LoadedModel, x: torch.Tensor) -> float:
    start = time.perf_counter()
    with torch.inference_mode():
        loaded.model(x)
    return (time.perf_counter() - start) * 1000


def dlviz(loaded: LoadedModel, rgb) -> float:
    """Image array to every layer recorded and the start layer's mosaic ready, as the app does it."""
    start = time.perf_counter()
    result = jobs.forward(None, loaded, rgb, layer=loaded.start_layer)  # as the window asks, for the layer on screen
    mosaic_index(result.forward.activations[loaded.start_layer], 0.0, 1.0)  # what the grid draws
    return (time.perf_counter() - start) * 1000


def measure(loaded: LoadedModel, rgb, repeats: int, warmup: int) -> dict:
    x = loaded.preprocess.to_tensor(rgb)
    for _ in range(warmup):
        bare(loaded, x)
        dlviz(loaded, rgb)
    bare_ms, dlviz_ms = [], []
    for i in range(repeats):
        # Alternate which goes first, so neither always runs on a cache warmed by the other.
        if i % 2 == 0:
            bare_ms.append(bare(loaded, x))
            dlviz_ms.append(dlviz(loaded, rgb))
        else:
            dlviz_ms.append(dlviz(loaded, rgb))
            bare_ms.append(bare(loaded, x))
    kept = jobs.forward(None, loaded, rgb, layer=loaded.start_layer).forward.activations.kept
    return {
        "bare": statistics.median(bare_ms),
        "dlviz": statistics.median(dlviz_ms),
        "bare_min": min(bare_ms),
        "dlviz_min": min(dlviz_ms),
        "layers": len(loaded.layers),
        "kept": len(kept),
        "reads": layer_changes(loaded, rgb),
    }


def layer_changes(loaded: LoadedModel, rgb) -> list[tuple[float, str]]:
    """(ms, layer) for reading each layer first from a fresh pass, slowest last."""
    reads = []
    for name in loaded.layer_names:
        result = jobs.forward(None, loaded, rgb, layer=loaded.start_layer)
        start = time.perf_counter()
        result.forward.activations[name]
        reads.append(((time.perf_counter() - start) * 1000, name))
    return sorted(reads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed repetitions of each measurement (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed repetitions first (default 5)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be at least 1 and --warmup at least 0")

    tuned = tune_allocator()  # as the app does before its first model loads
    rgb = load_image(IMAGE)
    print(f"allocator tuned for activation buffers: {'yes' if tuned else 'no (not glibc)'}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU, 224 px, image {IMAGE.name} "
          f"{rgb.shape[1]}×{rgb.shape[0]}; {args.warmup} warm-up + {args.repeats} alternating repetitions")
    models = [("resnet18 (random weights)", resnet18_random), ("efficientnet_lite0 (bundled)", lambda: load_model(device="cpu"))]
    ratios = []
    for title, build in models:
        loaded = build()
        r = measure(loaded, rgb, args.repeats, args.warmup)
        ratio = r["dlviz"] / r["bare"]
        ratios.append(ratio)
        print()
        print(f"{title}: {r['layers']} layers recorded ({r['kept']} kept by the pass), start layer {loaded.start_layer}")
        print(f"  {'':<34}{'median ms':>10}{'min ms':>9}")
        print(f"  {'bare forward (inference_mode)':<34}{r['bare']:>10.1f}{r['bare_min']:>9.1f}")
        print(f"  {'dlviz (image -> layers + mosaic)':<34}{r['dlviz']:>10.1f}{r['dlviz_min']:>9.1f}")
        print(f"  {'ratio dlviz / bare':<34}{ratio:>10.2f}")
        reads = r["reads"]
        print(f"  changing layer (first read, to numpy): median {reads[len(reads) // 2][0]:.2f} ms, "
              f"worst {reads[-1][0]:.1f} ms ({reads[-1][1]}); no new pass")
    print()
    print(f"target: ratio <= {TARGET:.2f} for each model")
    print(f"ratio: {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
