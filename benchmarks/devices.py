"""The jobs that wait on the model, on every device present (the CPU, and CUDA or Apple MPS where
there is one), with the bundled EfficientNet-Lite0 at 224 px.

Per device:

- bare forward: `with torch.inference_mode(): model(x)` on a tensor already on the device;
- record-all: what the window does from the image array to the first grid (crop, normalise,
  forward with every layer recorded, the layer on screen to numpy, its mosaic);
- Score-CAM: one class attention map at the default layer (1280 channels: 40 batches of masks);
- feature vis: one unit of the start layer, 256 steps at 128 px;
- features: the explorer's folder features, per image, over the bundled photos (each read from
  disk, no cache).

The GPU's work is waited for before each clock is read. The last line is `ratio: X`, record-all /
bare on the fastest device (the lowest bare time).

    .venv/bin/python benchmarks/devices.py [--repeats 20] [--only cpu|cuda|mps] [--quick]

`--quick` leaves out Score-CAM and feature vis (a minute or more on a laptop CPU).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from dlviz import paths  # noqa: E402
from dlviz.core import devices  # noqa: E402
from dlviz.core.images import load_image  # noqa: E402
from dlviz.core.memory import tune_allocator  # noqa: E402
from dlviz.core.models import load_model  # noqa: E402
from dlviz.core.mosaic import mosaic_index  # noqa: E402
from dlviz.work import toolbox as jobs  # noqa: E402

IMAGE = ROOT / "assets" / "samples" / "chelsea.png"


def timed(device, work, repeats: int) -> float:
    """The median ms of `work()`, the device's queue emptied before each clock reading."""
    times = []
    for _ in range(repeats):
        devices.synchronise(device)
        start = time.perf_counter()
        work()
        devices.synchronise(device)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(kind: str, rgb, repeats: int, quick: bool) -> dict:
    from dlviz.core import attribution, featurevis, features

    loaded = load_model(device=kind)
    device = loaded.device
    x = loaded.put(loaded.preprocess.to_tensor(rgb))

    def bare():
        with torch.inference_mode():
            loaded.model(x)

    def record_all():
        result = jobs.forward(None, loaded, rgb, layer=loaded.start_layer)
        mosaic_index(result.forward.activations[loaded.start_layer], 0.0, 1.0)

    for _ in range(5):  # warm-up: kernel choices, the recording plan, a CUDA context
        bare()
        record_all()
    out = {"device": devices.describe(device), "bare": timed(device, bare, repeats),
           "record": timed(device, record_all, repeats)}
    out["ratio"] = out["record"] / out["bare"]
    if not quick:
        layer = attribution.default_cam_layer(loaded)
        out["scorecam"] = timed(device, lambda: attribution.cam(loaded.model, x, layer, 282, "scorecam"), 1) / 1000
        settings = featurevis.Settings()
        out["featurevis"] = timed(device, lambda: featurevis.visualise(loaded, loaded.start_layer, 7, settings), 1) / 1000
    folder = paths.sample_images()[0].parent
    count = len(paths.sample_images())
    with tempfile.TemporaryDirectory() as cache:
        work = lambda: features.folder_features(loaded, folder, cache_dir=Path(cache) / str(time.perf_counter()))  # noqa: E731
        out["features"] = timed(device, work, max(1, repeats // 5)) / count
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed repetitions of the passes (default 20)")
    parser.add_argument("--only", choices=devices.KINDS, help="one device kind only")
    parser.add_argument("--quick", action="store_true", help="leave out Score-CAM and feature vis")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    tune_allocator()
    kinds = [kind for kind in devices.present() if args.only in (None, kind)]
    if not kinds:
        print(f"error: there is no working {devices.TITLES[args.only]} device here", file=sys.stderr)
        return 2
    rgb = load_image(IMAGE)
    absent = [devices.TITLES[k] for k in devices.KINDS if k not in devices.present()]
    print(f"torch {torch.__version__}; devices here: {', '.join(devices.TITLES[k] for k in kinds)}"
          + (f" (none: {', '.join(absent)})" if absent else ""))
    rows = []
    for kind in kinds:
        r = measure(kind, rgb, args.repeats, args.quick)
        rows.append(r)
        print()
        print(r["device"])
        print(f"  {'bare forward':<36}{r['bare']:>9.2f} ms")
        print(f"  {'record-all (image to grid)':<36}{r['record']:>9.2f} ms   ({r['ratio']:.2f}× bare)")
        if "scorecam" in r:
            print(f"  {'Score-CAM (1280 channels)':<36}{r['scorecam']:>9.2f} s")
            print(f"  {'feature vis, one unit':<36}{r['featurevis']:>9.2f} s")
        print(f"  {'folder features, per image':<36}{r['features']:>9.2f} ms")
    fastest = min(rows, key=lambda r: r["bare"])
    print()
    print(f"fastest device: {fastest['device']}")
    print(f"ratio: {fastest['ratio']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
