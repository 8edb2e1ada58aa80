"""The embedding explorer's background work: plain functions `fn(state, ...)` for a JobRunner.

They read a source of points, compute image features, run an embedding and warm the layout
kernels up. Errors a user can cause (a broken file, a folder without images, too few points) are
`DlvizError` sentences; a stopped run returns None.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from dlviz import runtime
from dlviz.core.embedding import Control
from dlviz.core.errors import Cancelled, DlvizError


@dataclass
class Layout:
    layout: np.ndarray  # (n, dims) float32
    settings: object  # dlviz.core.embedding.Settings
    seconds: float


class StateControl(Control):
    """An embedding `Control` over a job's state: progress and partial layouts go to the view,
    stop comes from the runner (a newer run or Stop), pause from a threading.Event."""

    def __init__(self, state, pause: threading.Event | None = None):
        self.state = state
        self.pause = pause or threading.Event()

    def report(self, fraction: float, text: str = "", partial=None) -> None:
        if partial is not None:
            partial = np.array(partial, dtype=np.float32, copy=True)  # the worker keeps changing its own
        self.state.report(fraction, text, partial)

    def should_stop(self) -> bool:
        return self.state.should_stop()

    def paused(self) -> bool:
        if self.pause.is_set():
            time.sleep(0.02)  # embed() polls while paused: keep that from spinning a core
            return True
        return False


def _user_errors(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except MemoryError as exc:
        raise DlvizError("Not enough memory for these points: lower the limit or sample fewer.") from exc


@dataclass
class Source:
    """What a source job hands the explorer: the points, and their sample when there are more
    than it shows (drawn with `embedding.sample`, random, from the explorer's limit and seed)."""

    points: object  # dlviz.core.vectors.PointSet, or None when the reading was stopped
    sample: tuple | None = None  # ((limit, None, seed), index, points.subset(index))


def read_source(state, fn, args, limit: int, seed: int) -> Source:
    """`fn(state, *args)`, one of the jobs below that make points, then their random sample when
    there are more than `limit`: drawn and copied here, off the GUI thread (for 400k points that
    took the window 100-500 ms). All of it in short turns of the GIL (`runtime.short_turns`),
    from before the worker first holds it: a wait for the GIL that the GUI thread began at
    Python's 5 ms keeps that interval until it ends."""
    with runtime.short_turns():
        return _read_source(state, fn, args, limit, seed)


def _read_source(state, fn, args, limit: int, seed: int) -> Source:
    points = fn(state, *args)
    if points is None or len(points) <= limit:
        return Source(points)
    from dlviz.core.embedding import sample

    index = sample(len(points), limit, labels=None, seed=seed)
    return Source(points, ((limit, None, seed), index, points.subset(index)))


def read_vectors(state, path, extra=None, limit=None):
    """The points of a vector file, read as it comes with progress; None if stopped. `extra` is a
    projector metadata TSV (a header row with tabs) or a file of one label per line: which one
    is decided here, on the worker, since even its first line may be slow to come."""
    from dlviz.core import vectors

    state.report(0.0, "reading")
    try:
        meta = extra if extra is not None and vectors.is_metadata_table(extra) else None
        labels = extra if extra is not None and meta is None else None
        return _user_errors(vectors.read_points, path, metadata=meta, labels=labels, limit=limit, progress=state)
    except Cancelled:
        return None


def class_points(state, loaded):
    if loaded is None:
        raise DlvizError("Load a model first: its classes are the points.")
    from dlviz.core import features

    return _user_errors(features.class_points, loaded)


def glove_words(state, limit):
    from dlviz.core import vectors

    state.report(0.0, "reading GloVe")
    return _user_errors(vectors.read_glove, limit)


def folder_points(state, loaded, folder, layer=None, cache_dir=None):
    if loaded is None:
        raise DlvizError("Load a model first: it computes the images' features.")
    import torch

    from dlviz.core import features

    try:
        with torch.no_grad():
            return _user_errors(features.folder_features, loaded, folder, layer=layer, progress=state,
                                cache_dir=cache_dir)
    except Cancelled:
        return None
    except KeyError as exc:
        raise DlvizError(f"The model has no layer {exc.args[0]!r}.") from exc


def embed_points(state, vectors, settings, pause: threading.Event | None = None):
    """The layout of `vectors`, with partial layouts sent through `state.report`; None if stopped."""
    from dlviz.core.embedding import embed

    began = time.perf_counter()
    try:
        layout = _user_errors(embed, vectors, settings, StateControl(state, pause))
    except Cancelled:
        return None
    return Layout(np.asarray(layout, np.float32), settings, time.perf_counter() - began)


def warm_up(state):
    """Load or compile the layout kernels on tiny data while the user looks at the window."""
    from dlviz.core import embedding

    return embedding.warm_up()
