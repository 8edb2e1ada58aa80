"""How fast a 100k-point t-SNE or UMAP run stops when asked, at different moments of the run.

    python benchmarks/embedding_cancel.py [--points 100000]

Each run starts in a thread; Stop is asked after 0.3, 1, 2, 4 and 8 s (in the neighbour search,
the similarities, the optimisation), and the time until `embed` raises `Cancelled` is the
latency. It also prints the gaps between partial layouts once the layout forms (the explorer
animates from them). Last line `ratio: X`: the worst latency over the 0.5 s target.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "dlviz" / "numba"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from embedding import clustered  # noqa: E402  (the same data as benchmarks/embedding.py)

MOMENTS = (0.3, 1.0, 2.0, 4.0, 8.0)


def stop_after(x, method, seconds):
    from dlviz.core.embedding import Control, Settings, embed
    from dlviz.core.errors import Cancelled

    class Watch(Control):
        def __init__(self):
            self.asked = None
            self.partials = []
            self.phase = ""

        def report(self, fraction, text="", partial=None):
            self.phase = text
            if partial is not None:
                self.partials.append(time.perf_counter())

        def should_stop(self):
            return self.asked is not None

    watch = Watch()
    outcome = {}

    def work():
        try:
            embed(x, Settings(method=method), watch)
            outcome["end"] = "finished"
        except Cancelled:
            outcome["end"] = "stopped"
        outcome["at"] = time.perf_counter()

    thread = threading.Thread(target=work)
    began = time.perf_counter()
    thread.start()
    thread.join(seconds)
    if not thread.is_alive():
        return None, watch
    watch.asked = time.perf_counter()
    phase = watch.phase
    thread.join()
    return (outcome["at"] - watch.asked, phase, outcome["at"] - began), watch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args(argv)
    from dlviz.core.embedding import warm_up

    warm_up()
    x, _ = clustered(args.points)
    worst = 0.0
    print(f"{'method':<6}{'stop at s':>10}{'latency ms':>12}  during")
    for method in ("umap", "tsne"):
        gaps = []
        for seconds in MOMENTS:
            result, watch = stop_after(x, method, seconds)
            if result is None:
                print(f"{method:<6}{seconds:>10.1f}{'(finished first)':>12}")
                continue
            latency, phase, _ = result
            worst = max(worst, latency)
            print(f"{method:<6}{seconds:>10.1f}{latency * 1000:>12.0f}  {phase}", flush=True)
            forming = np.diff(watch.partials[1:])  # after the PCA start
            gaps.extend(forming.tolist())
        if gaps:
            print(f"{method}: partial layouts every {np.median(gaps) * 1000:.0f} ms (median), "
                  f"{np.max(gaps) * 1000:.0f} ms at most")
    print(f"worst stop latency: {worst * 1000:.0f} ms (target 500 ms)")
    print(f"ratio: {worst / 0.5:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
