"""Would two live frames in flight at once beat one frame at a time on all the cores?

The live pass (`activations.run_traced`: the traced pass with the recording plan's layers) on a
224 px input, for the bundled model and resnet18 (random weights), three ways:

- sequential, torch on every core (what a bare pass gets, the live benchmark's reference);
- sequential, torch on one thread (what a live frame gets now: the other core draws);
- two Python threads at once, each torch pass on one thread (two frames in flight).

It prints passes per second for each, and `ratio: X`, the bundled model's "two at once" over
"sequential on every core" (above 1: keeping two frames in flight would pay, before any drawing).

    .venv/bin/python benchmarks/parallel_frames.py [--passes 120]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dlviz.core import activations  # noqa: E402
from dlviz.core.models import LoadedModel, discover_layers, load_model  # noqa: E402
from dlviz.core.preprocess import Preprocess  # noqa: E402


def models():
    import torchvision

    yield load_model()
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18().eval()
    yield LoadedModel("resnet18", resnet, Preprocess(), None, "random weights", layers=discover_layers(resnet))


def rate(fn, passes: int) -> float:
    start = time.perf_counter()
    fn(passes)
    return passes / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=120)
    args = parser.parse_args()
    cores = torch.get_num_threads()
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(1, 3, 224, 224)).astype(np.float32))
    ratios = {}
    print(f"{'model':<20} {'all cores':>10} {'one thread':>11} {'two at once':>12}  passes/s ({cores} cores)")
    for loaded in models():
        for _ in range(5):  # the first call eager, the second makes the trace, then warm
            activations.run_traced(loaded, x)

        def passes(count):
            for _ in range(count):
                activations.run_traced(loaded, x)

        def two_at_once(count):
            workers = [threading.Thread(target=passes, args=(count // 2,)) for _ in range(2)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()

        all_cores = rate(passes, args.passes)
        with activations.threads(1):
            one = rate(passes, args.passes)
            both = rate(two_at_once, args.passes)
        ratios[loaded.name] = both / all_cores
        print(f"{loaded.name:<20} {all_cores:10.1f} {one:11.1f} {both:12.1f}  two at once / all cores: {both / all_cores:.2f}")
    print(f"ratio: {next(iter(ratios.values())):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
