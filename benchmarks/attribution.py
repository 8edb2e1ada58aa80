"""What each attribution method costs next to one bare forward + backward pass, on the CPU at 224 px.

For resnet18 (random weights) and the bundled EfficientNet-Lite0, in one process:

- bare: `logits = model(x)` with x requiring grad, then `torch.autograd.grad(logits[0, c], x)`:
        one forward and one backward to the input (no weight gradients), nothing of dlviz;
- each CAM method at the default CAM layer (Score-CAM once: it runs one forward per channel);
- each backprop method for a unit of the default CAM layer (SmoothGrad with 16 samples).

Times are medians over `--repeats` runs, alternated with the bare pass so load drifts hit both.
The last line is `ratio: X`, the worse model's Grad-CAM / bare; target ≤ 1.3.
Feature-visualisation steps per second: see benchmarks/featurevis.py.

    .venv/bin/python benchmarks/attribution.py [--repeats 10] [--no-scorecam]
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

from dlviz.core import attribution  # noqa: E402
from dlviz.core.images import load_image  # noqa: E402
from dlviz.core.models import LoadedModel, discover_layers, load_model  # noqa: E402
from dlviz.core.preprocess import Preprocess  # noqa: E402

TARGET = 1.3
IMAGE = ROOT / "assets" / "samples" / "chelsea.png"


def resnet18_random() -> LoadedModel:
    import torchvision

    net = torchvision.models.resnet18(weights=None).eval()
    loaded = LoadedModel("resnet18", net, Preprocess(), None, "random weights")
    loaded.layers = discover_layers(net, 224)
    return loaded


def bare(model, x, c) -> float:
    start = time.perf_counter()
    x_in = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x_in)
        torch.autograd.grad(logits[0, c], x_in)
    return (time.perf_counter() - start) * 1000


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bench(loaded: LoadedModel, repeats: int, scorecam: bool) -> float:
    model = loaded.model
    x = loaded.preprocess.to_tensor(load_image(IMAGE))
    with torch.no_grad():
        c = int(model(x).argmax())
    layer = attribution.default_cam_layer(loaded)
    cases = {f"cam {m}": (lambda m=m: attribution.cam(model, x, layer, c, m)) for m in attribution.CAM_METHODS if m != "scorecam"}
    cases.update({f"backprop {m} ({layer}, unit 0)": (lambda m=m: attribution.backprop(model, x, layer, 0, m)) for m in attribution.METHODS})
    cases["backprop guided (output)"] = lambda: attribution.backprop(model, x, None, c, "guided")
    for fn in [lambda: bare(model, x, c), *cases.values()]:  # warm-up
        fn()
    base, times = [], {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            base.append(bare(model, x, c))
            times[name].append(timed(fn) if not name.startswith("backprop smoothgrad") or len(times[name]) < 2 else times[name][-1])
    b = statistics.median(base)
    print(f"\n{loaded.name} at 224, CAM layer {layer}, class {c}")
    print(f"  {'bare forward+backward':<40} {b:9.1f} ms   1.00")
    for name, values in times.items():
        t = statistics.median(values)
        print(f"  {name:<40} {t:9.1f} ms  {t / b:5.2f}")
    if scorecam:
        t = timed(lambda: attribution.cam(model, x, layer, c, "scorecam"))
        print(f"  {'cam scorecam (once)':<40} {t:9.1f} ms  {t / b:5.2f}")
    return statistics.median(times["cam gradcam"]) / b


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-scorecam", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; smoothgrad timed on 2 runs (16 samples)")
    ratios = [bench(loaded, args.repeats, not args.no_scorecam) for loaded in (resnet18_random(), load_model())]
    print("\nfeaturevis: see benchmarks/featurevis.py")
    worst = max(ratios)
    print(f"Grad-CAM / bare forward+backward, worse model: {worst:.2f} (target ≤ {TARGET})")
    print(f"ratio: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
