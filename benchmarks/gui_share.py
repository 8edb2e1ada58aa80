"""Where a live frame's CPU time goes: the GUI thread's share of each frame shown.

Plays the bundled sample video through the toolbox window (offscreen, grid layout: the grid, unit,
predictions and input panes follow the frames) with the bundled model and resnet18 (random
weights), offered at 1.5 times the bare rate as `live.py` does, and reads the threads' CPU time
from /proc (Linux) before and after. For each run it prints frames shown a second and, per frame
shown: the GUI thread's CPU time, all threads' together, and the model's pass alone on one thread.

On two cores, two lanes of one thread each run side by side about as fast as one pass on both, so
frames shown against bare passes is at most p / (p + g), p the pass on one thread and g all the
other work of a frame (docs/decisions/0010): 0.8 needs g under a quarter of p. The last line is
`ratio: X`, the worse model's GUI time a frame against that quarter (the other work around the
pass, in the worker and the decoder, comes on top: X ≤ 1.00 is needed, not enough).

    .venv/bin/python benchmarks/gui_share.py [--seconds 6] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import live  # noqa: E402  (sets up the path, the offscreen platform and the runtime)
from stalls import wait  # noqa: E402


def cpu_seconds(tid: int | str) -> float:
    """User and system CPU time of one thread of this process."""
    with open(f"/proc/self/task/{tid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def all_threads() -> float:
    total = 0.0
    for tid in os.listdir("/proc/self/task"):
        try:
            total += cpu_seconds(tid)
        except OSError:  # a thread that ended meanwhile
            pass
    return total


def play(window, seconds: float, speed: float) -> tuple[float, float, int]:
    """Play the sample video at `speed`; after a second to settle, for `seconds`: (the GUI
    thread's CPU seconds, all threads', frames shown)."""
    from dlviz import paths
    from dlviz.core.frames import VideoFile

    feed = window.live
    feed.speed = speed
    feed.play(VideoFile(paths.sample_video()), "video", paths.sample_video())
    wait(lambda: feed.shown is not None, 30)
    wait(lambda: False, 1.0)
    shown = []
    count = lambda: shown.append(1)  # noqa: E731
    window.session.forward_changed.connect(count)
    mine, every = cpu_seconds(os.getpid()), all_threads()
    wait(lambda: False, seconds)
    mine, every = cpu_seconds(os.getpid()) - mine, all_threads() - every
    window.session.forward_changed.disconnect(count)
    feed.stop(quietly=True)
    return mine, every, len(shown)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds each run plays (default 6)")
    parser.add_argument("--runs", type=int, default=2, help="runs per model (default 2)")
    args = parser.parse_args(argv)
    if not os.path.isdir("/proc/self/task"):
        print("error: this benchmark reads the threads' CPU time from /proc (Linux only)", file=sys.stderr)
        return 2

    from dlviz import paths
    from dlviz.core.frames import VideoFile

    window = live.open_window()
    if window is None:
        return 1
    live.layout(window, "grid")
    rate = VideoFile(paths.sample_video()).rate
    print(f"{'model':<20} {'shown fps':>9} {'GUI ms':>7} {'all ms':>7} {'pass 1t ms':>10}  (CPU a frame shown)")
    ratios = []
    for loaded in live.each_model(window):
        one_thread = 1000 / live.bare_fps(window, loaded, threads=1)
        speed = live.speed_up(live.bare_fps(window, loaded), rate)
        gui = []
        for _ in range(args.runs):
            wait(lambda: False, 0.5)
            mine, every, frames = play(window, args.seconds, speed)
            gui.append(1000 * mine / max(1, frames))
            print(f"{loaded.name:<20} {frames / args.seconds:9.1f} {gui[-1]:7.2f} {1000 * every / max(1, frames):7.1f} "
                  f"{one_thread:10.1f}", flush=True)
        ratios.append(min(gui) / (one_thread / 4))
    window.close()
    print(f"ratio: {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
