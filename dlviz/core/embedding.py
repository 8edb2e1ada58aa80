"""Vectors in, a 2-D or 3-D layout out: PCA, t-SNE and UMAP, with progress, partial layouts,
pause and cancel. No Qt here; the GUI, the CLI and the tests all call `embed`.

A `Control` is how a caller watches and steers a run: `report(fraction, text, partial)` receives
progress and, every ~100 ms while the layout optimises, a copy of the current layout;
`should_stop()` returning true ends the run with `Cancelled`; `paused()` returning true holds the
run between iterations until it returns false again (or the run is stopped).
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from dlviz import runtime
from dlviz.core import catalogue
from dlviz.core.errors import EmbeddingError
from dlviz.core.progress import Progress, Stage, given
from dlviz.core.wording import how_many

METHODS = tuple(catalogue.EMBED_METHODS)
DEFAULT_METHOD = catalogue.default(catalogue.EMBED_METHODS)
METRICS = ("euclidean", "cosine")


@dataclass(frozen=True)
class Settings:
    method: str = DEFAULT_METHOD
    dims: int = 2
    seed: int = 0
    reproducible: bool = False  # same seed, same layout; single-threaded where a library needs it
    metric: str = "euclidean"  # of the original space: "euclidean" or "cosine"
    init: str = "pca"  # "pca" or "random"
    # t-SNE
    perplexity: float = 30.0
    learning_rate: float | None = None  # None: n / exaggeration (the "auto" rule)
    exaggeration: float = 12.0
    iterations: int | None = None  # None: 750 for t-SNE; for UMAP 500 up to 10k points, else 150
    # UMAP
    n_neighbors: int = 15
    min_dist: float = 0.1
    device: str = "cpu"  # where the nearest neighbours are searched: "cuda" or the CPU (core.neighbours)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


class Control(Progress):
    """A run's link to its caller: a Progress (partial layouts come with the reports) that can
    also hold the run between iterations. The default neither reports, stops nor pauses."""

    def paused(self) -> bool:
        return False


def embed(vectors: np.ndarray, settings: Settings = Settings(), control: Control | None = None) -> np.ndarray:
    """The layout of `vectors` (n × d) as float32 (n × settings.dims).

    PCA is one step. t-SNE and UMAP first find each point's nearest neighbours (exactly below
    `EXACT_LIMIT` points, else through an inverted-file index), then optimise the layout from a
    PCA start; the PCA start is reported at once, so a view has a first picture within a second.
    """
    control = control or Control()
    if settings.method not in METHODS:
        raise EmbeddingError(f"Unknown method {settings.method!r}; choose one of {', '.join(METHODS)}.")
    if settings.metric not in METRICS:
        raise EmbeddingError(f"Unknown metric {settings.metric!r}; choose euclidean or cosine.")
    x = _checked(vectors, settings)
    if settings.metric == "cosine":
        x = _unit_rows(x)
    start = time.perf_counter()
    if x.shape[1] > _MAX_DIMS and settings.method != "pca":
        control.report(0.0, f"PCA to {_MAX_DIMS} dimensions")
        x = _pca(x, min(_MAX_DIMS, len(x)), settings.seed, scale=None)
    init = _pca(x, settings.dims, settings.seed) if settings.init == "pca" else _random_init(len(x), settings)
    if settings.method == "pca":
        control.report(1.0, "PCA done", init)
        return init
    control.report(0.0, "first layout: PCA", init.copy())
    with _one_at_a_time(control):
        if settings.method == "umap":
            layout = _umap(x, init, settings, control)
        else:
            layout = _tsne(x, init, settings, control)
    control.report(1.0, f"done in {time.perf_counter() - start:.1f} s", layout)
    return layout


# numba's parallel code (our UMAP epochs) aborts the process if two threads enter it at once, and
# two layouts at once would only halve each other's speed: runs from any thread take turns.
_RUNNING = threading.Lock()


class _one_at_a_time:
    def __init__(self, control: Control):
        self.control = control

    def __enter__(self):
        while not _RUNNING.acquire(timeout=0.05):
            self.control.report(0.0, "waiting for another layout to finish")
            _wait_or_stop(self.control)
        return self

    def __exit__(self, *exc):
        _RUNNING.release()


# ------------------------------------------------------------------------------------------ input
_MAX_DIMS = 50  # t-SNE and UMAP see at most this many principal components
EXACT_LIMIT = 12_000  # below this many points, neighbours are exact (one matrix product per block)


def _checked(vectors, settings: Settings) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2 or x.shape[1] < 1:
        raise EmbeddingError(f"Expected one vector per row (a 2-D array), got shape {x.shape}.")
    if not np.issubdtype(x.dtype, np.number):
        raise EmbeddingError("The vectors are not numbers.")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if settings.dims not in (2, 3):
        raise EmbeddingError(f"A layout has 2 or 3 dimensions, not {settings.dims}.")
    need = 2 if settings.method == "pca" else max(settings.dims + 2, 5)
    if len(x) < need:
        raise EmbeddingError(f"{how_many(len(x), 'point')} {'is' if len(x) == 1 else 'are'} too few for {catalogue.EMBED_METHODS[settings.method]}: "
                             f"it needs at least {need}.")
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise EmbeddingError(f"{how_many(int(bad.sum()), 'vector')} hold{'s' if bad.sum() == 1 else ''} NaN or infinite values (the first is row {int(np.argmax(bad))}).")
    return x


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, so euclidean neighbours are cosine neighbours."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


_EXACT_PCA = 2048  # up to this many input dimensions (or points), PCA solves the exact eigenproblem
_ROWS = 8192  # rows per block when PCA centres, sums and projects


def _pca(x: np.ndarray, dims: int, seed: int, scale: float | None = 10.0) -> np.ndarray:
    """The first `dims` principal components; scaled so the first spans ±scale when asked.

    numpy alone does the work: its matrix products and solvers let go of the GIL, while the
    LAPACK wrappers under scikit-learn's PCA hold it for the whole call, which paused the window
    for up to 100 ms as every t-SNE and UMAP run started (decision 0009). Each axis points the way
    its largest loading is positive, so a run is repeatable.
    """
    wanted, dims = dims, min(dims, *x.shape)  # no more components than points or input dimensions
    mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
    if min(x.shape) <= _EXACT_PCA:
        axes = _exact_axes(x, mean, dims)
    else:
        axes = _randomized_axes(x, mean, dims, seed)
    axes *= np.where(axes[np.abs(axes).argmax(axis=0), np.arange(dims)] < 0, -1, 1).astype(axes.dtype)
    axes = axes.astype(np.float32)
    y = np.empty((len(x), wanted), np.float32)
    y[:, dims:] = 0  # fewer points or input dimensions than layout dimensions
    for i in range(0, len(x), _ROWS):
        np.matmul(x[i:i + _ROWS] - mean, axes, out=y[i:i + _ROWS, :dims])
    if scale is not None:
        spread = float(np.abs(y[:, 0]).max()) or 1.0
        y *= scale / spread
    return y


def _exact_axes(x: np.ndarray, mean: np.ndarray, dims: int) -> np.ndarray:
    """The top `dims` eigenvectors of the covariance, from whichever of its two forms is smaller:
    features × features, or (with fewer points than features) points × points."""
    if x.shape[1] <= len(x):
        cov = np.zeros((x.shape[1], x.shape[1]))
        for i in range(0, len(x), _ROWS):
            block = x[i:i + _ROWS] - mean
            cov += block.T @ block
        return np.linalg.eigh(cov)[1][:, ::-1][:, :dims].copy()
    centred = x - mean
    gram = (centred @ centred.T).astype(np.float64)
    values, vectors = np.linalg.eigh(gram)
    values, top = values[::-1][:dims], vectors[:, ::-1][:, :dims].astype(np.float32)
    axes = (centred.T @ top).astype(np.float64)
    axes /= np.maximum(np.linalg.norm(axes, axis=0), 1e-30)
    # Past the data's rank (n - 1 at most, fewer with repeated points) an axis is rounding noise,
    # which the division above would stretch to a unit vector with large scores: it is zero.
    axes[:, values <= max(float(values[0]), 0.0) * 1e-5] = 0.0
    return axes


def _randomized_axes(x: np.ndarray, mean: np.ndarray, dims: int, seed: int, rounds: int = 7) -> np.ndarray:
    """The top `dims` axes by subspace iteration (Halko, Martinsson and Tropp), for inputs too
    large in both directions for the exact form; the centring is folded into each product."""
    width = min(dims + 10, *x.shape)
    start = np.random.default_rng(seed).standard_normal((x.shape[1], width)).astype(np.float32)

    def right(m):  # (x - mean) @ m
        return x @ m - mean @ m

    def left(q):  # (x - mean).T @ q
        return x.T @ q - np.outer(mean, q.sum(axis=0))

    q = np.linalg.qr(right(start))[0]
    for _ in range(rounds):
        q = np.linalg.qr(right(np.linalg.qr(left(q))[0]))[0]
    return np.linalg.svd(left(q).T, full_matrices=False)[2][:dims].T.astype(np.float64)


def _random_init(n: int, settings: Settings) -> np.ndarray:
    rng = np.random.default_rng(settings.seed)
    return rng.uniform(-10, 10, (n, settings.dims)).astype(np.float32)


def _wait_or_stop(control: Control) -> None:
    """Hold while the run is paused; raise Cancelled once it is stopped."""
    while control.paused() and not control.should_stop():
        time.sleep(0.02)
    control.check()


class _Stage(Stage):
    """One stage of a run, from `low` to `high` of the whole. Reports are throttled to about ten
    a second (a partial layout always goes through); every report and check holds while the run
    is paused and raises Cancelled once it is stopped."""

    def __init__(self, control: Control, low: float, high: float, text: str = ""):
        super().__init__(control, low, high)
        self.text = text
        self.last = 0.0

    def report(self, fraction: float, text: str = "", partial=None) -> None:
        self.check()
        now = time.perf_counter()
        if partial is not None or now - self.last >= 0.1:
            self.last = now
            super().report(fraction, text or self.text, partial)

    def check(self) -> None:
        _wait_or_stop(self.outer)

    def due(self) -> bool:
        """Whether a report now would be shown (the last one was 0.1 s ago or more)."""
        return time.perf_counter() - self.last >= 0.1


def _threads(settings: Settings) -> int:
    return 1 if settings.reproducible else max(1, os.cpu_count() or 1)


def _neighbours(x: np.ndarray, k: int, settings: Settings, stage: _Stage):
    from dlviz.core.neighbours import knn

    return knn(x, k, exact=len(x) <= EXACT_LIMIT, seed=settings.seed, progress=stage, device=settings.device)


# ------------------------------------------------------------------------------------------ UMAP
def curve(min_dist: float, spread: float = 1.0) -> tuple[float, float]:
    """a and b of the low-dimensional similarity 1 / (1 + a d^2b), fitted to a curve that is 1 up
    to min_dist and then decays as exp(-(d - min_dist) / spread)."""
    from scipy.optimize import curve_fit

    d = np.linspace(0, 3 * spread, 300)
    target = np.where(d < min_dist, 1.0, np.exp(-(d - min_dist) / spread))
    (a, b), _ = curve_fit(lambda d, a, b: 1.0 / (1.0 + a * d ** (2 * b)), d, target, p0=(1.5, 0.9), maxfev=5000)
    return float(a), float(b)


def fuzzy_graph(indices: np.ndarray, distances: np.ndarray, progress: Progress | None = None):
    """The symmetric fuzzy neighbour graph (scipy COO) of UMAP: each point's neighbour
    distances become memberships exp(-(d - rho) / sigma), with rho its nearest distance and sigma
    chosen so the memberships sum to log2(k); then A + Aᵀ - A∘Aᵀ."""
    from scipy import sparse

    progress = given(progress)
    n, k = indices.shape
    d = distances.astype(np.float64)
    positive = np.where(d > 0, d, np.inf)
    rho = positive.min(axis=1)
    rho[~np.isfinite(rho)] = 0.0
    gap = np.maximum(d - rho[:, None], 0.0)
    target = math.log2(k)
    low = np.zeros(n)
    high = np.full(n, np.inf)
    sigma = np.ones(n)
    for _ in range(64):
        progress.check()
        total = np.exp(-gap / sigma[:, None]).sum(axis=1)
        if np.all(np.abs(total - target) < 1e-5):
            break
        over = total > target
        high = np.where(over, sigma, high)
        low = np.where(over, low, sigma)
        sigma = np.where(np.isinf(high), sigma * 2, (low + high) / 2)
    floor = 1e-3 * np.where(rho > 0, d.mean(axis=1), d.mean())
    sigma = np.maximum(sigma, floor)
    weights = np.exp(-gap / sigma[:, None])
    a = sparse.csr_matrix((weights.ravel(), (np.repeat(np.arange(n), k), indices.ravel())), shape=(n, n))
    a.eliminate_zeros()
    t = a.T.tocsr()
    return (a + t - a.multiply(t)).tocoo()


def _umap(x: np.ndarray, init: np.ndarray, settings: Settings, control: Control) -> np.ndarray:
    from dlviz.core import umap_sgd

    n = len(x)
    k = max(2, min(settings.n_neighbors, n - 1))
    indices, distances = _neighbours(x, k, settings, _Stage(control, 0.0, 0.3, "finding neighbours"))
    stage = _Stage(control, 0.3, 1.0)
    stage.check()
    graph = fuzzy_graph(indices, distances, stage)
    # 150 above 10k points (umap-learn uses 200): as trustworthy on the benchmark sets and GloVe
    # words (within 0.001-0.004 of 200 epochs), a quarter less time
    epochs = settings.iterations or (500 if n <= 10_000 else 150)
    keep = graph.data >= graph.data.max() / epochs
    head = graph.row[keep].astype(np.int32)
    tail = graph.col[keep].astype(np.int32)
    weight = graph.data[keep].astype(np.float64)
    per_sample = weight.max() / weight
    next_sample = per_sample.copy()
    per_negative = per_sample / 5.0
    next_negative = per_negative.copy()
    a, b = (np.float32(v) for v in curve(settings.min_dist))
    layout = np.ascontiguousarray(init, dtype=np.float32).copy()
    kernel = umap_sgd.epoch_serial if settings.reproducible else umap_sgd.epoch_parallel
    seed = np.uint64(settings.seed & 0xFFFFFFFFFFFF)
    for epoch in range(epochs):
        alpha = np.float32(1.0 - epoch / epochs)  # the learning rate falls linearly to 0
        kernel(layout, head, tail, per_sample, next_sample, per_negative, next_negative, epoch, alpha, a, b, seed)
        if stage.due() or epoch == epochs - 1:
            stage.report((epoch + 1) / epochs, f"UMAP epoch {epoch + 1} / {epochs}", layout.copy())
        else:
            stage.check()
    return layout


# ------------------------------------------------------------------------------------------ t-SNE
def conditional_probabilities(distances: np.ndarray, perplexity: float, progress: Progress | None = None) -> np.ndarray:
    """Rows p(j|i) ∝ exp(-β_i d_ij²) over each point's neighbours (n × k, nearest first), with β_i
    bisected until the row's entropy is log(perplexity). Rows go in blocks, with a stop checked
    and progress reported between them."""
    from dlviz.core import tsne_kernels

    progress = given(progress)
    distances = np.ascontiguousarray(distances, dtype=np.float32)
    out = np.empty(distances.shape, np.float64)
    n = len(distances)
    for start in range(0, n, _ROWS):
        progress.check()
        tsne_kernels.conditional_rows(distances[start:start + _ROWS], math.log(perplexity), out[start:start + _ROWS])
        progress.report(min(n, start + _ROWS) / n)
    return out


def perplexity_affinities(indices: np.ndarray, distances: np.ndarray, perplexity: float,
                          progress: Progress | None = None):
    """t-SNE's input similarities: P = (C + Cᵀ) / 2n (scipy CSR) from the conditional rows C."""
    from scipy import sparse

    from dlviz.core import tsne_kernels

    progress = given(progress)
    p = conditional_probabilities(distances, perplexity, progress.within(0.0, 0.9))
    indptr, columns, data = tsne_kernels.joint(np.ascontiguousarray(indices, dtype=np.int64), p, progress.check)
    progress.report(1.0)
    n = len(indices)
    return sparse.csr_matrix((data, columns, indptr), shape=(n, n))


def _tsne(x: np.ndarray, init: np.ndarray, settings: Settings, control: Control) -> np.ndarray:
    from openTSNE import TSNEEmbedding, affinity

    n = len(x)
    perplexity = effective_perplexity(settings.perplexity, n)
    if perplexity < settings.perplexity:
        control.report(0.0, f"perplexity {settings.perplexity:g} needs {perplexity_points(settings.perplexity)} points: "
                            f"{perplexity:.3g} used for {n}")
    k = min(n - 1, int(3 * perplexity))
    indices, distances = _neighbours(x, k, settings, _Stage(control, 0.0, 0.2, "finding neighbours"))
    affinities = affinity.PrecomputedAffinities(
        perplexity_affinities(indices, distances, perplexity, _Stage(control, 0.2, 0.25, "similarities")))
    stage = _Stage(control, 0.25, 1.0)
    threads = _threads(settings)
    start = init.astype(np.float64)
    start *= 1e-4 / max(float(start[:, 0].std()), 1e-12)  # t-SNE starts tiny (openTSNE's advice)
    layout = TSNEEmbedding(start, affinities, n_jobs=threads, random_state=settings.seed, verbose=False)
    total = settings.iterations or 750
    early = min(250, total // 3)
    rate = settings.learning_rate or max(n / settings.exaggeration, 50.0)
    steps = [0]  # gradients computed so far

    def gradient(embedding, P, should_eval_error=False, **params):
        """openTSNE's gradient (Barnes-Hut below 10k points, FFT above, as its "auto"), wrapped to
        show the layout ~10 times a second and to stop within one iteration. Its callbacks would
        do the same but evaluate the KL divergence at each, some 40% more per iteration."""
        steps[0] += 1
        done = min(steps[0], total)
        if stage.due():
            stage.report(done / total, f"t-SNE iteration {done} / {total}", np.asarray(embedding, dtype=np.float32).copy())
        else:
            stage.check()
        return repulsion(embedding, P, should_eval_error=False, **params)

    from openTSNE.tsne import kl_divergence_bh, kl_divergence_fft

    repulsion = kl_divergence_fft if n >= 10_000 else kl_divergence_bh
    for begin, end in ((0, early), (early, total)):
        if end > begin:
            exaggerated = begin < early
            layout.optimize(
                n_iter=end - begin,
                exaggeration=settings.exaggeration if exaggerated else None,
                momentum=0.5 if exaggerated else 0.8,
                learning_rate=rate,
                inplace=True,
                n_jobs=threads,
                negative_gradient_method=gradient,
            )
            steps[0] = end  # openTSNE computes one more gradient at the end of a call
    return np.ascontiguousarray(np.asarray(layout), dtype=np.float32)


def effective_perplexity(perplexity: float, n: int) -> float:
    """The perplexity t-SNE uses for `n` points: each point needs 3 × perplexity neighbours, so
    it is lowered to (n - 1) / 3 when there are too few."""
    return min(float(perplexity), (n - 1) / 3)


def perplexity_points(perplexity: float) -> int:
    """How many points a perplexity needs to be used as it is."""
    return int(math.ceil(3 * perplexity + 1))


# ------------------------------------------------------------------------------------------ helpers
def nearest(vectors: np.ndarray, index: int, k: int = 10, metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """The k nearest points to point `index` in the original space (itself excluded):
    (indices, distances), nearest first. Cosine distance is 1 - cosine similarity."""
    x = np.asarray(vectors, dtype=np.float32)
    q = x[index]
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1) * max(float(np.linalg.norm(q)), 1e-12)
        dist = 1.0 - (x @ q) / np.maximum(norms, 1e-12)
    elif metric == "euclidean":
        diff = x - q
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    else:
        raise EmbeddingError(f"Unknown metric {metric!r}; choose euclidean or cosine.")
    dist[index] = np.inf
    k = min(k, len(x) - 1)
    part = np.argpartition(dist, k - 1)[:k]
    order = part[np.argsort(dist[part], kind="stable")]
    return order, dist[order]


def sample(n: int, size: int, *, labels: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """`size` indices out of range(n), sorted: uniformly at random, or, given labels, stratified so
    each label keeps its share (every label keeps at least one point)."""
    rng = np.random.default_rng(seed)
    if size >= n:
        return np.arange(n)
    if labels is None:
        return np.sort(rng.choice(n, size, replace=False))
    values, inverse = np.unique(np.asarray(labels), return_inverse=True)
    counts = np.bincount(inverse, minlength=len(values))
    exact = counts * size / n
    quota = np.minimum(np.maximum(1, np.floor(exact)).astype(int), counts)
    spare = size - int(quota.sum())
    for g in np.argsort(-(exact - np.floor(exact)), kind="stable"):  # leftovers to the largest remainders
        if spare <= 0:
            break
        if quota[g] < counts[g]:
            quota[g] += 1
            spare -= 1
    picked = [rng.choice(np.flatnonzero(inverse == g), quota[g], replace=False) for g in range(len(values))]
    return np.sort(np.concatenate(picked))


_warm = False
_WARMING = threading.Lock()


def warm_up() -> str:
    """Load (or compile, the first time) the numba kernels and import openTSNE on a tiny set, so
    the first real run starts at once. The app calls it in the background after its first image
    is on screen, and the explorer again when it opens (then it returns at once)."""
    global _warm
    with _WARMING:  # a second caller (the explorer opening during the app's warm-up) waits for it
        if _warm:
            return "layout kernels ready"
        began = time.perf_counter()
        x = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
        with runtime.settling("layout kernels"):  # numba, umap and openTSNE load here for good
            runtime.preload("llvmlite", "binding/libllvmlite.so")  # numba's compiler, without the GIL
            embed(x, Settings(method="umap", iterations=4))
            embed(x, Settings(method="umap", iterations=2, reproducible=True))
            from dlviz.core.neighbours import knn

            with _RUNNING:  # numba's parallel kernels abort the process if two threads enter them at once
                indices, distances = knn(x, 10, exact=True)
                perplexity_affinities(indices, distances, 3.0)  # t-SNE's kernels
            import openTSNE  # noqa: F401  (its compiled parts load in a second or so)

        _warm = True
        return f"layout kernels ready in {time.perf_counter() - began:.1f} s"
