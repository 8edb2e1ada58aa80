"""`dlviz --self-test`: prove an installation works, headless, and say what failed if not.

Used by CI on the frozen bundle: loads the bundled model, predicts on a bundled photo, records
every layer, draws every pane offscreen and runs a tiny t-SNE and UMAP (the libraries the
embedding explorer needs). Prints one line per check and exits 0 only if all passed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from dlviz import paths, runtime


def _checks():
    state: dict = {}

    def assets():
        samples = paths.sample_images()
        classes = paths.imagenet_classes()
        assert len(samples) >= 6, f"only {len(samples)} sample photos in {paths.asset('samples')}"
        assert len(classes) == 1000, f"{len(classes)} ImageNet class names"
        return f"{len(samples)} photos, {len(classes)} class names"

    def torch_ops():
        import torch
        import torchvision

        boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
        kept = torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
        assert kept.tolist() == [0, 2], f"nms kept {kept.tolist()}"
        return f"torch {torch.__version__}, torchvision {torchvision.__version__}"

    def model():
        from dlviz.core.devices import describe
        from dlviz.core.models import load_model

        state["model"] = loaded = load_model()
        note = f" ({loaded.device_note})" if loaded.device_note else ""
        return f"{loaded.name}: {len(loaded.layers)} layers, opens on {loaded.start_layer}, on {describe(loaded.device)}{note}"

    def predict():
        from dlviz.core.activations import run
        from dlviz.core.images import load_image

        loaded = state["model"]
        rgb = load_image(paths.asset("samples", "chelsea.png"))
        forward = state["forward"] = run(loaded, loaded.preprocess.to_tensor(rgb))
        top = [loaded.label(i) for i, _ in forward.top(3)]
        assert top[0] in ("tiger cat", "Egyptian cat", "tabby"), f"the cat photo was called {top}"
        return ", ".join(top)

    def activations():
        import numpy as np

        from dlviz.core.mosaic import mosaic

        forward, loaded = state["forward"], state["model"]
        missing = [name for name in loaded.layer_names if name not in forward.activations]
        assert not missing, f"{len(missing)} layers not recorded, e.g. {missing[0]}"
        bad = [name for name in loaded.layer_names if not np.isfinite(forward.activations[name]).all()]
        assert not bad, f"non-finite values in {bad[0]}"
        for name in loaded.layer_names:
            mosaic(forward.activations[name])
        return f"{len(loaded.layer_names)} layers recorded and tiled"

    def panes():
        from PIL import Image

        from dlviz.gui.offscreen import take_screenshot

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "panes.png"
            problem = take_screenshot(paths.default_image(), out, (1280, 800), timeout_s=120)
            assert problem is None, problem
            with Image.open(out) as image:
                colours = len(image.convert("RGB").getcolors(1 << 20) or [])
                size = image.size
        assert colours > 500, f"the window looks blank ({colours} colours)"
        return f"window {size[0]}×{size[1]} drawn offscreen, {colours} colours"

    def embeddings():
        import numpy as np

        from dlviz.core.embedding import Settings, embed, warm_up

        warm_up()  # the numba kernels: compiled into NUMBA_CACHE_DIR the first time
        rng = np.random.default_rng(0)
        points = np.concatenate([rng.normal(0, 1, (40, 8)), rng.normal(6, 1, (40, 8))]).astype(np.float32)
        tsne = embed(points, Settings(method="tsne", perplexity=10, iterations=250))
        layout = embed(points, Settings(method="umap", n_neighbors=8, iterations=100))
        for name, xy in (("t-SNE", tsne), ("UMAP", layout)):
            gap = np.linalg.norm(xy[:40].mean(0) - xy[40:].mean(0))
            spread = max(xy[:40].std(), xy[40:].std())
            assert gap > spread, f"{name} did not separate two clear clusters"
        return "tiny t-SNE and UMAP separate two clusters"

    def live():
        from dlviz.core.frames import VideoFile
        from dlviz.core.recording import VideoWriter
        from dlviz.gui.camera import cameras

        video = VideoFile(paths.sample_video())
        frames = [video.read() for _ in range(5)]
        video.close()
        assert all(frame is not None for frame in frames), "the sample video gave fewer than 5 frames"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "check.mp4"
            with VideoWriter(out, video.rate) as writer:
                for frame in frames:
                    writer.write(frame.rgb)
            assert VideoFile(out).count == 5, "an H.264 recording did not read back"
        from PySide6.QtWidgets import QApplication

        QApplication.instance() or QApplication([])
        found = len(cameras())  # QtMultimedia loads (its FFmpeg and sound libraries)
        return f"sample video decoded, H.264 written, QtMultimedia loaded ({found} camera{'s' * (found != 1)})"

    return [
        ("assets", assets),
        ("torch and torchvision kernels", torch_ops),
        ("bundled model", model),
        ("prediction", predict),
        ("activations", activations),
        ("window panes", panes),
        ("embeddings", embeddings),
        ("live input", live),
    ]


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    runtime.prepare()
    out = sys.stdout if sys.stdout is not None else open(os.devnull, "w")
    failures = []
    for name, check in _checks():
        start = time.perf_counter()
        try:
            detail = check()
        except Exception as exc:  # every failure is reported, then the rest still run where they can
            detail = f"{type(exc).__name__}: {exc}".strip()
            failures.append((name, detail, traceback.format_exc()))
            status = "FAIL"
        else:
            status = "ok  "
        print(f"{status} {name:<30} {(time.perf_counter() - start) * 1000:8.0f} ms  {detail}", file=out, flush=True)
    if failures:
        for name, detail, trace in failures:
            print(f"\n--- {name} ---\n{trace}", file=sys.stderr)
        print(f"self-test FAILED: {len(failures)} of {len(_checks())} checks ({failures[0][0]}: {failures[0][1]})", file=out)
        return 1
    print(f"self-test passed: {len(_checks())} checks", file=out)
    return 0
