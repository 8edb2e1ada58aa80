"""Does the GUI thread keep ticking through every long job, and does each job stop at once?

It drives the real windows (offscreen unless QT_QPA_PLATFORM says otherwise) on the bundled photo
and model, with a 10 ms QTimer on the GUI thread that records the time between its ticks: garbage
collections, painting and everything else the GUI thread does count. Per job it prints the
longest gap, the 99th percentile and, for jobs a user can stop, how long after Cancel (the status
bar's button, or the explorer's Stop) the worker was free, and whether that button was shown.

- start-up: from the window's first paint until the first activations are drawn and the layout
  kernels are warm;
- in the toolbox (each runs `--seconds`, then Cancel): Score-CAM, feature visualisation (4000
  steps), pattern mode's feature images of a whole layer, an occlusion map at a 4 px step, Score-CAM glimpses, a top-images scan of 300 images
  of many sizes;
- huge photos: a 9000×9000 PNG and an 8000×6000 JPEG opened twice each, until each is drawn;
- every layer in turn, PgDn every 30 ms from a fresh pass (the layers the pass did not keep are
  computed when first read, on the GUI thread);
- in the explorer: reading a 400k × 50 TSV (170 MB) to the end, then again with Stop after
  `--seconds`; t-SNE and UMAP of 20k and of 100k 50-d points, each run `--seconds`, then Stop.

The generated files are kept in `--data` (default ~/.cache/dlviz-bench) for the next run.
Targets: no gap over 100 ms (p99 under 30 ms), stopped within 500 ms. The last line is
`ratio: X`, the worst longest gap / 100 ms (≤ 1 passes); the stop times are checked beside it.

    .venv/bin/python benchmarks/stalls.py [--seconds 4] [--only tsne,umap] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Fresh caches, so scans really run; but numba's compiled kernels kept, as a user's are after the
# first start (compiling them is a one-time cost, not what a start-up is like).
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "dlviz-bench" / "numba"))
os.environ.setdefault("DLVIZ_HOME", tempfile.mkdtemp(prefix="dlviz-stalls-"))

from dlviz import runtime  # noqa: E402

runtime.prepare()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

SAMPLES = ROOT / "assets" / "samples"
SIDES = (48, 160, 320, 640, 1024, 1600, 2400, 3200)


# --------------------------------------------------------------------------- data, made once


def image_folder(data: Path, count: int = 300) -> Path:
    """`count` images cut from the bundled photos at sides from 48 to 3200 px, as JPEG, PNG and WebP."""
    folder = data / f"images-{count}"
    if folder.is_dir() and len(list(folder.iterdir())) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    photos = [Image.open(p).convert("RGB") for p in sorted(SAMPLES.iterdir())]
    for i in range(count):
        photo = photos[i % len(photos)]
        side = SIDES[i % len(SIDES)]
        scale = side / max(photo.size)
        picture = photo.resize((max(1, round(photo.width * scale)), max(1, round(photo.height * scale))))
        kind = ("jpg", "png", "webp")[i % 3]
        picture.save(folder / f"{i:03d}.{kind}", quality=85)
    return folder


def huge_photos(data: Path) -> list[Path]:
    made = []
    for width, height, kind in ((9000, 9000, "png"), (8000, 6000, "jpg")):
        path = data / f"huge-{width}x{height}.{kind}"
        if not path.exists():
            gradient = np.linspace(0, 255, width, dtype=np.float32)[None, :] * np.ones((height, 1), np.float32)
            rgb = np.stack([gradient, gradient[::-1], np.full_like(gradient, 128)], axis=-1).astype(np.uint8)
            Image.fromarray(rgb).save(path, quality=90)
        made.append(path)
    return made


def vector_file(data: Path, rows: int = 400_000, dims: int = 50) -> Path:
    path = data / f"vectors-{rows}x{dims}.tsv"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    part = path.with_suffix(".part")
    with open(part, "w", encoding="utf-8") as stream:
        for start in range(0, rows, 20_000):
            block = rng.normal(0, 1, (min(20_000, rows - start), dims)).astype(np.float32)
            stream.write("\n".join("\t".join(row) for row in np.char.mod("%.5f", block)) + "\n")
    part.replace(path)
    return path


def clusters(n: int, d: int = 50, k: int = 10):
    from dlviz.core.vectors import make_points

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, (k, d))
    group = rng.integers(0, k, n)
    vectors = (centres[group] + rng.normal(0, 1, (n, d))).astype(np.float32)
    return make_points(vectors, {"group": np.array([f"g{g}" for g in group], object)}, "group", name=f"{n} points")


# --------------------------------------------------------------------------- measuring


class Ticks:
    """A 10 ms timer on the GUI thread; `gaps()` are the times between its ticks, in ms."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def start(self):
        self.times.clear()
        self.timer.start()

    def stop(self) -> tuple[float, float, int]:
        """(longest gap, p99 gap, ticks)."""
        self.timer.stop()
        gaps = sorted((b - a) * 1000 for a, b in zip(self.times, self.times[1:]))
        if not gaps:
            return float("inf"), float("inf"), len(self.times)
        return gaps[-1], gaps[int(0.99 * (len(gaps) - 1))], len(self.times)


def wait(condition, timeout_s: float) -> bool:
    """Run the real event loop until `condition()` holds (checked every 5 ms) or time is up."""
    from dlviz.gui.offscreen import run_until

    return run_until(condition, timeout_s)


class Report:
    def __init__(self):
        self.rows: list[tuple] = []
        print(f"{'job':<28} {'longest gap':>12} {'p99 gap':>8} {'ticks':>6} {'stopped after':>14}  button")

    def add(self, title, gaps, stop_ms=None, shown=None):
        longest, p99, ticks = gaps
        self.rows.append((title, longest, p99, stop_ms, shown))
        stop = "" if stop_ms is None else f"{stop_ms:11.0f} ms"
        button = "" if shown is None else ("shown" if shown else "HIDDEN")
        print(f"{title:<28} {longest:9.0f} ms {p99:5.0f} ms {ticks:6d} {stop:>14}  {button}", flush=True)

    def finish(self) -> float:
        worst = max((row[1] for row in self.rows), default=float("inf"))
        stops = [row[3] for row in self.rows if row[3] is not None]
        hidden = [row[0] for row in self.rows if row[4] is False]
        p99 = max((row[2] for row in self.rows), default=float("inf"))
        print(f"worst p99 gap {p99:.0f} ms (target < 30); slowest stop {max(stops, default=0):.0f} ms (target ≤ 500)"
              + (f"; Cancel hidden during: {', '.join(hidden)}" if hidden else ""))
        return worst / 100


# --------------------------------------------------------------------------- the toolbox


def toolbox(args, data: Path, report: Report, only) -> object:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDockWidget

    from dlviz.gui import loading
    from dlviz.gui.main_window import MainWindow

    folder = tempfile.mkdtemp()
    window = MainWindow(settings=QSettings(str(Path(folder) / "bench.ini"), QSettings.IniFormat))
    window.resize(1600, 1000)
    ticks = Ticks()
    painted = []
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, lambda: painted.append(len(ticks.times)))  # the first turn of the loop: after the first paint
    ticks.start()
    window.show()
    if not wait(lambda: window.session.result is not None, 180):
        print("error: the window did not get ready", file=sys.stderr)
        raise SystemExit(1)
    wait(lambda: loading._warming is None or not loading._warming.is_alive(), 120)
    first = painted[0] if painted else 0
    ticks.times[:] = ticks.times[max(0, first - 1):]
    report.add("start-up after first paint", ticks.stop())
    status = window.status

    def dock(name):
        window.findChild(QDockWidget, f"dock-{name}").raise_()

    def score_cam():
        dock("attention")
        pane = window.attention
        pane.method.setCurrentIndex(pane.method.findData("scorecam"))

    def feature_vis():
        dock("feature vis")
        pane = window.feature_vis
        pane.steps.setValue(4000)
        pane.run.click()

    def feature_images():  # pattern mode's feature images of the default layer (672 units), drawn as they form
        os.environ["DLVIZ_HOME"] = tempfile.mkdtemp(prefix="dlviz-bench-home-")  # an empty cache: every image is made
        window.grid.set_patterns("features")

    def occlusion():
        window.show_view(2)
        pane = window.perturb
        pane.stride.setCurrentIndex(pane.stride.findData(4))
        pane.run_map.click()

    def glimpses():
        window.show_view(1)
        pane = window.glimpse
        pane.method.setCurrentIndex(pane.method.findData("scorecam"))

    def scan():
        window.show_view(0)
        window.top_images.restore({"folder": str(image_folder(data))})
        dock("top images")

    jobs = (("Score-CAM", "scorecam", score_cam), ("feature vis", "featurevis", feature_vis),
            ("pattern mode feature images", "featureimages", feature_images),
            ("occlusion map", "occlusion", occlusion), ("Score-CAM glimpses", "glimpse", glimpses),
            ("top-images scan, 300", "scan", scan))
    for title, kind, start in jobs:
        if only and kind not in only:
            continue
        wait(lambda: not window.runner.is_busy(), 60)
        ticks.start()
        start()
        if not wait(lambda kind=kind: window.runner.running_kind() == kind, 30):
            ticks.stop()
            print(f"{title:<28} did not start")
            report.rows.append((title, float("inf"), float("inf"), None, None))
            continue
        wait(lambda: False, args.seconds)
        shown = status.cancel_button.isVisible()
        cancelled = time.perf_counter()
        status.cancel_button.click()
        wait(lambda kind=kind: window.runner.running_kind() != kind, 30)
        stopped_ms = (time.perf_counter() - cancelled) * 1000
        report.add(title, ticks.stop(), stopped_ms, shown)

    if not only or "huge" in only:
        window.show_view(0)
        for path in huge_photos(data) * 2:
            wait(lambda: not window.runner.is_busy(), 60)
            version = window.session.input_version
            ticks.start()
            window.loader.open_image(str(path))
            wait(lambda version=version: window.session.input_version != version and window.session.result is not None
                 and not window.runner.is_busy(), 120)
            wait(lambda: False, 0.3)  # the paint after the last answer
            report.add(f"open {path.name}", ticks.stop())

    if not only or "layers" in only:  # PgDn through every layer of a fresh pass: those it did not keep are computed when read
        from dlviz import paths

        window.show_view(0)
        version = window.session.input_version
        window.loader.open_image(str(paths.default_image()))
        wait(lambda: window.session.input_version != version and window.session.result is not None
             and not window.runner.is_busy(), 120)
        ticks.start()
        for _ in window.session.model.layers:
            window.session.step_layer(1)
            wait(lambda: False, 0.03)  # a held key repeats about this fast
        report.add("every layer in turn (PgDn)", ticks.stop())
    return window


# --------------------------------------------------------------------------- the explorer


def explorer(args, data: Path, report: Report, window, only) -> None:
    from dlviz.gui.explorer.window import EmbeddingWindow

    explorer = EmbeddingWindow(window.session.model, cache_dir=Path(tempfile.mkdtemp()))
    explorer.resize(1400, 900)
    explorer.show()
    wait(lambda: not explorer.runner.is_busy(), 120)  # its own warm-up
    if not only or "file" in only:
        path = vector_file(data)
        ticks = Ticks()
        ticks.start()
        explorer.load_vector_file(str(path))
        began = time.perf_counter()
        wait(lambda: not explorer.runner.is_busy(), 300)
        wait(lambda: False, 0.3)
        seconds = time.perf_counter() - began
        read = explorer.points is not None and len(explorer.points) == 400_000
        report.add(f"read 400k-row TSV ({seconds:.1f} s)" if read else "read 400k-row TSV: FAILED", ticks.stop())
        ticks.start()
        explorer.load_vector_file(str(path))
        wait(lambda: False, min(args.seconds, seconds / 2))
        shown = explorer.stop_button.isEnabled() and explorer.stop_button.isVisible()
        stopped = time.perf_counter()
        explorer.stop_button.click()
        wait(lambda: explorer.runner.running_kind() != "source", 30)
        report.add("read 400k-row TSV, Stop", ticks.stop(), (time.perf_counter() - stopped) * 1000, shown)
    for n in (20_000, 100_000):
        for method in ("tsne", "umap"):
            if only and method not in only:
                continue
            wait(lambda: not explorer.runner.is_busy(), 60)
            explorer.set_points(clusters(n))
            explorer.method.setCurrentIndex(explorer.method.findData(method))
            ticks = Ticks()
            ticks.start()
            explorer.run()
            wait(lambda: explorer.runner.running_kind() == "embed", 30)
            wait(lambda: explorer.runner.running_kind() != "embed", args.seconds)
            title = f"{method} of {n // 1000}k points"
            if explorer.runner.running_kind() != "embed":  # done before its time was up: nothing to stop
                report.add(title + " (finished)", ticks.stop())
                continue
            shown = explorer.stop_button.isEnabled() and explorer.stop_button.isVisible()
            stopped = time.perf_counter()
            explorer.stop_button.click()
            wait(lambda: explorer.runner.running_kind() != "embed", 60)
            report.add(title, ticks.stop(), (time.perf_counter() - stopped) * 1000, shown)
    explorer.shutdown()
    explorer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="how long each job runs before Cancel or Stop")
    parser.add_argument("--only", default="", help="comma-separated: cam, featurevis, featureimages, occlusion, glimpse, scan, "
                                                   "huge, layers, file, tsne, umap (start-up always runs)")
    parser.add_argument("--data", type=Path, default=Path.home() / ".cache" / "dlviz-bench")
    args = parser.parse_args()
    only = {word.strip() for word in args.only.split(",") if word.strip()}
    args.data.mkdir(parents=True, exist_ok=True)
    for make, wanted in ((image_folder, "scan"), (huge_photos, "huge"), (vector_file, "file")):
        if not only or wanted in only:
            make(args.data)  # before the clock starts

    from dlviz.gui.launch import application

    from dlviz.gui.collector import Collector

    app = application()
    Collector(app).start()  # as the app does (launch.run): collections between events
    print(f"each job {args.seconds:g} s, then Cancel/Stop; {os.cpu_count()} CPUs, Qt platform {app.platformName()}")
    report = Report()
    window = toolbox(args, args.data, report, only)
    if not only or only & {"file", "tsne", "umap"}:
        explorer(args, args.data, report, window, only)
    window.close()
    print(f"ratio: {report.finish():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
