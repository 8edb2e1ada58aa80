"""Pan and zoom frame times of the explorer's scatter view at 10k, 100k and 1M points.

Offscreen Qt, a 1200×800 view, clustered 2-D points coloured by cluster. One frame = change the
view range, let Qt run what it queued (the density pass is coalesced on a zero-delay timer) and
paint the viewport synchronously. Averaged over `--frames` pans and as many zooms.
The last line is `ratio: X` = the 1M-point frame time (the slower of pan and zoom) / 33 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

BUDGET_MS = 33.0


def clustered(n: int, seed: int = 0, k: int = 30):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (k, 2))
    group = rng.integers(0, k, n)
    return (centres[group] + rng.normal(0, 1, (n, 2))).astype(np.float32), group


def frame_ms(app, view, ranges) -> float:
    times = []
    for (x0, x1), (y0, y1) in ranges:
        began = time.perf_counter()
        view.box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        app.processEvents()
        view.viewport().repaint()
        times.append(time.perf_counter() - began)
    return 1000.0 * float(np.mean(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from dlviz.gui.explorer.colours import categorical
    from dlviz.gui.explorer.scatter import ScatterView

    rows = []
    for n in args.sizes:
        pos, group = clustered(n)
        view = ScatterView()
        view.resize(1200, 800)
        view.show()
        app.processEvents()
        view.set_points(pos, group.astype(str))
        codes, colours, names = categorical(group.astype(str))
        view.set_colours(codes, colours, legend=names, title="cluster")
        app.processEvents()
        view.viewport().repaint()
        (x0, x1), (y0, y1) = view.box.viewRange()
        w, h = x1 - x0, y1 - y0
        pans = [((x0 + d, x1 + d), (y0 + d / 2, y1 + d / 2)) for d in np.linspace(0.01, 0.3, args.frames) * w]
        zooms = []
        for s in np.geomspace(1.0, 0.05, args.frames):  # zoom in towards the middle, to 20x
            cx, cy = x0 + w / 2, y0 + h / 2
            zooms.append(((cx - s * w / 2, cx + s * w / 2), (cy - s * h / 2, cy + s * h / 2)))
        frame_ms(app, view, pans[:3])  # warm-up
        pan = frame_ms(app, view, pans)
        zoom = frame_ms(app, view, zooms)
        rows.append((n, view.mode, pan, zoom))
        view.close()
        view.deleteLater()
        app.processEvents()

    print(f"{'points':>10}  {'mode':<8}  {'pan ms':>7}  {'zoom ms':>7}")
    for n, mode, pan, zoom in rows:
        print(f"{n:>10,}  {mode:<8}  {pan:>7.1f}  {zoom:>7.1f}")
    largest = max(rows, key=lambda r: r[0])
    print(f"ratio: {max(largest[2], largest[3]) / BUDGET_MS:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
