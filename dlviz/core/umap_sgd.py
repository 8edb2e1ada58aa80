"""The UMAP layout optimisation (McInnes et al., 2018) as numba kernels: one call runs one epoch.

Each edge of the fuzzy neighbour graph pulls its two ends together and pushes its head away from
a few random points. Edges are visited in proportion to their weight (an edge of weight w every
max_w / w epochs). The parallel kernel updates points without locks, as stochastic gradient
descent tolerates; the serial one gives the same layout for the same seed. Random choices come
from a hash of (seed, epoch, edge, draw), so no generator state is shared between threads.

Kernels are compiled on first use and cached in NUMBA_CACHE_DIR.
"""

from __future__ import annotations

import os

import numba
import numpy as np

# numba's OpenMP layer leaves its threads spinning after a parallel loop; torch's own threads then
# fight them and a neighbour search or PCA right after an epoch runs 5-20 times slower. The
# workqueue layer's threads sleep when idle.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, inline="always")
def _hash(seed, epoch, edge, draw):
    z = seed + np.uint64(epoch) * _GOLDEN + np.uint64(edge) * _MIX2 + np.uint64(draw) * _MIX1
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, fastmath=True, inline="always")
def _edge(e, emb, head, tail, per_sample, next_sample, per_negative, next_negative, epoch, alpha, a, b, seed):
    """One edge's turn: attract its ends, repel its head from random points. Arithmetic is
    float32 (a, b and alpha come in as float32), which halves the cost of the powers."""
    if next_sample[e] > epoch:
        return
    i = head[e]
    j = tail[e]
    dims = emb.shape[1]
    n = emb.shape[0]
    d2 = np.float32(0.0)
    for c in range(dims):
        diff = emb[i, c] - emb[j, c]
        d2 += diff * diff
    coeff = np.float32(0.0)
    if d2 > 0.0:
        d2b = d2**b  # one power per pair: d2^(b-1) is d2b / d2
        coeff = np.float32(-2.0) * a * b * (d2b / d2) / (a * d2b + np.float32(1.0))
    for c in range(dims):
        g = coeff * (emb[i, c] - emb[j, c])
        g = min(np.float32(4.0), max(np.float32(-4.0), g))
        emb[i, c] += g * alpha
        emb[j, c] -= g * alpha
    next_sample[e] += per_sample[e]
    negatives = int((epoch - next_negative[e]) / per_negative[e])
    for p in range(negatives):
        k = int(((_hash(seed, epoch, e, p) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))  # in [0, n) without a division
        if k == i:
            continue
        d2 = np.float32(0.0)
        for c in range(dims):
            diff = emb[i, c] - emb[k, c]
            d2 += diff * diff
        if d2 > 0.0:
            coeff = np.float32(2.0) * b / ((np.float32(0.001) + d2) * (a * d2**b + np.float32(1.0)))
            for c in range(dims):
                g = coeff * (emb[i, c] - emb[k, c])
                g = min(np.float32(4.0), max(np.float32(-4.0), g))
                emb[i, c] += g * alpha
    next_negative[e] += negatives * per_negative[e]


# nogil: an epoch of 100k points holds no lock the window needs (with the GIL held, the GUI
# thread waited out each epoch: 60-110 ms gaps).
@numba.njit(cache=True, parallel=True, fastmath=True, nogil=True)
def epoch_parallel(emb, head, tail, per_sample, next_sample, per_negative, next_negative, epoch, alpha, a, b, seed):
    for e in numba.prange(head.shape[0]):
        _edge(e, emb, head, tail, per_sample, next_sample, per_negative, next_negative, epoch, alpha, a, b, seed)


@numba.njit(cache=True, fastmath=True, nogil=True)
def epoch_serial(emb, head, tail, per_sample, next_sample, per_negative, next_negative, epoch, alpha, a, b, seed):
    for e in range(head.shape[0]):
        _edge(e, emb, head, tail, per_sample, next_sample, per_negative, next_negative, epoch, alpha, a, b, seed)
