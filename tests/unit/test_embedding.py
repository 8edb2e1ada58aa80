"""Layouts judged by what they are for: neighbours stay neighbours, classes stay apart."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from dlviz.core import embedding
from dlviz.core.embedding import Control, EmbeddingError, Settings, embed, nearest, sample
from dlviz.core.errors import Cancelled
from dlviz.core.neighbours import knn, recall


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def blobs(n, dims=20, centres=8, seed=0):
    rng = np.random.default_rng(seed)
    middle = rng.normal(0, 6, (centres, dims))
    label = rng.integers(0, centres, n)
    return (middle[label] + rng.normal(0, 1, (n, dims))).astype(np.float32), label


def knn_accuracy(layout, labels):
    return cross_val_score(KNeighborsClassifier(10), layout, labels, cv=5).mean()


@pytest.mark.slow
@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_digits_keep_neighbours_and_classes(digits, method):
    x, y = digits
    layout = embed(x, Settings(method=method))
    assert layout.shape == (len(x), 2) and layout.dtype == np.float32
    assert trustworthiness(x, layout, n_neighbors=5) >= 0.98
    assert knn_accuracy(layout, y) >= 0.95


def test_pca_is_the_principal_plane(digits):
    x, _ = digits
    layout = embed(x, Settings(method="pca"))
    centred = x - x.mean(axis=0)
    top = np.linalg.svd(centred, full_matrices=False)[2][:2]
    expected = centred @ top.T
    for axis in range(2):  # the same axes up to sign and scale
        assert abs(np.corrcoef(layout[:, axis], expected[:, axis])[0, 1]) > 0.999


def _exact_scores(x, k):
    centred = x.astype(np.float64) - x.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return u[:, :k] * s[:k]


@pytest.mark.parametrize("shape, repeats", [((400, 30), 1), ((40, 300), 1), ((12, 12), 1), ((3, 100), 1), ((4, 100), 3)],
                         ids=["tall", "wide", "square", "three points", "repeated points"])
def test_pca_scores_are_the_exact_principal_scores(shape, repeats):
    """Covariance of features (tall input) or of points (wide input): the scores match an SVD up to
    each axis's sign, and each axis's sign is set by its largest loading. Past the data's rank
    (three points span a plane; repeated points add nothing) the scores are zero, as an SVD's are."""
    rng = np.random.default_rng(3)
    x = (rng.normal(size=shape) * np.linspace(4, 0.2, shape[1]) + 50).astype(np.float32)
    x = np.repeat(x, repeats, axis=0)
    k = min(5, *x.shape)
    scores = embedding._pca(x, k, seed=0, scale=None)
    expected = _exact_scores(x, k)
    for axis in range(k):
        sign = np.sign(scores[:, axis] @ expected[:, axis]) or 1.0
        assert np.allclose(scores[:, axis], sign * expected[:, axis], atol=1e-3 * np.abs(expected).max())
    loadings = (x - x.mean(axis=0)).T.astype(np.float64) @ scores  # each axis times its (positive) variance
    real = expected.std(axis=0) > 1e-3 * expected.std(axis=0).max()
    largest = loadings[np.abs(loadings).argmax(axis=0), np.arange(k)]
    assert (largest[real] > 0).all()


def test_pca_of_a_large_input_by_subspace_iteration_keeps_the_variance(monkeypatch):
    monkeypatch.setattr(embedding, "_EXACT_PCA", 20)  # inputs above 20 × 20 take the randomized path
    rng = np.random.default_rng(4)
    x = (rng.normal(size=(600, 200)) * np.geomspace(10, 0.1, 200)).astype(np.float32)
    scores = embedding._pca(x, 10, seed=0, scale=None)
    expected = _exact_scores(x, 10)
    assert scores.var(axis=0).sum() >= 0.99 * expected.var(axis=0).sum()
    assert abs(np.corrcoef(scores[:, 0], expected[:, 0])[0, 1]) > 0.999
    assert np.array_equal(scores, embedding._pca(x, 10, seed=0, scale=None))  # the same seed, the same layout


def test_three_dimensions(digits):
    x, _ = digits
    layout = embed(x[:300], Settings(method="umap", dims=3, iterations=50))
    assert layout.shape == (300, 3) and np.isfinite(layout).all()


class Recorder(Control):
    def __init__(self, stop_after=None, pause=None):
        self.partials, self.times, self.texts = [], [], []
        self.stop_after = stop_after
        self.pause = pause
        self.stopped_at = None

    def report(self, fraction, text="", partial=None):
        self.texts.append(text)
        if partial is not None:
            self.partials.append(partial)
            self.times.append(time.perf_counter())

    def should_stop(self):
        if self.stop_after is not None and len(self.partials) >= self.stop_after:
            self.stopped_at = self.stopped_at or time.perf_counter()
            return True
        return False

    def paused(self):
        return self.pause is not None and self.pause.is_set()


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_partial_layouts_arrive_and_first_is_pca(method):
    x, _ = blobs(3000)
    control = Recorder()
    began = time.perf_counter()
    final = embed(x, Settings(method=method, iterations=120), control)
    assert len(control.partials) >= 3
    assert control.times[0] - began < 1.0  # a first picture within a second
    first = control.partials[0]
    pca = embed(x, Settings(method="pca"))
    assert np.allclose(first, pca, atol=1e-4)  # the first picture is the PCA start
    assert np.array_equal(control.partials[-1], final)
    gaps = np.diff(control.times)
    assert np.median(gaps) < 0.25


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_stop_ends_the_run_quickly(method):
    x, _ = blobs(20000)
    control = Recorder(stop_after=3)
    with pytest.raises(Cancelled):
        embed(x, Settings(method=method), control)
    assert time.perf_counter() - control.stopped_at < 0.5


def test_pause_holds_and_resume_continues():
    x, _ = blobs(2000)
    pause = threading.Event()
    control = Recorder(pause=pause)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("layout", embed(x, Settings(iterations=400), control)))
    pause.set()
    worker.start()
    time.sleep(1.0)
    held = len(control.partials)
    time.sleep(0.6)
    assert len(control.partials) == held  # nothing moves while paused
    assert worker.is_alive()
    pause.clear()
    worker.join(30)
    assert not worker.is_alive() and result["layout"].shape == (2000, 2)


def test_reproducible_runs_agree():
    x, _ = blobs(1500)
    settings = Settings(method="umap", reproducible=True, seed=7, iterations=100)
    assert np.array_equal(embed(x, settings), embed(x, settings))
    other = embed(x, settings.with_(seed=8))
    assert not np.array_equal(embed(x, settings), other)


def test_cosine_metric_ignores_length():
    x, labels = blobs(1500)
    scaled = x * np.random.default_rng(1).uniform(0.1, 10, (len(x), 1)).astype(np.float32)
    layout = embed(scaled, Settings(method="umap", metric="cosine", iterations=150))
    assert knn_accuracy(layout, labels) > 0.95


@pytest.mark.parametrize(
    "vectors, settings, words",
    [
        (np.zeros((3, 4)), Settings(method="umap"), "too few"),
        (np.array([[1.0, np.nan]] * 20), Settings(), "NaN"),
        (np.zeros(10), Settings(), "2-D"),
        (np.zeros((20, 3)), Settings(method="isomap"), "Unknown method"),
        (np.zeros((20, 3)), Settings(dims=4), "2 or 3"),
    ],
)
def test_bad_input_is_one_sentence(vectors, settings, words):
    with pytest.raises(EmbeddingError, match=words):
        embed(vectors, settings)


def test_neighbour_search_finds_the_true_neighbours():
    x, _ = blobs(6000, dims=30)
    truth, truth_dist = knn(x, 10, exact=True)
    brute = np.linalg.norm(x[:50, None] - x[None], axis=2)
    brute[np.arange(50), np.arange(50)] = np.inf
    assert np.array_equal(truth[:50], np.argsort(brute, axis=1)[:, :10])
    assert np.allclose(truth_dist[:50], np.sort(brute, axis=1)[:, :10], atol=1e-3)
    approximate, _ = knn(x, 10, exact=False)
    assert recall(approximate, truth) > 0.95


def test_nearest_in_the_original_space():
    x = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0], [10, 0.5]], np.float32)
    indices, distances = nearest(x, 0, k=2, metric="cosine")
    assert list(indices) == [4, 1] and distances[0] < distances[1]
    indices, _ = nearest(x, 0, k=2, metric="euclidean")
    assert list(indices) == [1, 2]


def test_sampling_random_and_stratified():
    picked = sample(1000, 100, seed=3)
    assert len(picked) == 100 == len(np.unique(picked)) and np.all(np.diff(picked) > 0)
    labels = np.array(["common"] * 950 + ["rare"] * 45 + ["single"] * 5)
    picked = sample(1000, 100, labels=labels, seed=3)
    kept = labels[picked]
    assert len(picked) == 100
    assert (kept == "common").sum() == 95 and 4 <= (kept == "rare").sum() <= 5 and (kept == "single").sum() >= 1
    assert np.array_equal(sample(50, 100), np.arange(50))


def test_umap_graph_memberships():
    indices = np.array([[1, 2], [0, 2], [0, 1]])
    distances = np.array([[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]], np.float32)
    graph = embedding.fuzzy_graph(indices, distances).toarray()
    assert np.allclose(graph, graph.T)  # symmetric
    assert np.allclose(np.diag(graph), 0)
    assert np.isclose(graph[0, 1], 1.0)  # nearest neighbours fully connected (rho)
    assert 0 < graph[1, 2] < 1


def test_curve_matches_min_dist():
    a, b = embedding.curve(0.1)
    assert abs(a - 1.58) < 0.02 and abs(b - 0.90) < 0.01


def test_tsne_similarities_match_the_perplexity(digits):
    x, _ = digits
    indices, distances = knn(x.astype(np.float32), 90, exact=True)
    rows = embedding.conditional_probabilities(distances, 30.0)
    assert np.allclose(rows.sum(axis=1), 1.0)
    entropy = -(rows * np.log(np.where(rows > 0, rows, 1.0))).sum(axis=1)
    assert np.allclose(entropy, np.log(30.0), atol=1e-4)  # the definition of perplexity
    assert np.all(np.diff(rows, axis=1) <= 1e-12)  # nearer neighbours are more likely
    p = embedding.perplexity_affinities(indices, distances, 30.0)
    assert np.isclose(p.sum(), 1.0) and abs(p - p.T).max() < 1e-15  # a symmetric joint distribution


def test_tsne_similarities_show_progress_and_stop_between_blocks():
    """100k points' similarities take seconds: the bar moves through them, and a stop is heard
    within a block of rows, not after the whole bisection."""
    from dlviz.core.progress import Callbacks

    rng = np.random.default_rng(5)
    n, k = 3 * embedding._ROWS + 10, 20
    distances = np.sort(rng.random((n, k)), axis=1).astype(np.float32)
    indices = rng.integers(0, n, (n, k))
    fractions = []
    embedding.perplexity_affinities(indices, distances, 5.0, Callbacks(lambda f, t, p: fractions.append(f)))
    assert len(fractions) >= 5 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert fractions[0] < 0.5  # the first block's rows are reported before the rest are done
    seen = []
    stop = Callbacks(lambda f, t, p: seen.append(f), should_stop=lambda: len(seen) >= 1)
    with pytest.raises(Cancelled):
        embedding.perplexity_affinities(indices, distances, 5.0, stop)
    assert len(seen) == 1


def test_tsne_similarities_agree_with_opentsne(digits):
    from openTSNE import affinity, nearest_neighbors

    x, _ = digits
    indices, distances = knn(x.astype(np.float32), 90, exact=True)
    ours = embedding.perplexity_affinities(indices, distances, 30.0)
    theirs = affinity.PerplexityBasedNN(perplexity=30, knn_index=nearest_neighbors.PrecomputedNeighbors(indices, distances)).P
    assert abs(ours - theirs).max() < 1e-8


def test_layouts_from_two_threads_take_turns():
    x, _ = blobs(3000)
    epochs = []  # the thread of every reported epoch, in order

    class Watch(Control):
        def report(self, fraction, text="", partial=None):
            if text.startswith("UMAP epoch"):
                epochs.append(threading.get_ident())

    results = []
    threads = [threading.Thread(target=lambda: results.append(embed(x, Settings(iterations=200), Watch()))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and len(set(epochs)) == 2
    switches = sum(a != b for a, b in zip(epochs, epochs[1:]))
    assert switches == 1  # one run's epochs all come before the other's


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 12, 48, 49, 51])
def test_any_point_count_from_two_is_laid_out_or_refused_in_one_sentence(n):
    """Fewer points than t-SNE's and UMAP's 50 principal components once failed deep in PCA."""
    x = np.random.default_rng(n).normal(size=(n, 100)).astype(np.float32)
    for method in ("pca", "tsne", "umap"):
        try:
            layout = embed(x, Settings(method=method, iterations=None if method == "pca" else 30))
        except EmbeddingError as exc:
            assert method != "pca" and n < 5 and "too few" in str(exc) and "\n" not in str(exc)
        else:
            assert layout.shape == (n, 2) and np.isfinite(layout).all()


def test_a_perplexity_too_large_for_the_points_is_lowered_and_said():
    from dlviz.core.embedding import effective_perplexity, perplexity_points

    assert effective_perplexity(30, 1000) == 30 and effective_perplexity(30, 48) == pytest.approx(47 / 3)
    assert perplexity_points(30) == 91 and effective_perplexity(30, perplexity_points(30)) == 30
    said = []

    class Listen(Control):
        def report(self, fraction, text="", partial=None):
            said.append(text)

    embed(np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32), Settings(method="tsne", iterations=30), Listen())
    assert any(text.startswith("perplexity 30 needs 91 points") for text in said)
