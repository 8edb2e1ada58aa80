"""dlviz's t-SNE and UMAP against scikit-learn's TSNE, openTSNE and umap-learn, on the same data.

    python benchmarks/embedding.py            # digits, 20k and 100k points (about 25 minutes)
    python benchmarks/embedding.py --quick    # digits and 20k only
    python benchmarks/embedding.py --sizes 20000 --skip sklearn

For every method and data set it prints the wall time, the time to the first layout a view can
show (dlviz reports its PCA start at once; the others show nothing until they finish),
trustworthiness (k=5, on the same random 5,000 points for every method) and 10-NN accuracy of
the cluster labels in the layout (5-fold). The last line is `ratio: X`, dlviz's default
method's time over the fastest peer's at 20k points; below 0.5 is the target (twice as fast),
as long as its trustworthiness and accuracy are within 0.01 of that peer's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "dlviz" / "numba"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

THREADS = os.cpu_count() or 1


def clustered(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """50-d points in 30 overlapping Gaussian clusters of unequal size and spread."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (30, 50))
    sizes = rng.dirichlet(np.full(30, 2.0))
    label = rng.choice(30, n, p=sizes)
    spread = rng.uniform(3.0, 7.0, 30)[label, None]
    return (centres[label] + rng.normal(size=(n, 50)) * spread).astype(np.float32), label


def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x.astype(np.float32), y


def quality(x, layout, labels, seed=0) -> tuple[float, float]:
    from sklearn.manifold import trustworthiness
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(seed)
    some = rng.choice(len(x), min(len(x), 5000), replace=False)
    trust = trustworthiness(x[some], layout[some], n_neighbors=5)
    accuracy = cross_val_score(KNeighborsClassifier(10), layout, labels, cv=5).mean()
    return float(trust), float(accuracy)


# ---------------------------------------------------------------------------------------- methods
def dlviz_method(method):
    def run(x):
        from dlviz.core.embedding import Control, Settings, embed

        class First(Control):
            first = None

            def report(self, fraction, text="", partial=None):
                if partial is not None and self.first is None:
                    self.first = time.perf_counter()

        control = First()
        began = time.perf_counter()
        layout = embed(x, Settings(method=method), control)
        return layout, control.first - began

    return run


def sklearn_tsne(x):
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, init="pca", n_jobs=THREADS, random_state=0).fit_transform(x), None


def opentsne(x):
    import openTSNE

    return np.asarray(openTSNE.TSNE(n_jobs=THREADS, random_state=0).fit(x)), None


def umap_learn(x):
    import umap

    return umap.UMAP(n_jobs=THREADS).fit_transform(x), None


METHODS = {
    "dlviz umap": dlviz_method("umap"),
    "dlviz tsne": dlviz_method("tsne"),
    "sklearn tsne": sklearn_tsne,
    "opentsne": opentsne,
    "umap-learn": umap_learn,
}
PEERS = ("sklearn tsne", "opentsne", "umap-learn")


def warm_up() -> None:
    """Compile what numba compiles once (ours and umap-learn's), so no timing includes it."""
    import umap

    from dlviz.core.embedding import warm_up as ours

    ours()
    # 5,000 points: below 4,096 umap-learn measures all distances and never compiles NN-descent,
    # which a first 20k run would then pay for (some 20 s here)
    x = np.random.default_rng(0).normal(size=(5000, 10)).astype(np.float32)
    umap.UMAP(n_epochs=20).fit_transform(x)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits and 20k points only")
    parser.add_argument("--sizes", type=int, nargs="*", help="clustered set sizes (default 20000 100000)")
    parser.add_argument("--skip", nargs="*", default=[], help="methods to leave out, e.g. sklearn")
    parser.add_argument("--slow-limit", type=int, default=50_000,
                        help="leave scikit-learn's TSNE out above this many points (about 15 min at 100k here)")
    args = parser.parse_args(argv)
    from dlviz.core.embedding import DEFAULT_METHOD

    sizes = args.sizes if args.sizes is not None else ([20000] if args.quick else [20000, 100000])
    print(f"warming up numba (ours and umap-learn's) ... ", end="", flush=True)
    began = time.perf_counter()
    warm_up()
    print(f"{time.perf_counter() - began:.1f} s")
    sets = [("digits", *digits())] + [(f"clustered {n // 1000}k", *clustered(n)) for n in sizes]
    print(f"{'data':<16}{'method':<14}{'time s':>9}{'first s':>9}{'trust':>8}{'10-NN':>8}")
    results: dict[tuple[str, str], tuple[float, float, float]] = {}
    for name, x, labels in sets:
        for method, run in METHODS.items():
            if any(word in method for word in args.skip):
                continue
            if method == "sklearn tsne" and len(x) > args.slow_limit:
                print(f"{name:<16}{method:<14}{'skipped (--slow-limit)':>34}")
                continue
            began = time.perf_counter()
            layout, first = run(x)
            elapsed = time.perf_counter() - began
            trust, accuracy = quality(x, np.asarray(layout, dtype=np.float32), labels)
            results[name, method] = (elapsed, trust, accuracy)
            shown = f"{first:.2f}" if first is not None else f"{elapsed:.2f}"
            print(f"{name:<16}{method:<14}{elapsed:>9.2f}{shown:>9}{trust:>8.3f}{accuracy:>8.3f}", flush=True)
    target = "clustered 20k" if any(n == 20000 for n in sizes) else sets[-1][0]
    ours = results.get((target, f"dlviz {DEFAULT_METHOD}"))
    peers = {m: results[target, m] for m in PEERS if (target, m) in results}
    if not ours or not peers:
        print("ratio: nan")
        return 1
    fastest = min(peers, key=lambda m: peers[m][0])
    time_peer, trust_peer, acc_peer = peers[fastest]
    print(f"{target}: dlviz {DEFAULT_METHOD} {ours[0]:.2f} s (trust {ours[1]:.3f}, 10-NN {ours[2]:.3f}); "
          f"fastest peer {fastest} {time_peer:.2f} s (trust {trust_peer:.3f}, 10-NN {acc_peer:.3f}); "
          f"quality within 0.01: {ours[1] >= trust_peer - 0.01 and ours[2] >= acc_peer - 0.01}")
    print(f"ratio: {ours[0] / time_peer:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
