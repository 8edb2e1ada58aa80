"""k nearest neighbours of every point, for t-SNE and UMAP: exact in blocks, or through an
inverted-file index (points bucketed by k-means; each bucket searches itself and its nearest
buckets) when exact search would take too long. Both run in torch on all cores (or on a CUDA
device), check for cancellation between blocks, and report progress.
"""

from __future__ import annotations

import math
import numpy as np

from dlviz.core.progress import Progress, given


def knn(x: np.ndarray, k: int, *, exact: bool, seed: int = 0, progress: Progress | None = None,
        device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances) of the k nearest other points of every row, nearest first: int64 and
    float32 arrays of shape (n, k), euclidean distances. Reports between blocks; a stop is the
    progress's to raise (the embedding's stages raise Cancelled from their reports).

    `device`: where the distances are computed. Only CUDA is taken; anything else means the CPU
    (Apple's MPS caps torch.topk's k below the 90 neighbours t-SNE asks for)."""
    import torch

    n = len(x)
    k = min(k, n - 1)
    progress = given(progress)
    where = torch.device(device if str(device).startswith("cuda") else "cpu")
    data = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(where)
    if exact:
        return _exact(data, k, progress)
    return _inverted_file(data, k, seed, progress)


def _block_search(queries, query_ids, candidates, candidate_ids, k):
    """The k nearest candidates (not the query itself) of each query, as global ids and distances."""
    import torch

    sq = (candidates * candidates).sum(1)
    # |q - c|² = |q|² - 2 q·c + |c|²; |q|² is the same along a row, so it joins only at the end.
    part = torch.addmm(sq.unsqueeze(0), queries, candidates.T, beta=1.0, alpha=-2.0)
    same = query_ids.unsqueeze(1) == candidate_ids.unsqueeze(0)
    part.masked_fill_(same, float("inf"))
    take = min(k, candidates.shape[0] - 1)
    values, where = torch.topk(part, take, dim=1, largest=False, sorted=True)
    values += (queries * queries).sum(1, keepdim=True)
    return candidate_ids[where], values.clamp_min_(0).sqrt_()


def _exact(data, k, progress):
    import torch

    n = data.shape[0]
    ids = torch.arange(n, device=data.device)
    indices = np.empty((n, k), np.int64)
    distances = np.empty((n, k), np.float32)
    block = max(256, min(4096, int(2e7 // max(n, 1))))
    for start in range(0, n, block):
        stop = min(n, start + block)
        found, dist = _block_search(data[start:stop], ids[start:stop], data, ids, k)
        indices[start:stop] = found.cpu().numpy()
        distances[start:stop] = dist.cpu().numpy()
        progress.report(stop / n)
    return indices, distances


def _kmeans(data, cells, seed, progress, iterations=8):
    """Centroids of `cells` buckets, from Lloyd iterations on a sample; a stop is checked at
    each (together they took 0.3 s for 100k points)."""
    import torch

    gen = torch.Generator().manual_seed(seed)  # on the CPU: the same buckets on every device
    n = data.shape[0]
    sample = data[torch.randperm(n, generator=gen)[: min(n, cells * 40)].to(data.device)]
    centroids = sample[torch.randperm(len(sample), generator=gen)[:cells].to(data.device)].clone()
    for _ in range(iterations):
        progress.check()
        owner = _nearest_centroid(sample, centroids)
        sums = torch.zeros_like(centroids).index_add_(0, owner, sample)
        counts = torch.bincount(owner, minlength=cells).unsqueeze(1)
        filled = counts.squeeze(1) > 0
        centroids[filled] = sums[filled] / counts[filled]
    return centroids


def _nearest_centroid(points, centroids):
    import torch

    sq = (centroids * centroids).sum(1)
    out = torch.empty(points.shape[0], dtype=torch.int64, device=points.device)
    for start in range(0, points.shape[0], 65536):
        block = points[start : start + 65536]
        out[start : start + 65536] = torch.addmm(sq.unsqueeze(0), block, centroids.T, alpha=-2.0).argmin(1)
    return out


def _inverted_file(data, k, seed, progress, probe=12):
    """Approximate search: each bucket's points look among the points of its `probe` nearest
    buckets (its own included). Recall on clustered and on uniform data is above 0.95."""
    import torch

    n = data.shape[0]
    cells = max(8, int(math.sqrt(n) * 1.5))
    probe = min(probe, cells)
    centroids = _kmeans(data, cells, seed, progress)
    progress.report(0.05)
    owner = _nearest_centroid(data, centroids)
    progress.report(0.1)
    order = torch.argsort(owner, stable=True)
    counts = torch.bincount(owner, minlength=cells)
    offsets = torch.zeros(cells + 1, dtype=torch.int64, device=data.device)
    offsets[1:] = torch.cumsum(counts, 0)
    csq = (centroids * centroids).sum(1)
    near_cells = torch.topk(torch.addmm(csq.unsqueeze(0), centroids, centroids.T, alpha=-2.0), probe, dim=1, largest=False).indices
    indices = np.empty((n, k), np.int64)
    distances = np.empty((n, k), np.float32)
    bounds, near_cells = offsets.tolist(), near_cells.tolist()  # plain ints: no device round trip each
    members = [order[bounds[c] : bounds[c + 1]] for c in range(cells)]
    done = 0
    for c in range(cells):
        queries = members[c]
        if len(queries) == 0:
            continue
        candidate_ids = torch.cat([members[j] for j in near_cells[c]])
        if len(candidate_ids) <= k:  # a tiny neighbourhood: widen it to every point
            candidate_ids = torch.arange(n, device=data.device)
        found, dist = _block_search(data[queries], queries, data[candidate_ids], candidate_ids, k)
        q = queries.cpu().numpy()
        indices[q] = found.cpu().numpy()
        distances[q] = dist.cpu().numpy()
        done += len(queries)
        progress.report(0.1 + 0.9 * done / n)
    return indices, distances


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """The share of true neighbours found (both arrays n × k of indices)."""
    hits = sum(len(np.intersect1d(a, b, assume_unique=True)) for a, b in zip(found, truth))
    return hits / truth.size
