"""Process-wide memory settings that make repeated forward passes with recording cheaper."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_done = False


def tune_allocator() -> bool:
    """Keep freed activation buffers in the heap for the next forward pass (glibc only).

    Recording every layer keeps tens of megabytes of outputs alive per image. By default glibc
    serves each large buffer with a fresh mmap and returns it on free, so every pass pays page
    faults on new memory; raising the mmap and trim thresholds lets the next pass reuse the same
    pages. Elsewhere (macOS, Windows, musl) this does nothing. Returns True if it took effect.
    """
    global _done
    if _done or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    _done = bool(mallopt(_M_MMAP_THRESHOLD, 256 << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, 512 << 20))
    return _done
