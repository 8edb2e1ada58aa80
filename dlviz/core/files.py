"""Opening and writing files so that no file can hang the worker or leave half a cache behind.

- `check_file` looks at a path before anything reads it: a folder, a pipe (FIFO), a device or a
  socket is refused in one sentence without being opened (opening a FIFO blocks until someone
  writes to it), and the look itself is time-boxed, so a hung network mount gives a sentence
  after `TIMEOUT_S` instead of stalling the one worker thread for good.
- `write_atomic` writes a file beside its final name, flushes it to the disk and only then puts
  it in place: a crash or a full disk leaves the old file or none, never a torn one.
- `set_aside` moves a damaged cache out of the way (keeping it for a bug report) so it is rebuilt.
No Qt here.
"""

from __future__ import annotations

import os
import stat
import threading
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from dlviz.core.errors import DlvizError

DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, TypeError, IndexError)
"""What reading a torn or foreign cache file raises (JSON errors are ValueErrors). An OSError is
not among them: a file locked for a moment is not damaged, and is not set aside."""

TIMEOUT_S = 5.0
"""How long a look at a file may take before the file is taken for unreachable."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def timed(fn: Callable, timeout_s: float = TIMEOUT_S):
    """fn() run on a helper thread and waited for at most `timeout_s`: its result, its exception,
    or TimeoutError. A call that hangs is left behind on its daemon thread (nothing can kill it),
    so only calls that are cheap when they work belong here: stat, open, a first read."""
    box: dict = {}

    def call():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=call, name="dlviz-file-look", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def check_file(path: str | os.PathLike, error: type[DlvizError] = DlvizError, *, what: str = "file",
               timeout_s: float = TIMEOUT_S) -> os.stat_result:
    """The stat of `path` if it is a regular file that answers within `timeout_s`; else `error`
    with one sentence: missing, a folder, a pipe or device, unreadable, or not answering."""
    path = Path(path)
    name = path.name or str(path)

    def look():
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode):
            with open(path, "rb") as stream:  # a regular file opens at once unless its disk hangs
                stream.read(1)
        return info

    try:
        info = timed(look, timeout_s)
    except TimeoutError:
        exc = error(f"{name} did not answer within {timeout_s:g} s (is its drive or network share "
                    "still connected?).")
        exc.unreachable = True  # see `unreachable`
        raise exc from None
    except FileNotFoundError:
        raise error(f"{name} does not exist.") from None
    except PermissionError:
        raise error(f"{name} cannot be read (permission denied).") from None
    except IsADirectoryError:
        raise error(f"{name} is a folder, not {_article(what)}.") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        raise error(f"{name} cannot be read ({getattr(exc, 'strerror', None) or exc}).") from exc
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{name} is {_kind(info.st_mode)}, not {_article(what)}.")
    return info


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says a file did not answer in time. A scan of a folder ends there, rather
    than skipping each file after waiting for it (and leaving a stuck thread per file)."""
    return getattr(exc, "unreachable", False)


def _article(what: str) -> str:
    return ("an " if what[:1].lower() in "aeiou" else "a ") + what


def write_atomic(path: str | os.PathLike, write: Callable[[object], None], *, binary: bool = True) -> None:
    """Call `write(stream)` on a temporary file beside `path`, flush it to the disk, then rename
    it onto `path`. On any failure the temporary file is removed and the old `path` is kept."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def set_aside(path: str | os.PathLike) -> Path | None:
    """Rename a damaged file to `<name>.damaged` (replacing an older one) so the next write makes
    a fresh file; the new name, or None when even that failed (the file is then left alone)."""
    path = Path(path)
    target = path.with_name(path.name + ".damaged")
    try:
        os.replace(path, target)
        return target
    except OSError:  # left where it is: the next good write replaces it
        return None
