"""Colours for the explorer's points: a palette for categories and a colour map for numbers, and
which points a lasso holds."""

from __future__ import annotations

import numpy as np

from dlviz.core.mosaic import colormap_lut

# Twenty colours that stay apart on the dark background; the last category shown is "other".
PALETTE = [
    "#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292",
    "#a1887f", "#7986cb", "#aed581", "#ff8a65", "#4dd0e1", "#dce775", "#9575cd", "#f48fb1",
    "#80cbc4", "#ffcc80", "#c5e1a5", "#90a4ae",
]
OTHER = "#6b6b6b"
DEFAULT_COLOUR = "#4fc3f7"
MAX_CATEGORIES = 20


# ---------------------------------------------------------------------------- colouring helpers
def categorical(values, limit: int = MAX_CATEGORIES, known: dict | None = None):
    """(codes, colours, names): one colour per value when there are at most `limit` of them,
    else the `limit - 1` most frequent ones and "other". `known` maps values to the colours they
    had before (and learns the new ones), so a value keeps its colour across sets and runs."""
    known = {} if known is None else known
    values = np.asarray(values).astype(str)
    names, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    shown = order if len(names) <= limit else order[: limit - 1]
    rank = np.full(len(names), len(shown), np.int64)  # beyond the shown ones: "other"
    rank[shown] = np.arange(len(shown))
    taken = set(known.values())
    free = (c for c in PALETTE * (1 + len(names) // len(PALETTE)) if c not in taken)
    colours = []
    for i in shown:
        name = str(names[i])
        if name not in known:
            known[name] = next(free, PALETTE[len(known) % len(PALETTE)])
        colours.append(known[name])
    labels = [str(names[i]) for i in shown]
    if len(shown) < len(names):
        colours.append(OTHER)
        labels.append("other")
    return rank[inverse].astype(np.int32), colours, labels


def numeric(values) -> np.ndarray | None:
    """The column as floats, or None when some entry is not a number (empty ones become NaN)."""
    values = np.asarray(values).astype(str)
    out = np.empty(len(values), np.float64)
    for i, v in enumerate(values):
        v = v.strip()
        if v in ("", "nan", "NaN", "NA", "None"):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except ValueError:
            return None
    return out if np.isfinite(out).any() else None


def continuous(values: np.ndarray, cmap: str = "ember"):
    """(codes 0..255, 256 colours, (low, high)) for a numeric column; NaN gets the "other" grey
    as code 256."""
    values = np.asarray(values, np.float64)
    finite = np.isfinite(values)
    low, high = (float(values[finite].min()), float(values[finite].max())) if finite.any() else (0.0, 1.0)
    span = high - low or 1.0
    codes = np.full(len(values), 256, np.int32)
    codes[finite] = np.clip(((values[finite] - low) / span * 255).round(), 0, 255).astype(np.int32)
    lut = colormap_lut(cmap)
    lut[:40] = np.maximum(lut[:40], 40)  # the darkest entries would vanish on the background
    colours = ["#%02x%02x%02x" % tuple(int(c) for c in row) for row in lut] + [OTHER]
    return codes, colours, (low, high)


def point_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd rule, vectorised over the points, one pass per edge."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), bool)
    px, py = polygon[:, 0], polygon[:, 1]
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi, xj, yj = px[i], py[i], px[j], py[j]
        crosses = (yi > y) != (yj > y)
        if crosses.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                at = (xj - xi) * (y[crosses] - yi) / (yj - yi) + xi
            inside[crosses] ^= x[crosses] < at
        j = i
    return inside
