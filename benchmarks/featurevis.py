"""Feature visualisation speed: optimisation steps per second, against a bare forward+backward.

For the bundled EfficientNet-Lite0 and resnet18 (random weights), at 128 px on the CPU:

- bare:  one forward+backward of a 1×3×128×128 input to the input's gradient, the target being a
         channel's mean at the model's start layer (the pass runs the whole model);
- step:  one `featurevis` optimisation step with the default settings (Fourier + decorrelated
         colour, jitter/scale/rotation; redirected ReLU gradients), measured as a whole run of
         --steps steps divided by the steps, so set-up and the final evaluation are included.

The last line is `ratio: X`, seconds per step / seconds per bare forward+backward, for the bundled
model. A step can be cheaper than a full pass because the forward stops at the target layer.

    .venv/bin/python benchmarks/featurevis.py [--steps 64] [--repeats 3]
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

from dlviz.core import featurevis as fv  # noqa: E402
from dlviz.core.models import LoadedModel, load_model  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from activations import resnet18_random  # noqa: E402  (the same random-weight resnet18)

SIZE = 128


def bare_step(loaded: LoadedModel, layer: str, x: torch.Tensor) -> float:
    """Seconds of one full forward+backward to the input, the objective being one channel's mean."""
    module = loaded.model.get_submodule(layer)
    caught = {}
    handle = module.register_forward_hook(lambda m, a, out: caught.__setitem__("out", out))
    try:
        start = time.perf_counter()
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            loaded.model(x)
            (grad,) = torch.autograd.grad(caught["out"][:, 0].mean(), [x])
        return time.perf_counter() - start
    finally:
        handle.remove()


def measure(loaded: LoadedModel, steps: int, repeats: int) -> dict:
    layer = loaded.start_layer
    settings = fv.Settings(steps=steps, size=SIZE)
    x = torch.rand(1, 3, SIZE, SIZE)
    fv.visualise(loaded, layer, 0, fv.Settings(steps=3, size=SIZE))  # warm-up
    for _ in range(3):
        bare_step(loaded, layer, x)
    per_step, bare = [], []
    for r in range(repeats):
        result = fv.visualise(loaded, layer, r, settings)
        per_step.append(result.seconds / result.steps_done)
        bare.append(statistics.median(bare_step(loaded, layer, x) for _ in range(10)))
    step_s, bare_s = statistics.median(per_step), statistics.median(bare)
    batch = fv.visualise_layer(loaded, layer, range(8), fv.Settings(steps=steps // 2, size=SIZE), batch=8)
    batch_s = batch[0].seconds / batch[0].steps_done / 8
    return {"layer": layer, "step": step_s, "bare": bare_s, "batch8": batch_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {SIZE} px, {args.steps} steps × {args.repeats}")
    rows = {}
    for name, make in (("efficientnet_lite0 (bundled)", load_model), ("resnet18 (random)", resnet18_random)):
        m = measure(make(), args.steps, args.repeats)
        rows[name] = m
        print(
            f"{name:<30} layer {m['layer']:<18} {1 / m['step']:6.1f} steps/s "
            f"({m['step'] * 1000:6.1f} ms/step; bare fwd+bwd {m['bare'] * 1000:6.1f} ms; "
            f"batch of 8: {m['batch8'] * 1000:6.1f} ms/unit-step)  step/bare {m['step'] / m['bare']:.2f}"
        )
    bundled = rows["efficientnet_lite0 (bundled)"]
    print(f"ratio: {bundled['step'] / bundled['bare']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
