"""Work made the second time it is asked for: a trace of a pass, kept for every ask after.

The first ask of a key goes the plain way, so a one-off (a still image, one frame) pays nothing;
the second makes the thing and keeps it. Live frames, the layer on screen and the gradient's pass
are traced this way (docs/decisions/0010)."""

from __future__ import annotations

import contextlib

FIRST, SECOND = "first", "second"  # markers: asked for once; being made


def made_at_second_ask(cache: dict, key, make, lock=None):
    """What `cache` keeps for `key`: None the first time it is asked for (the caller goes the plain
    way), `make()` the second time, kept for every time after (None too, where `make` could not
    make it). `lock` guards the cache where threads share it; `make` runs outside it."""
    with lock or contextlib.nullcontext():
        entry = cache.get(key, FIRST)
        cache[key] = SECOND if entry is FIRST else entry
    if entry is SECOND:
        entry = make()
        with lock or contextlib.nullcontext():
            cache[key] = entry
    return None if entry is FIRST else entry
