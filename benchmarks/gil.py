"""How much a forward pass on the worker slows down while another thread runs Python.

Live, a frame goes through the model on the worker thread while the GUI thread draws the frame
before it, and much of that drawing is Python (pyqtgraph, the panes). An eager PyTorch pass goes
back to Python between its operations, and each time it must wait for the interpreter lock
(Python hands it over every `sys.getswitchinterval()`, 5 ms by default). This prints, for the
bundled EfficientNet-Lite0 on one thread with every layer recorded (what a live frame does):

- the pass alone;
- the same pass beside a thread that runs pure Python, at switch intervals of 5, 1 and 0.2 ms;
- the traced pass live frames go through (`dlviz.core.activations.run_traced`: a TorchScript
  trace of the same recording pass), alone and beside the busy thread; its operations run
  without going back to Python.

The last line is `ratio: X`, the eager pass beside the busy thread (5 ms) over the pass alone.

    .venv/bin/python benchmarks/gil.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlviz import runtime  # noqa: E402

runtime.prepare()


def median_ms(fn, repeats: int) -> float:
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


@contextmanager
def python_busy(switch_s: float):
    """Another thread running pure Python (as the GUI thread does while it draws)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(switch_s)
    stop = threading.Event()

    def spin():
        total = 0
        while not stop.is_set():
            for k in range(2000):
                total += k

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(before)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="passes timed per figure (default 10)")
    args = parser.parse_args(argv)

    import torch

    from dlviz.core import activations, models

    loaded = models.load_bundled()
    if not loaded.layers:
        loaded.layers = models.discover_layers(loaded.model, loaded.preprocess.crop)
    names = loaded.layer_names
    x = torch.randn(1, 3, loaded.preprocess.crop, loaded.preprocess.crop)

    torch.set_num_threads(1)  # a live frame's pass on two cores: one core is left for drawing
    eager = lambda: activations.run(loaded, x)  # noqa: E731
    scripted = lambda: activations.run_traced(loaded, x)  # noqa: E731 (what live frames go through)
    scripted()
    scripted()  # the trace is made at the second call
    if not [entry for entry in loaded.traced.values() if isinstance(entry, tuple)]:
        print("error: the bundled model's pass could not be traced", file=sys.stderr)
        return 1

    rows = [("eager, alone", median_ms(eager, args.repeats))]
    for switch_ms in (5.0, 1.0, 0.2):
        with python_busy(switch_ms / 1000):
            rows.append((f"eager, beside Python ({switch_ms:g} ms switch)", median_ms(eager, max(3, args.repeats // 2))))
    rows.append(("traced, alone", median_ms(scripted, args.repeats)))
    with python_busy(0.005):
        rows.append(("traced, beside Python (5 ms switch)", median_ms(scripted, max(3, args.repeats // 2))))
    print(f"{loaded.name}, {len(names)} layers recorded, one torch thread")
    for label, ms in rows:
        print(f"{label:<40} {ms:8.1f} ms  ×{ms / rows[0][1]:.1f}")
    print(f"ratio: {rows[1][1] / rows[0][1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
