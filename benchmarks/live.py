"""How fast live input goes through the real window, against the model's bare speed.

Plays the bundled sample video (assets/video/tour.mp4) through the toolbox window (offscreen
unless QT_QPA_PLATFORM says otherwise) with the bundled EfficientNet-Lite0 and with resnet18
(random weights: nothing is downloaded). For each model it prints, side by side:

- bare forward passes per second (the model alone on a 224 px input, no hooks, no window);
- frames on screen per second, with the video sped up so that frames come half again as fast as
  the bare model could take them: every frame shown went through the model, landed in the session
  and was drawn. (Offered at eight times its speed, 160 frames a second, the video's decoder spent
  a tenth of a core on frames nobody would see: with resnet18 the window showed 27.3 frames a
  second instead of 30.7. A camera offers 30 or 60.);
- their ratio (target ≥ 0.8);
- the bare model on the threads a live frame gets (all cores but one, which the GUI thread needs
  to draw), and the ratio to that: what the live path itself costs, apart from the core it gives up;
- frames dropped (newer frames took their place before the model was free);
- capture to screen: from the frame leaving the decoder to its activations set in the window,
  median, at the video's own rate (target ≤ 2 frame times of the video);
- the longest GUI-thread stall (a 10 ms QTimer; target ≤ 50 ms);
- backprop pictures drawn per second (the default layout: the backward pass that follows the
  frames; a job replaced at every frame once drew almost none);
- how much of the time the workers spent on live frames (summed: two frames in flight can make
  it more than 1), and a live frame's median time there (against the bare pass: what sharing two
  cores with the drawing and the decoder costs it).

`--lanes 1|2` sets how many frames may be in flight at once (the window's own choice: two on two
cores or more, docs/decisions/0010).

Two layouts are measured: "grid" (the grid, unit, predictions and input panes follow the frames;
the explanation tabs show Feature vis, which waits for a click) and "default" (the Backprop tab in
front, so a backward pass follows every frame too).

The last line is `ratio: X`, the worse model's ratio in the grid layout.

With `--soak MINUTES` it instead plays the sample video (looping, the default layout, the bundled
model) for that long and prints how much the process grew after the first minute (target: under
50 MB in ten minutes); the last line is then `ratio: X` = growth / 50 MB.

    .venv/bin/python benchmarks/live.py [--seconds 8] [--lanes 1|2]
    .venv/bin/python benchmarks/live.py --soak 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("DLVIZ_HOME", tempfile.mkdtemp(prefix="dlviz-live-"))
os.environ.setdefault("DLVIZ_WARM_UP", "0")  # the explorer's kernels are not what this measures

from dlviz import runtime  # noqa: E402

runtime.prepare()

from stalls import Ticks, wait  # noqa: E402

OFFERED = 1.5  # frames offered in the throughput run, against the bare model's rate


def speed_up(bare: float, rate: float) -> float:
    """How much faster than its own rate the video plays to offer OFFERED times `bare` frames a
    second (at least its own rate)."""
    return max(1.0, OFFERED * bare / rate)


def bare_fps(window, loaded, repeats: int = 40, threads: int | None = None) -> float:
    """The model alone, on the window's worker thread, where live frames go through it, on all of
    torch's threads or on `threads`. (Timed on the GUI thread instead, it ran 2.3 times slower: a
    second thread running torch gets its own OpenMP team, and libgomp then stops spinning between
    operations.)"""
    from dlviz.core import activations
    from dlviz.work import kinds

    def job(state):
        import torch

        x = torch.zeros(1, 3, loaded.preprocess.crop, loaded.preprocess.crop)
        times = []
        with torch.no_grad(), activations.threads(threads):
            for _ in range(5):
                loaded.model(x)
            for _ in range(repeats):
                start = time.perf_counter()
                loaded.model(x)
                times.append(time.perf_counter() - start)
        return 1.0 / statistics.median(times)

    answer = []
    window.runner.submit(kinds.FORWARD, job, done=answer.append)
    wait(lambda: bool(answer), 120)
    return answer[0]


def resnet18_random():
    import torchvision

    from dlviz.core.models import LoadedModel, default_layer, discover_layers, move
    from dlviz.core.preprocess import Preprocess
    from dlviz.paths import imagenet_classes

    net = torchvision.models.resnet18().eval()  # random weights: nothing is downloaded
    loaded = LoadedModel("resnet18", net, Preprocess(), imagenet_classes(), "random weights")
    loaded.layers = discover_layers(net, 224)
    loaded.start_layer = default_layer(loaded.layers)
    move(loaded, "cpu")  # as the window loads a model (its weights' layout: devices.lay_out)
    return loaded


def play(window, seconds: float, speed: float) -> dict:
    """Play the sample video at `speed` for `seconds` (after one second to settle); the figures."""
    from dlviz import paths
    from dlviz.core.frames import VideoFile
    from dlviz.work import kinds, toolbox

    one_frame = toolbox.live_frame
    spans = []  # when the worker ran each frame through the model

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return one_frame(*args, **kwargs)
        finally:
            spans.append((start, time.perf_counter()))

    toolbox.live_frame = timed

    live = window.live
    live.speed = speed
    live.play(VideoFile(paths.sample_video()), "video", paths.sample_video())
    wait(lambda: live.shown is not None, 30)
    wait(lambda: False, 1.0)
    shown_before, dropped_before = len(live.latencies), live.dropped
    live.latencies = type(live.latencies)(maxlen=100_000)
    ticks = Ticks()
    shown = []
    count = lambda: shown.append(time.perf_counter())  # noqa: E731
    window.session.forward_changed.connect(count)
    pictures = []
    drawn = lambda kind, result: kind == kinds.BACKPROP and pictures.append(time.perf_counter())  # noqa: E731
    window.runner.finished.connect(drawn)
    ticks.start()
    start = time.perf_counter()
    wait(lambda: False, seconds)
    elapsed = time.perf_counter() - start
    longest, p99, _ = ticks.stop()
    window.session.forward_changed.disconnect(count)
    window.runner.finished.disconnect(drawn)
    dropped = live.dropped - dropped_before
    latencies = sorted(live.latencies)
    live.stop(quietly=True)
    toolbox.live_frame = one_frame
    del shown_before
    inside = [(a, b) for a, b in spans if a >= start]
    busy = sum(b - a for a, b in inside) / elapsed
    model_ms = 1000 * statistics.median(b - a for a, b in inside) if inside else float("nan")
    return {"fps": len(shown) / elapsed, "backprop": len([t for t in pictures if t <= start + elapsed]) / elapsed, "dropped": dropped, "frames": len(shown), "busy": busy, "model_ms": model_ms,
            "latency_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
            "stall_ms": longest, "p99_ms": p99}


def rss_mb() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(window, minutes: float) -> int:
    """The sample video, looping, for `minutes`: memory after the first minute and at the end."""
    from dlviz.core.frames import VideoFile
    from dlviz import paths

    layout(window, "default")
    live = window.live
    live.play(VideoFile(paths.sample_video()), "video", paths.sample_video())
    start = time.perf_counter()
    wait(lambda: False, 60)
    first = rss_mb()
    shown = [0]
    count = lambda: shown.__setitem__(0, shown[0] + 1)  # noqa: E731
    window.session.forward_changed.connect(count)
    print(f"after 1 min: {first:.0f} MB", flush=True)
    while time.perf_counter() - start < minutes * 60:
        wait(lambda: False, 60)
        print(f"after {(time.perf_counter() - start) / 60:.0f} min: {rss_mb():.0f} MB, {shown[0]} frames shown since minute 1",
              flush=True)
    grown = rss_mb() - first
    live.stop(quietly=True)
    window.close()
    print(f"grew {grown:.1f} MB after the first minute in {minutes:g} min (target < 50 MB)")
    print(f"ratio: {grown / 50:.2f}")
    return 0


def layout(window, name: str) -> None:
    front = {"grid": "dock-feature vis", "default": "dock-backprop"}[name]
    for dock in window.explain:
        if dock.objectName() == front:
            dock.raise_()


def open_window():
    """The toolbox window as the app makes it (with its collector), 1600×1000, shown, on the
    bundled model and the sample photo; None (and a line on stderr) if it did not get ready."""
    from PySide6.QtCore import QSettings

    from dlviz.gui import launch
    from dlviz.gui.collector import Collector
    from dlviz.gui.main_window import MainWindow

    Collector(launch.application()).start()  # as the app does (launch.run): collections between events
    window = MainWindow(settings=QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.IniFormat))
    window.resize(1600, 1000)
    window.show()
    if not wait(lambda: window.session.result is not None, 180):
        print("error: the window did not get ready", file=sys.stderr)
        return None
    return window


def each_model(window):
    """The bundled model, then resnet18 (random weights), each in the window and the worker idle."""
    from dlviz.work import kinds

    made = []
    window.runner.submit(kinds.FORWARD, lambda state: resnet18_random(), done=made.append)  # torch stays on the worker
    wait(lambda: bool(made), 120)
    for loaded in (window.session.model, made[0]):
        if loaded is not window.session.model:
            window.session.set_model(loaded)
            wait(lambda: False, 0.5)
        wait(lambda: not window.runner.is_busy(), 60)
        yield loaded


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds each run plays (default 8)")
    parser.add_argument("--soak", type=float, metavar="MINUTES", help="play this long and report memory growth instead")
    parser.add_argument("--lanes", type=int, choices=(1, 2),
                        help="live frames in flight at most (default: the window's own, 2 on two cores or more)")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from dlviz.core.frames import VideoFile
    from dlviz import paths

    window = open_window()
    if window is None:
        return 1
    if args.lanes:
        window.live.max_lanes = args.lanes
    lanes = window.live.max_lanes
    if args.soak:
        return soak(window, args.soak)
    rate = VideoFile(paths.sample_video()).rate
    print(f"sample video {rate:g} frames a second; {args.seconds:g} s a run; window 1600×1000 offscreen; "
          f"at most {lanes} frame{'s' if lanes > 1 else ''} in flight; frames offered at {OFFERED:g}× the bare rate")
    from dlviz.gui.lanes import leave_a_core

    print(f"{'model':<20} {'layout':<8} {'bare fps':>8} {'offered':>7} {'shown fps':>9} {'ratio':>6} "
          f"{f'bare {leave_a_core()}t':>8} {'ratio':>6} {'dropped':>8} "
          f"{'latency (1×)':>13} {'frames':>7} {'GUI stall':>10} {'p99':>6} {'backprop/s':>10} {'worker busy':>11} {'frame ms':>8}")
    ratios = []
    for loaded in each_model(window):
        bare = bare_fps(window, loaded)
        bare_live = bare_fps(window, loaded, threads=leave_a_core())
        for name in ("grid", "default"):
            layout(window, name)
            fast = play(window, args.seconds, speed_up(bare, rate))
            real = play(window, args.seconds, 1.0)
            ratio = fast["fps"] / bare
            if name == "grid":
                ratios.append(ratio)
            frames = real["latency_ms"] / (1000 / rate)
            stall = max(fast["stall_ms"], real["stall_ms"])
            p99 = max(fast["p99_ms"], real["p99_ms"])
            print(f"{loaded.name:<20} {name:<8} {bare:8.1f} {speed_up(bare, rate) * rate:7.0f} {fast['fps']:9.1f} {ratio:6.2f} "
                  f"{bare_live:8.1f} {fast['fps'] / bare_live:6.2f} {fast['dropped']:8d} "
                  f"{real['latency_ms']:7.0f} ms {frames:3.1f}f {real['frames']:7d} {stall:7.0f} ms {p99:3.0f} ms "
                  f"{fast['backprop']:10.1f} {fast['busy']:11.2f} {fast['model_ms']:8.1f}",
                  flush=True)
    window.close()
    QApplication.processEvents()
    print("targets: ratio ≥ 0.8, latency ≤ 2 frame times, GUI stall ≤ 50 ms")
    print(f"ratio: {min(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
